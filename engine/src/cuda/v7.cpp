// RWKV-7 ("Goose") on the GPU: LayerNorm + token shift into the six mixes in one kernel, the
// r, k, v projections in one stacked product, the decay / in-context rate / value residual
// / gate through their low-rank products, the per-token quantities (kk, a, decay) in one
// kernel, the delta-rule recurrence wkv7, then GroupNorm, the r·k bonus and the gate in one
// kernel (REFERENCE.md, RWKV-7).
#include <algorithm>

#include "../../../kernels/cuda/norm.h"
#include "../../../kernels/cuda/v7_prepare.h"
#include "../../../kernels/cuda/wkv_heads.h"
#include "arch/weights.h"
#include "cuda/cuda_runner.h"
#include "cuda/factory.h"
#include "cuda/lora.h"

namespace rwkv::cuda {

namespace {

// The mixes in the order the kernels and the stacked product want them: r, k, v first.
enum Mix { R, K, V, W, A, G, kMixes };
const char* const kMixNames[kMixes] = {"att.x_r", "att.x_k", "att.x_v", "att.x_w", "att.x_a", "att.x_g"};

struct V7Layer {
  const float *ln1_w = nullptr, *ln1_b = nullptr, *ln_x_w = nullptr, *ln_x_b = nullptr;
  const float* mix[kMixes] = {};
  const float *w0 = nullptr, *a0 = nullptr, *v0 = nullptr, *k_k = nullptr, *k_a = nullptr, *r_k = nullptr;
  Lora w_lora, a_lora, v_lora, g_lora;  // v_lora (and v0) absent in layer 0
  DeviceMatrix rkv;                     // receptance, key, value
  DeviceMatrix output;
};

class V7 final : public CudaRunner {
 public:
  V7(const ModelInfo& info, const TensorMap& tensors, const Device& dev) : CudaRunner(info, tensors, dev) {
    require_head_size(info);
    const int C = info.n_embd;
    const size_t Cs = size_t(C);
    int rank = 0;
    for (int l = 0; l < info.n_layer; l++) {
      auto n = [&](const char* s) { return layer_name(l, s); };
      V7Layer w;
      w.ln1_w = up_.vec(n("ln1.weight"), Cs);
      w.ln1_b = up_.vec(n("ln1.bias"), Cs);
      w.ln_x_w = up_.vec(n("att.ln_x.weight"), Cs);
      w.ln_x_b = up_.vec(n("att.ln_x.bias"), Cs);
      for (int j = 0; j < kMixes; j++) w.mix[j] = up_.vec(n(kMixNames[j]), Cs);
      w.w0 = up_.vec(n("att.w0"), Cs);
      w.a0 = up_.vec(n("att.a0"), Cs);
      w.k_k = up_.vec(n("att.k_k"), Cs);
      w.k_a = up_.vec(n("att.k_a"), Cs);
      w.r_k = up_.vec(n("att.r_k"), Cs);
      w.w_lora = Lora::bind(up_, n("att.w1"), n("att.w2"), C, C, Act::Tanh);
      w.a_lora = Lora::bind(up_, n("att.a1"), n("att.a2"), C, C, Act::None);
      w.g_lora = Lora::bind(up_, n("att.g1"), n("att.g2"), C, C, Act::Sigmoid);
      rank = std::max({rank, w.w_lora.rank(), w.a_lora.rank(), w.g_lora.rank()});
      if (l > 0) {
        w.v0 = up_.vec(n("att.v0"), Cs);
        w.v_lora = Lora::bind(up_, n("att.v1"), n("att.v2"), C, C, Act::None);
        rank = std::max(rank, w.v_lora.rank());
      }
      w.rkv = up_.stack({n("att.receptance.weight"), n("att.key.weight"), n("att.value.weight")}, C, C);
      w.output = up_.matrix(n("att.output.weight"), C, C);
      layers_.push_back(w);
      ffn_.emplace_back(up_, info, l);
    }
    mixed_ = scratch_op(kMixes * Cs, "the time mix's inputs");
    proj_ = scratch_f32(3 * Cs, "the time mix's projections");
    mid_ = scratch_f32(size_t(rank), "the low-rank products");
    mid_op_ = scratch_op(size_t(rank), "the low-rank products");
    w_ = scratch_f32(Cs, "the decay");
    a_ = scratch_f32(Cs, "the in-context learning rate");
    g_ = scratch_f32(Cs, "the gate");
    v_lora_ = scratch_f32(Cs, "the value residual's mix");
    neg_kk_ = scratch_f32(Cs, "the normalised key");
    v_first_ = scratch_f32(Cs, "layer 0's value");
    y_ = scratch_f32(Cs, "the recurrence's output");
    y_op_ = scratch_op(Cs, "the time mix's output");
    ffn_scratch_ = channel_mix_scratch();
  }

 protected:
  void layers(int B, int T) override {
    const Exec e = exec();
    const int C = info_.n_embd, N = info_.head_size, rows = B * T;
    const size_t Cs = size_t(C), slab = size_t(kRows) * Cs;
    float *r = proj_, *k = proj_ + slab, *v = proj_ + 2 * slab;
    for (int l = 0; l < info_.n_layer; l++) {
      const V7Layer& p = layers_[size_t(l)];
      float* st = layer_state(l);  // att_x, ffn_x, S

      ShiftMixArgs m;
      m.x = x_;
      m.rows = rows;
      m.T = T;
      m.C = C;
      m.ln_w = p.ln1_w;
      m.ln_b = p.ln1_b;
      m.carry = st;
      m.carry_stride = state_floats_;
      m.delta = true;
      m.n_out = kMixes;
      for (int j = 0; j < kMixes; j++) {
        m.mix[j] = p.mix[j];
        m.out[j] = op_at(mixed_, size_t(j) * slab);
      }
      e.ok(ln_shift_mix(m, type_, stream_), "ln_shift_mix");
      blas_->gemm_stacked(p.rkv, mixed_, Cs, slab, rows, proj_, Cs, slab);
      p.w_lora.run(e, op_at(mixed_, size_t(W) * slab), rows, mid_, mid_op_, w_);
      p.a_lora.run(e, op_at(mixed_, size_t(A) * slab), rows, mid_, mid_op_, a_);
      p.g_lora.run(e, op_at(mixed_, size_t(G) * slab), rows, mid_, mid_op_, g_);
      if (l > 0) p.v_lora.run(e, op_at(mixed_, size_t(V) * slab), rows, mid_, mid_op_, v_lora_);

      V7PrepareArgs q;
      q.rows = rows;
      q.C = C;
      q.N = N;
      q.w = w_;
      q.a = a_;
      q.k = k;
      q.neg_kk = neg_kk_;
      q.v = v;
      q.v_lora = l > 0 ? v_lora_ : nullptr;
      q.v_first = v_first_;
      q.w0 = p.w0;
      q.a0 = p.a0;
      q.k_k = p.k_k;
      q.k_a = p.k_a;
      q.v0 = p.v0;
      e.ok(v7_prepare(q, stream_), "v7_prepare");

      Wkv7Args a;
      a.B = B;
      a.T = T;
      a.C = C;
      a.N = N;
      a.r = r;
      a.w = w_;
      a.k = k;
      a.v = v;
      a.a = neg_kk_;
      a.b = a_;
      a.S = st + 2 * Cs;
      a.state_stride = state_floats_;
      a.y = y_;
      e.ok(wkv7(a, stream_), "wkv7");

      WkvOutArgs o;
      o.y = y_;
      o.rows = rows;
      o.C = C;
      o.N = N;
      o.eps = info_.groupnorm_eps;
      o.ln_w = p.ln_x_w;
      o.ln_b = p.ln_x_b;
      o.gate = Gate::Plain;
      o.g = g_;
      o.r_k = p.r_k;
      o.r = r;
      o.k = k;
      o.v = v;
      o.out = y_op_;
      e.ok(wkv_output(o, type_, stream_), "wkv_output");
      blas_->gemm(p.output, y_op_, Cs, rows, x_, Cs, /*accumulate=*/true);

      ffn_[size_t(l)].run(e, ffn_scratch_, x_, B, T, st + Cs, state_floats_);
    }
  }

 private:
  std::vector<V7Layer> layers_;
  std::vector<ChannelMix> ffn_;
  void *mixed_ = nullptr, *mid_op_ = nullptr, *y_op_ = nullptr;  // mixed_: [6][kRows][C] in Mix order
  float *proj_ = nullptr, *mid_ = nullptr, *w_ = nullptr, *a_ = nullptr, *g_ = nullptr, *v_lora_ = nullptr,
        *neg_kk_ = nullptr, *v_first_ = nullptr, *y_ = nullptr;
  ChannelMix::Scratch ffn_scratch_;
};

}  // namespace

std::unique_ptr<CudaRunner> make_v7(const ModelInfo& info, const TensorMap& tensors, const Device& dev) {
  return std::make_unique<V7>(info, tensors, dev);
}

}  // namespace rwkv::cuda
