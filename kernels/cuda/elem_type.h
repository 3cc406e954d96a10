// Element types of the CUDA backend's matrix operands: weights and the activations fed to
// cuBLAS share one type (fp32 for testing, fp16 or bf16 for speed); results, the residual
// stream and the recurrent state are always fp32.
#pragma once
#include <cstddef>

namespace rwkv::cuda {

enum class ElemType { F32, F16, BF16 };

inline size_t elem_bytes(ElemType t) { return t == ElemType::F32 ? 4 : 2; }
inline const char* elem_name(ElemType t) {
  return t == ElemType::F32 ? "fp32" : t == ElemType::F16 ? "fp16" : "bf16";
}

}  // namespace rwkv::cuda
