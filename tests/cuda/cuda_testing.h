// Shared by the CUDA tests: the skip when no GPU is present (exit 77), the tiny test models
// of ../shared/testdata/rwkvcpp in a chosen weight type, and the tolerances of the CUDA
// backend against the CPU reference.
#pragma once
#include <cuda_runtime_api.h>

#include <map>
#include <memory>
#include <random>

#include "engine/testing.h"
#include "kernels/half.h"
#include "rwkv/formats.h"
#include "rwkv/model.h"

namespace cuda_testing {

inline void require_gpu() {
  int n = 0;
  const cudaError_t e = cudaGetDeviceCount(&n);
  if (e != cudaSuccess || n == 0) {
    std::printf("SKIP: no CUDA device (%s)\n", e != cudaSuccess ? cudaGetErrorString(e) : "none present");
    std::exit(77);
  }
}

// "4v0-deep" is 4v0 with its four layers repeated to twelve: deep enough for RWKV-4's fp16
// rescaling (after every sixth layer) to act. Other names are rwkv.cpp's.
inline std::string file_version(const std::string& ver) { return ver.substr(0, 3); }
inline bool deepened(const std::string& ver) { return ver == "4v0-deep"; }

// rwkv.cpp's FP16 thresholds (tests/test_tiny_rwkv.c): |sum(logit - expected)| <= 1.05 * t.
inline float fp16_threshold(const std::string& ver) {
  static const std::map<std::string, float> t = {
      {"4v0", 0.013652f}, {"5v1", 0.289921f}, {"5v2", 0.455912f}, {"6v0", 0.416620f}, {"7v0", 0.005766f}};
  return t.at(file_version(ver));
}

inline std::string model_size(const std::string& ver) {
  static const std::map<std::string, std::string> s = {
      {"4v0", "660K"}, {"5v1", "730K"}, {"5v2", "730K"}, {"6v0", "3m"}, {"7v0", "834K"}};
  return s.at(file_version(ver));
}

inline std::string model_base(const std::string& dir, const std::string& ver) {
  return dir + "/rwkvcpp/tiny-rwkv-" + file_version(ver) + "-" + model_size(ver);
}

// Layers 0..n-1 repeated until there are `layers` (blocks.<l> copies blocks.<l % n>).
inline void repeat_layers(rwkv::TensorMap& m, int n, int layers) {
  for (int l = n; l < layers; l++) {
    const std::string from = "blocks." + std::to_string(l % n) + ".", to = "blocks." + std::to_string(l) + ".";
    std::vector<rwkv::Tensor> copies;
    for (const auto& [name, t] : m.tensors())
      if (name.rfind(from, 0) == 0 && name.find(".ln0.") == std::string::npos) {
        rwkv::Tensor c = t;
        c.name = to + name.substr(from.size());
        copies.push_back(c);
      }
    for (auto& c : copies) m.add(std::move(c));
  }
}

// The tiny model of `ver` with its weight matrices in `dtype`:
//  fp32, fp16, bf16: from the FP32 file (6v0 has none: its Q5_1 file, dequantized), every
//                    tensor fp32, then the 2-D ".weight" matrices converted;
//  file:             the FP16 file as it is (4v0, 5v1, 5v2, 7v0);
//  q5_1:             the Q5_1 file as it is (run in fp16 on the GPU, dequantized on the CPU).
inline rwkv::TensorMap tiny_model(const std::string& dir, const std::string& ver, const std::string& dtype) {
  const std::string base = model_base(dir, ver);
  if (dtype == "file" || dtype == "q5_1") {
    rwkv::TensorMap f = rwkv::load_checkpoint(base + (dtype == "file" ? "-FP16.bin" : "-Q5_1.bin"));
    if (deepened(ver)) repeat_layers(f, 4, 12);
    return f;
  }
  const std::string src_path = std::ifstream(base + "-FP32.bin").good() ? base + "-FP32.bin" : base + "-Q5_1.bin";
  const rwkv::TensorMap src = rwkv::load_checkpoint(src_path);
  rwkv::TensorMap m;
  m.format = src.format;
  for (const auto& [name, t] : src.tensors()) {
    std::vector<float> v = rwkv::tensor_to_f32(t);
    const bool matrix = t.shape.size() == 2 && t.shape[0] > 1 && t.shape[1] > 1 &&
                        name.size() > 7 && name.compare(name.size() - 7, 7, ".weight") == 0;
    if (dtype == "fp32" || !matrix) {
      m.put_f32(name, t.shape, std::move(v));
      continue;
    }
    rwkv::Tensor h;
    h.name = name;
    h.dtype = dtype == "fp16" ? rwkv::DType::F16 : rwkv::DType::BF16;
    h.shape = t.shape;
    h.nbytes = v.size() * 2;
    uint16_t* p = reinterpret_cast<uint16_t*>(m.allocate(h.nbytes));
    for (size_t i = 0; i < v.size(); i++)
      p[i] = dtype == "fp16" ? rwkv::float_to_half(v[i]) : rwkv::float_to_bf16(v[i]);
    h.data = reinterpret_cast<const uint8_t*>(p);
    m.add(std::move(h));
  }
  if (deepened(ver)) repeat_layers(m, 4, 12);
  return m;
}

// batch_streams = false: calls reach the runner whole (the scheduler slices long ones at the
// runner's chunk size, so only then does the runner's own chunk loop run).
inline std::shared_ptr<rwkv::Model> load(const rwkv::TensorMap& m, const std::string& device,
                                         bool batch_streams = true) {
  rwkv::LoadOptions opts;
  opts.device = device;
  opts.batch_streams = batch_streams;
  opts.threads = 2;  // the tiny models gain nothing from more, and the tests run side by side
  return rwkv::Model::from_tensors(m, opts);
}

inline std::vector<uint32_t> random_tokens(size_t n, uint32_t vocab, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<uint32_t> t(n);
  for (auto& x : t) x = rng() % vocab;
  return t;
}

// How far apart two sets of logits (or states) may be: fp32 weights within 1e-3 of each
// other everywhere; 16-bit weights within rwkv.cpp's FP16 threshold for the model, on the
// sum of differences over each row of n_vocab logits as rwkv.cpp checks it. That threshold
// measures fp16 rounding of weights and activations (ggml rounds both). The GPU rounds every
// product's activations to the operand type while the CPU keeps them fp32, so the
// difference is that rounding: bf16 keeps 8 significant bits to fp16's 11, a unit roundoff
// of 2^-9 against 2^-12, and to first order the error grows with it, 8 times.
// A row sum lets symmetric errors cancel, so 16-bit logits are also bounded everywhere:
// max |diff| <= max_rel * max |logit|. On the CPU, rounding the tiny models' weights to fp16
// alone moves their logits over 200 tokens by at most 0.33% of the largest logit (5v1; 4v0
// 0.04%, 5v2 0.10%, 7v0 0.006%); the GPU also rounds activations, about as much again to
// first order. 2% leaves three times that for longer sequences, and a wrong head, slot or
// layer moves logits by their own size. bf16: 8 times, as for the row sums.
// States are compared relative to their magnitude (RWKV-4's aa/bb grow large):
// |a - b| <= state_rel * max(1, |b|).
struct Tolerance {
  bool fp32 = true;
  float threshold = 0;    // 16-bit: 1.05 * fp16_threshold(ver); 0: no row-sum bound
  float state_rel = 1e-3f;
  float max_rel = 0;      // 16-bit: of the largest logit
  static Tolerance for_model(const std::string& ver, const std::string& dtype) {
    if (dtype == "fp32") return Tolerance{true, 0, 1e-3f};
    // (fp16 and quantized files run in fp16 on the GPU.) bf16 operands round 8x coarser.
    const float coarser = dtype == "bf16" ? 8.0f : 1.0f;
    return Tolerance{false, coarser * 1.05f * fp16_threshold(ver), dtype == "bf16" ? 0.2f : 0.05f, coarser * 0.02f};
  }
  // Random weights of a real shape in fp16 against the CPU on the same fp16 weights: the
  // GPU's activation rounding only; no rwkv.cpp threshold exists for them.
  static Tolerance fp16_shape() { return Tolerance{false, 0, 0.05f, 0.02f}; }
};

inline float worst_row_sum_diff(const std::vector<float>& a, const std::vector<float>& b, size_t row) {
  float worst = 0;
  for (size_t r = 0; r + row <= a.size() && r + row <= b.size(); r += row) {
    double s = 0;
    for (size_t i = r; i < r + row; i++) s += double(a[i]) - double(b[i]);
    worst = std::max(worst, float(std::fabs(s)));
  }
  return worst;
}

inline bool all_finite(const std::vector<float>& v) {
  for (float f : v)
    if (!std::isfinite(f)) return false;
  return true;
}

// Checks logits `got` against `want` (rows of n_vocab), printing both measures.
inline void check_logits(const char* what, const std::vector<float>& got, const std::vector<float>& want,
                         size_t n_vocab, const Tolerance& tol) {
  const float max_abs = testing::max_abs_diff(got, want);
  const float sum = worst_row_sum_diff(got, want, n_vocab);
  const float max_bound = tol.fp32 ? 1e-3f : tol.max_rel * testing::max_abs(want);
  std::printf("  %-44s max |diff| %.3g (bound %.3g), worst |row sum diff| %.3g%s\n", what, max_abs, max_bound, sum,
              tol.fp32 || tol.threshold == 0 ? "" : (" (bound " + std::to_string(tol.threshold) + ")").c_str());
  CHECK_MSG(got.size() == want.size(), "%s: %zu values, expected %zu", what, got.size(), want.size());
  CHECK_MSG(all_finite(got), "%s: non-finite logits", what);
  CHECK_MSG(max_abs <= max_bound, "%s: max |diff| %g > %g", what, max_abs, max_bound);
  if (!tol.fp32 && tol.threshold > 0) CHECK_MSG(sum <= tol.threshold, "%s: |row sum diff| %g > %g", what, sum, tol.threshold);
}

// Checks states pairwise (got[i] against want[i]), printing the worst difference.
inline void check_states(const char* what, const std::vector<const rwkv::State*>& got,
                         const std::vector<const rwkv::State*>& want, const Tolerance& tol) {
  float worst = 0;
  bool finite = true, sizes = got.size() == want.size(), seen = true;
  for (size_t k = 0; k < got.size() && k < want.size(); k++) {
    const auto g = got[k]->data(), w = want[k]->data();
    sizes = sizes && g.size() == w.size();
    seen = seen && got[k]->tokens_seen == want[k]->tokens_seen;
    for (size_t i = 0; i < g.size() && i < w.size(); i++) {
      finite = finite && std::isfinite(g[i]);
      worst = std::max(worst, std::fabs(g[i] - w[i]) / std::max(1.0f, std::fabs(w[i])));
    }
  }
  std::printf("  %-44s max relative |diff| %.3g (bound %.0e)\n", what, worst, double(tol.state_rel));
  CHECK_MSG(sizes, "%s: state sizes differ", what);
  CHECK_MSG(finite, "%s: non-finite state", what);
  CHECK_MSG(worst <= tol.state_rel, "%s: state differs by %g (relative) > %g", what, worst, tol.state_rel);
  CHECK_MSG(seen, "%s: tokens_seen differs", what);
}

inline void check_state(const char* what, const rwkv::State& got, const rwkv::State& want, const Tolerance& tol) {
  check_states(what, {&got}, {&want}, tol);
}

}  // namespace cuda_testing
