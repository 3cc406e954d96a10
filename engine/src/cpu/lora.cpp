#include "cpu/lora.h"

#include <cmath>

#include "cpu/ops.h"
#include "rwkv/error.h"

namespace rwkv::cpu {

Lora Lora::bind(WeightBinder& b, const std::string& down_name, const std::string& up_name, int c_in,
                int c_out, LoraAct act) {
  const auto& shape = b.shape(down_name);
  if (shape.size() != 2 || shape[0] != c_in || shape[1] <= 0)
    throw Error("tensor '" + down_name + "' is not a [" + std::to_string(c_in) + ", rank] low-rank factor");
  const int D = int(shape[1]);
  Lora l;
  l.down = b.transposed(down_name, D, c_in);
  l.up = b.transposed(up_name, c_out, D);
  l.act = act;
  return l;
}

void Lora::run(ThreadPool& pool, const float* x, int T, float* mid, float* y) const {
  matmul(pool, down, x, T, mid);
  const size_t n = size_t(T) * size_t(rank());
  if (act == LoraAct::Tanh)
    for (size_t i = 0; i < n; i++) mid[i] = std::tanh(mid[i]);
  else if (act == LoraAct::Sigmoid)
    for (size_t i = 0; i < n; i++) mid[i] = sigmoid(mid[i]);
  matmul(pool, up, mid, T, y);
}

}  // namespace rwkv::cpu
