// Quantized execution: the quantizer (block bounds; byte for byte what rwkv.cpp writes), the
// kernels (bit for bit the fp32 kernels on the decoded values, on every instruction set this
// CPU runs), whole models in every type (quantized file = quantized at load = its dequantized
// weights), and the quantizer's errors.
#include <cstring>
#include <random>

#include "kernels/cpu/matmul_kernels.h"
#include "kernels/quant_blocks.h"
#include "rwkv/error.h"
#include "rwkv/formats.h"
#include "rwkv/model.h"
#include "quantized_tolerance.h"
#include "testing.h"

namespace {

using rwkv::cpu::WeightType;

const WeightType kTypes[] = {WeightType::Q8_0, WeightType::Q5_1, WeightType::Q5_0, WeightType::Q4_1, WeightType::Q4_0};
const char* const kNames[] = {"q8_0", "q5_1", "q5_0", "q4_1", "q4_0"};

std::vector<float> random_values(size_t n, uint32_t seed, float scale = 1.0f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> g(0.0f, scale);
  std::vector<float> v(n);
  for (auto& x : v) x = g(rng);
  return v;
}

// Every value comes back within half a step of what was quantized (plus the fp16 rounding
// of d and m), except, in the symmetric types (Q8_0, Q5_0, Q4_0), values beyond the largest
// code on the side opposite the block's extreme, which are clipped there: within one step.
void block_bounds() {
  for (size_t i = 0; i < 5; i++) {
    const WeightType t = kTypes[i];
    const int levels = t == WeightType::Q8_0 ? 255 : rwkv::quant::has_high_bits(t) ? 32 : 16;
    float worst = 0;
    for (uint32_t seed = 0; seed < 200; seed++) {
      std::vector<float> x = random_values(32, seed, seed % 7 == 0 ? 1e-3f : 1.0f);
      if (seed == 1) x.assign(32, 0.0f);
      if (seed == 2) x.assign(32, 3.0f);
      uint8_t b[34];
      float y[32];
      rwkv::quant::encode_block(t, x.data(), b);
      rwkv::quant::decode_block(t, b, y);
      float lo = x[0], hi = x[0];
      for (float v : x) lo = std::min(lo, v), hi = std::max(hi, v);
      const bool asym = rwkv::quant::has_min(t);
      const float amax = std::max(std::fabs(lo), std::fabs(hi));
      const float step = asym ? (hi - lo) / float(levels - 1) : amax / float(levels / 2);
      for (int n = 0; n < 32; n++) {
        const float err = std::fabs(y[n] - x[n]);
        const bool clipped = !asym && std::fabs(x[n]) > float(levels / 2 - 1) * step;
        worst = std::max(worst, step > 0 ? err / step : err);
        CHECK_MSG(err <= (clipped ? 1.0f : 0.5f) * step * 1.01f + 2e-3f * std::fabs(x[n]) + 1e-7f,
                  "%s seed %u value %d: %g -> %g (step %g)", kNames[i], seed, n, x[n], y[n], step);
      }
    }
    std::printf("%s: worst error %.3f steps\n", kNames[i], worst);
  }
}

// Each quantized kernel against its instruction set's fp32 kernel on the decoded values:
// identical bits, for any number of tokens and any row range.
void kernels_exact() {
  const size_t k = 256, rows = 37;
  for (const char* isa : {"generic", "avx2", "avx512"}) {
    const rwkv::cpu::MatmulKernels* kern = rwkv::cpu::matmul_kernels_for(isa);
    if (!kern) {
      std::printf("%s: not on this CPU\n", isa);
      continue;
    }
    // On AVX-512 the quantized kernels are AVX2's (matmul_dispatch.cpp), so the fp32 kernel
    // with the same summation order is AVX2's.
    const rwkv::cpu::MatmulKernels* ref = std::strcmp(isa, "avx512") == 0 ? rwkv::cpu::matmul_kernels_for("avx2") : kern;
    for (size_t i = 0; i < 5; i++) {
      const WeightType t = kTypes[i];
      const size_t bb = rwkv::cpu::weight_block_bytes(t), row_bytes = k / 32 * bb;
      const std::vector<float> w = random_values(rows * k, uint32_t(i) + 10);
      std::vector<uint8_t> q(rows * row_bytes);
      std::vector<float> wd(rows * k);
      for (size_t b = 0; b < rows * k / 32; b++) {
        rwkv::quant::encode_block(t, w.data() + b * 32, q.data() + b * bb);
        rwkv::quant::decode_block(t, q.data() + b * bb, wd.data() + b * 32);
      }
      for (int T : {1, 2, 3, 4, 5, 9}) {
        const std::vector<float> x = random_values(size_t(T) * k, uint32_t(T) + 100);
        std::vector<float> got(size_t(T) * rows, -1.0f), want(size_t(T) * rows, -2.0f);
        // Two row ranges, as the thread pool splits them.
        for (auto [o0, o1] : {std::pair{0, 13}, std::pair{13, int(rows)}}) {
          kern->rows[int(t)](q.data(), k, o0, o1, x.data(), k, T, got.data(), rows);
          ref->rows[int(WeightType::F32)](wd.data(), k, o0, o1, x.data(), k, T, want.data(), rows);
        }
        CHECK_MSG(std::memcmp(got.data(), want.data(), got.size() * 4) == 0, "%s %s T=%d: max diff %g", isa,
                  kNames[i], T, testing::max_abs_diff(got, want));
      }
    }
    std::printf("%s: checked\n", isa);
  }
}

std::vector<float> logits_of(const std::shared_ptr<rwkv::Model>& m) {
  rwkv::State s = m->new_state();
  std::vector<float> out(size_t(m->info().n_vocab));
  m->eval(s, std::vector<uint32_t>{34, 105, 110, 32, 116}, out.data());
  return out;
}

// rwkv.cpp's own Q5_0 / Q5_1 files of the tiny models, made from the FP32 ones, come out of
// quantize_rwkvcpp byte for byte.
void matches_rwkvcpp() {
  const std::string dir = testing::testdata() + "/rwkvcpp/", tmp = testing::temp_dir("quantize");
  int compared = 0;
  for (const char* m : {"4v0-660K", "5v1-730K", "5v2-730K", "7v0-834K"})
    for (const char* q : {"Q5_0", "Q5_1"}) {
      const std::string base = dir + "tiny-rwkv-" + m, out = tmp + "/" + m + q + ".bin";
      rwkv::quantize_rwkvcpp(base + "-FP32.bin", out, rwkv::dtype_from_name(q));
      CHECK_MSG(testing::read_bytes(out) == testing::read_bytes(base + "-" + q + ".bin"), "%s %s differs from rwkv.cpp's", m, q);
      compared++;
    }
  std::printf("%d files identical to rwkv.cpp's\n", compared);
  std::system(("rm -rf '" + tmp + "'").c_str());
}

// Every type on every FP32 tiny model: the quantized file runs as its dequantized weights
// do, and quantizing at load gives the same model as the file.
void models_every_type() {
  const std::string dir = testing::testdata() + "/rwkvcpp/", tmp = testing::temp_dir("quantize-models");
  for (const char* m : {"4v0-660K", "5v1-730K", "5v2-730K", "7v0-834K"})
    for (size_t i = 0; i < 5; i++) {
      const std::string in = dir + "tiny-rwkv-" + m + "-FP32.bin", out = tmp + "/" + kNames[i] + ".bin";
      rwkv::quantize_rwkvcpp(in, out, rwkv::dtype_from_name(kNames[i]));
      rwkv::LoadOptions deq, at_load;
      deq.dequantize = true;
      at_load.quantize = kNames[i];
      const auto got = logits_of(rwkv::Model::load(out)), ref = logits_of(rwkv::Model::load(out, deq));
      const auto loaded = logits_of(rwkv::Model::load(in, at_load)), fp32 = logits_of(rwkv::Model::load(in));
      const float self = testing::max_abs_diff(got, ref);
      std::printf("%s %s: vs dequantized %.3g, at load vs file %.3g, vs fp32 %.3g\n", m, kNames[i], self,
                  testing::max_abs_diff(loaded, got), testing::max_abs_diff(got, fp32));
      CHECK_MSG(self <= testing::quantized_tolerance(testing::max_abs(ref)), "%s %s: %g from its dequantized weights", m,
                kNames[i], self);
      CHECK_MSG(loaded == got, "%s %s: quantized at load differs from the quantized file", m, kNames[i]);
    }
  std::system(("rm -rf '" + tmp + "'").c_str());
}

void errors() {
  const std::string tmp = testing::temp_dir("quantize-errors");
  const std::string fp32 = testing::testdata() + "/rwkvcpp/tiny-rwkv-4v0-660K-FP32.bin";
  CHECK_THROWS(rwkv::quantize_rwkvcpp(fp32, tmp + "/x.bin", rwkv::DType::F16), "not a quantized type");
  CHECK_THROWS(rwkv::dtype_from_name("q3_k"), "unknown data type 'q3_k'");
  CHECK_THROWS(rwkv::quantize_rwkvcpp(fp32, tmp + "/no/such/dir/x.bin", rwkv::DType::Q8_0), "cannot write");
  if (!testing::bundled_model().empty())
    CHECK_THROWS(rwkv::quantize_rwkvcpp(testing::bundled_model(), tmp + "/x.bin", rwkv::DType::Q8_0),
                 "quantize reads rwkv.cpp files");
  // A truncated input fails naming the tensor, and leaves neither output nor partial file.
  std::vector<uint8_t> cut = testing::read_bytes(fp32);
  cut.resize(cut.size() / 2);
  testing::write_bytes(tmp + "/cut.bin", cut);
  CHECK_THROWS(rwkv::quantize_rwkvcpp(tmp + "/cut.bin", tmp + "/out.bin", rwkv::DType::Q8_0), "data of tensor");
  CHECK(!std::ifstream(tmp + "/out.bin").good());
  CHECK(!std::ifstream(tmp + "/out.bin.part").good());
  rwkv::LoadOptions bad;
  bad.quantize = "fp16";
  CHECK_THROWS(rwkv::Model::load(fp32, bad), "not a quantized type");
  std::system(("rm -rf '" + tmp + "'").c_str());
}

}  // namespace

int main(int argc, char** argv) {
  return testing::run_cases(argc, argv,
                            {{"block-bounds", block_bounds},
                             {"kernels-exact", kernels_exact},
                             {"matches-rwkvcpp", matches_rwkvcpp, true},
                             {"models-every-type", models_every_type, true},
                             {"errors", errors, true}},
                            !testing::testdata().empty());
}
