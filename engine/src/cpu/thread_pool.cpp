#include "cpu/thread_pool.h"

#include <chrono>

namespace rwkv::cpu {

namespace {
// How long a thread spins for the next loop (or for the workers' last items) before it sleeps.
constexpr std::chrono::microseconds kSpin{50};

template <class Ready>
bool spin_until(Ready ready) {
  const auto end = std::chrono::steady_clock::now() + kSpin;
  for (;;) {
    for (int i = 0; i < 64; i++) {
      if (ready()) return true;
#if defined(__x86_64__) || defined(__i386__)
      __builtin_ia32_pause();
#endif
    }
    if (std::chrono::steady_clock::now() >= end) return false;
  }
}
}  // namespace

ThreadPool::ThreadPool(int threads) {
  if (threads <= 0) threads = int(std::thread::hardware_concurrency());
  if (threads <= 0) threads = 1;
  for (int i = 1; i < threads; i++) workers_.emplace_back([this] { work(); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lk(m_);
    stop_ = true;
    posted_.store(~uint64_t(0), std::memory_order_release);
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
    spin_until([&] { return posted_.load(std::memory_order_acquire) != seen; });
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
    posted_.store(generation_, std::memory_order_release);
  }
  wake_.notify_all();
  run_items(&fn, n, gen);
  // Every item has been claimed once next_'s index reaches n; wait for the workers still
  // running one (or leaving).
  auto done = [&] { return busy_.load(std::memory_order_acquire) == 0 && int(uint32_t(next_.load(std::memory_order_acquire))) >= n; };
  spin_until(done);
  std::unique_lock<std::mutex> lk(m_);
  done_.wait(lk, done);
  fn_ = nullptr;
}

}  // namespace rwkv::cpu
