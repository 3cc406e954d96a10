#include "rwkv/sampler.h"

#include <algorithm>
#include <cmath>

#include "rwkv/error.h"

namespace rwkv {

Sampler::Sampler(const SamplerParams& params) : params_(params), rng_(params.seed) {
  if (!(params.temperature >= 0) || !std::isfinite(params.temperature))
    throw Error("sampler: temperature must be >= 0, got " + std::to_string(params.temperature));
  if (!(params.top_p > 0 && params.top_p <= 1))
    throw Error("sampler: top_p must be in (0, 1], got " + std::to_string(params.top_p));
  if (params.top_k < 0) throw Error("sampler: top_k must be >= 0, got " + std::to_string(params.top_k));
}

void Sampler::accept(uint32_t token) { counts_[token]++; }

void Sampler::reset() {
  counts_.clear();
  rng_.seed(params_.seed);
}

uint32_t Sampler::sample(std::span<const float> logits) {
  if (logits.empty()) throw Error("sampler: no logits");
  work_.assign(logits.begin(), logits.end());
  for (const auto& [tok, n] : counts_)
    if (tok < work_.size()) work_[tok] -= params_.presence_penalty + params_.frequency_penalty * float(n);

  const size_t V = work_.size();
  if (params_.temperature == 0) {  // greedy; the first maximum wins
    size_t best = 0;
    for (size_t i = 1; i < V; i++)
      if (work_[i] > work_[best]) best = i;
    return uint32_t(best);
  }
  // Probabilities at this temperature, in double for a stable sum.
  const float inv_t = 1.0f / params_.temperature;
  const float max = *std::max_element(work_.begin(), work_.end());
  order_.resize(V);
  for (size_t i = 0; i < V; i++) order_[i] = uint32_t(i);
  std::vector<double> p(V);
  for (size_t i = 0; i < V; i++) p[i] = std::exp(double((work_[i] - max) * inv_t));
  // Candidates most likely first (ties by id) when top-k or top-p cut the list.
  size_t keep = V;
  const auto more_likely = [&](uint32_t a, uint32_t b) { return p[a] != p[b] ? p[a] > p[b] : a < b; };
  if (params_.top_k > 0 && size_t(params_.top_k) < V) {
    keep = size_t(params_.top_k);
    std::partial_sort(order_.begin(), order_.begin() + std::ptrdiff_t(keep), order_.end(), more_likely);
  } else if (params_.top_p < 1) {
    std::sort(order_.begin(), order_.end(), more_likely);
  }
  double total = 0;
  for (size_t i = 0; i < keep; i++) total += p[order_[i]];
  if (params_.top_p < 1) {
    double cum = 0;
    size_t n = 0;
    while (n < keep) {
      cum += p[order_[n++]];
      if (cum >= params_.top_p * total) break;
    }
    keep = n;
    total = cum;
  }
  // A uniform draw in [0, total) from 53 random bits, the same on every platform.
  const double u = double(rng_() >> 11) * 0x1.0p-53 * total;
  double cum = 0;
  for (size_t i = 0; i < keep; i++) {
    cum += p[order_[i]];
    if (u < cum) return order_[i];
  }
  return order_[keep - 1];
}

}  // namespace rwkv
