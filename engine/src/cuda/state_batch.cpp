#include "cuda/state_batch.h"

#include "rwkv/error.h"

namespace rwkv::cuda {

CudaStateBatch::CudaStateBatch(const CudaRunner& owner, size_t n)
    : tokens_seen(n, 0), owner_(owner), n_(n) {
  const Device& dev = owner.device();
  DeviceGuard guard(dev.index);
  const size_t floats = owner.state_floats();
  buf_ = DeviceBuffer(dev, n * floats * sizeof(float), "a batch of " + std::to_string(n) + " states");
  if (n == 0) return;
  // The initial state in slot 0, copied on the device to the others.
  const State initial(owner.info());
  check(cudaMemcpy(slot(0), initial.data().data(), floats * sizeof(float), cudaMemcpyHostToDevice), dev,
        "initialising a batch of states");
  for (size_t i = 1; i < n; i++)
    check(cudaMemcpy(slot(i), slot(0), floats * sizeof(float), cudaMemcpyDeviceToDevice), dev,
          "initialising a batch of states");
}

void CudaStateBatch::check_slot(size_t slot) const {
  if (slot >= n_)
    throw Error("slot " + std::to_string(slot) + " is out of range (a batch of " + std::to_string(n_) + " states)");
}

void CudaStateBatch::check_state(const State& s) const {
  const ModelInfo& info = owner_.info();
  if (s.arch() != info.arch || s.n_layer() != info.n_layer || s.n_embd() != info.n_embd ||
      s.data().size() != owner_.state_floats())
    throw Error("state does not belong to this model (" + std::string(arch_name(s.arch())) + ", " +
                std::to_string(s.n_layer()) + " layers, n_embd " + std::to_string(s.n_embd()) + ")");
}

// The runner's calls end synchronised, so nothing on its stream touches the batch here.
void CudaStateBatch::load(size_t i, const State& s) {
  check_slot(i);
  check_state(s);
  DeviceGuard guard(owner_.device().index);
  check(cudaMemcpy(slot(i), s.data().data(), owner_.state_floats() * sizeof(float), cudaMemcpyHostToDevice),
        owner_.device(), "copying a state into a batch");
  tokens_seen[i] = s.tokens_seen;
}

void CudaStateBatch::store(size_t i, State& s) const {
  check_slot(i);
  check_state(s);
  DeviceGuard guard(owner_.device().index);
  check(cudaMemcpy(s.data().data(), slot(i), owner_.state_floats() * sizeof(float), cudaMemcpyDeviceToHost),
        owner_.device(), "copying a state out of a batch");
  s.tokens_seen = tokens_seen[i];
}

}  // namespace rwkv::cuda
