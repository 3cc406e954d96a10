// What a pass's layers work on in device memory: buffers sized for the runner's kRows rows
// (n of them in a group, one after another), the residual stream, the states and the scratch
// every layer shares.
#pragma once
#include "cuda/channel_mix.h"

namespace rwkv::cuda {

// n buffers of the same size, one after another: fp32, or in the operand type.
struct FGroup {
  float* base = nullptr;
  size_t stride = 0;  // elements
  float* operator[](int j) const { return base + size_t(j) * stride; }
  FGroup from(int j) const { return {(*this)[j], stride}; }
};
struct OpGroup {
  void* base = nullptr;
  size_t stride = 0;  // elements
  size_t elem = 0;    // bytes per element
  void* operator[](int j) const { return static_cast<uint8_t*>(base) + size_t(j) * stride * elem; }
  OpGroup from(int j) const { return {(*this)[j], stride, elem}; }
};

struct PassBuffers {
  const ModelInfo* info = nullptr;
  float* x = nullptr;      // the residual stream
  float* state = nullptr;  // stream 0's state; stream b's state_floats on
  size_t per_layer = 0, state_floats = 0;
  void* y_op = nullptr;    // the time mix's output, in the operand type
  ChannelMixScratch ffn;
};

}  // namespace rwkv::cuda
