// Randomly initialised RWKV models of real shapes, for benchmarks: the engine runs them
// exactly as it runs a loaded checkpoint (same tensor map, same runners).
#pragma once
#include <string>

#include "rwkv/state.h"
#include "rwkv/tensor.h"

namespace rwkv::bench {

struct Shape {
  std::string name;  // e.g. "rwkv4-169m"
  Arch arch;         // RWKV-5 shapes are 5.2
  int n_embd, n_layer, n_vocab;
};

// Known shapes: rwkv4-169m, rwkv4-430m, rwkv4-1.5b, rwkv4-3b, rwkv4-7b (V 50277);
// rwkv5-0.4b (C 1024, L 24), rwkv6-1.6b (C 2048, L 24), rwkv7-0.1b (C 768, L 12),
// rwkv7-1.5b (C 2048, L 24), rwkv7-7.2b (C 4096, L 32) (V 65536); head size 64 from v5 on.
Shape shape_by_name(const std::string& name);
std::string shape_names();  // space-separated

// Matrices (and the embedding and head) in `dtype` (F32, F16 or BF16), vectors in fp32,
// with BlinkDL's tensor names and shapes: the tensors the version's schema (arch/v4.h ..
// v7.h) binds, made as it asks for them. Filled on all cores.
TensorMap random_model(const Shape& s, DType dtype, uint64_t seed = 1);

}  // namespace rwkv::bench
