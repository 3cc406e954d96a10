// The projections: y = W x over rows of tokens through cuBLAS, operands in the model's
// element type (fp32, fp16 or bf16), accumulation and results in fp32.
#pragma once
#include <cublas_v2.h>

#include <cstddef>

#include "kernels/cuda/elem_type.h"
#include "cuda/buffers.h"

namespace rwkv::cuda {

// count matrices of [rows, cols] (row-major, PyTorch's [out, in]) stored one after another.
struct DeviceMatrix {
  const void* data = nullptr;
  int rows = 0, cols = 0, count = 1;
  ElemType type = ElemType::F32;
  size_t elements() const { return size_t(rows) * size_t(cols); }
  size_t bytes() const { return elements() * size_t(count) * elem_bytes(type); }
};

class Blas {
 public:
  // The handle works on `stream` with a fixed workspace, so calls can be captured in graphs.
  Blas(const Device& dev, cudaStream_t stream);
  ~Blas();
  Blas(const Blas&) = delete;
  Blas& operator=(const Blas&) = delete;

  // y[n*ldy + o] (+)= sum_k W[o][k] x[n*ldx + k] for n < rows (x in w.type, y fp32);
  // with accumulate the product is added to y (the residual stream).
  void gemm(const DeviceMatrix& w, const void* x, size_t ldx, int rows, float* y, size_t ldy,
            bool accumulate = false);
  // The same for each of the w.count matrices: matrix i reads x + i*x_stride and writes
  // y + i*y_stride (strides in elements), in one call.
  void gemm_stacked(const DeviceMatrix& w, const void* x, size_t ldx, size_t x_stride, int rows, float* y,
                    size_t ldy, size_t y_stride);

 private:
  Device dev_;
  cublasHandle_t handle_ = nullptr;
  DeviceBuffer workspace_;
};

}  // namespace rwkv::cuda
