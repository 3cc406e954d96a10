// The low-rank products of the v6/v7 time mix: y = B f(A x), bound from BlinkDL's factors
// down [C_in, D] and up [D, C_out] as A [D, C_in] and B [C_out, D], the way a product wants
// them. D (the rank) comes from the checkpoint.
#pragma once
#include <string>

#include "arch/binder.h"
#include "rwkv/error.h"

namespace rwkv::arch {

enum class Act { None, Tanh, Sigmoid };

template <class B>
struct Lora {
  typename B::Mat down, up;  // A [D, C_in], B [C_out, D]
  Act act = Act::None;
  int rank() const { return down.rows; }
};

template <class B>
Lora<B> bind_lora(B& b, const std::string& down, const std::string& up, int c_in, int c_out, Act act) {
  const auto& shape = b.shape(down);
  if (shape.size() != 2 || shape[0] != c_in || shape[1] <= 0)
    throw Error("tensor '" + down + "' is not a [" + std::to_string(c_in) + ", rank] low-rank factor");
  const int D = int(shape[1]);
  Lora<B> l;
  l.down = b.transposed(down, D, c_in);
  l.up = b.transposed(up, c_out, D);
  l.act = act;
  return l;
}

}  // namespace rwkv::arch
