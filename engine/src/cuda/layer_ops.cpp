#include "cuda/layer_ops.h"

#include "kernels/cuda/elementwise.h"
#include "kernels/cuda/norm.h"
#include "kernels/cuda/v6_mix.h"
#include "kernels/cuda/v7_prepare.h"
#include "kernels/cuda/wkv4.h"
#include "kernels/cuda/wkv_heads.h"
#include "cuda/kernel_args.h"
#include "cuda/lora.h"
#include "rwkv/error.h"

namespace rwkv::cuda {

void LayerOps::ln_shift(const Norm& ln, int l, int carry, bool delta, const Vec* mix, int n, OpGroup out, F xx,
                        F dx) {
  const int C = p_.info->n_embd;
  ShiftMixArgs m = shift_mix_args(ln, p_.x, rows_, T_, C, state_at(l, carry), p_.state_floats, delta);
  if (n > ShiftMixArgs::kMaxMixes) throw Error("ln_shift_mix: too many mixes");
  m.n_out = n;
  for (int j = 0; j < n; j++) {
    m.mix[j] = mix[j];
    m.out[j] = out[j];
  }
  m.xx_out = xx;
  m.dx_out = dx;
  e_.ok(ln_shift_mix(m, e_.type, e_.stream), "ln_shift_mix");
}

void LayerOps::products(const DeviceMatrix& w, OpGroup in, FGroup out, int n) {
  if (n != w.count) throw Error("stacked product: " + std::to_string(n) + " inputs for " + std::to_string(w.count) +
                                " matrices");
  e_.blas->gemm_stacked(w, in.base, size_t(w.cols), in.stride, rows_, out.base, size_t(w.rows), out.stride);
}

void LayerOps::lora(const arch::Lora<Binder>& w, Op in, F out, F mid, Op mid_op) {
  run_lora(e_, w, in, rows_, mid, mid_op, out);
}

void LayerOps::add_product(const DeviceMatrix& w, Op in) {
  e_.blas->gemm(w, in, size_t(w.cols), rows_, p_.x, size_t(w.rows), /*accumulate=*/true);
}

LayerOps::Op LayerOps::wkv_out(const arch::WkvOut<LayerOps>& a) {
  const ModelInfo& info = *p_.info;
  WkvOutArgs o = wkv_out_args(*a.ln_x, a.y, rows_, info.n_embd, info.head_size, info.groupnorm_eps, p_.y_op);
  o.gate = a.gate == arch::Gate::Silu ? Gate::Silu : a.gate == arch::Gate::Plain ? Gate::Plain : Gate::None;
  o.g = a.g;
  if (a.r_k) {
    o.r_k = *a.r_k;
    o.r = a.r;
    o.k = a.k;
    o.v = a.v;
  }
  e_.ok(wkv_output(o, e_.type, e_.stream), "wkv_output");
  return p_.y_op;
}

void LayerOps::channel_mix(const arch::ChannelMix<Binder>& w, int l, int carry) {
  cuda::channel_mix(e_, w, p_.ffn, p_.x, B_, T_, state_at(l, carry), p_.state_floats);
}

void LayerOps::wkv4(int l, int aa, F r, F k, F v, Vec decay, Vec first, Op y) {
  Wkv4Args a;
  a.B = B_;
  a.T = T_;
  a.C = p_.info->n_embd;
  a.r = r;
  a.k = k;
  a.v = v;
  a.decay = decay;
  a.first = first;
  a.aa = state_at(l, aa);
  a.state_stride = p_.state_floats;
  a.y = y;
  e_.ok(cuda::wkv4(a, e_.type, e_.stream), "wkv4");
}

void LayerOps::wkv5(int l, int S, F r, F k, F v, Vec decay, F token_decay, Vec bonus, F y) {
  Wkv5Args a;
  a.B = B_;
  a.T = T_;
  a.C = p_.info->n_embd;
  a.N = p_.info->head_size;
  a.r = r;
  a.k = k;
  a.v = v;
  if (token_decay) {  // exp(-exp(decay + token_decay)), inside the kernel
    a.w = token_decay;
    a.w_stride = size_t(a.C);
    a.w_bias = decay;
  } else {
    a.w = decay;
    a.w_stride = 0;
  }
  a.u = bonus;
  a.S = state_at(l, S);
  a.state_stride = p_.state_floats;
  a.y = y;
  e_.ok(cuda::wkv5(a, e_.stream), token_decay ? "wkv5 (v6)" : "wkv5");
}

void LayerOps::v6_mix(const DeviceMatrix& w1, const DeviceMatrix& w2, const Vec* maa, Op xxx, F xx, F dx, F mid,
                      Op mid_op, FGroup m, OpGroup out) {
  const int C = p_.info->n_embd, n = w2.count;
  const size_t ld = size_t(w1.rows), D = ld / size_t(n);
  if (n > 5 || m.stride != out.stride) throw Error("v6_mix: unexpected mix layout");
  e_.blas->gemm(w1, xxx, size_t(C), rows_, mid, ld);
  e_.ok(activate(mid, size_t(rows_) * ld, Act::Tanh, mid_op, e_.type, e_.stream), "activate (tanh)");
  e_.blas->gemm_stacked(w2, mid_op, ld, D, rows_, m.base, size_t(C), m.stride);
  V6MixArgs v;
  v.rows = rows_;
  v.C = C;
  v.xx = xx;
  v.dx = dx;
  v.m = m.base;
  for (int j = 0; j < n; j++) v.maa[j] = maa[j];
  v.out = out.base;
  v.slab = out.stride;
  e_.ok(cuda::v6_mix(v, e_.type, e_.stream), "v6_mix");
}

void LayerOps::v7_prepare(const arch::v7::Prepare<LayerOps>& p) {
  V7PrepareArgs q;
  q.rows = rows_;
  q.C = p_.info->n_embd;
  q.N = p_.info->head_size;
  q.w = p.w;
  q.a = p.a;
  q.k = p.k;
  q.neg_kk = p.kk;
  q.v = p.v;
  q.v_lora = p.vg;
  q.v_first = p.v_first;
  q.w0 = *p.w0;
  q.a0 = *p.a0;
  q.k_k = *p.k_k;
  q.k_a = *p.k_a;
  q.v0 = *p.v0;
  e_.ok(cuda::v7_prepare(q, e_.stream), "v7_prepare");
}

void LayerOps::wkv7(int l, int S, F r, F w, F k, F v, F a, F b, F y) {
  Wkv7Args x;
  x.B = B_;
  x.T = T_;
  x.C = p_.info->n_embd;
  x.N = p_.info->head_size;
  x.r = r;
  x.w = w;
  x.k = k;
  x.v = v;
  x.a = a;
  x.b = b;
  x.S = state_at(l, S);
  x.state_stride = p_.state_floats;
  x.y = y;
  e_.ok(cuda::wkv7(x, e_.stream), "wkv7");
}

void LayerOps::scale_residual(float f) {
  e_.ok(scale(p_.x, size_t(rows_) * size_t(p_.info->n_embd), f, e_.stream), "scale");
}

}  // namespace rwkv::cuda
