// A fixed set of worker threads that run one parallel loop at a time; the calling thread
// works too. Concurrent callers (several states on one model) take turns.
#pragma once
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace rwkv::cpu {

class ThreadPool {
 public:
  explicit ThreadPool(int threads);  // threads <= 0: all cores
  ~ThreadPool();
  int size() const { return int(workers_.size()) + 1; }

  // Calls fn(i) for i in [0, n), spread over the threads; returns when all are done.
  void parallel_for(int n, const std::function<void(int)>& fn);

 private:
  void work();
  void run_items(const std::function<void(int)>* fn, int n, uint32_t gen);

  std::vector<std::thread> workers_;
  std::mutex call_mutex_;  // one loop at a time
  std::mutex m_;
  std::condition_variable wake_, done_;
  const std::function<void(int)>* fn_ = nullptr;  // the current loop, under m_
  int n_ = 0;
  // The current loop's generation (high 32 bits) and next unclaimed item (low 32 bits).
  std::atomic<uint64_t> next_{0};
  int busy_ = 0;
  uint64_t generation_ = 0;
  bool stop_ = false;
};

}  // namespace rwkv::cpu
