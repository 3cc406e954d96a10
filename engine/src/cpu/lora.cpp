#include "cpu/lora.h"

#include <cmath>

#include "cpu/ops.h"

namespace rwkv::cpu {

void run_lora(ThreadPool& pool, const Lora& l, const float* x, int T, float* mid, float* y) {
  matmul(pool, l.down, x, T, mid);
  const size_t n = size_t(T) * size_t(l.rank());
  if (l.act == arch::Act::Tanh)
    for (size_t i = 0; i < n; i++) mid[i] = std::tanh(mid[i]);
  else if (l.act == arch::Act::Sigmoid)
    for (size_t i = 0; i < n; i++) mid[i] = sigmoid(mid[i]);
  matmul(pool, l.up, mid, T, y);
}

}  // namespace rwkv::cpu
