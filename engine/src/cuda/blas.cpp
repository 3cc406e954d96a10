#include "cuda/blas.h"

#include <climits>

#include "rwkv/error.h"

namespace rwkv::cuda {

namespace {

// cuBLAS's recommended workspace on Hopper; set explicitly so no call allocates (graphs).
constexpr size_t kWorkspace = size_t(32) << 20;

cudaDataType_t data_type(ElemType t) {
  switch (t) {
    case ElemType::F32: return CUDA_R_32F;
    case ElemType::F16: return CUDA_R_16F;
    case ElemType::BF16: return CUDA_R_16BF;
  }
  return CUDA_R_32F;
}

int to_int(size_t v, const char* what) {
  if (v > size_t(INT_MAX)) throw Error(std::string("matrix product too large for cuBLAS: ") + what);
  return int(v);
}

}  // namespace

Blas::Blas(const Device& dev, cudaStream_t stream) : dev_(dev), workspace_(dev, kWorkspace, "the cuBLAS workspace") {
  check(cublasCreate(&handle_), dev_, "cublasCreate");
  try {
    check(cublasSetStream(handle_, stream), dev_, "cublasSetStream");
    check(cublasSetWorkspace(handle_, workspace_.get(), workspace_.bytes()), dev_, "cublasSetWorkspace");
    // fp32 models are the reference path: keep their products in full fp32 (no TF32).
    check(cublasSetMathMode(handle_, CUBLAS_DEFAULT_MATH), dev_, "cublasSetMathMode");
  } catch (...) {
    cublasDestroy(handle_);
    throw;
  }
}

Blas::~Blas() {
  if (handle_) cublasDestroy(handle_);
}

// Row-major y[rows, out] = x[rows, in] W^T is, column-major, y^T[out, rows] = W^T x^T with
// W (column-major [in, out], ld = in) transposed: op(A) = T, op(B) = N.
void Blas::gemm(const DeviceMatrix& w, const void* x, size_t ldx, int rows, float* y, size_t ldy, bool accumulate) {
  if (rows == 0) return;
  const float alpha = 1.0f, beta = accumulate ? 1.0f : 0.0f;
  const cudaDataType_t t = data_type(w.type);
  check(cublasGemmEx(handle_, CUBLAS_OP_T, CUBLAS_OP_N, w.rows, rows, w.cols, &alpha, w.data, t, w.cols, x, t,
                     to_int(ldx, "ldx"), &beta, y, CUDA_R_32F, to_int(ldy, "ldy"), CUBLAS_COMPUTE_32F,
                     CUBLAS_GEMM_DEFAULT),
        dev_, "cublasGemmEx");
}

void Blas::gemm_stacked(const DeviceMatrix& w, const void* x, size_t ldx, size_t x_stride, int rows, float* y,
                        size_t ldy, size_t y_stride) {
  if (rows == 0) return;
  if (w.count == 1) return gemm(w, x, ldx, rows, y, ldy);
  const float alpha = 1.0f, beta = 0.0f;
  const cudaDataType_t t = data_type(w.type);
  check(cublasGemmStridedBatchedEx(handle_, CUBLAS_OP_T, CUBLAS_OP_N, w.rows, rows, w.cols, &alpha, w.data, t,
                                   w.cols, static_cast<long long>(w.elements()), x, t, to_int(ldx, "ldx"),
                                   static_cast<long long>(x_stride), &beta, y, CUDA_R_32F, to_int(ldy, "ldy"),
                                   static_cast<long long>(y_stride), w.count, CUBLAS_COMPUTE_32F,
                                   CUBLAS_GEMM_DEFAULT),
        dev_, "cublasGemmStridedBatchedEx");
}

}  // namespace rwkv::cuda
