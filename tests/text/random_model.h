// A small RWKV-4 model with random weights and any n_vocab, for sessions over the World or
// NeoX tokenizers (the tiny test models are byte-level).
#pragma once
#include <memory>
#include <random>
#include <string>

#include "rwkv/model.h"
#include "rwkv/tensor.h"

namespace testing {

inline rwkv::TensorMap random_v4_tensors(int n_vocab, int C = 16, int L = 1, uint32_t seed = 7) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  rwkv::TensorMap m;
  m.format = "random";
  auto put = [&](const std::string& name, std::vector<int64_t> shape, float lo, float hi) {
    size_t n = 1;
    for (int64_t d : shape) n *= size_t(d);
    std::vector<float> v(n);
    for (float& x : v) x = lo + (hi - lo) * 0.5f * (u(rng) + 1.0f);
    m.put_f32(name, std::move(shape), std::move(v));
  };
  const float s = 1.0f / float(C);
  put("emb.weight", {n_vocab, C}, -1, 1);
  put("blocks.0.ln0.weight", {C}, 0.9f, 1.1f);
  put("blocks.0.ln0.bias", {C}, -0.1f, 0.1f);
  for (int l = 0; l < L; l++) {
    const std::string p = "blocks." + std::to_string(l) + ".";
    for (const char* ln : {"ln1", "ln2"}) {
      put(p + ln + ".weight", {C}, 0.9f, 1.1f);
      put(p + ln + ".bias", {C}, -0.1f, 0.1f);
    }
    for (const char* n : {"att.time_mix_k", "att.time_mix_v", "att.time_mix_r", "ffn.time_mix_k", "ffn.time_mix_r"})
      put(p + n, {C}, 0, 1);
    put(p + "att.time_decay", {C}, -4, 1);
    put(p + "att.time_first", {C}, -1, 1);
    for (const char* n : {"att.key.weight", "att.value.weight", "att.receptance.weight", "att.output.weight",
                          "ffn.receptance.weight"})
      put(p + n, {C, C}, -s, s);
    put(p + "ffn.key.weight", {4 * C, C}, -s, s);
    put(p + "ffn.value.weight", {C, 4 * C}, -s, s);
  }
  put("ln_out.weight", {C}, 0.9f, 1.1f);
  put("ln_out.bias", {C}, -0.1f, 0.1f);
  put("head.weight", {n_vocab, C}, -3, 3);
  return m;
}

inline std::shared_ptr<rwkv::Model> random_v4(int n_vocab) {
  rwkv::LoadOptions o;
  o.threads = 1;
  return rwkv::Model::from_tensors(random_v4_tensors(n_vocab), o);
}

}  // namespace testing
