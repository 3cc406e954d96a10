// Where and how a CUDA runner's work is enqueued: the device, its stream, the cuBLAS handle
// bound to that stream and the operand type of the model's products.
#pragma once
#include "cuda/blas.h"

namespace rwkv::cuda {

struct Exec {
  const Device* dev = nullptr;
  cudaStream_t stream = nullptr;
  Blas* blas = nullptr;
  ElemType type = ElemType::F32;
  // Checks a kernel launcher's result, naming the kernel.
  void ok(cudaError_t e, const char* what) const { check(e, *dev, what); }
};

}  // namespace rwkv::cuda
