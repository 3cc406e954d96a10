#include "cuda/lora.h"

#include "kernels/cuda/elementwise.h"

namespace rwkv::cuda {

namespace {

Act kernel_act(arch::Act a) {
  switch (a) {
    case arch::Act::Tanh: return Act::Tanh;
    case arch::Act::Sigmoid: return Act::Sigmoid;
    case arch::Act::None: break;
  }
  return Act::None;
}

}  // namespace

void run_lora(const Exec& e, const Lora& l, const void* x, int rows, float* mid, void* mid_op, float* y) {
  const size_t D = size_t(l.rank());
  e.blas->gemm(l.down, x, size_t(l.down.cols), rows, mid, D);
  e.ok(activate(mid, size_t(rows) * D, kernel_act(l.act), mid_op, e.type, e.stream), "activate (low-rank)");
  e.blas->gemm(l.up, mid_op, D, rows, y, size_t(l.up.rows));
}

}  // namespace rwkv::cuda
