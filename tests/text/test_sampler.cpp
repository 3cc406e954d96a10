// The sampler: greedy at temperature 0, seeded reproducibility, the probabilities it
// samples from (temperature, top-k, top-p) and the presence/frequency penalties.
#include <cmath>

#include "rwkv/error.h"
#include "rwkv/sampler.h"
#include "engine/testing.h"

namespace {

std::vector<double> frequencies(rwkv::Sampler& s, const std::vector<float>& logits, int n) {
  std::vector<double> f(logits.size());
  for (int i = 0; i < n; i++) f[s.sample(logits)] += 1.0 / n;
  return f;
}

std::vector<float> log_probs(std::vector<double> p) {
  std::vector<float> l;
  for (double x : p) l.push_back(float(std::log(x)));
  return l;
}

const std::vector<float> kLogits = log_probs({0.5, 0.3, 0.2});

void greedy_case() {
  const std::vector<float>& logits = kLogits;
  rwkv::SamplerParams greedy;
  greedy.temperature = 0;
  rwkv::Sampler g(greedy);
  CHECK(g.sample(logits) == 0);
  CHECK(g.sample(std::vector<float>{1, 3, 3, 2}) == 1);  // lowest id on ties

}

void seeded_case() {
  const std::vector<float>& logits = kLogits;
  // Seeded: the same sequence again, after reset() too; another seed differs.
  rwkv::SamplerParams p;
  p.seed = 99;
  rwkv::Sampler a(p), b(p);
  std::vector<uint32_t> sa, sb;
  for (int i = 0; i < 200; i++) sa.push_back(a.sample(logits)), sb.push_back(b.sample(logits));
  CHECK(sa == sb);
  a.reset();
  for (int i = 0; i < 200; i++) CHECK(a.sample(logits) == sa[size_t(i)]);
  p.seed = 100;
  rwkv::Sampler c(p);
  std::vector<uint32_t> sc;
  for (int i = 0; i < 200; i++) sc.push_back(c.sample(logits));
  CHECK(sc != sa);

}

// Frequencies over many draws, at temperature 1 and 0.5, with top-p and top-k.
void distributions_case() {
  const std::vector<float>& logits = kLogits;
  rwkv::SamplerParams p;
  p.seed = 99;
  rwkv::Sampler a(p);
  const int N = 40000;
  const double tol = 0.015;
  auto f = frequencies(a, logits, N);
  CHECK_MSG(std::fabs(f[0] - 0.5) < tol && std::fabs(f[1] - 0.3) < tol && std::fabs(f[2] - 0.2) < tol,
            "T=1: %g %g %g", f[0], f[1], f[2]);
  // Temperature 0.5 squares the probabilities: .25 .09 .04 over .38.
  p.temperature = 0.5f;
  rwkv::Sampler t(p);
  f = frequencies(t, logits, N);
  CHECK_MSG(std::fabs(f[0] - 0.25 / 0.38) < tol && std::fabs(f[2] - 0.04 / 0.38) < tol, "T=0.5: %g %g %g", f[0], f[1], f[2]);
  // top-p 0.7 keeps {0, 1} (0.8 >= 0.7): 0.625 / 0.375.
  p.temperature = 1;
  p.top_p = 0.7f;
  rwkv::Sampler tp(p);
  f = frequencies(tp, logits, N);
  CHECK_MSG(f[2] == 0 && std::fabs(f[0] - 0.625) < tol, "top-p: %g %g %g", f[0], f[1], f[2]);
  // top-k 2: the same set here; top-k 1 is greedy at any temperature.
  p.top_p = 1;
  p.top_k = 2;
  rwkv::Sampler tk(p);
  f = frequencies(tk, logits, N);
  CHECK(f[2] == 0 && std::fabs(f[0] - 0.625) < tol);
  p.top_k = 1;
  p.temperature = 10;
  rwkv::Sampler k1(p);
  f = frequencies(k1, logits, 1000);
  CHECK(f[0] > 0.9999 && f[1] == 0 && f[2] == 0);

}

void penalties_case() {
  // Penalties: each accepted token's logit drops by presence + count * frequency.
  rwkv::SamplerParams pen;
  pen.temperature = 0;
  pen.presence_penalty = 0.3f;
  rwkv::Sampler pp(pen);
  const std::vector<float> flat = {1.0f, 0.9f, 0.5f};
  CHECK(pp.sample(flat) == 0);
  pp.accept(0);  // 0.7 < 0.9
  CHECK(pp.sample(flat) == 1);
  pen.presence_penalty = 0;
  pen.frequency_penalty = 0.06f;
  rwkv::Sampler fp(pen);
  fp.accept(0);
  CHECK(fp.sample(flat) == 0);  // 0.94 > 0.9
  fp.accept(0);
  CHECK(fp.sample(flat) == 1);  // 0.88 < 0.9
  fp.reset();
  CHECK(fp.sample(flat) == 0);

}

void errors_case() {
  rwkv::SamplerParams bad;
  bad.temperature = -1;
  CHECK_THROWS(rwkv::Sampler{bad}, "temperature");
  bad = {};
  bad.top_p = 0;
  CHECK_THROWS(rwkv::Sampler{bad}, "top_p");
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<testing::Case> cases = {
      {"greedy", greedy_case}, {"seeded", seeded_case}, {"distributions", distributions_case},
      {"penalties", penalties_case}, {"errors", errors_case},
  };
  return testing::run_cases(argc, argv, cases, true);
}
