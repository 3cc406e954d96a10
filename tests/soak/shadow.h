// A float64 shadow of the engine: reference64.h fed the same token stream from the same
// initial state. Per token it runs only the layers, in two halves on two threads of their own
// (the second half one or more tokens behind the first: float64 on one core was the soak's
// pace); at every checkpoint (each `interval` tokens) each half keeps its layers' state (in
// the engine's layout) and the second also runs the head, for the main thread, which waits
// for them with snapshot(k).
#pragma once
#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "engine/reference64.h"
#include "rwkv/state.h"

namespace soak {

class Shadow {
 public:
  struct Snapshot {
    std::vector<double> logits, state;
  };

  Shadow(const rwkv::TensorMap& tensors, const rwkv::ModelInfo& info, const rwkv::State& initial,
         std::span<const uint32_t> ids, size_t interval)
      : ref_(tensors, info), state_(ref_.from_engine(initial)), ids_(ids), interval_(interval) {
    // Every snapshot's memory is written now, before the stream, so that none is first
    // touched (and counted in VmRSS) while the main thread watches memory.
    snaps_.resize(ids.size() / interval);
    for (Snapshot& s : snaps_) {
      s.logits.assign(size_t(info.n_vocab), 0.0);
      s.state.assign(initial.data().size(), 0.0);
    }
  }

  void run() {
    const auto start = std::chrono::steady_clock::now();
    const size_t mid = state_.size() / 2;
    std::thread front;
    if (mid > 0) front = std::thread([&] { guarded([&] { front_half(mid); }); });
    guarded([&] { back_half(mid); });
    if (front.joinable()) front.join();
    seconds_ = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  }
  double seconds() const { return seconds_; }  // run()'s wall time, once it has returned

  // Waits for checkpoint k (0-based); nullptr when the shadow failed (see error()).
  const Snapshot* snapshot(size_t k) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return done_ > k || !error_.empty(); });
    return done_ > k ? &snaps_[k] : nullptr;
  }
  std::string error() {
    std::lock_guard<std::mutex> lock(mu_);
    return error_;
  }

 private:
  using Residual = reference64::Reference::Residual;
  static constexpr size_t kQueued = 32;  // tokens the first half may run ahead (their memory is counted)

  // Runs f, turning an exception into error() and releasing the other half and the reader.
  template <class F>
  void guarded(F f) {
    try {
      f();
    } catch (const std::exception& e) {
      std::lock_guard<std::mutex> lock(mu_);
      if (error_.empty()) error_ = e.what();
      cv_.notify_all();
    }
  }

  bool checkpoint(size_t pos) const { return (pos + 1) % interval_ == 0; }

  // Layers [first, last)'s state into snapshot k, at their place in the engine's layout.
  void keep_state(size_t k, size_t first, size_t last) {
    for (size_t l = first; l < last; l++) {
      const reference64::Vec f = ref_.flat(state_[l]);
      std::copy(f.begin(), f.end(), snaps_[k].state.begin() + long(l * f.size()));
    }
  }

  void front_half(size_t mid) {
    for (size_t pos = 0; pos < ids_.size(); pos++) {
      Residual r = ref_.embed(ids_[pos]);
      ref_.run_layers(r, state_, 0, mid);
      if (checkpoint(pos)) keep_state(pos / interval_, 0, mid);
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [&] { return queue_.size() < kQueued || !error_.empty(); });
      if (!error_.empty()) return;
      queue_.push_back(std::move(r));
      cv_.notify_all();
    }
  }

  void back_half(size_t mid) {
    for (size_t pos = 0; pos < ids_.size(); pos++) {
      Residual r;
      if (mid == 0) {
        r = ref_.embed(ids_[pos]);
      } else {
        std::unique_lock<std::mutex> lock(mu_);
        cv_.wait(lock, [&] { return !queue_.empty() || !error_.empty(); });
        if (!error_.empty()) return;
        r = std::move(queue_.front());
        queue_.pop_front();
        cv_.notify_all();
      }
      ref_.run_layers(r, state_, mid, state_.size());
      if (!checkpoint(pos)) continue;
      Snapshot& s = snaps_[pos / interval_];
      const reference64::Vec logits = ref_.head(r.x);
      std::copy(logits.begin(), logits.end(), s.logits.begin());
      keep_state(pos / interval_, mid, state_.size());
      std::lock_guard<std::mutex> lock(mu_);  // the front half wrote its part before queueing r
      done_++;
      cv_.notify_all();
    }
  }

  const reference64::Reference ref_;
  reference64::Reference::States state_;  // each half touches only its own layers
  std::span<const uint32_t> ids_;
  size_t interval_;
  std::vector<Snapshot> snaps_;
  std::mutex mu_;
  std::condition_variable cv_;  // queue_, done_ and error_ changed
  std::deque<Residual> queue_;
  size_t done_ = 0;
  std::string error_;
  double seconds_ = 0;
};

}  // namespace soak
