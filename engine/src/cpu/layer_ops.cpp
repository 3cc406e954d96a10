#include "cpu/layer_ops.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "arch/v7.h"
#include "cpu/lora.h"

namespace rwkv::cpu {

namespace {

constexpr float kDecayScale = 0.6065306597f;  // RWKV-7: e^-0.5, so w = exp(-e^-0.5 σ(.)) lies in (0.545, 1)
constexpr float kNormEps = 1e-12f;            // RWKV-7: for the L2 normalisation of kk

// The calling thread's scratch: buffers handed out in order, each kept at its largest size.
thread_local std::vector<std::vector<float>> arena;

}  // namespace

LayerOps::LayerOps(ThreadPool& pool, const ModelInfo& info, std::span<State* const> states, float* x,
                   std::span<const int> first)
    : pool_(pool), info_(info), states_(states), x_(x), first_(first), rows_(first.back()), C_(info.n_embd) {
  const size_t C = size_t(C_);
  xx_ = take(C);
  dx_ = take(C);
  tmp_ = take(C);
  ffn_ = take(channel_mix_scratch(info));
}

float* LayerOps::take(size_t per_row) {
  if (arena.size() <= used_) arena.resize(used_ + 1);
  std::vector<float>& b = arena[used_++];
  const size_t n = per_row * size_t(rows_);
  if (b.size() < n) b.resize(n);
  return b.data();
}

void LayerOps::ln_shift(const Norm& ln, int l, int carry, bool delta, const Vec* mix, int n, Group out, F xx,
                        F dx) {
  float* const x = xx ? xx : xx_;
  layer_norm(x_, x, rows_, C_, ln.w.data(), ln.b.data());
  if (!delta) {
    const float* m[8];
    float* o[8];
    for (int j = 0; j < n; j++) m[j] = mix[j].data(), o[j] = out[j];
    shift_mix(x, part(l, carry), C_, m, o, n);
    return;
  }
  float* const d = dx ? dx : dx_;
  shift_delta(x, part(l, carry), C_, d);
  for (int j = 0; j < n; j++) lerp(x, d, mix[j].data(), rows_, C_, out[j]);
}

void LayerOps::products(const Binder::Stack& w, Group in, Group out, int n) {
  thread_local std::vector<Product> p;
  p.clear();
  for (int j = 0; j < n; j++) p.push_back({w[size_t(j)], in[j], out[j]});
  matmul(pool_, p, rows_);
}

void LayerOps::lora(const arch::Lora<Binder>& w, Op in, F out, F mid, Op) { run_lora(pool_, w, in, rows_, mid, out); }

void LayerOps::add_product(const Matrix& w, Op in) {
  matmul(pool_, w, in, rows_, tmp_);
  const size_t n = size_t(rows_) * size_t(C_);
  for (size_t i = 0; i < n; i++) x_[i] += tmp_[i];
}

LayerOps::Op LayerOps::wkv_out(const arch::WkvOut<LayerOps>& a) {
  const int H = info_.n_head, N = info_.head_size;
  const size_t n = size_t(rows_) * size_t(C_);
  float* y = a.y;
  group_norm(y, y, rows_, C_, H, a.ln_x->w.data(), a.ln_x->b.data(), info_.groupnorm_eps);
  if (a.r_k)
    for (int t = 0; t < rows_; t++)
      for (int h = 0; h < H; h++) {
        const size_t o = size_t(t) * size_t(C_) + size_t(h) * size_t(N);
        float bonus = 0;
        for (int i = 0; i < N; i++) bonus += a.r[o + i] * a.k[o + i] * (*a.r_k)[size_t(h * N + i)];
        for (int i = 0; i < N; i++) y[o + i] += bonus * a.v[o + i];
      }
  if (a.gate == arch::Gate::Silu)
    for (size_t i = 0; i < n; i++) y[i] *= silu(a.g[i]);
  else if (a.gate == arch::Gate::Plain)
    for (size_t i = 0; i < n; i++) y[i] *= a.g[i];
  return y;
}

void LayerOps::channel_mix(const arch::ChannelMix<Binder>& w, int l, int carry) {
  cpu::channel_mix(pool_, w, x_, xx_, part(l, carry), ffn_);
}

void LayerOps::wkv4(int l, int aa_at, F r, F k, F v, const Vec& decay, const Vec& first, Op y) {
  const int C = C_;
  for (int stream = 0; stream < int(states_.size()); stream++) {
    float* aa = part(l, aa_at).at(stream);
    float *bb = aa + C, *pp = aa + 2 * C;
    for (int c = 0; c < C; c++) {
      float a = aa[c], b = bb[c], p = pp[c];
      const float u = first[size_t(c)], dw = decay[size_t(c)];
      for (int row = first_[size_t(stream)]; row < first_[size_t(stream) + 1]; row++) {
        const size_t i = size_t(row) * size_t(C) + size_t(c);
        const float kt = k[i], vt = v[i];
        float ww = u + kt, q = std::max(p, ww);
        float e1 = std::exp(p - q), e2 = std::exp(ww - q);
        const float wkv = (e1 * a + e2 * vt) / (e1 * b + e2);
        ww = p + dw;
        q = std::max(ww, kt);
        e1 = std::exp(ww - q);
        e2 = std::exp(kt - q);
        a = e1 * a + e2 * vt;
        b = e1 * b + e2;
        p = q;
        y[i] = sigmoid(r[i]) * wkv;
      }
      aa[c] = a;
      bb[c] = b;
      pp[c] = p;
    }
  }
}

void LayerOps::v6_mix(const Matrix& w1, const Binder::Stack& w2, const Vec* maa, Op xxx, F xx, F dx, F mid, Op,
                      Group m, Group out) {
  const int n = int(w2.size()), D = w1.rows / n;
  const size_t ld = size_t(w1.rows);
  matmul(pool_, w1, xxx, rows_, mid);
  for (size_t i = 0; i < size_t(rows_) * ld; i++) mid[i] = std::tanh(mid[i]);
  for (int j = 0; j < n; j++) {
    float* mj = m[j];
    matmul(pool_, w2[size_t(j)], mid + size_t(j) * size_t(D), ld, rows_, mj, size_t(C_));
    const float* mv = maa[j].data();
    for (int t = 0; t < rows_; t++) {
      const size_t o = size_t(t) * size_t(C_);
      for (int i = 0; i < C_; i++) out[j][o + i] = xx[o + i] + dx[o + i] * (mv[i] + mj[o + i]);
    }
  }
}

void LayerOps::v7_prepare(const arch::v7::Prepare<LayerOps>& p) {
  const size_t C = size_t(C_), n = size_t(rows_) * C;
  if (!p.vg) {
    std::memcpy(p.v_first, p.v, n * sizeof(float));
  } else {
    for (int t = 0; t < rows_; t++) {
      const size_t o = size_t(t) * C;
      for (size_t i = 0; i < C; i++)
        p.v[o + i] += (p.v_first[o + i] - p.v[o + i]) * sigmoid((*p.v0)[i] + p.vg[o + i]);
    }
  }
  for (int t = 0; t < rows_; t++) {
    const size_t o = size_t(t) * C;
    for (size_t i = 0; i < C; i++) {
      const size_t c = o + i;
      p.w[c] = std::exp(-kDecayScale * sigmoid((*p.w0)[i] + p.w[c]));
      p.a[c] = sigmoid((*p.a0)[i] + p.a[c]);
      p.kk[c] = p.k[c] * (*p.k_k)[i];
    }
  }
  l2_normalize_groups(p.kk, rows_, C_, info_.head_size, kNormEps);
  for (int t = 0; t < rows_; t++) {
    const size_t o = size_t(t) * C;
    for (size_t i = 0; i < C; i++) {
      const size_t c = o + i;
      p.k[c] *= 1.0f + (p.a[c] - 1.0f) * (*p.k_a)[i];
      p.a[c] = p.kk[c] * p.a[c];  // b
      p.kk[c] = -p.kk[c];
    }
  }
}

}  // namespace rwkv::cpu
