#include "cpu/thread_pool.h"

namespace rwkv::cpu {

ThreadPool::ThreadPool(int threads) {
  if (threads <= 0) threads = int(std::thread::hardware_concurrency());
  if (threads <= 0) threads = 1;
  for (int i = 1; i < threads; i++) workers_.emplace_back([this] { work(); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lk(m_);
    stop_ = true;
  }
  wake_.notify_all();
  for (auto& t : workers_) t.join();
}

void ThreadPool::run_items() {
  for (int i = next_.fetch_add(1); i < n_; i = next_.fetch_add(1)) (*fn_)(i);
}

void ThreadPool::work() {
  uint64_t seen = 0;
  for (;;) {
    {
      std::unique_lock<std::mutex> lk(m_);
      wake_.wait(lk, [&] { return stop_ || generation_ != seen; });
      if (stop_) return;
      seen = generation_;
      busy_++;
    }
    run_items();
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
  {
    std::unique_lock<std::mutex> lk(m_);
    // A worker woken late for the previous loop (after the caller had run every item) may
    // still be in run_items reading n_ and fn_: let it leave before they change.
    done_.wait(lk, [&] { return busy_ == 0; });
    fn_ = &fn;
    n_ = n;
    next_ = 0;
    generation_++;
  }
  wake_.notify_all();
  run_items();
  std::unique_lock<std::mutex> lk(m_);
  // Every item has been claimed once next_ >= n_; wait for the workers still running one.
  done_.wait(lk, [&] { return busy_ == 0 && next_.load() >= n_; });
  fn_ = nullptr;
}

}  // namespace rwkv::cpu
