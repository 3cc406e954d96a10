// The low-rank products of the v6/v7 time mix on the GPU: y = B f(A x), A [D, C_in] and
// B [C_out, D] held as the projections want them (transposed from BlinkDL's [C_in, D] /
// [D, C_out]), two matrix products with the activation between.
#pragma once
#include <string>

#include "../../../kernels/cuda/elementwise.h"
#include "cuda/exec.h"
#include "cuda/upload.h"

namespace rwkv::cuda {

struct Lora {
  DeviceMatrix down, up;  // A [D, C_in], B [C_out, D]
  Act act = Act::None;

  // Binds down_name [C_in, D] and up_name [D, C_out]; D comes from the tensors.
  static Lora bind(Uploader& u, const std::string& down_name, const std::string& up_name, int c_in, int c_out,
                   Act act);
  int rank() const { return down.rows; }
  // y[rows, C_out] = B f(A x[rows, C_in]) (x in the operand type); mid and mid_op hold
  // rows * rank() values.
  void run(const Exec& e, const void* x, int rows, float* mid, void* mid_op, float* y) const;
};

}  // namespace rwkv::cuda
