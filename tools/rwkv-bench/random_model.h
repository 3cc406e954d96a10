// Randomly initialised RWKV models of real shapes, for benchmarks: the engine runs them
// exactly as it runs a loaded checkpoint (same tensor map, same runners).
#pragma once
#include <string>

#include "rwkv/tensor.h"

namespace rwkv::bench {

struct Shape {
  std::string name;  // e.g. "rwkv4-169m"
  std::string arch;  // "rwkv4"
  int n_embd, n_layer, n_vocab;
};

// Known shapes: rwkv4-169m, rwkv4-430m, rwkv4-1.5b, rwkv4-3b, rwkv4-7b.
Shape shape_by_name(const std::string& name);

// Matrices (and the embedding and head) in `dtype` (F32, F16 or BF16), vectors in fp32.
TensorMap random_model(const Shape& s, DType dtype, uint64_t seed = 1);

}  // namespace rwkv::bench
