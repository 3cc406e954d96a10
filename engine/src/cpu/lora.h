// The low-rank products of the v6/v7 time mix: y = B · f(A · x), with A [D, C_in] and
// B [C_out, D] held as matmul wants them (transposed from BlinkDL's [C_in, D] / [D, C_out]),
// so a whole chunk of tokens goes through two matrix-matrix products.
#pragma once
#include <string>

#include "arch/weights.h"
#include "cpu/linear.h"

namespace rwkv::cpu {

enum class LoraAct { None, Tanh, Sigmoid };

struct Lora {
  Matrix down, up;  // A [D, C_in], B [C_out, D]
  LoraAct act = LoraAct::None;

  // Binds the factors down_name [C_in, D] and up_name [D, C_out]; D comes from the tensors.
  static Lora bind(WeightBinder& b, const std::string& down_name, const std::string& up_name, int c_in,
                   int c_out, LoraAct act);
  int rank() const { return down.rows; }
  // y[T, C_out] = B f(A x[T, C_in]); mid holds T * rank() floats.
  void run(ThreadPool& pool, const float* x, int T, float* mid, float* y) const;
};

}  // namespace rwkv::cpu
