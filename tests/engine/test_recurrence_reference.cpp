// The RWKV-5/6/7 forward pass against a plain float64 implementation of REFERENCE.md's
// equations, written here from the canonical tensors with naive loops (no engine code): the
// logits after every one of a few random tokens, and the state after them in the layout
// state.h documents. Run twice: from the initial state and from a random one (which checks
// the state's orientation as an initial state loader relies on).
// argv[1]: a model file name in ../shared/testdata/rwkvcpp.
#include <cmath>
#include <map>
#include <random>

#include "rwkv/formats.h"
#include "rwkv/model.h"
#include "testing.h"

namespace {

using Vec = std::vector<double>;
using rwkv::Arch;

double sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }

class Reference {
 public:
  Reference(const rwkv::TensorMap& m, const rwkv::ModelInfo& info) : m_(m), i_(info) {}

  const Vec& t(const std::string& name) {
    auto it = cache_.find(name);
    if (it != cache_.end()) return it->second;
    const std::vector<float> f = rwkv::tensor_to_f32(m_.get(name));
    return cache_[name] = Vec(f.begin(), f.end());
  }
  const Vec& L(int l, const std::string& s) { return t("blocks." + std::to_string(l) + "." + s); }
  bool has(int l, const std::string& s) const { return m_.has("blocks." + std::to_string(l) + "." + s); }

  // y = W x for W [out, in] (PyTorch Linear).
  static Vec linear(const Vec& W, const Vec& x) {
    const size_t in = x.size(), out = W.size() / in;
    Vec y(out, 0.0);
    for (size_t o = 0; o < out; o++)
      for (size_t i = 0; i < in; i++) y[o] += W[o * in + i] * x[i];
    return y;
  }
  // y = x @ M for M [in, out] (BlinkDL's low-rank factors), starting at element `first` of M.
  static Vec right(const Vec& x, const Vec& M, size_t out, size_t first = 0) {
    Vec y(out, 0.0);
    for (size_t i = 0; i < x.size(); i++)
      for (size_t o = 0; o < out; o++) y[o] += x[i] * M[first + i * out + o];
    return y;
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
  Vec group_norm(const Vec& x, const Vec& w, const Vec& b) {
    const size_t H = size_t(i_.n_head), N = size_t(i_.head_size);
    Vec y(x.size());
    for (size_t h = 0; h < H; h++) {
      const Vec g = layer_norm(x, w, b, i_.groupnorm_eps, h * N, N);
      for (size_t j = 0; j < N; j++) y[h * N + j] = g[j];
    }
    return y;
  }

  // Per layer: att_x [C], ffn_x [C], S [H][N][N] (as state.h documents the engine's).
  struct LayerState {
    Vec att_x, ffn_x, S;
  };

  Vec forward(uint32_t token, std::vector<LayerState>& st) {
    const size_t C = size_t(i_.n_embd);
    const Vec& emb = t("emb.weight");
    Vec x(emb.begin() + long(token * C), emb.begin() + long((token + 1) * C));
    x = layer_norm(x, t("blocks.0.ln0.weight"), t("blocks.0.ln0.bias"), 1e-5);
    v_first_.clear();
    for (int l = 0; l < i_.n_layer; l++) {
      Vec xx = layer_norm(x, L(l, "ln1.weight"), L(l, "ln1.bias"), 1e-5);
      const Vec a = time_mix(l, xx, st[size_t(l)]);
      for (size_t c = 0; c < C; c++) x[c] += a[c];
      xx = layer_norm(x, L(l, "ln2.weight"), L(l, "ln2.bias"), 1e-5);
      const Vec f = channel_mix(l, xx, st[size_t(l)].ffn_x);
      for (size_t c = 0; c < C; c++) x[c] += f[c];
    }
    return linear(t("head.weight"), layer_norm(x, t("ln_out.weight"), t("ln_out.bias"), 1e-5));
  }

 private:
  Vec time_mix(int l, const Vec& xx, LayerState& s) {
    const Vec prev = s.att_x;
    s.att_x = xx;
    switch (i_.arch) {
      case Arch::V5_1:
      case Arch::V5_2: return tmix_v5(l, xx, prev, s.S);
      case Arch::V6: return tmix_v6(l, xx, prev, s.S);
      default: return tmix_v7(l, xx, prev, s.S);
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

  // REFERENCE.md, RWKV-5.2: per head y[j] = Σ_i r[i](u[i]k[i]v[j] + S[i][j]); S = w S + k v.
  Vec wkv56(const Vec& r, const Vec& k, const Vec& v, const Vec& w, const Vec& u, Vec& S) {
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

  Vec tmix_v5(int l, const Vec& xx, const Vec& prev, Vec& S) {
    const size_t C = xx.size(), H = size_t(i_.n_head), N = size_t(i_.head_size);
    const Vec r = linear(L(l, "att.receptance.weight"), mix(xx, prev, L(l, "att.time_mix_r")));
    const Vec k = linear(L(l, "att.key.weight"), mix(xx, prev, L(l, "att.time_mix_k")));
    const Vec v = linear(L(l, "att.value.weight"), mix(xx, prev, L(l, "att.time_mix_v")));
    const Vec& td = L(l, "att.time_decay");
    const bool per_head = td.size() == H;
    Vec w(C), u(C);
    for (size_t c = 0; c < C; c++) {
      w[c] = std::exp(-std::exp(td[per_head ? c / N : c]));
      u[c] = has(l, "att.time_faaaa") ? L(l, "att.time_faaaa")[c]
                                      : std::exp(L(l, "att.time_first")[per_head ? c / N : c]);
    }
    Vec y = group_norm(wkv56(r, k, v, w, u, S), L(l, "att.ln_x.weight"), L(l, "att.ln_x.bias"));
    if (has(l, "att.gate.weight")) {
      const Vec g = linear(L(l, "att.gate.weight"), mix(xx, prev, L(l, "att.time_mix_g")));
      for (size_t c = 0; c < C; c++) y[c] *= g[c] * sigmoid(g[c]);
    }
    return linear(L(l, "att.output.weight"), y);
  }

  Vec tmix_v6(int l, const Vec& xx, const Vec& prev, Vec& S) {
    const size_t C = xx.size();
    const Vec& w1 = L(l, "att.time_maa_w1");  // [C, 5D]
    const size_t D = w1.size() / C / 5;
    Vec m = right(lerp(xx, prev, L(l, "att.time_maa_x")), w1, 5 * D);
    for (double& e : m) e = std::tanh(e);
    const Vec& w2 = L(l, "att.time_maa_w2");  // [5, D, C]
    Vec mixed[5];
    const char* names[5] = {"att.time_maa_w", "att.time_maa_k", "att.time_maa_v", "att.time_maa_r", "att.time_maa_g"};
    for (size_t j = 0; j < 5; j++) {
      const Vec mj = right(Vec(m.begin() + long(j * D), m.begin() + long((j + 1) * D)), w2, C, j * D * C);
      mixed[j] = lerp(xx, prev, L(l, names[j]), &mj);
    }
    const Vec& dw1 = L(l, "att.time_decay_w1");  // [C, Dd]
    Vec dm = right(mixed[0], dw1, dw1.size() / C);
    for (double& e : dm) e = std::tanh(e);
    const Vec dd = right(dm, L(l, "att.time_decay_w2"), C);
    const Vec& td = L(l, "att.time_decay");
    Vec w(C);
    for (size_t c = 0; c < C; c++) w[c] = std::exp(-std::exp(td[c] + dd[c]));
    const Vec k = linear(L(l, "att.key.weight"), mixed[1]);
    const Vec v = linear(L(l, "att.value.weight"), mixed[2]);
    const Vec r = linear(L(l, "att.receptance.weight"), mixed[3]);
    const Vec g = linear(L(l, "att.gate.weight"), mixed[4]);
    Vec y = group_norm(wkv56(r, k, v, w, L(l, "att.time_faaaa"), S), L(l, "att.ln_x.weight"), L(l, "att.ln_x.bias"));
    for (size_t c = 0; c < C; c++) y[c] *= g[c] * sigmoid(g[c]);
    return linear(L(l, "att.output.weight"), y);
  }

  Vec tmix_v7(int l, const Vec& xx, const Vec& prev, Vec& S) {
    const size_t C = xx.size(), H = size_t(i_.n_head), N = size_t(i_.head_size);
    const Vec xr = lerp(xx, prev, L(l, "att.x_r")), xw = lerp(xx, prev, L(l, "att.x_w")),
              xk = lerp(xx, prev, L(l, "att.x_k")), xv = lerp(xx, prev, L(l, "att.x_v")),
              xa = lerp(xx, prev, L(l, "att.x_a")), xg = lerp(xx, prev, L(l, "att.x_g"));
    auto lora = [&](const Vec& x, const char* n1, const char* n2, int act) {
      const Vec& A = L(l, n1);
      Vec h = right(x, A, A.size() / C);
      for (double& e : h) e = act == 1 ? std::tanh(e) : act == 2 ? sigmoid(e) : e;
      return right(h, L(l, n2), C);
    };
    const Vec r = linear(L(l, "att.receptance.weight"), xr);
    Vec k = linear(L(l, "att.key.weight"), xk);
    Vec v = linear(L(l, "att.value.weight"), xv);
    const Vec wl = lora(xw, "att.w1", "att.w2", 1), al = lora(xa, "att.a1", "att.a2", 0),
              g = lora(xg, "att.g1", "att.g2", 2);
    Vec w(C), a(C), kk(C);
    for (size_t c = 0; c < C; c++) {
      w[c] = std::exp(-std::exp(-0.5) * sigmoid(L(l, "att.w0")[c] + wl[c]));
      a[c] = sigmoid(L(l, "att.a0")[c] + al[c]);
      kk[c] = k[c] * L(l, "att.k_k")[c];
    }
    for (size_t h = 0; h < H; h++) {
      double n = 0;
      for (size_t j = 0; j < N; j++) n += kk[h * N + j] * kk[h * N + j];
      n = std::max(std::sqrt(n), 1e-12);
      for (size_t j = 0; j < N; j++) kk[h * N + j] /= n;
    }
    for (size_t c = 0; c < C; c++) k[c] *= 1 + (a[c] - 1) * L(l, "att.k_a")[c];
    if (l == 0) {
      v_first_ = v;
    } else {
      const Vec vl = lora(xv, "att.v1", "att.v2", 0);
      for (size_t c = 0; c < C; c++) v[c] += (v_first_[c] - v[c]) * sigmoid(L(l, "att.v0")[c] + vl[c]);
    }
    // Per head, S[vi][ki]: sa = Σ_j S[vi][j](-kk[j]); S = S w + v kᵀ + sa (kk a)ᵀ; y = S r.
    Vec y(C, 0.0);
    for (size_t h = 0; h < H; h++)
      for (size_t vi = 0; vi < N; vi++) {
        double* row = &S[(h * N + vi) * N];
        double sa = 0;
        for (size_t j = 0; j < N; j++) sa += row[j] * -kk[h * N + j];
        for (size_t j = 0; j < N; j++) {
          const size_t cj = h * N + j;
          row[j] = row[j] * w[cj] + v[h * N + vi] * k[cj] + sa * kk[cj] * a[cj];
          y[h * N + vi] += row[j] * r[cj];
        }
      }
    y = group_norm(y, L(l, "att.ln_x.weight"), L(l, "att.ln_x.bias"));
    const Vec& r_k = L(l, "att.r_k");
    for (size_t h = 0; h < H; h++) {
      double s = 0;
      for (size_t j = 0; j < N; j++) s += r[h * N + j] * k[h * N + j] * r_k[h * N + j];
      for (size_t j = 0; j < N; j++) y[h * N + j] += s * v[h * N + j];
    }
    for (size_t c = 0; c < C; c++) y[c] *= g[c];
    return linear(L(l, "att.output.weight"), y);
  }

  Vec channel_mix(int l, const Vec& xx, Vec& ffn_x) {
    const Vec prev = ffn_x;
    ffn_x = xx;
    Vec xk, xr;
    if (i_.arch == Arch::V7) {
      xk = lerp(xx, prev, L(l, "ffn.x_k"));
    } else if (i_.arch == Arch::V6) {
      xk = lerp(xx, prev, L(l, "ffn.time_maa_k"));
      xr = lerp(xx, prev, L(l, "ffn.time_maa_r"));
    } else {
      xk = mix(xx, prev, L(l, "ffn.time_mix_k"));
      xr = mix(xx, prev, L(l, "ffn.time_mix_r"));
    }
    Vec h = linear(L(l, "ffn.key.weight"), xk);
    for (double& e : h) e = std::max(e, 0.0) * std::max(e, 0.0);
    Vec out = linear(L(l, "ffn.value.weight"), h);
    if (i_.arch != Arch::V7) {
      const Vec r = linear(L(l, "ffn.receptance.weight"), xr);
      for (size_t c = 0; c < out.size(); c++) out[c] *= sigmoid(r[c]);
    }
    return out;
  }

  const rwkv::TensorMap& m_;
  rwkv::ModelInfo i_;
  std::map<std::string, Vec> cache_;
  Vec v_first_;
};

// The engine's state as the reference's per-layer vectors (state.h: att_x, ffn_x, S).
std::vector<Reference::LayerState> split(const rwkv::State& s, const rwkv::ModelInfo& info) {
  const size_t C = size_t(info.n_embd);
  std::vector<Reference::LayerState> out;
  for (int l = 0; l < info.n_layer; l++) {
    auto p = s.layer(l);
    out.push_back({Vec(p.begin(), p.begin() + long(C)), Vec(p.begin() + long(C), p.begin() + long(2 * C)),
                   Vec(p.begin() + long(2 * C), p.end())});
  }
  return out;
}

double max_rel_diff(const Vec& ref, std::span<const float> got) {
  double m = ref.size() == got.size() ? 0 : INFINITY;
  for (size_t i = 0; i < ref.size() && i < got.size(); i++)
    m = std::max(m, std::fabs(double(got[i]) - ref[i]) / (1 + std::fabs(ref[i])));
  return m;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string dir = testing::require_testdata() + "/rwkvcpp/";
  if (argc < 2) {
    std::fprintf(stderr, "usage: test_recurrence_reference MODEL_FILE\n");
    return 2;
  }
  const std::string path = dir + argv[1];
  auto model = rwkv::Model::load(path);
  const rwkv::ModelInfo& info = model->info();
  CHECK_MSG(info.arch != Arch::V4, "%s is RWKV-4; this test covers v5, v6 and v7", argv[1]);
  const rwkv::TensorMap canonical = rwkv::load_checkpoint(path);
  Reference ref(canonical, info);

  std::mt19937 rng(1234);
  std::vector<uint32_t> tokens(5);
  for (auto& t : tokens) t = rng() % uint32_t(info.n_vocab);
  const size_t V = size_t(info.n_vocab);

  for (int from_random = 0; from_random < 2; from_random++) {
    rwkv::State s = model->new_state();
    if (from_random) {
      std::uniform_real_distribution<float> u(-1.0f, 1.0f);
      for (float& f : s.data()) f = u(rng);
    }
    std::vector<Reference::LayerState> rs = split(s, info);
    std::vector<float> logits(tokens.size() * V);
    model->eval(s, tokens, logits.data(), rwkv::Logits::All);

    double worst_logit = 0;
    for (size_t i = 0; i < tokens.size(); i++) {
      const Vec want = ref.forward(tokens[i], rs);
      worst_logit = std::max(worst_logit, max_rel_diff(want, std::span<const float>(logits.data() + i * V, V)));
    }
    double worst_state = 0;
    for (int l = 0; l < info.n_layer; l++) {
      Vec flat = rs[size_t(l)].att_x;
      flat.insert(flat.end(), rs[size_t(l)].ffn_x.begin(), rs[size_t(l)].ffn_x.end());
      flat.insert(flat.end(), rs[size_t(l)].S.begin(), rs[size_t(l)].S.end());
      worst_state = std::max(worst_state, max_rel_diff(flat, s.layer(l)));
    }
    std::printf("%s from %s state: logits max rel diff %.3g, state %.3g\n", argv[1],
                from_random ? "a random" : "the initial", worst_logit, worst_state);
    CHECK_MSG(worst_logit <= 1e-4, "logits differ from the float64 reference by %g", worst_logit);
    CHECK_MSG(worst_state <= 1e-4, "state differs from the float64 reference by %g", worst_state);
  }
  return testing::finish();
}
