#include "rwkvcpp_writer.h"

#include <cmath>
#include <cstdio>
#include <cstring>
#include <vector>

#include "kernels/half.h"
#include "rwkv/error.h"

namespace rwkv::bench {

namespace {

bool contains(const std::string& s, const char* part) { return s.find(part) != std::string::npos; }

struct Out {
  std::string name;
  std::vector<int64_t> shape;  // PyTorch order
  std::vector<float> values;
};

// [a, b] -> [b, a]
Out transposed(Out t) {
  const size_t a = size_t(t.shape[0]), b = size_t(t.shape[1]);
  std::vector<float> v(a * b);
  for (size_t i = 0; i < a; i++)
    for (size_t j = 0; j < b; j++) v[j * a + i] = t.values[i * b + j];
  t.values = std::move(v);
  t.shape = {t.shape[1], t.shape[0]};
  return t;
}

}  // namespace

void write_rwkvcpp(const TensorMap& m, const std::string& path, DType dtype) {
  if (dtype != DType::F32 && dtype != DType::F16) throw Error("rwkv.cpp files are written in fp32 or fp16");
  const bool v7 = m.has("blocks.0.att.k_k");
  if (!v7 && (m.has("blocks.0.att.ln_x.weight") || m.has("blocks.0.att.time_maa_x")))
    throw Error("the rwkv.cpp writer knows RWKV-4 and RWKV-7 only");
  const Tensor& emb = m.get("emb.weight");
  int n_layer = 0;
  while (m.has("blocks." + std::to_string(n_layer) + ".ln1.weight")) n_layer++;

  std::vector<Out> outs;
  std::vector<Out> mixes;  // RWKV-7's att.x_r .. x_g of the current layer, joined as x_rwkvag
  for (const auto& [name, t] : m.tensors()) {
    Out o{name, t.shape, tensor_to_f32(t)};
    if (contains(name, ".time_")) {
      int64_t n = 1;
      for (int64_t d : o.shape) n *= d;
      o.shape = {n};
      if (!v7 && contains(name, ".time_decay"))
        for (float& x : o.values) x = -std::exp(x);
    }
    if (v7) {
      for (const char* lora : {".w1", ".w2", ".a1", ".a2", ".v1", ".v2", ".g1", ".g2"})
        if (contains(name, lora) && o.shape.size() == 2) o = transposed(std::move(o));
      if (contains(name, "att.x_")) continue;  // joined below, in BlinkDL's order
    }
    outs.push_back(std::move(o));
  }
  if (v7)
    for (int l = 0; l < n_layer; l++) {
      const std::string p = "blocks." + std::to_string(l) + ".att.";
      Out joined{p + "x_rwkvag", {6, 1, emb.shape[1]}, {}};
      for (const char* x : {"x_r", "x_w", "x_k", "x_v", "x_a", "x_g"}) {
        const std::vector<float> v = tensor_to_f32(m.get(p + x));
        joined.values.insert(joined.values.end(), v.begin(), v.end());
      }
      outs.push_back(std::move(joined));
    }

  FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) throw Error("cannot write '" + path + "'");
  bool ok = true;
  auto put = [&](const void* p, size_t n) { ok = ok && std::fwrite(p, 1, n, f) == n; };
  auto put32 = [&](uint32_t v) { put(&v, 4); };
  for (uint32_t v : {0x67676d66u, 101u, uint32_t(emb.shape[0]), uint32_t(emb.shape[1]), uint32_t(n_layer),
                     dtype == DType::F16 ? 1u : 0u})
    put32(v);
  for (const Out& o : outs) {
    bool half = dtype == DType::F16 && o.shape.size() > 1;
    for (const char* keep : {".time_", ".k_k", ".k_a", ".r_k", ".x_rwkvag", ".x_k", ".w0", ".a0", ".v0"})
      if (contains(o.name, keep)) half = false;
    put32(uint32_t(o.shape.size()));
    put32(uint32_t(o.name.size()));
    put32(half ? 1u : 0u);
    for (auto it = o.shape.rbegin(); it != o.shape.rend(); ++it) put32(uint32_t(*it));
    put(o.name.data(), o.name.size());
    if (half) {
      std::vector<uint16_t> h(o.values.size());
      for (size_t i = 0; i < h.size(); i++) h[i] = float_to_half(o.values[i]);
      put(h.data(), h.size() * 2);
    } else {
      put(o.values.data(), o.values.size() * 4);
    }
  }
  ok = std::fclose(f) == 0 && ok;
  if (!ok) throw Error("cannot write '" + path + "'");
}

}  // namespace rwkv::bench
