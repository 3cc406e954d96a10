#include "cuda/lora.h"

#include "rwkv/error.h"

namespace rwkv::cuda {

Lora Lora::bind(Uploader& u, const std::string& down_name, const std::string& up_name, int c_in, int c_out, Act act) {
  const auto& shape = u.shape(down_name);
  if (shape.size() != 2 || shape[0] != c_in || shape[1] <= 0)
    throw Error("tensor '" + down_name + "' is not a [" + std::to_string(c_in) + ", rank] low-rank factor");
  const int D = int(shape[1]);
  Lora l;
  l.down = u.transposed(down_name, 1, D, c_in);
  l.up = u.transposed(up_name, 1, c_out, D);
  l.act = act;
  return l;
}

void Lora::run(const Exec& e, const void* x, int rows, float* mid, void* mid_op, float* y) const {
  const size_t D = size_t(rank());
  e.blas->gemm(down, x, size_t(down.cols), rows, mid, D);
  e.ok(activate(mid, size_t(rows) * D, act, mid_op, e.type, e.stream), "activate (low-rank)");
  e.blas->gemm(up, mid_op, D, rows, y, size_t(up.rows));
}

}  // namespace rwkv::cuda
