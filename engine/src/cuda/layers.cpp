// The GPU runner of every version: a version's weights, its scratch and its layer sequence
// (arch/versions.h) over the GPU's operations, LayerOps: products through cuBLAS in the
// operand type, LayerNorm fused with the token shift, GroupNorm fused with the gate, one
// kernel per recurrence and per version's own step, enqueued on the runner's stream. A new
// version's recurrence is one more wkv() here and its kernel in kernels/cuda.
#include "kernels/cuda/elementwise.h"
#include "kernels/cuda/norm.h"
#include "kernels/cuda/v6_mix.h"
#include "kernels/cuda/v7_prepare.h"
#include "kernels/cuda/wkv4.h"
#include "kernels/cuda/wkv_heads.h"
#include "arch/layer_ops.h"
#include "arch/versions.h"
#include "cuda/cuda_runner.h"
#include "cuda/kernel_args.h"
#include "cuda/lora.h"
#include "rwkv/error.h"

namespace rwkv::cuda {

namespace {

class LayerOps {
 public:
  using Binder = Uploader;
  using F = float*;
  using Op = void*;
  using FGroup = cuda::FGroup;
  using OpGroup = cuda::OpGroup;
  using Vec = Binder::Vec;
  using Norm = arch::Norm<Binder>;

  LayerOps(const Exec& e, const PassBuffers& p, int B, int T) : e_(e), p_(p), B_(B), T_(T), rows_(B * T) {}

  void ln_shift(const Norm& ln, int l, int carry, bool delta, const Vec* mix, int n, OpGroup out, F xx = nullptr,
                F dx = nullptr);
  void products(const DeviceMatrix& w, OpGroup in, FGroup out, int n);
  void lora(const arch::Lora<Binder>& w, Op in, F out, F mid, Op mid_op);
  void add_product(const DeviceMatrix& w, Op in);
  Op wkv_out(const arch::WkvOut<LayerOps>& a);
  void channel_mix(const arch::ChannelMix<Binder>& w, int l, int carry);

  void wkv4(int l, int aa, F r, F k, F v, Vec decay, Vec first, Op y);
  void wkv(int l, int S, const arch::v5::Wkv<LayerOps>& w, F y);
  void wkv(int l, int S, const arch::v7::Wkv<LayerOps>& w, F y);
  void v6_mix(const DeviceMatrix& w1, const DeviceMatrix& w2, const Vec* maa, Op xxx, F xx, F dx, F mid, Op mid_op,
              FGroup m, OpGroup out);
  void v7_prepare(const arch::v7::Prepare<LayerOps>& a);

  bool rescaled() const { return e_.type == ElemType::F16; }
  void scale_residual(float f);

 private:
  float* state_at(int l, int at) const {
    return p_.state + size_t(l) * p_.per_layer + size_t(at) * size_t(p_.info->n_embd);
  }
  Exec e_;
  const PassBuffers& p_;
  int B_, T_, rows_;
};

void require_head_size(const ModelInfo& info) {
  if (info.head_size != 0 && !wkv_head_size_supported(info.head_size))
    throw Error("head size " + std::to_string(info.head_size) + " is not supported by the CUDA backend (supported: " +
                wkv_head_sizes() + ")");
}

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

void LayerOps::wkv(int l, int S, const arch::v5::Wkv<LayerOps>& w, F y) {
  Wkv5Args a;
  a.B = B_;
  a.T = T_;
  a.C = p_.info->n_embd;
  a.N = p_.info->head_size;
  a.r = w.r;
  a.k = w.k;
  a.v = w.v;
  if (w.token_decay) {  // exp(-exp(decay + token_decay)), inside the kernel
    a.w = w.token_decay;
    a.w_stride = size_t(a.C);
    a.w_bias = *w.decay;
  } else {
    a.w = *w.decay;
    a.w_stride = 0;
  }
  a.u = *w.bonus;
  a.S = state_at(l, S);
  a.state_stride = p_.state_floats;
  a.y = y;
  e_.ok(cuda::wkv5(a, e_.stream), w.token_decay ? "wkv5 (v6)" : "wkv5");
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

void LayerOps::wkv(int l, int S, const arch::v7::Wkv<LayerOps>& w, F y) {
  Wkv7Args x;
  x.B = B_;
  x.T = T_;
  x.C = p_.info->n_embd;
  x.N = p_.info->head_size;
  x.r = w.r;
  x.w = w.w;
  x.k = w.k;
  x.v = w.v;
  x.a = w.a;
  x.b = w.b;
  x.S = state_at(l, S);
  x.state_stride = p_.state_floats;
  x.y = y;
  e_.ok(cuda::wkv7(x, e_.stream), "wkv7");
}

void LayerOps::scale_residual(float f) {
  e_.ok(scale(p_.x, size_t(rows_) * size_t(p_.info->n_embd), f, e_.stream), "scale");
}

// A version's weights (fp16 models of RWKV-4 rescaled, arch/v4.h), its scratch, and its layer
// sequence.
template <class V>
class Layers final : public CudaRunner {
 public:
  Layers(const ModelInfo& info, const TensorMap& tensors, const Device& dev)
      : CudaRunner((require_head_size(info), info), tensors, dev),
        w_(V::bind(up_, info, /*fp16_rescale=*/type_ == ElemType::F16)),
        s_(*this, w_, info) {}

 protected:
  void layers(int B, int T) override {
    LayerOps o(exec(), pass_buffers(), B, T);
    for (int l = 0; l < info_.n_layer; l++) V::layer(o, w_, l, s_);
  }

 private:
  decltype(V::bind(std::declval<Uploader&>(), ModelInfo{}, false)) w_;
  typename V::template Scratch<LayerOps> s_;
};

}  // namespace

std::unique_ptr<CudaRunner> make_runner(const ModelInfo& info, const TensorMap& tensors, const Device& dev) {
  return arch::with_version(info.arch, [&](auto v) -> std::unique_ptr<CudaRunner> {
    return std::make_unique<Layers<decltype(v)>>(info, tensors, dev);
  });
}

}  // namespace rwkv::cuda
