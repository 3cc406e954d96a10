// States kept where a backend computes (a GPU's memory) between calls, with their host copies
// fetched only when read: the bookkeeping, free of any device API, over a SlotStore that
// holds the slots and copies one in or out.
//
// A State run by a GPU model gets a slot (a StateHome: the slot and which copies are current).
// The first call copies its values in; later calls use the slot where it is; the host copy
// goes stale after each call and is fetched when the State is read (save, fork, inspect);
// writing through State's non-const accessors makes the next call copy it in again. A
// destroyed State frees its slot; a freed slot is reused. When the backend goes first, every
// State it holds is fetched and keeps its values on the host.
#pragma once
#include <cstddef>
#include <memory>
#include <mutex>
#include <vector>

#include "rwkv/state.h"

namespace rwkv {

// The slots: one buffer of `capacity` states, slot i at i * floats.
class SlotStore {
 public:
  virtual ~SlotStore() = default;
  // Grows the buffer to `slots` states, keeping the ones there.
  virtual void grow(size_t slots) = 0;
  // Called by ResidentStates under the caller's lock (in a pass's preparation).
  virtual void copy_in(size_t slot, const float* host) = 0;
  // Called from any thread (a State being read): the store orders it against passes itself.
  virtual void copy_out(size_t slot, float* host) = 0;
};

class ResidentStates {
 public:
  ResidentStates(SlotStore& store, size_t floats);
  ~ResidentStates();  // every State still here is fetched and left on the host
  ResidentStates(const ResidentStates&) = delete;
  ResidentStates& operator=(const ResidentStates&) = delete;

  // Before taking the caller's lock: a State another store holds is fetched and leaves it.
  void adopt(State& s);
  // The slot holding s's values, current: its own (copied in if the host's copy changed since),
  // or a free one (the buffer doubles when none is free), copied in.
  size_t slot_of(State& s);
  // After a pass wrote s's slot: the host copy is stale until it is read.
  void wrote(State& s);

  size_t capacity() const;
  size_t live() const;  // slots held by States

  struct Pool;

 private:
  std::shared_ptr<Pool> pool_;
};

}  // namespace rwkv
