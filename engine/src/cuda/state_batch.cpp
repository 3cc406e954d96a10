#include "cuda/state_batch.h"

#include "rwkv/error.h"

namespace rwkv::cuda {

CudaStateBatch::CudaStateBatch(CudaRunner& owner, size_t n) : tokens_seen(n, 0), owner_(owner), n_(n) {
  const Device& dev = owner.device();
  DeviceGuard guard(dev.index);
  buf_ = DeviceBuffer(dev, n * owner.state_floats() * sizeof(float),
                      "a batch of " + std::to_string(n) + " states");
  owner_.init_slots(buf_.as<float>(), n);
}

CudaStateBatch::~CudaStateBatch() {
  DeviceGuard guard(owner_.device().index);  // the buffer is freed on its own device
  buf_ = DeviceBuffer();
}

void CudaStateBatch::check_slot(size_t slot) const {
  if (slot >= n_)
    throw Error("slot " + std::to_string(slot) + " is out of range (a batch of " + std::to_string(n_) + " states)");
}

void CudaStateBatch::load(size_t i, const State& s) {
  check_slot(i);
  owner_.put_state(slot(i), s);
  tokens_seen[i] = s.tokens_seen;
}

void CudaStateBatch::store(size_t i, State& s) const {
  check_slot(i);
  owner_.get_state(slot(i), s);
  s.tokens_seen = tokens_seen[i];
}

}  // namespace rwkv::cuda
