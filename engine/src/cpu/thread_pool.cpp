#include "cpu/thread_pool.h"

#include <pthread.h>

namespace rwkv::cpu {

ThreadPool::ThreadPool(int threads) {
  if (threads <= 0) threads = int(std::thread::hardware_concurrency());
  if (threads <= 0) threads = 1;
  for (int i = 1; i < threads; i++)
    workers_.emplace_back([this] {
#ifdef __linux__
      pthread_setname_np(pthread_self(), "rwkv-pool");  // named for top -H, gdb and the tests
#endif
      work();
    });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lk(m_);
    stop_ = true;
  }
  wake_.notify_all();
  for (auto& t : workers_) t.join();
}

// Claims items of loop `gen` only: a worker woken late, after its loop ended (the caller may
// have run every item alone and started the next), finds another generation in next_ and
// leaves without touching the new loop's items or function.
void ThreadPool::run_items(const std::function<void(int)>* fn, int n, uint32_t gen) {
  uint64_t v = next_.load(std::memory_order_acquire);
  for (;;) {
    if (uint32_t(v >> 32) != gen || int(uint32_t(v)) >= n) return;
    if (next_.compare_exchange_weak(v, v + 1, std::memory_order_acq_rel, std::memory_order_acquire)) {
      (*fn)(int(uint32_t(v)));
      v = next_.load(std::memory_order_acquire);
    }
  }
}

void ThreadPool::work() {
  uint64_t seen = 0;
  for (;;) {
    const std::function<void(int)>* fn;
    int n;
    {
      std::unique_lock<std::mutex> lk(m_);
      wake_.wait(lk, [&] { return stop_ || generation_ != seen; });
      if (stop_) return;
      seen = generation_;
      fn = fn_;  // the loop's own function and length, read under the lock
      n = n_;
      busy_++;
    }
    run_items(fn, n, uint32_t(seen));
    {
      std::lock_guard<std::mutex> lk(m_);
      if (--busy_ == 0) done_.notify_all();
    }
  }
}

void ThreadPool::parallel_for(int n, const std::function<void(int)>& fn) {
  if (n <= 0) return;
  if (workers_.empty() || n == 1) {
    for (int i = 0; i < n; i++) fn(i);
    return;
  }
  std::lock_guard<std::mutex> call(call_mutex_);
  uint32_t gen;
  {
    std::lock_guard<std::mutex> lk(m_);
    fn_ = &fn;
    n_ = n;
    gen = uint32_t(++generation_);
    next_.store(uint64_t(gen) << 32, std::memory_order_release);
  }
  wake_.notify_all();
  run_items(&fn, n, gen);
  std::unique_lock<std::mutex> lk(m_);
  // Every item has been claimed once next_'s index reaches n; wait for the workers still
  // running one (or leaving).
  done_.wait(lk, [&] { return busy_ == 0 && int(uint32_t(next_.load(std::memory_order_acquire))) >= n; });
  fn_ = nullptr;
}

}  // namespace rwkv::cpu
