#include "cuda/channel_mix.h"

#include "../../../kernels/cuda/elementwise.h"
#include "../../../kernels/cuda/norm.h"
#include "arch/weights.h"

namespace rwkv::cuda {

ChannelMix::ChannelMix(Uploader& up, const ModelInfo& info, int layer, float value_scale)
    : C_(info.n_embd), F_(info.n_ffn), delta_(info.arch == Arch::V6 || info.arch == Arch::V7),
      gated_(info.arch != Arch::V7) {
  auto n = [&](const char* s) { return layer_name(layer, s); };
  const size_t C = size_t(C_);
  ln_w_ = up.vec(n("ln2.weight"), C);
  ln_b_ = up.vec(n("ln2.bias"), C);
  switch (info.arch) {
    case Arch::V7: mk_ = up.vec(n("ffn.x_k"), C); break;
    case Arch::V6:
      mk_ = up.vec(n("ffn.time_maa_k"), C);
      mr_ = up.vec(n("ffn.time_maa_r"), C);
      break;
    default:
      mk_ = up.vec(n("ffn.time_mix_k"), C);
      mr_ = up.vec(n("ffn.time_mix_r"), C);
  }
  key_ = up.matrix(n("ffn.key.weight"), F_, C_);
  value_ = up.matrix(n("ffn.value.weight"), C_, F_, value_scale);
  if (gated_) receptance_ = up.matrix(n("ffn.receptance.weight"), C_, C_);
}

void ChannelMix::run(const Exec& e, const Scratch& s, float* x, int B, int T, float* carry, size_t state_stride) const {
  const int rows = B * T;
  const size_t C = size_t(C_), F = size_t(F_);
  ShiftMixArgs m;
  m.x = x;
  m.rows = rows;
  m.T = T;
  m.C = C_;
  m.ln_w = ln_w_;
  m.ln_b = ln_b_;
  m.carry = carry;
  m.carry_stride = state_stride;
  m.delta = delta_;
  m.n_out = gated_ ? 2 : 1;
  m.mix[0] = mk_;
  m.out[0] = s.xk;
  m.mix[1] = mr_;
  m.out[1] = s.xr;
  e.ok(ln_shift_mix(m, e.type, e.stream), "ln_shift_mix (channel mix)");
  e.blas->gemm(key_, s.xk, C, rows, s.hidden, F);
  e.ok(activate(s.hidden, size_t(rows) * F, Act::ReluSquare, s.hidden_op, e.type, e.stream), "activate (relu^2)");
  if (gated_) {
    e.blas->gemm(value_, s.hidden_op, F, rows, s.out, C);
    e.blas->gemm(receptance_, s.xr, C, rows, s.r, C);
    e.ok(add_gated(x, s.r, s.out, size_t(rows) * C, e.stream), "add_gated");
  } else {
    e.blas->gemm(value_, s.hidden_op, F, rows, x, C, /*accumulate=*/true);
  }
}

}  // namespace rwkv::cuda
