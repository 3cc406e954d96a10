// RWKV-5 ("Eagle") on the GPU: 5.1 (no gate; one decay and one bonus per head) and 5.2
// (gated; per-channel decay and bonus). LayerNorm + token shift in one kernel, the r, k, v
// (and g) projections in one stacked product, the per-head matrix state scanned by wkv5,
// then GroupNorm and the gate in one kernel (REFERENCE.md, RWKV-5.2).
#include <cmath>
#include <functional>

#include "../../../kernels/cuda/norm.h"
#include "../../../kernels/cuda/wkv_heads.h"
#include "arch/weights.h"
#include "cuda/cuda_runner.h"
#include "cuda/factory.h"
#include "rwkv/error.h"

namespace rwkv::cuda {

namespace {

struct V5Layer {
  const float *ln1_w = nullptr, *ln1_b = nullptr, *ln_x_w = nullptr, *ln_x_b = nullptr;
  const float* mix[4] = {};  // r, k, v, g
  const float *decay = nullptr, *bonus = nullptr;
  bool gated = false;
  DeviceMatrix rkvg;  // receptance, key, value (, gate)
  DeviceMatrix output;
};

// A per-channel vector from a tensor of C values or of one value per head (5.0/5.1), with
// f applied in double precision.
std::vector<float> per_channel(const Uploader& up, const std::string& name, const ModelInfo& info,
                               const std::function<double(double)>& f) {
  const size_t C = size_t(info.n_embd), H = size_t(info.n_head), N = size_t(info.head_size);
  size_t n = 1;
  for (int64_t d : up.shape(name)) n *= size_t(d);
  if (n != C && n != H)
    throw Error("tensor '" + name + "' has " + std::to_string(n) + " values, expected " + std::to_string(C) +
                " (per channel) or " + std::to_string(H) + " (per head)");
  const std::vector<float> raw = up.host_vec(name, n);
  std::vector<float> out(C);
  for (size_t c = 0; c < C; c++) out[c] = float(f(double(raw[n == C ? c : c / N])));
  return out;
}

class V5 final : public CudaRunner {
 public:
  V5(const ModelInfo& info, const TensorMap& tensors, const Device& dev) : CudaRunner(info, tensors, dev) {
    require_head_size(info);
    const int C = info.n_embd;
    const size_t Cs = size_t(C);
    for (int l = 0; l < info.n_layer; l++) {
      auto n = [&](const char* s) { return layer_name(l, s); };
      V5Layer w;
      w.ln1_w = up_.vec(n("ln1.weight"), Cs);
      w.ln1_b = up_.vec(n("ln1.bias"), Cs);
      w.ln_x_w = up_.vec(n("att.ln_x.weight"), Cs);
      w.ln_x_b = up_.vec(n("att.ln_x.bias"), Cs);
      w.mix[0] = up_.vec(n("att.time_mix_r"), Cs);
      w.mix[1] = up_.vec(n("att.time_mix_k"), Cs);
      w.mix[2] = up_.vec(n("att.time_mix_v"), Cs);
      w.decay = up_.vec(per_channel(up_, n("att.time_decay"), info, [](double d) { return std::exp(-std::exp(d)); }),
                        "tensor '" + n("att.time_decay") + "'");
      // 5.2 stores the bonus itself (time_faaaa); 5.0/5.1 store its log (time_first).
      if (up_.has(n("att.time_faaaa")))
        w.bonus = up_.vec(per_channel(up_, n("att.time_faaaa"), info, [](double u) { return u; }),
                          "tensor '" + n("att.time_faaaa") + "'");
      else
        w.bonus = up_.vec(per_channel(up_, n("att.time_first"), info, [](double f) { return std::exp(f); }),
                          "tensor '" + n("att.time_first") + "'");
      w.gated = up_.has(n("att.gate.weight"));
      std::vector<std::string> proj = {n("att.receptance.weight"), n("att.key.weight"), n("att.value.weight")};
      if (w.gated) {
        w.mix[3] = up_.vec(n("att.time_mix_g"), Cs);
        proj.push_back(n("att.gate.weight"));
      }
      w.rkvg = up_.stack(proj, C, C);
      w.output = up_.matrix(n("att.output.weight"), C, C);
      layers_.push_back(w);
      ffn_.emplace_back(up_, info, l);
    }
    mixed_ = scratch_op(4 * Cs, "the time mix's inputs");
    proj_ = scratch_f32(4 * Cs, "the time mix's projections");
    y_ = scratch_f32(Cs, "the recurrence's output");
    y_op_ = scratch_op(Cs, "the time mix's output");
    ffn_scratch_ = channel_mix_scratch();
  }

 protected:
  void layers(int B, int T) override {
    const Exec e = exec();
    const int C = info_.n_embd, rows = B * T;
    const size_t Cs = size_t(C), slab = size_t(kRows) * Cs;
    for (int l = 0; l < info_.n_layer; l++) {
      const V5Layer& w = layers_[size_t(l)];
      float* st = layer_state(l);  // att_x, ffn_x, S

      ShiftMixArgs m;
      m.x = x_;
      m.rows = rows;
      m.T = T;
      m.C = C;
      m.ln_w = w.ln1_w;
      m.ln_b = w.ln1_b;
      m.carry = st;
      m.carry_stride = state_floats_;
      m.n_out = w.gated ? 4 : 3;
      for (int j = 0; j < m.n_out; j++) {
        m.mix[j] = w.mix[j];
        m.out[j] = op_at(mixed_, size_t(j) * slab);
      }
      e.ok(ln_shift_mix(m, type_, stream_), "ln_shift_mix");
      blas_->gemm_stacked(w.rkvg, mixed_, Cs, slab, rows, proj_, Cs, slab);

      Wkv5Args a;
      a.B = B;
      a.T = T;
      a.C = C;
      a.N = info_.head_size;
      a.r = proj_;
      a.k = proj_ + slab;
      a.v = proj_ + 2 * slab;
      a.w = w.decay;
      a.w_stride = 0;
      a.u = w.bonus;
      a.S = st + 2 * Cs;
      a.state_stride = state_floats_;
      a.y = y_;
      e.ok(wkv5(a, stream_), "wkv5");

      WkvOutArgs o;
      o.y = y_;
      o.rows = rows;
      o.C = C;
      o.N = info_.head_size;
      o.eps = info_.groupnorm_eps;
      o.ln_w = w.ln_x_w;
      o.ln_b = w.ln_x_b;
      o.gate = w.gated ? Gate::Silu : Gate::None;
      o.g = proj_ + 3 * slab;
      o.out = y_op_;
      e.ok(wkv_output(o, type_, stream_), "wkv_output");
      blas_->gemm(w.output, y_op_, Cs, rows, x_, Cs, /*accumulate=*/true);

      ffn_[size_t(l)].run(e, ffn_scratch_, x_, B, T, st + Cs, state_floats_);
    }
  }

 private:
  std::vector<V5Layer> layers_;
  std::vector<ChannelMix> ffn_;
  void* mixed_ = nullptr;  // [4][kRows][C]: r, k, v, g inputs
  float* proj_ = nullptr;  // [4][kRows][C]: r, k, v, g
  float* y_ = nullptr;
  void* y_op_ = nullptr;
  ChannelMix::Scratch ffn_scratch_;
};

}  // namespace

std::unique_ptr<CudaRunner> make_v5(const ModelInfo& info, const TensorMap& tensors, const Device& dev) {
  return std::make_unique<V5>(info, tensors, dev);
}

}  // namespace rwkv::cuda
