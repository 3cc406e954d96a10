// A weight matrix as the CPU backend sees it ([rows, cols], row-major, fp32/fp16/bf16 or
// rows of 32-value quantized blocks),
// and the threaded product Y[t] = W x[t] for T rows.
#pragma once
#include <initializer_list>
#include <span>

#include "kernels/cpu/matmul_kernels.h"
#include "cpu/thread_pool.h"

namespace rwkv::cpu {

struct Matrix {
  DType type = DType::F32;
  int rows = 0, cols = 0;
  const void* data = nullptr;
  bool bf16_x = false;  // BF16 weights against activations rounded to bf16 (LoadOptions::bf16_products)
  size_t bytes() const { return size_t(rows) * dtype_row_bytes(type, size_t(cols)); }
};

// y[t*rows + o] = sum_k W[o][k] x[t*cols + k]
void matmul(ThreadPool& pool, const Matrix& w, const float* x, int T, float* y);
// Strided rows: y[t*ldy + o] = sum_k W[o][k] x[t*ldx + k] (e.g. one slice of a wider product).
void matmul(ThreadPool& pool, const Matrix& w, const float* x, size_t ldx, int T, float* y, size_t ldy);

// One of several independent products: y[t*ldy + o] = sum_k W[o][k] x[t*ldx + k], with
// ldx = cols and ldy = rows when left 0.
struct Product {
  const Matrix& w;
  const float* x;
  float* y;
  size_t ldx = 0, ldy = 0;
};
// Products none of which reads another's output, as one parallel loop: the workers are woken
// once for all of them (a layer's r/k/v projections), not once per matrix.
void matmul(ThreadPool& pool, std::span<const Product> products, int T);
inline void matmul(ThreadPool& pool, std::initializer_list<Product> products, int T) {
  matmul(pool, std::span<const Product>(products.begin(), products.size()), T);
}

}  // namespace rwkv::cpu
