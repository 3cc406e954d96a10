#include "random_model.h"

#include <cmath>
#include <cstring>

#include "half.h"
#include "rwkv/error.h"

namespace rwkv::bench {

Shape shape_by_name(const std::string& name) {
  static const Shape kShapes[] = {
      {"rwkv4-169m", "rwkv4", 768, 12, 50277},  {"rwkv4-430m", "rwkv4", 1024, 24, 50277},
      {"rwkv4-1.5b", "rwkv4", 2048, 24, 50277}, {"rwkv4-3b", "rwkv4", 2560, 32, 50277},
      {"rwkv4-7b", "rwkv4", 4096, 32, 50277},
  };
  for (const Shape& s : kShapes)
    if (s.name == name) return s;
  std::string known;
  for (const Shape& s : kShapes) known += " " + s.name;
  throw Error("unknown shape '" + name + "' (known:" + known + ")");
}

namespace {

struct Rng {
  uint64_t s;
  float uniform() {  // [-1, 1)
    s ^= s << 13;
    s ^= s >> 7;
    s ^= s << 17;
    return float(int64_t(s >> 40) - (int64_t(1) << 23)) / float(1 << 23);
  }
};

class Builder {
 public:
  Builder(TensorMap& m, DType dtype, uint64_t seed) : m_(m), dtype_(dtype), rng_{seed * 0x9e3779b97f4a7c15ull + 1} {}

  void matrix(const std::string& name, int rows, int cols) {
    Tensor t;
    t.name = name;
    t.dtype = dtype_;
    t.shape = {rows, cols};
    const size_t n = size_t(rows) * size_t(cols);
    t.nbytes = dtype_bytes(dtype_, n);
    uint8_t* p = m_.allocate(t.nbytes);
    const float scale = 1.0f / std::sqrt(float(cols));
    for (size_t i = 0; i < n; i++) {
      const float v = rng_.uniform() * scale;
      if (dtype_ == DType::F32) std::memcpy(p + 4 * i, &v, 4);
      else {
        const uint16_t h = dtype_ == DType::F16 ? float_to_half(v) : float_to_bf16(v);
        std::memcpy(p + 2 * i, &h, 2);
      }
    }
    t.data = p;
    m_.add(std::move(t));
  }

  // Values uniform in [lo, hi).
  void vec(const std::string& name, int n, float lo, float hi) {
    std::vector<float> v(static_cast<size_t>(n));
    for (float& x : v) x = lo + (hi - lo) * 0.5f * (rng_.uniform() + 1.0f);
    m_.put_f32(name, {n}, std::move(v));
  }
  void ln(const std::string& prefix, int n) {
    vec(prefix + ".weight", n, 0.9f, 1.1f);
    vec(prefix + ".bias", n, -0.05f, 0.05f);
  }

 private:
  TensorMap& m_;
  DType dtype_;
  Rng rng_;
};

}  // namespace

TensorMap random_model(const Shape& s, DType dtype, uint64_t seed) {
  if (s.arch != "rwkv4") throw Error("random models of " + s.arch + " are not available");
  TensorMap m;
  m.format = "random";
  Builder b(m, dtype, seed);
  const int C = s.n_embd, F = 4 * C;
  b.matrix("emb.weight", s.n_vocab, C);
  b.ln("blocks.0.ln0", C);
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
  b.ln("ln_out", C);
  b.matrix("head.weight", s.n_vocab, C);
  return m;
}

}  // namespace rwkv::bench
