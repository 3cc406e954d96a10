// A float64 shadow of the engine: reference64.h fed the same token stream from the same
// initial state, on a thread of its own. Per token it runs only the layers; at every
// checkpoint (each `interval` tokens) it also runs the head and keeps the logits and the state
// (in the engine's layout) for the main thread, which waits for them with snapshot(k).
#pragma once
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <span>
#include <string>
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
    try {
      for (size_t pos = 0; pos < ids_.size(); pos++) {
        const reference64::Vec x = ref_.layers(ids_[pos], state_);
        if ((pos + 1) % interval_ != 0) continue;
        Snapshot& s = snaps_[(pos + 1) / interval_ - 1];
        const reference64::Vec logits = ref_.head(x);
        std::copy(logits.begin(), logits.end(), s.logits.begin());
        size_t at = 0;
        for (const auto& layer : state_) {
          const reference64::Vec f = ref_.flat(layer);
          std::copy(f.begin(), f.end(), s.state.begin() + long(at));
          at += f.size();
        }
        std::lock_guard<std::mutex> lock(mu_);
        done_++;
        cv_.notify_all();
      }
    } catch (const std::exception& e) {
      std::lock_guard<std::mutex> lock(mu_);
      error_ = e.what();
      cv_.notify_all();
    }
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
  reference64::Reference ref_;
  reference64::Reference::States state_;
  std::span<const uint32_t> ids_;
  size_t interval_;
  std::vector<Snapshot> snaps_;
  std::mutex mu_;
  std::condition_variable cv_;
  size_t done_ = 0;
  std::string error_;
  double seconds_ = 0;
};

}  // namespace soak
