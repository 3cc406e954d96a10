#include "cuda/channel_mix.h"

#include "kernels/cuda/elementwise.h"
#include "cuda/kernel_args.h"

namespace rwkv::cuda {

void channel_mix(const Exec& e, const ChannelMix& w, const ChannelMixScratch& s, float* x, int B, int T, float* carry,
                 size_t state_stride) {
  const int rows = B * T;
  const size_t C = size_t(w.key.cols), F = size_t(w.key.rows);
  ShiftMixArgs m = shift_mix_args(w.ln2, x, rows, T, int(C), carry, state_stride, w.delta);
  m.n_out = w.gated ? 2 : 1;
  m.mix[0] = w.mk;
  m.out[0] = s.xk;
  m.mix[1] = w.mr;
  m.out[1] = s.xr;
  e.ok(ln_shift_mix(m, e.type, e.stream), "ln_shift_mix (channel mix)");
  e.blas->gemm(w.key, s.xk, C, rows, s.hidden, F);
  e.ok(activate(s.hidden, size_t(rows) * F, Act::ReluSquare, s.hidden_op, e.type, e.stream), "activate (relu^2)");
  if (w.gated) {
    e.blas->gemm(w.value, s.hidden_op, F, rows, s.out, C);
    e.blas->gemm(w.receptance, s.xr, C, rows, s.r, C);
    e.ok(add_gated(x, s.r, s.out, size_t(rows) * C, e.stream), "add_gated");
  } else {
    e.blas->gemm(w.value, s.hidden_op, F, rows, x, C, /*accumulate=*/true);
  }
}

}  // namespace rwkv::cuda
