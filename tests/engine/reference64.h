// A plain float64 implementation of docs/REFERENCE.md's RWKV-4, 5, 6 and 7 equations, written from
// the canonical tensors with straightforward loops and no engine code: the yardstick for the
// engine's fp32 arithmetic (tests/engine/test_recurrence_reference, tests/soak). One token at a
// time; layers() and head() are apart so a long run can leave the head out where it compares
// no logits.
#pragma once
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "rwkv/state.h"
#include "rwkv/tensor.h"

namespace reference64 {

using Vec = std::vector<double>;
using rwkv::Arch;

inline double sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }

// A matrix applied as y = x M, M [in, out] row-major: PyTorch Linear weights [out, in] are
// transposed into it, BlinkDL's low-rank factors come that way. With inputs in the outer loop
// and outputs in the inner one the compiler vectorises across outputs while each output still
// adds its products in input order. Elements stay float (the file's fp32 values, or the
// dequantised ones, exactly); products and sums are double.
struct Mat {
  std::vector<float> m;
  size_t in = 0, out = 0;
};

// (Not under ThreadSanitizer: the clones' resolver runs before its runtime is up, and crashes.)
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && !defined(__SANITIZE_THREAD__)
#define REFERENCE64_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define REFERENCE64_CLONES
#endif

// y[o0 .. o0+B) of y = x M, each output summed in input order in a register.
template <size_t B>
[[gnu::always_inline]] inline void mat_block(const float* M, const double* x, double* y, size_t in, size_t out,
                                             size_t o0) {
  double acc[B] = {};
  for (size_t i = 0; i < in; i++)
    for (size_t k = 0; k < B; k++) acc[k] += double(M[i * out + o0 + k]) * x[i];
  for (size_t k = 0; k < B; k++) y[o0 + k] = acc[k];
}

// Wide blocks keep several independent sums in flight (8 AVX-512 or 16 AVX2 registers at 64).
REFERENCE64_CLONES static void mat_apply(const float* M, const double* x, double* y, size_t in, size_t out) {
  size_t o = 0;
  for (; o + 64 <= out; o += 64) mat_block<64>(M, x, y, in, out, o);
  for (; o + 32 <= out; o += 32) mat_block<32>(M, x, y, in, out, o);
  for (; o + 8 <= out; o += 8) mat_block<8>(M, x, y, in, out, o);
  for (; o < out; o++) mat_block<1>(M, x, y, in, out, o);
}

// One v7 head with S[key][value] (see LayerState): sa[vi] = Σ_j S[j][vi](-kk[j]);
// S = diag(w) S + k vᵀ + (kk a) saᵀ; y[vi] = Σ_j S[j][vi] r[j], sums in key order.
REFERENCE64_CLONES static void v7_head(double* __restrict S, double* __restrict y, double* __restrict sa,
                                       const double* __restrict r, const double* __restrict w,
                                       const double* __restrict k, const double* __restrict v,
                                       const double* __restrict kk, const double* __restrict a, size_t N) {
  for (size_t vi = 0; vi < N; vi++) sa[vi] = 0;
  for (size_t j = 0; j < N; j++)
    for (size_t vi = 0; vi < N; vi++) sa[vi] += S[j * N + vi] * -kk[j];
  for (size_t vi = 0; vi < N; vi++) y[vi] = 0;
  for (size_t j = 0; j < N; j++)
    for (size_t vi = 0; vi < N; vi++) {
      double& s = S[j * N + vi];
      s = s * w[j] + v[vi] * k[j] + sa[vi] * kk[j] * a[j];
      y[vi] += s * r[j];
    }
}

// x = max(x, 0)², without a branch half the signs would mispredict.
REFERENCE64_CLONES static void relu_squared(double* x, size_t n) {
  for (size_t i = 0; i < n; i++) {
    const double p = x[i] > 0 ? x[i] : 0.0;
    x[i] = p * p;
  }
}

inline Vec operator*(const Vec& x, const Mat& M) {
  Vec y(M.out);
  mat_apply(M.m.data(), x.data(), y.data(), M.in, M.out);
  return y;
}

class Reference {
 public:
  Reference(const rwkv::TensorMap& m, const rwkv::ModelInfo& info) : i_(info) {
    emb_ = mat_as_is(m, "emb.weight", size_t(info.n_embd));  // [V, C]: row = token
    ln0_w_ = vec(m, "blocks.0.ln0.weight");
    ln0_b_ = vec(m, "blocks.0.ln0.bias");
    ln_out_w_ = vec(m, "ln_out.weight");
    ln_out_b_ = vec(m, "ln_out.bias");
    head_ = linear(m, "head.weight");
    for (int l = 0; l < info.n_layer; l++) layers_.push_back(load_layer(m, "blocks." + std::to_string(l) + "."));
  }

  // Per layer: att_x, ffn_x [C]; v4: aa, bb, pp [C]; v5/v6/v7: S [H][N][N], per head
  // S[key][value]: the engine's layout for v5/v6 (state.h), for v7 its transpose, so that
  // sums over keys run across contiguous values.
  struct LayerState {
    Vec att_x, ffn_x, S, aa, bb, pp;
  };
  using States = std::vector<LayerState>;

  // The engine's state (state.h's layout) as per-layer vectors; flat() gives one layer back
  // in that layout.
  States from_engine(const rwkv::State& s) const {
    const size_t C = size_t(i_.n_embd);
    States out;
    for (int l = 0; l < i_.n_layer; l++) {
      auto p = s.layer(l);
      auto part = [&](size_t first, size_t n) { return Vec(p.begin() + long(first), p.begin() + long(first + n)); };
      if (i_.arch == Arch::V4)
        out.push_back({part(0, C), part(4 * C, C), {}, part(C, C), part(2 * C, C), part(3 * C, C)});
      else
        out.push_back({part(0, C), part(C, C), v7_transposed(part(2 * C, p.size() - 2 * C)), {}, {}, {}});
    }
    return out;
  }
  Vec flat(const LayerState& s) const {
    Vec f = s.att_x;
    const Vec S = v7_transposed(s.S);
    for (const Vec* v : i_.arch == Arch::V4 ? std::vector<const Vec*>{&s.aa, &s.bb, &s.pp, &s.ffn_x}
                                            : std::vector<const Vec*>{&s.ffn_x, &S})
      f.insert(f.end(), v->begin(), v->end());
    return f;
  }

  Vec forward(uint32_t token, States& st) const { return head(layers(token, st)); }

  // What passes from one layer to the next within a token: the residual stream and, in
  // RWKV-7, layer 0's values (v_first), which every later layer mixes in.
  struct Residual {
    Vec x, v_first;
  };
  Residual embed(uint32_t token) const {
    const size_t C = size_t(i_.n_embd);
    const Vec x(emb_.m.begin() + long(token * C), emb_.m.begin() + long((token + 1) * C));
    return {layer_norm(x, ln0_w_, ln0_b_, 1e-5), {}};
  }
  // Layers [first, last) for one token; only st[first .. last) moves on, so that two threads
  // may run two ranges of a stream's layers, the second some tokens behind the first.
  void run_layers(Residual& r, States& st, size_t first, size_t last) const {
    Vec& x = r.x;
    for (size_t l = first; l < last; l++) {
      const Layer& w = layers_[l];
      Vec xx = layer_norm(x, w.ln1_w, w.ln1_b, 1e-5);
      const Vec a = time_mix(w, l, xx, st[l], r.v_first);
      for (size_t c = 0; c < x.size(); c++) x[c] += a[c];
      xx = layer_norm(x, w.ln2_w, w.ln2_b, 1e-5);
      const Vec f = channel_mix(w, xx, st[l].ffn_x);
      for (size_t c = 0; c < x.size(); c++) x[c] += f[c];
    }
  }
  // The residual stream after the last layer for `token`; the state moves on.
  Vec layers(uint32_t token, States& st) const {
    Residual r = embed(token);
    run_layers(r, st, 0, layers_.size());
    return r.x;
  }

  Vec head(const Vec& x) const { return layer_norm(x, ln_out_w_, ln_out_b_, 1e-5) * head_; }

 private:
  // One block's tensors; those its version lacks stay empty.
  struct Layer {
    Vec ln1_w, ln1_b, ln2_w, ln2_b;
    Mat receptance, key, value, output, gate;                      // att.*.weight
    Vec time_mix_k, time_mix_v, time_mix_r, time_mix_g;           // v4, v5
    Vec time_decay, time_first, time_faaaa, ln_x_w, ln_x_b;       // v4 (no ln_x), v5, v6
    Vec maa_x, maa[5];                                            // v6, order w k v r g
    Mat maa_w1, maa_w2[5], decay_w1, decay_w2;                    // v6
    Vec x_r, x_w, x_k, x_v, x_a, x_g, w0, a0, v0, k_k, k_a, r_k;  // v7
    Mat w1, w2, a1, a2, v1, v2, g1, g2;                           // v7
    Mat ffn_key, ffn_value, ffn_receptance;                       // ffn.*.weight
    Vec ffn_mix_k, ffn_mix_r;  // time_mix_k/_r (v4, v5), time_maa_k/_r (v6), x_k (v7)
  };

  // v7: each head's N x N matrix transposed (both ways between the layouts); others as they are.
  Vec v7_transposed(Vec S) const {
    if (i_.arch != Arch::V7) return S;
    const size_t N = size_t(i_.head_size);
    for (size_t h = 0; h < size_t(i_.n_head); h++)
      for (size_t i = 0; i < N; i++)
        for (size_t j = 0; j < i; j++) std::swap(S[(h * N + i) * N + j], S[(h * N + j) * N + i]);
    return S;
  }

  static Vec vec(const rwkv::TensorMap& m, const std::string& name) {
    if (!m.has(name)) return {};
    const std::vector<float> f = rwkv::tensor_to_f32(m.get(name));
    return Vec(f.begin(), f.end());
  }
  static Mat mat_as_is(const rwkv::TensorMap& m, const std::string& name, size_t out, size_t first = 0,
                       size_t count = 0) {
    if (!m.has(name)) return {};
    const std::vector<float> f = rwkv::tensor_to_f32(m.get(name));
    if (count == 0) count = f.size() - first;
    return {std::vector<float>(f.begin() + long(first), f.begin() + long(first + count)), count / out, out};
  }
  static Mat linear(const rwkv::TensorMap& m, const std::string& name) {  // [out, in] → [in, out]
    if (!m.has(name)) return {};
    const rwkv::Tensor& t = m.get(name);
    const std::vector<float> f = rwkv::tensor_to_f32(t);
    const size_t out = size_t(t.shape[0]), in = f.size() / out;
    Mat M{std::vector<float>(f.size()), in, out};
    for (size_t o = 0; o < out; o++)
      for (size_t i = 0; i < in; i++) M.m[i * out + o] = f[o * in + i];
    return M;
  }

  Layer load_layer(const rwkv::TensorMap& m, const std::string& p) const {
    const size_t C = size_t(i_.n_embd);
    Layer w;
    w.ln1_w = vec(m, p + "ln1.weight");
    w.ln1_b = vec(m, p + "ln1.bias");
    w.ln2_w = vec(m, p + "ln2.weight");
    w.ln2_b = vec(m, p + "ln2.bias");
    const std::string a = p + "att.";
    w.receptance = linear(m, a + "receptance.weight");
    w.key = linear(m, a + "key.weight");
    w.value = linear(m, a + "value.weight");
    w.output = linear(m, a + "output.weight");
    w.gate = linear(m, a + "gate.weight");
    w.time_mix_k = vec(m, a + "time_mix_k");
    w.time_mix_v = vec(m, a + "time_mix_v");
    w.time_mix_r = vec(m, a + "time_mix_r");
    w.time_mix_g = vec(m, a + "time_mix_g");
    w.time_decay = vec(m, a + "time_decay");
    w.time_first = vec(m, a + "time_first");
    w.time_faaaa = vec(m, a + "time_faaaa");
    w.ln_x_w = vec(m, a + "ln_x.weight");
    w.ln_x_b = vec(m, a + "ln_x.bias");
    auto per_row = [&](const std::string& n) { return size_t(m.get(n).numel()) / C; };  // [C, D] factors
    if (i_.arch == Arch::V6) {
      w.maa_x = vec(m, a + "time_maa_x");
      const char* names[5] = {"time_maa_w", "time_maa_k", "time_maa_v", "time_maa_r", "time_maa_g"};
      const size_t D = per_row(a + "time_maa_w1") / 5;  // w1 [C, 5D], w2 [5, D, C]
      w.maa_w1 = mat_as_is(m, a + "time_maa_w1", 5 * D);
      for (size_t j = 0; j < 5; j++) {
        w.maa[j] = vec(m, a + names[j]);
        w.maa_w2[j] = mat_as_is(m, a + "time_maa_w2", C, j * D * C, D * C);
      }
      w.decay_w1 = mat_as_is(m, a + "time_decay_w1", per_row(a + "time_decay_w1"));
      w.decay_w2 = mat_as_is(m, a + "time_decay_w2", C);
    }
    if (i_.arch == Arch::V7) {
      auto V = [&](const char* n) { return vec(m, a + n); };
      w.x_r = V("x_r"), w.x_w = V("x_w"), w.x_k = V("x_k"), w.x_v = V("x_v"), w.x_a = V("x_a"), w.x_g = V("x_g");
      w.w0 = V("w0"), w.a0 = V("a0"), w.v0 = V("v0"), w.k_k = V("k_k"), w.k_a = V("k_a"), w.r_k = V("r_k");
      auto down = [&](const char* n) { return m.has(a + n) ? mat_as_is(m, a + n, per_row(a + n)) : Mat{}; };
      w.w1 = down("w1"), w.a1 = down("a1"), w.v1 = down("v1"), w.g1 = down("g1");  // absent v1 in layer 0
      w.w2 = mat_as_is(m, a + "w2", C), w.a2 = mat_as_is(m, a + "a2", C), w.v2 = mat_as_is(m, a + "v2", C),
      w.g2 = mat_as_is(m, a + "g2", C);
    }
    w.ffn_key = linear(m, p + "ffn.key.weight");
    w.ffn_value = linear(m, p + "ffn.value.weight");
    w.ffn_receptance = linear(m, p + "ffn.receptance.weight");
    const char* fk = i_.arch == Arch::V7 ? "ffn.x_k" : i_.arch == Arch::V6 ? "ffn.time_maa_k" : "ffn.time_mix_k";
    w.ffn_mix_k = vec(m, p + fk);
    w.ffn_mix_r = vec(m, p + (i_.arch == Arch::V6 ? "ffn.time_maa_r" : "ffn.time_mix_r"));
    return w;
  }

  static Vec layer_norm(const Vec& x, const Vec& w, const Vec& b, double eps, size_t off = 0, size_t n = 0) {
    if (n == 0) n = x.size();
    double mean = 0, var = 0;
    for (size_t i = 0; i < n; i++) mean += x[off + i];
    mean /= double(n);
    for (size_t i = 0; i < n; i++) var += (x[off + i] - mean) * (x[off + i] - mean);
    var /= double(n);
    Vec y(n);
    for (size_t i = 0; i < n; i++) y[i] = (x[off + i] - mean) / std::sqrt(var + eps) * w[off + i] + b[off + i];
    return y;
  }
  Vec group_norm(const Vec& x, const Vec& w, const Vec& b) const {
    const size_t H = size_t(i_.n_head), N = size_t(i_.head_size);
    Vec y(x.size());
    for (size_t h = 0; h < H; h++) {
      const Vec g = layer_norm(x, w, b, i_.groupnorm_eps, h * N, N);
      std::copy(g.begin(), g.end(), y.begin() + long(h * N));
    }
    return y;
  }

  Vec time_mix(const Layer& w, size_t l, const Vec& xx, LayerState& s, Vec& v_first) const {
    const Vec prev = s.att_x;
    s.att_x = xx;
    switch (i_.arch) {
      case Arch::V4: return tmix_v4(w, xx, prev, s);
      case Arch::V5_1:
      case Arch::V5_2: return tmix_v5(w, xx, prev, s.S);
      case Arch::V6: return tmix_v6(w, xx, prev, s.S);
      default: return tmix_v7(w, l, xx, prev, s.S, v_first);
    }
  }

  static Vec mix(const Vec& xx, const Vec& prev, const Vec& m) {
    Vec y(xx.size());
    for (size_t c = 0; c < y.size(); c++) y[c] = xx[c] * m[c] + prev[c] * (1 - m[c]);
    return y;
  }
  static Vec lerp(const Vec& xx, const Vec& prev, const Vec& m, const Vec* extra = nullptr) {
    Vec y(xx.size());
    for (size_t c = 0; c < y.size(); c++) y[c] = xx[c] + (prev[c] - xx[c]) * (m[c] + (extra ? (*extra)[c] : 0));
    return y;
  }

  // docs/REFERENCE.md, RWKV-4: the numerically stabilised recurrence, aa and bb scaled by exp(-pp).
  Vec tmix_v4(const Layer& w, const Vec& xx, const Vec& prev, LayerState& s) const {
    const size_t C = xx.size();
    Vec r = mix(xx, prev, w.time_mix_r) * w.receptance;
    const Vec k = mix(xx, prev, w.time_mix_k) * w.key;
    const Vec v = mix(xx, prev, w.time_mix_v) * w.value;
    for (size_t c = 0; c < C; c++) {
      const double decay = -std::exp(w.time_decay[c]), u = w.time_first[c];
      double& aa = s.aa[c];
      double& bb = s.bb[c];
      double& pp = s.pp[c];
      double ww = u + k[c], p = std::max(pp, ww);
      double e1 = std::exp(pp - p), e2 = std::exp(ww - p);
      const double wkv = (e1 * aa + e2 * v[c]) / (e1 * bb + e2);
      ww = pp + decay;
      p = std::max(ww, k[c]);
      e1 = std::exp(ww - p);
      e2 = std::exp(k[c] - p);
      aa = e1 * aa + e2 * v[c];
      bb = e1 * bb + e2;
      pp = p;
      r[c] = sigmoid(r[c]) * wkv;
    }
    return r * w.output;
  }

  // docs/REFERENCE.md, RWKV-5.2: per head y[j] = Σ_i r[i](u[i]k[i]v[j] + S[i][j]); S = w S + k v.
  Vec wkv56(const Vec& r, const Vec& k, const Vec& v, const Vec& w, const Vec& u, Vec& S) const {
    const size_t H = size_t(i_.n_head), N = size_t(i_.head_size);
    Vec y(H * N, 0.0);
    for (size_t h = 0; h < H; h++)
      for (size_t i = 0; i < N; i++) {
        const size_t ci = h * N + i;
        for (size_t j = 0; j < N; j++) {
          const size_t cj = h * N + j;
          double& sij = S[(h * N + i) * N + j];
          y[cj] += r[ci] * (u[ci] * k[ci] * v[cj] + sij);
          sij = w[ci] * sij + k[ci] * v[cj];
        }
      }
    return y;
  }

  Vec tmix_v5(const Layer& L, const Vec& xx, const Vec& prev, Vec& S) const {
    const size_t C = xx.size(), H = size_t(i_.n_head), N = size_t(i_.head_size);
    const Vec r = mix(xx, prev, L.time_mix_r) * L.receptance;
    const Vec k = mix(xx, prev, L.time_mix_k) * L.key;
    const Vec v = mix(xx, prev, L.time_mix_v) * L.value;
    const bool per_head = L.time_decay.size() == H;
    Vec w(C), u(C);
    for (size_t c = 0; c < C; c++) {
      w[c] = std::exp(-std::exp(L.time_decay[per_head ? c / N : c]));
      u[c] = !L.time_faaaa.empty() ? L.time_faaaa[c] : std::exp(L.time_first[per_head ? c / N : c]);
    }
    Vec y = group_norm(wkv56(r, k, v, w, u, S), L.ln_x_w, L.ln_x_b);
    if (!L.gate.m.empty()) {
      const Vec g = mix(xx, prev, L.time_mix_g) * L.gate;
      for (size_t c = 0; c < C; c++) y[c] *= g[c] * sigmoid(g[c]);
    }
    return y * L.output;
  }

  Vec tmix_v6(const Layer& L, const Vec& xx, const Vec& prev, Vec& S) const {
    const size_t C = xx.size(), D = L.maa_w1.out / 5;
    Vec m = lerp(xx, prev, L.maa_x) * L.maa_w1;
    for (double& e : m) e = std::tanh(e);
    Vec mixed[5];
    for (size_t j = 0; j < 5; j++) {
      const Vec mj = Vec(m.begin() + long(j * D), m.begin() + long((j + 1) * D)) * L.maa_w2[j];
      mixed[j] = lerp(xx, prev, L.maa[j], &mj);
    }
    Vec dm = mixed[0] * L.decay_w1;
    for (double& e : dm) e = std::tanh(e);
    const Vec dd = dm * L.decay_w2;
    Vec w(C);
    for (size_t c = 0; c < C; c++) w[c] = std::exp(-std::exp(L.time_decay[c] + dd[c]));
    const Vec k = mixed[1] * L.key, v = mixed[2] * L.value, r = mixed[3] * L.receptance, g = mixed[4] * L.gate;
    Vec y = group_norm(wkv56(r, k, v, w, L.time_faaaa, S), L.ln_x_w, L.ln_x_b);
    for (size_t c = 0; c < C; c++) y[c] *= g[c] * sigmoid(g[c]);
    return y * L.output;
  }

  Vec tmix_v7(const Layer& L, size_t l, const Vec& xx, const Vec& prev, Vec& S, Vec& v_first) const {
    const size_t C = xx.size(), H = size_t(i_.n_head), N = size_t(i_.head_size);
    const Vec xr = lerp(xx, prev, L.x_r), xw = lerp(xx, prev, L.x_w), xk = lerp(xx, prev, L.x_k),
              xv = lerp(xx, prev, L.x_v), xa = lerp(xx, prev, L.x_a), xg = lerp(xx, prev, L.x_g);
    auto lora = [](const Vec& x, const Mat& A, const Mat& B, int act) {
      Vec h = x * A;
      for (double& e : h) e = act == 1 ? std::tanh(e) : act == 2 ? sigmoid(e) : e;
      return h * B;
    };
    const Vec r = xr * L.receptance;
    Vec k = xk * L.key;
    Vec v = xv * L.value;
    const Vec wl = lora(xw, L.w1, L.w2, 1), al = lora(xa, L.a1, L.a2, 0), g = lora(xg, L.g1, L.g2, 2);
    Vec w(C), a(C), kk(C);
    for (size_t c = 0; c < C; c++) {
      w[c] = std::exp(-std::exp(-0.5) * sigmoid(L.w0[c] + wl[c]));
      a[c] = sigmoid(L.a0[c] + al[c]);
      kk[c] = k[c] * L.k_k[c];
    }
    for (size_t h = 0; h < H; h++) {
      double n = 0;
      for (size_t j = 0; j < N; j++) n += kk[h * N + j] * kk[h * N + j];
      n = std::max(std::sqrt(n), 1e-12);
      for (size_t j = 0; j < N; j++) kk[h * N + j] /= n;
    }
    for (size_t c = 0; c < C; c++) k[c] *= 1 + (a[c] - 1) * L.k_a[c];
    if (l == 0) {
      v_first = v;
    } else {
      const Vec vl = lora(xv, L.v1, L.v2, 0);
      for (size_t c = 0; c < C; c++) v[c] += (v_first[c] - v[c]) * sigmoid(L.v0[c] + vl[c]);
    }
    Vec y(C), sa(N);
    for (size_t h = 0; h < H; h++) {
      const size_t o = h * N;
      v7_head(&S[o * N], &y[o], sa.data(), &r[o], &w[o], &k[o], &v[o], &kk[o], &a[o], N);
    }
    y = group_norm(y, L.ln_x_w, L.ln_x_b);
    for (size_t h = 0; h < H; h++) {
      double s = 0;
      for (size_t j = 0; j < N; j++) s += r[h * N + j] * k[h * N + j] * L.r_k[h * N + j];
      for (size_t j = 0; j < N; j++) y[h * N + j] += s * v[h * N + j];
    }
    for (size_t c = 0; c < C; c++) y[c] *= g[c];
    return y * L.output;
  }

  Vec channel_mix(const Layer& L, const Vec& xx, Vec& ffn_x) const {
    const Vec prev = ffn_x;
    ffn_x = xx;
    const bool lerped = i_.arch == Arch::V6 || i_.arch == Arch::V7;
    Vec h = (lerped ? lerp(xx, prev, L.ffn_mix_k) : mix(xx, prev, L.ffn_mix_k)) * L.ffn_key;
    relu_squared(h.data(), h.size());
    Vec out = h * L.ffn_value;
    if (i_.arch != Arch::V7) {
      const Vec r = (lerped ? lerp(xx, prev, L.ffn_mix_r) : mix(xx, prev, L.ffn_mix_r)) * L.ffn_receptance;
      for (size_t c = 0; c < out.size(); c++) out[c] *= sigmoid(r[c]);
    }
    return out;
  }

  rwkv::ModelInfo i_;
  Mat emb_, head_;
  Vec ln0_w_, ln0_b_, ln_out_w_, ln_out_b_;
  std::vector<Layer> layers_;
};

}  // namespace reference64
