// Next-token sampling from logits: penalties, temperature, top-k, top-p, seeded RNG.
// Deterministic: the same parameters, seed and logits give the same tokens on any machine.
#pragma once
#include <cstdint>
#include <random>
#include <span>
#include <unordered_map>
#include <vector>

namespace rwkv {

struct SamplerParams {
  float temperature = 1.0f;       // 0: greedy (argmax, lowest id on ties)
  float top_p = 1.0f;             // keep the smallest set of tokens whose probability >= top_p
  int top_k = 0;                  // keep the k most likely tokens; 0: all
  float presence_penalty = 0.0f;  // subtracted from the logit of every token seen so far
  float frequency_penalty = 0.0f; // subtracted once per occurrence
  uint64_t seed = 0;
};

class Sampler {
 public:
  explicit Sampler(const SamplerParams& params = {});
  // Picks a token among logits[0..size); penalties count the tokens passed to accept().
  uint32_t sample(std::span<const float> logits);
  void accept(uint32_t token);
  void reset();  // forgets accepted tokens and reseeds
  const SamplerParams& params() const { return params_; }

 private:
  SamplerParams params_;
  std::mt19937_64 rng_;
  std::unordered_map<uint32_t, uint32_t> counts_;
  std::vector<float> work_;
  std::vector<uint32_t> order_;
};

}  // namespace rwkv
