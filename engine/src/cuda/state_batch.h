// A StateBatch of a CUDA model: its states live in one device buffer, slot i at
// i * state_floats, laid out as State holds them; tokens_seen stays on the host. Every copy
// in or out goes through the runner (its lock, its stream), so it is ordered against the
// passes that read the slots.
#pragma once
#include <vector>

#include "cuda/cuda_runner.h"

namespace rwkv::cuda {

class CudaStateBatch final : public StateBatch {
 public:
  CudaStateBatch(CudaRunner& owner, size_t n);  // n initial states
  ~CudaStateBatch() override;
  size_t size() const override { return n_; }
  void load(size_t slot, const State& state) override;
  void store(size_t slot, State& state) const override;

  const CudaRunner* owner() const { return &owner_; }
  float* slot(size_t i) const { return buf_.as<float>() + i * owner_.state_floats(); }
  std::vector<uint64_t> tokens_seen;

 private:
  void check_slot(size_t slot) const;
  CudaRunner& owner_;
  size_t n_;
  DeviceBuffer buf_;
};

}  // namespace rwkv::cuda
