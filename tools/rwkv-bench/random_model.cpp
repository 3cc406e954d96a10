#include "random_model.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <thread>
#include <vector>

#include "kernels/half.h"
#include "rwkv/error.h"

namespace rwkv::bench {

namespace {

const Shape kShapes[] = {
    {"rwkv4-169m", "rwkv4", 768, 12, 50277},  {"rwkv4-430m", "rwkv4", 1024, 24, 50277},
    {"rwkv4-1.5b", "rwkv4", 2048, 24, 50277}, {"rwkv4-3b", "rwkv4", 2560, 32, 50277},
    {"rwkv4-7b", "rwkv4", 4096, 32, 50277},   {"rwkv5-0.4b", "rwkv5", 1024, 24, 65536},
    {"rwkv6-1.6b", "rwkv6", 2048, 24, 65536}, {"rwkv7-0.1b", "rwkv7", 768, 12, 65536},
    {"rwkv7-1.5b", "rwkv7", 2048, 24, 65536}, {"rwkv7-7.2b", "rwkv7", 4096, 32, 65536},
};

constexpr int kHeadSize = 64;  // every released RWKV-7

// RWKV-7's low-rank sizes as BlinkDL's training code suggests them:
// max(32, round(f(C) / 32) * 32), f = 1.8 sqrt(C) (decay, a), 1.3 sqrt(C) (value), 0.6 C^0.8 (gate).
int lora_rank(double f) { return std::max(32, int(std::lround(f / 32)) * 32); }

// A counter-based generator (splitmix64 of seed and index), so a tensor fills in parallel
// and the same values come out whatever the thread count.
float uniform(uint64_t seed, uint64_t i) {  // [-1, 1)
  uint64_t z = seed + (i + 1) * 0x9e3779b97f4a7c15ull;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  z ^= z >> 31;
  return float(int64_t(z >> 40) - (int64_t(1) << 23)) / float(1 << 23);
}

template <class Fn>
void parallel(size_t n, const Fn& fn) {
  const size_t threads = std::max<size_t>(1, std::min<size_t>(std::thread::hardware_concurrency(), n / (1 << 20) + 1));
  std::vector<std::thread> pool;
  for (size_t t = 0; t < threads; t++)
    pool.emplace_back([&, t] { fn(n * t / threads, n * (t + 1) / threads); });
  for (auto& th : pool) th.join();
}

class Builder {
 public:
  Builder(TensorMap& m, DType dtype, uint64_t seed) : m_(m), dtype_(dtype), seed_(seed * 0x2545f4914f6cdd1dull) {}

  // Values uniform in [-1, 1) / sqrt(cols): unit-scale outputs for unit-scale inputs.
  void matrix(const std::string& name, std::vector<int64_t> shape) {
    Tensor t;
    t.name = name;
    t.dtype = dtype_;
    t.shape = std::move(shape);
    const size_t n = size_t(t.numel());
    t.nbytes = dtype_bytes(dtype_, n);
    uint8_t* p = m_.allocate(t.nbytes);
    const float scale = 1.0f / std::sqrt(float(t.shape.back()));
    const uint64_t seed = next_seed();
    const DType d = dtype_;
    parallel(n, [&](size_t a, size_t b) {
      for (size_t i = a; i < b; i++) {
        const float v = uniform(seed, i) * scale;
        if (d == DType::F32) std::memcpy(p + 4 * i, &v, 4);
        else {
          const uint16_t h = d == DType::F16 ? float_to_half(v) : float_to_bf16(v);
          std::memcpy(p + 2 * i, &h, 2);
        }
      }
    });
    t.data = p;
    m_.add(std::move(t));
  }
  void matrix(const std::string& name, int rows, int cols) { matrix(name, {rows, cols}); }

  // Values uniform in [lo, hi), fp32.
  void vec(const std::string& name, std::vector<int64_t> shape, float lo, float hi) {
    int64_t n = 1;
    for (int64_t d : shape) n *= d;
    std::vector<float> v(static_cast<size_t>(n));
    const uint64_t seed = next_seed();
    for (size_t i = 0; i < v.size(); i++) v[i] = lo + (hi - lo) * 0.5f * (uniform(seed, i) + 1.0f);
    m_.put_f32(name, std::move(shape), std::move(v));
  }
  void vec(const std::string& name, int n, float lo, float hi) { vec(name, std::vector<int64_t>{n}, lo, hi); }
  void ln(const std::string& prefix, int n) {
    vec(prefix + ".weight", n, 0.9f, 1.1f);
    vec(prefix + ".bias", n, -0.05f, 0.05f);
  }

 private:
  uint64_t next_seed() { return seed_ += 0x632be59bd9b4e019ull; }
  TensorMap& m_;
  DType dtype_;
  uint64_t seed_;
};

void rwkv4_layers(Builder& b, const Shape& s) {
  const int C = s.n_embd, F = 4 * C;
  for (int l = 0; l < s.n_layer; l++) {
    const std::string p = "blocks." + std::to_string(l) + ".";
    b.ln(p + "ln1", C);
    b.ln(p + "ln2", C);
    for (const char* n : {"att.time_mix_k", "att.time_mix_v", "att.time_mix_r", "ffn.time_mix_k", "ffn.time_mix_r"})
      b.vec(p + n, C, 0.0f, 1.0f);
    b.vec(p + "att.time_decay", C, -4.0f, 1.0f);
    b.vec(p + "att.time_first", C, -1.0f, 1.0f);
    for (const char* n : {"att.key.weight", "att.value.weight", "att.receptance.weight", "att.output.weight",
                          "ffn.receptance.weight"})
      b.matrix(p + n, C, C);
    b.matrix(p + "ffn.key.weight", F, C);
    b.matrix(p + "ffn.value.weight", C, F);
  }
}

// The channel mix of RWKV-4 to 6 (mixes named time_mix_* up to 5, time_maa_* in 6).
void gated_channel_mix(Builder& b, const std::string& p, int C, int F, const char* mix) {
  b.vec(p + "ffn." + mix + "_k", {1, 1, C}, 0.0f, 1.0f);
  b.vec(p + "ffn." + mix + "_r", {1, 1, C}, 0.0f, 1.0f);
  b.matrix(p + "ffn.key.weight", F, C);
  b.matrix(p + "ffn.value.weight", C, F);
  b.matrix(p + "ffn.receptance.weight", C, C);
}

// What RWKV-5.2 and 6 share in the time mix: the per-head bonus, the GroupNorm, the five
// square matrices (gate included).
void gated_heads(Builder& b, const std::string& p, int C) {
  b.vec(p + "att.time_faaaa", {C / kHeadSize, kHeadSize}, -1.0f, 1.0f);
  b.ln(p + "att.ln_x", C);
  for (const char* n : {"att.key.weight", "att.value.weight", "att.receptance.weight", "att.gate.weight",
                        "att.output.weight"})
    b.matrix(p + n, C, C);
}

// docs/REFERENCE.md, RWKV-5.2: time_mix_{k,v,r,g} [1,1,C]; time_decay, time_faaaa [H,N]; gate.
void rwkv5_layers(Builder& b, const Shape& s) {
  const int C = s.n_embd, F = int(3.5 * C) / 32 * 32, H = C / kHeadSize;
  for (int l = 0; l < s.n_layer; l++) {
    const std::string p = "blocks." + std::to_string(l) + ".";
    b.ln(p + "ln1", C);
    b.ln(p + "ln2", C);
    for (const char* n : {"att.time_mix_k", "att.time_mix_v", "att.time_mix_r", "att.time_mix_g"})
      b.vec(p + n, {1, 1, C}, 0.0f, 1.0f);
    b.vec(p + "att.time_decay", {H, kHeadSize}, -4.0f, 1.0f);
    gated_heads(b, p, C);
    gated_channel_mix(b, p, C, F, "time_mix");
  }
}

// docs/REFERENCE.md, RWKV-6: time_maa_{x,w,k,v,r,g} [1,1,C]; time_maa_w1 [C,5*32], time_maa_w2
// [5,32,C]; time_decay [1,1,C] with a rank-64 LoRA; time_faaaa [H,N].
void rwkv6_layers(Builder& b, const Shape& s) {
  const int C = s.n_embd, F = int(3.5 * C) / 32 * 32;
  for (int l = 0; l < s.n_layer; l++) {
    const std::string p = "blocks." + std::to_string(l) + ".";
    b.ln(p + "ln1", C);
    b.ln(p + "ln2", C);
    for (const char* n : {"att.time_maa_x", "att.time_maa_w", "att.time_maa_k", "att.time_maa_v", "att.time_maa_r",
                          "att.time_maa_g"})
      b.vec(p + n, {1, 1, C}, 0.0f, 1.0f);
    b.matrix(p + "att.time_maa_w1", C, 5 * 32);
    b.matrix(p + "att.time_maa_w2", {5, 32, C});
    b.vec(p + "att.time_decay", {1, 1, C}, -4.0f, 1.0f);
    b.matrix(p + "att.time_decay_w1", C, 64);
    b.matrix(p + "att.time_decay_w2", 64, C);
    gated_heads(b, p, C);
    gated_channel_mix(b, p, C, F, "time_maa");
  }
}

// docs/REFERENCE.md, RWKV-7: x_* , w0, a0, v0, k_k, k_a [1,1,C]; w1 [C,Dw], w2 [Dw,C] (a, v, g
// alike); r_k [H,N]; v0/v1/v2 absent in layer 0.
void rwkv7_layers(Builder& b, const Shape& s) {
  const int C = s.n_embd, F = 4 * C, H = C / kHeadSize;
  const double root = std::sqrt(double(C));
  const int d_decay = lora_rank(1.8 * root), d_a = lora_rank(1.8 * root), d_v = lora_rank(1.3 * root),
            d_gate = lora_rank(0.6 * std::pow(double(C), 0.8));
  const std::vector<int64_t> vec3 = {1, 1, C};
  for (int l = 0; l < s.n_layer; l++) {
    const std::string p = "blocks." + std::to_string(l) + ".";
    b.ln(p + "ln1", C);
    b.ln(p + "ln2", C);
    for (const char* n : {"att.x_r", "att.x_w", "att.x_k", "att.x_v", "att.x_a", "att.x_g", "ffn.x_k"})
      b.vec(p + n, vec3, 0.0f, 1.0f);
    b.vec(p + "att.w0", vec3, -2.0f, 0.5f);
    b.vec(p + "att.a0", vec3, -1.0f, 1.0f);
    b.vec(p + "att.k_k", vec3, 0.5f, 1.0f);
    b.vec(p + "att.k_a", vec3, 0.5f, 1.5f);
    b.vec(p + "att.r_k", {H, kHeadSize}, -0.5f, 0.5f);
    b.ln(p + "att.ln_x", C);
    const std::pair<const char*, int> loras[] = {{"w", d_decay}, {"a", d_a}, {"v", d_v}, {"g", d_gate}};
    for (const auto& [x, d] : loras) {
      if (l == 0 && x[0] == 'v') continue;
      b.matrix(p + "att." + x + "1", C, d);
      b.matrix(p + "att." + x + "2", d, C);
    }
    if (l > 0) b.vec(p + "att.v0", vec3, -1.0f, 1.0f);
    for (const char* n : {"att.key.weight", "att.value.weight", "att.receptance.weight", "att.output.weight"})
      b.matrix(p + n, C, C);
    b.matrix(p + "ffn.key.weight", F, C);
    b.matrix(p + "ffn.value.weight", C, F);
  }
}

}  // namespace

Shape shape_by_name(const std::string& name) {
  for (const Shape& s : kShapes)
    if (s.name == name) return s;
  throw Error("unknown shape '" + name + "' (known: " + shape_names() + ")");
}

std::string shape_names() {
  std::string known;
  for (const Shape& s : kShapes) known += (known.empty() ? "" : " ") + s.name;
  return known;
}

TensorMap random_model(const Shape& s, DType dtype, uint64_t seed) {
  TensorMap m;
  m.format = "random";
  Builder b(m, dtype, seed);
  const int C = s.n_embd;
  b.matrix("emb.weight", s.n_vocab, C);
  b.ln("blocks.0.ln0", C);
  if (s.arch == "rwkv4") rwkv4_layers(b, s);
  else if (s.arch == "rwkv5") rwkv5_layers(b, s);
  else if (s.arch == "rwkv6") rwkv6_layers(b, s);
  else if (s.arch == "rwkv7") rwkv7_layers(b, s);
  else throw Error("random models of " + s.arch + " are not available");
  b.ln("ln_out", C);
  b.matrix("head.weight", s.n_vocab, C);
  return m;
}

}  // namespace rwkv::bench
