#include "state/resident.h"

#include <algorithm>
#include <cstring>

#include "rwkv/error.h"

namespace rwkv {

// Shared by the ResidentStates and every StateHome it gave out, so that a State outliving its
// model frees nothing twice and still finds its values.
struct ResidentStates::Pool {
  std::mutex mu;
  SlotStore* store = nullptr;  // null once the ResidentStates is gone
  size_t floats = 0, capacity = 0;
  std::vector<size_t> free;
  std::vector<std::weak_ptr<StateHome>> homes;  // by slot
};

class StateHome {
 public:
  StateHome(std::shared_ptr<ResidentStates::Pool> pool, size_t slot) : pool(std::move(pool)), slot(slot) {}
  ~StateHome() {
    std::lock_guard<std::mutex> lock(pool->mu);
    if (pool->store) pool->free.push_back(slot);
  }
  // Copies the slot's values to host (the store's, or those kept when it went).
  void fetch(float* host) {
    SlotStore* store;
    {
      std::lock_guard<std::mutex> lock(pool->mu);
      store = pool->store;
    }
    if (store) store->copy_out(slot, host);
    else std::memcpy(host, kept.data(), kept.size() * sizeof(float));
  }

  std::shared_ptr<ResidentStates::Pool> pool;
  size_t slot;
  bool host_current = true;    // the State's own values are the latest
  bool device_current = false; // the slot's values are the latest
  std::vector<float> kept;     // the slot's values, fetched when the store went
};

void State::leave_home(bool writing) const {
  if (!home_->host_current) {
    home_->fetch(data_.data());
    home_->host_current = true;
  }
  if (writing) home_->device_current = false;
}

ResidentStates::ResidentStates(SlotStore& store, size_t floats) : pool_(std::make_shared<Pool>()) {
  pool_->store = &store;
  pool_->floats = floats;
}

ResidentStates::~ResidentStates() {
  std::vector<std::shared_ptr<StateHome>> homes;
  {
    std::lock_guard<std::mutex> lock(pool_->mu);
    for (const auto& w : pool_->homes)
      if (auto h = w.lock()) homes.push_back(std::move(h));
  }
  for (auto& h : homes)
    if (!h->host_current) {
      h->kept.resize(pool_->floats);
      try {
        h->fetch(h->kept.data());
      } catch (const Error&) {
        h->kept.clear();  // the device failed: the State keeps its last host values
        h->host_current = true;
      }
    }
  std::lock_guard<std::mutex> lock(pool_->mu);
  pool_->store = nullptr;
}

void ResidentStates::adopt(State& s) {
  if (s.home_ && s.home_->pool != pool_) {
    s.host();  // fetched from the other store (and its slot marked stale)
    s.home_.reset();
  }
}

size_t ResidentStates::slot_of(State& s) {
  if (s.size() != pool_->floats) throw Error("state does not belong to this model");
  adopt(s);
  if (s.home_) {
    if (!s.home_->device_current) {
      pool_->store->copy_in(s.home_->slot, s.data_.data());
      s.home_->device_current = true;
    }
    return s.home_->slot;
  }
  size_t slot;
  {
    std::lock_guard<std::mutex> lock(pool_->mu);
    if (pool_->free.empty()) {
      const size_t grown = std::max<size_t>(1, pool_->capacity * 2);
      pool_->store->grow(grown);
      for (size_t i = grown; i-- > pool_->capacity;) pool_->free.push_back(i);
      pool_->capacity = grown;
      pool_->homes.resize(grown);
    }
    slot = pool_->free.back();
    pool_->free.pop_back();
  }
  auto home = std::make_shared<StateHome>(pool_, slot);
  pool_->store->copy_in(slot, s.data_.data());
  home->device_current = true;
  {
    std::lock_guard<std::mutex> lock(pool_->mu);
    pool_->homes[slot] = home;
  }
  s.home_ = std::move(home);
  return slot;
}

void ResidentStates::wrote(State& s) {
  s.home_->host_current = false;
  s.home_->device_current = true;
}

size_t ResidentStates::capacity() const {
  std::lock_guard<std::mutex> lock(pool_->mu);
  return pool_->capacity;
}

size_t ResidentStates::live() const {
  std::lock_guard<std::mutex> lock(pool_->mu);
  return pool_->capacity - pool_->free.size();
}

}  // namespace rwkv
