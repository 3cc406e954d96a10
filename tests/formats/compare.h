// Comparisons shared by the format tests: canonical tensor maps to a storage precision, the
// logits of a model, and whether a tensor's bytes are borrowed from a mapped file.
#pragma once
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "rwkv/model.h"
#include "rwkv/tensor.h"
#include "engine/testing.h"

namespace fmt_test {

enum class Precision { Exact, F16, BF16, Q8_0 };

inline const char* precision_name(Precision p) {
  switch (p) {
    case Precision::Exact: return "exact";
    case Precision::F16: return "fp16";
    case Precision::BF16: return "bf16";
    case Precision::Q8_0: return "q8_0";
  }
  return "?";
}

inline std::vector<int64_t> squeezed(const std::vector<int64_t>& s) {
  std::vector<int64_t> o;
  for (int64_t d : s)
    if (d != 1) o.push_back(d);
  return o;
}

// Checks that `got` holds the tensors of `want` (except `skip`) and nothing else: the same
// shape (exactly for shapes without size-1 dimensions, else up to them) and values equal to
// the precision: fp16 / bf16 within half an ulp, Q8_0 within 0.6 of its step amax/127.
inline void compare_maps(const rwkv::TensorMap& want, const rwkv::TensorMap& got, Precision p,
                         const std::string& label, const std::set<std::string>& skip = {}) {
  size_t compared = 0;
  for (const auto& [name, w] : want.tensors()) {
    if (skip.count(name)) {
      CHECK_MSG(!got.has(name), "%s: '%s' should be absent", label.c_str(), name.c_str());
      continue;
    }
    const rwkv::Tensor* g = got.find(name);
    CHECK_MSG(g, "%s: missing '%s'", label.c_str(), name.c_str());
    if (!g) continue;
    const bool exact_shape = squeezed(w.shape) == w.shape;
    const bool shape_ok = exact_shape ? g->shape == w.shape : squeezed(g->shape) == squeezed(w.shape);
    CHECK_MSG(shape_ok, "%s: '%s' has shape %s, expected %s", label.c_str(), name.c_str(), g->shape_str().c_str(),
              w.shape_str().c_str());
    if (!shape_ok || g->numel() != w.numel()) continue;
    const std::vector<float> a = rwkv::tensor_to_f32(w), b = rwkv::tensor_to_f32(*g);
    float amax = 0;
    for (float x : a) amax = std::max(amax, std::fabs(x));
    size_t bad = 0, first = 0;
    for (size_t i = 0; i < a.size(); i++) {
      const float d = std::fabs(a[i] - b[i]);
      bool ok = false;
      switch (p) {
        case Precision::Exact: ok = a[i] == b[i] || (std::isnan(a[i]) && std::isnan(b[i])); break;
        case Precision::F16: ok = d <= std::fabs(a[i]) * 0x1p-11f + 0x1p-25f; break;
        case Precision::BF16: ok = d <= std::fabs(a[i]) * 0x1p-8f; break;
        case Precision::Q8_0: ok = d <= amax * 0.6f / 127.0f + std::fabs(a[i]) * 0x1p-11f; break;
      }
      if (!ok && bad++ == 0) first = i;
    }
    CHECK_MSG(bad == 0, "%s: '%s': %zu values beyond %s precision, first [%zu] %.9g vs %.9g", label.c_str(),
              name.c_str(), bad, precision_name(p), first, double(a[first]), double(b[first]));
    compared++;
  }
  for (const auto& [name, g] : got.tensors())
    CHECK_MSG(want.has(name), "%s: unexpected tensor '%s'", label.c_str(), name.c_str());
  CHECK_MSG(compared > 0, "%s: nothing compared", label.c_str());
}

// Logits after tokens 34, 105, 110 ('"in') from the initial state, as the expected files hold.
inline std::vector<float> logits_of(const std::shared_ptr<rwkv::Model>& m) {
  const std::vector<uint32_t> tokens = {34, 105, 110};
  rwkv::State s = m->new_state();
  std::vector<float> out(size_t(m->info().n_vocab));
  m->eval(s, tokens, out.data());
  return out;
}

// The reference for files converted from a tiny model: its rwkv.cpp file's logits, and load
// options that keep that file's GroupNorm epsilon (1e-5 for the tiny v5 files, a property of
// how they were made). No logits when this tree cannot run that version; v4 must run.
struct Baseline {
  std::vector<float> logits;
  rwkv::LoadOptions opts;
};
inline Baseline baseline(const std::string& file, const std::string& ver) {
  Baseline b;
  try {
    // A quantized file's values are its dequantized weights (the quantized kernels round the
    // activations; test_quantize bounds that).
    rwkv::LoadOptions exact;
    exact.dequantize = true;
    const auto model = rwkv::Model::load(file, exact);
    b.opts.groupnorm_eps = model->info().groupnorm_eps;
    b.logits = logits_of(model);
  } catch (const std::exception& e) {
    CHECK_MSG(ver != "4v0", "v4 must run: %s", e.what());
    std::printf("%s: logits not compared (%s)\n", ver.c_str(), e.what());
  }
  return b;
}

// The converted file's logits against the baseline's (when it has any).
inline void check_logits(const std::string& path, const Baseline& b, float bound, const std::string& label) {
  if (b.logits.empty()) return;
  const float d = testing::max_abs_diff(logits_of(rwkv::Model::load(path, b.opts)), b.logits);
  std::printf("%s: logits max |diff| %.3g (bound %.3g)\n", label.c_str(), double(d), double(bound));
  CHECK_MSG(d <= bound, "%s: logits differ by %g", label.c_str(), double(d));
}

// Whether p lies in a mapping of `path` (from /proc/self/maps): bytes borrowed, not copied.
inline bool in_mapped_file(const void* p, const std::string& path) {
  std::ifstream maps("/proc/self/maps");
  std::string line;
  const uintptr_t a = reinterpret_cast<uintptr_t>(p);
  while (std::getline(maps, line)) {
    if (line.size() < path.size() || line.compare(line.size() - path.size(), path.size(), path) != 0) continue;
    uintptr_t lo = 0, hi = 0;
    if (std::sscanf(line.c_str(), "%" SCNxPTR "-%" SCNxPTR, &lo, &hi) == 2 && a >= lo && a < hi) return true;
  }
  return false;
}

// The canonical map of a tiny test model, its version label and the rwkv.cpp file it came from.
struct TinyModel {
  const char* ver;
  const char* file;  // FP32 where it exists (6v0 has only quantized files)
};
inline const TinyModel kTinyModels[] = {
    {"4v0", "tiny-rwkv-4v0-660K-FP32.bin"}, {"5v1", "tiny-rwkv-5v1-730K-FP32.bin"},
    {"5v2", "tiny-rwkv-5v2-730K-FP32.bin"}, {"6v0", "tiny-rwkv-6v0-3m-Q5_0.bin"},
    {"7v0", "tiny-rwkv-7v0-834K-FP32.bin"},
};

}  // namespace fmt_test
