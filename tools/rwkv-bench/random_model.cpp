#include "random_model.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>
#include <thread>
#include <vector>

#include "arch/ends.h"
#include "arch/versions.h"
#include "kernels/half.h"
#include "rwkv/error.h"

namespace rwkv::bench {

namespace {

const Shape kShapes[] = {
    {"rwkv4-169m", Arch::V4, 768, 12, 50277},    {"rwkv4-430m", Arch::V4, 1024, 24, 50277},
    {"rwkv4-1.5b", Arch::V4, 2048, 24, 50277},   {"rwkv4-3b", Arch::V4, 2560, 32, 50277},
    {"rwkv4-7b", Arch::V4, 4096, 32, 50277},     {"rwkv5-0.4b", Arch::V5_2, 1024, 24, 65536},
    {"rwkv6-1.6b", Arch::V6, 2048, 24, 65536},   {"rwkv7-0.1b", Arch::V7, 768, 12, 65536},
    {"rwkv7-1.5b", Arch::V7, 2048, 24, 65536},   {"rwkv7-7.2b", Arch::V7, 4096, 32, 65536},
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

// The released models' dimensions beside C: the channel mix's width, the heads, and the
// low-rank products' ranks (by the name of their down factor; RWKV-7's as BlinkDL's training
// code suggests them, RWKV-6's fixed).
ModelInfo info_of(const Shape& s) {
  ModelInfo info;
  info.arch = s.arch;
  info.n_vocab = s.n_vocab;
  info.n_embd = s.n_embd;
  info.n_layer = s.n_layer;
  const bool wide_ffn = s.arch == Arch::V4 || s.arch == Arch::V7;
  info.n_ffn = wide_ffn ? 4 * s.n_embd : int(3.5 * s.n_embd) / 32 * 32;
  if (arch::arch_traits(s.arch).matrix_state) {
    info.head_size = kHeadSize;
    info.n_head = s.n_embd / kHeadSize;
  }
  return info;
}

int rank_of(const std::string& name, int C) {
  const double root = std::sqrt(double(C));
  const std::pair<const char*, int> ranks[] = {
      {"att.time_maa_w1", 5 * 32}, {"att.time_decay_w1", 64},           {"att.w1", lora_rank(1.8 * root)},
      {"att.a1", lora_rank(1.8 * root)}, {"att.v1", lora_rank(1.3 * root)},
      {"att.g1", lora_rank(0.6 * std::pow(double(C), 0.8))}};
  for (const auto& [suffix, r] : ranks)
    if (name.size() >= std::strlen(suffix) && name.compare(name.size() - std::strlen(suffix), std::string::npos, suffix) == 0)
      return r;
  throw Error("random models: no rank for the low-rank factor '" + name + "'");
}

// Vectors' values by the end of their name: near 1 and 0 for norms, mixes in [0, 1], decays
// and bonuses where trained models keep them. Anything else: [-1, 1).
std::pair<float, float> range_of(const std::string& name) {
  const std::pair<const char*, std::pair<float, float>> ranges[] = {
      {"ln0.weight", {0.9f, 1.1f}}, {"ln1.weight", {0.9f, 1.1f}}, {"ln2.weight", {0.9f, 1.1f}},
      {"ln_x.weight", {0.9f, 1.1f}}, {"ln_out.weight", {0.9f, 1.1f}}, {".bias", {-0.05f, 0.05f}},
      {"time_decay", {-4.0f, 1.0f}}, {"w0", {-2.0f, 0.5f}},            {"k_k", {0.5f, 1.0f}},
      {"k_a", {0.5f, 1.5f}},         {"r_k", {-0.5f, 0.5f}}};
  for (const auto& [suffix, r] : ranges)
    if (name.size() >= std::strlen(suffix) && name.compare(name.size() - std::strlen(suffix), std::string::npos, suffix) == 0)
      return r;
  for (const char* mix : {".time_mix_", ".time_maa_", ".x_"})
    if (name.find(mix) != std::string::npos) return {0.0f, 1.0f};
  return {-1.0f, 1.0f};
}

// A binder (arch/binder.h) that makes each tensor a version's schema asks for instead of
// reading it, so a random model has exactly the tensors and shapes the engine binds: the
// schema is written once (arch/v4.h .. v7.h). It has every optional tensor (RWKV-5.2's gate
// and per-channel bonus). Matrices in `dtype`, uniform in [-1, 1) / sqrt(cols); vectors fp32.
class Maker {
 public:
  struct Vec {};
  struct Mat {
    int rows = 0;
  };
  using Stack = int;

  Maker(TensorMap& m, DType dtype, uint64_t seed, const ModelInfo& info)
      : m_(m), dtype_(dtype), seed_(seed * 0x2545f4914f6cdd1dull), info_(info) {}

  bool has(const std::string&) const { return true; }
  // The shape the tensor will have: [C, rank] for a low-rank factor, [H, N] for a per-head
  // vector, [1, 1, C] for any other vector.
  const std::vector<int64_t>& shape(const std::string& name) {
    auto it = planned_.find(name);
    if (it != planned_.end()) return it->second;
    std::vector<int64_t> s;
    const int C = info_.n_embd;
    if (name.ends_with("1")) s = {C, rank_of(name, C)};
    else if (name.ends_with("time_faaaa") || name.ends_with("r_k") || name.ends_with("att.time_decay"))
      s = info_.n_head ? std::vector<int64_t>{info_.n_head, info_.head_size} : std::vector<int64_t>{C};
    else s = {1, 1, C};
    return planned_[name] = s;
  }
  std::vector<float> host_vec(const std::string& name, size_t) { return make_vec(name); }
  Vec vec(const std::string& name, size_t) {
    make_vec(name);
    return {};
  }
  Vec vec(const std::vector<float>&, const std::string&) { return {}; }
  Mat matrix(const std::string& name, int rows, int cols, float = 1.0f) {
    make_matrix(name, {rows, cols});
    return {rows};
  }
  Stack stack(const std::vector<std::string>& names, int rows, int cols) {
    for (const std::string& n : names) matrix(n, rows, cols);
    return 0;
  }
  // BlinkDL stores low-rank factors [in, out] ([count, in, out] for several).
  Mat transposed(const std::string& name, int rows, int cols) {
    make_matrix(name, {cols, rows});
    return {rows};
  }
  Stack transposed(const std::string& name, int count, int rows, int cols) {
    make_matrix(name, {count, cols, rows});
    return 0;
  }

  // Values uniform in [-1, 1) / sqrt(last dimension) in the model's type.
  void make_matrix(const std::string& name, std::vector<int64_t> shape) {
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

 private:
  std::vector<float> make_vec(const std::string& name) {
    std::vector<int64_t> s = shape(name);
    int64_t n = 1;
    for (int64_t d : s) n *= d;
    const auto [lo, hi] = range_of(name);
    std::vector<float> v(static_cast<size_t>(n));
    const uint64_t seed = next_seed();
    for (size_t i = 0; i < v.size(); i++) v[i] = lo + (hi - lo) * 0.5f * (uniform(seed, i) + 1.0f);
    m_.put_f32(name, std::move(s), v);
    return v;
  }
  uint64_t next_seed() { return seed_ += 0x632be59bd9b4e019ull; }
  TensorMap& m_;
  DType dtype_;
  uint64_t seed_;
  const ModelInfo& info_;
  std::map<std::string, std::vector<int64_t>> planned_;
};

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
  const ModelInfo info = info_of(s);
  Maker b(m, dtype, seed, info);
  b.make_matrix("emb.weight", {s.n_vocab, s.n_embd});
  arch::bind_ends(b, info);
  arch::with_version(info.arch, [&](auto v) { return decltype(v)::bind(b, info, /*fp16_rescale=*/false), 0; });
  return m;
}

}  // namespace rwkv::bench
