// Writes a model of BlinkDL tensors as an rwkv.cpp file (FP32 or FP16), applying the
// transformations rwkv.cpp's converter applies (REFERENCE.md), so that a random model of a
// real shape can be timed in rwkv.cpp and in this engine from the same file.
#pragma once
#include <string>

#include "rwkv/tensor.h"

namespace rwkv::bench {

// RWKV-4 and RWKV-7 models; dtype F32 or F16 (vectors and mixes stay fp32, as there).
void write_rwkvcpp(const TensorMap& m, const std::string& path, DType dtype);

}  // namespace rwkv::bench
