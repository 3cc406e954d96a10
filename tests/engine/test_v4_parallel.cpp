// The paper's parallel ("transformer") formulation of RWKV-4, written naively in float64 here
// from the canonical tensors, against the engine's recurrent fp32 forward pass: every token's
// logits over a 64-token prompt.
//   wkv_t = (sum_{i<t} e^{-(t-1-i)w + k_i} v_i + e^{u+k_t} v_t) / (same with v_i = 1), w = e^{time_decay}
#include <random>

#include "rwkv/formats.h"
#include "rwkv/model.h"
#include "testing.h"

namespace {

using Vec = std::vector<double>;

struct Ref {
  const rwkv::TensorMap& m;
  int C;
  Vec get(const std::string& n) const {
    const auto f = rwkv::tensor_to_f32(m.get(n));
    return Vec(f.begin(), f.end());
  }
  Vec ln(const Vec& x, const std::string& p) const {
    const Vec w = get(p + ".weight"), b = get(p + ".bias");
    double mean = 0, var = 0;
    for (double v : x) mean += v;
    mean /= double(x.size());
    for (double v : x) var += (v - mean) * (v - mean);
    var /= double(x.size());
    Vec o(x.size());
    for (size_t i = 0; i < x.size(); i++) o[i] = (x[i] - mean) / std::sqrt(var + 1e-5) * w[i] + b[i];
    return o;
  }
  Vec mv(const std::string& n, const Vec& x) const {  // W x, W [rows, cols]
    const rwkv::Tensor& t = m.get(n);
    const Vec w = get(n);
    const size_t rows = size_t(t.shape[0]), cols = size_t(t.shape[1]);
    Vec y(rows, 0.0);
    for (size_t r = 0; r < rows; r++)
      for (size_t c = 0; c < cols; c++) y[r] += w[r * cols + c] * x[c];
    return y;
  }
};

double sig(double x) { return 1 / (1 + std::exp(-x)); }

// Logits for every position of `toks`, computed over the whole sequence at once.
std::vector<Vec> parallel_forward(const rwkv::TensorMap& m, const std::vector<uint32_t>& toks, int L) {
  Ref R{m, int(m.get("emb.weight").shape[1])};
  const size_t T = toks.size(), C = size_t(R.C);
  const Vec emb = R.get("emb.weight");
  std::vector<Vec> x(T);
  for (size_t t = 0; t < T; t++) x[t] = R.ln(Vec(emb.begin() + long(toks[t] * C), emb.begin() + long((toks[t] + 1) * C)), "blocks.0.ln0");
  for (int l = 0; l < L; l++) {
    const std::string p = "blocks." + std::to_string(l) + ".";
    std::vector<Vec> xx(T), k(T), v(T), r(T);
    for (size_t t = 0; t < T; t++) xx[t] = R.ln(x[t], p + "ln1");
    const Vec mk = R.get(p + "att.time_mix_k"), mvv = R.get(p + "att.time_mix_v"), mr = R.get(p + "att.time_mix_r");
    const Vec td = R.get(p + "att.time_decay"), u = R.get(p + "att.time_first");
    for (size_t t = 0; t < T; t++) {
      Vec xk(C), xv(C), xr(C);
      for (size_t c = 0; c < C; c++) {
        const double prev = t ? xx[t - 1][c] : 0.0;
        xk[c] = xx[t][c] * mk[c] + prev * (1 - mk[c]);
        xv[c] = xx[t][c] * mvv[c] + prev * (1 - mvv[c]);
        xr[c] = xx[t][c] * mr[c] + prev * (1 - mr[c]);
      }
      k[t] = R.mv(p + "att.key.weight", xk);
      v[t] = R.mv(p + "att.value.weight", xv);
      r[t] = R.mv(p + "att.receptance.weight", xr);
    }
    for (size_t t = 0; t < T; t++) {
      Vec rwkv(C);
      for (size_t c = 0; c < C; c++) {
        const double w = std::exp(td[c]);
        // Exponents of every term, shifted by their max for range safety.
        double top = u[c] + k[t][c];
        for (size_t i = 0; i < t; i++) top = std::max(top, -double(t - 1 - i) * w + k[i][c]);
        double num = std::exp(u[c] + k[t][c] - top) * v[t][c], den = std::exp(u[c] + k[t][c] - top);
        for (size_t i = 0; i < t; i++) {
          const double e = std::exp(-double(t - 1 - i) * w + k[i][c] - top);
          num += e * v[i][c];
          den += e;
        }
        rwkv[c] = sig(r[t][c]) * num / den;
      }
      const Vec o = R.mv(p + "att.output.weight", rwkv);
      for (size_t c = 0; c < C; c++) x[t][c] += o[c];
    }
    for (size_t t = 0; t < T; t++) xx[t] = R.ln(x[t], p + "ln2");
    const Vec fk = R.get(p + "ffn.time_mix_k"), fr = R.get(p + "ffn.time_mix_r");
    for (size_t t = 0; t < T; t++) {
      Vec xk(C), xr(C);
      for (size_t c = 0; c < C; c++) {
        const double prev = t ? xx[t - 1][c] : 0.0;
        xk[c] = xx[t][c] * fk[c] + prev * (1 - fk[c]);
        xr[c] = xx[t][c] * fr[c] + prev * (1 - fr[c]);
      }
      Vec h = R.mv(p + "ffn.key.weight", xk);
      for (double& e : h) e = std::max(e, 0.0) * std::max(e, 0.0);
      const Vec vv = R.mv(p + "ffn.value.weight", h), rr = R.mv(p + "ffn.receptance.weight", xr);
      for (size_t c = 0; c < C; c++) x[t][c] += sig(rr[c]) * vv[c];
    }
  }
  std::vector<Vec> logits(T);
  for (size_t t = 0; t < T; t++) logits[t] = R.mv("head.weight", R.ln(x[t], "ln_out"));
  return logits;
}

}  // namespace

int main() {
  const std::string path = testing::require_testdata() + "/rwkvcpp/tiny-rwkv-4v0-660K-FP32.bin";
  auto model = rwkv::Model::load(path);
  const rwkv::TensorMap canon = rwkv::load_checkpoint(path);
  std::mt19937 rng(3);
  std::vector<uint32_t> toks(64);
  for (auto& t : toks) t = rng() % 256;
  const auto ref = parallel_forward(canon, toks, model->info().n_layer);

  const size_t V = 256;
  std::vector<float> got(toks.size() * V);
  rwkv::State s = model->new_state();
  model->eval(s, toks, got.data(), rwkv::Logits::All);
  double worst = 0;
  for (size_t t = 0; t < toks.size(); t++)
    for (size_t i = 0; i < V; i++) worst = std::max(worst, std::fabs(ref[t][i] - double(got[t * V + i])));
  std::printf("parallel (float64) vs recurrent (fp32), 64 tokens: max |logit diff| %.3g\n", worst);
  CHECK_MSG(worst <= 1e-4, "parallel form differs by %g", worst);
  return testing::finish();
}
