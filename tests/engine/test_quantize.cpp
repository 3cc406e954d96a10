// Quantized execution: the quantizer (block bounds; byte for byte what rwkv.cpp writes), the
// kernels (their integer arithmetic and its bound, on every instruction set this CPU runs),
// whole models in every type (quantized file = quantized at load, near its dequantized
// weights), the bytes a token reads, and the quantizer's errors.
#include <cstring>

#include "kernels/cpu/matmul_kernels.h"
#include "kernels/quant_blocks.h"
#include "rwkv/error.h"
#include "rwkv/formats.h"
#include "rwkv/model.h"
#include "quantized_tolerance.h"
#include "testing.h"

namespace {

using testing::random_values;

using rwkv::DType;

// Every quantized type the table has (rwkv/dtype.h), and its name.
const std::vector<DType> kTypes = [] {
  std::vector<DType> v;
  for (const rwkv::DTypeInfo& d : rwkv::kDTypes)
    if (rwkv::dtype_is_quantized(d.type)) v.push_back(d.type);
  return v;
}();
const char* type_name(size_t i) { return rwkv::dtype_name(kTypes[i]); }

// Every value comes back within half a step of what was quantized (plus the fp16 rounding
// of d and m), except, in the symmetric types (Q8_0, Q5_0, Q4_0), values beyond the largest
// code on the side opposite the block's extreme, which are clipped there: within one step.
void block_bounds() {
  for (size_t i = 0; i < kTypes.size(); i++) {
    const DType t = kTypes[i];
    const int bits = rwkv::dtype_info(t).code_bits, levels = bits == 8 ? 255 : 1 << bits;
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
                  "%s seed %u value %d: %g -> %g (step %g)", type_name(i), seed, n, x[n], y[n], step);
      }
    }
    std::printf("%s: worst error %.3f steps\n", type_name(i), worst);
  }
}

// Each instruction set's quantized kernels: what they compute is the integer arithmetic
// they claim (16-bit activations: d_x = max|x| / 32767 per block of 32, q = round(x / d_x);
// d_w d_x (codes . q) + m_w sum(x) per block) up to fp32 rounding; within the bound that
// activation rounding allows of the exact product on the decoded weights (each x moves at
// most d_x / 2, so |error| <= sum |w| d_x / 2); and a token's outputs do not depend on how
// many tokens share the call (batched streams get what they get alone).
void kernels() {
  const size_t k = 256, rows = 37, nb = k / 32;
  for (const char* isa : {"generic", "avx2", "avx512"}) {
    const rwkv::cpu::MatmulKernels* kern = rwkv::cpu::matmul_kernels_for(isa);
    if (!kern) {
      std::printf("%s: not on this CPU\n", isa);
      continue;
    }
    for (size_t i = 0; i < kTypes.size(); i++) {
      const DType t = kTypes[i];
      const size_t bb = rwkv::dtype_block_bytes(t), row_bytes = nb * bb;
      const std::vector<float> w = random_values(rows * k, uint32_t(i) + 10);
      std::vector<uint8_t> q(rows * row_bytes);
      std::vector<float> wd(rows * k);
      for (size_t b = 0; b < rows * nb; b++) {
        rwkv::quant::encode_block(t, w.data() + b * 32, q.data() + b * bb);
        rwkv::quant::decode_block(t, q.data() + b * bb, wd.data() + b * 32);
      }
      constexpr int T = 9;
      const std::vector<float> x = random_values(size_t(T) * k, uint32_t(i) + 100, 3.0f);
      std::vector<float> got(size_t(T) * rows, -1.0f), one(rows);
      // Two row ranges, as the thread pool splits them.
      for (auto [o0, o1] : {std::pair{0, 13}, std::pair{13, int(rows)}})
        kern->rows[int(t)](q.data(), k, o0, o1, x.data(), k, T, got.data(), rows);
      double worst_claim = 0, worst_bound = 0;
      for (int tok = 0; tok < T; tok++) {
        kern->rows[int(t)](q.data(), k, 0, int(rows), x.data() + tok * k, k, 1, one.data(), rows);
        CHECK_MSG(std::memcmp(one.data(), got.data() + tok * rows, rows * 4) == 0, "%s %s: token %d alone differs", isa,
                  type_name(i), tok);
        for (size_t o = 0; o < rows; o++) {
          double claim = 0, exact = 0, bound = 0, mag = 0;
          for (size_t b = 0; b < nb; b++) {
            const float* xb = x.data() + tok * k + b * 32;
            float amax = 0;
            for (int n = 0; n < 32; n++) amax = std::max(amax, std::fabs(xb[n]));
            const float dx = amax / 32767.0f, id = dx != 0 ? 1.0f / dx : 0.0f;
            // The offset m meets the exact sum of x, the codes the rounded x.
            const uint8_t* blk = q.data() + o * row_bytes + b * bb;
            const double m = rwkv::quant::has_min(t) ? rwkv::half_to_float(rwkv::quant::rd16(blk + 2)) : 0.0;
            for (int n = 0; n < 32; n++) {
              const double wv = wd[o * k + b * 32 + n], xq = double(std::nearbyint(xb[n] * id)) * dx;
              claim += (wv - m) * xq + m * xb[n];
              exact += wv * xb[n];
              bound += std::fabs(wv) * dx / 2;
              mag += std::fabs(wv * xb[n]);
            }
          }
          // fp32 accumulation of k terms: at most k * 2^-24 of their magnitude.
          const double g = got[size_t(tok) * rows + o], slack = double(k) * 0x1p-24 * mag + 1e-7;
          worst_claim = std::max(worst_claim, std::fabs(g - claim) / (mag + 1e-30));
          worst_bound = std::max(worst_bound, std::fabs(g - exact) / (bound + slack));
          CHECK_MSG(std::fabs(g - claim) <= slack, "%s %s row %zu token %d: %g, claimed arithmetic gives %g", isa,
                    type_name(i), o, tok, g, claim);
          CHECK_MSG(std::fabs(g - exact) <= bound + slack, "%s %s row %zu token %d: %g, exact %g, bound %g", isa,
                    type_name(i), o, tok, g, exact, bound);
        }
      }
      std::printf("%s %s: |error| up to %.2g of the terms' magnitude from the claimed arithmetic, %.2f of the "
                  "activation-rounding bound from the exact product\n",
                  isa, type_name(i), worst_claim, worst_bound);
    }
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
    for (size_t i = 0; i < kTypes.size(); i++) {
      const std::string in = dir + "tiny-rwkv-" + m + "-FP32.bin", out = tmp + "/" + type_name(i) + ".bin";
      rwkv::quantize_rwkvcpp(in, out, rwkv::dtype_from_name(type_name(i)));
      rwkv::LoadOptions deq, at_load;
      deq.dequantize = true;
      at_load.quantize = rwkv::quantized_type_from_name(type_name(i));
      const auto got = logits_of(rwkv::Model::load(out)), ref = logits_of(rwkv::Model::load(out, deq));
      const auto loaded = logits_of(rwkv::Model::load(in, at_load)), fp32 = logits_of(rwkv::Model::load(in));
      const float self = testing::max_abs_diff(got, ref);
      std::printf("%s %s: vs dequantized %.3g (%.2g of the largest logit), at load vs file %.3g, vs fp32 %.3g\n", m,
                  type_name(i), self, self / testing::max_abs(ref), testing::max_abs_diff(loaded, got),
                  testing::max_abs_diff(got, fp32));
      CHECK_MSG(self <= testing::quantized_tolerance(testing::max_abs(ref)), "%s %s: %g from its dequantized weights", m,
                type_name(i), self);
      CHECK_MSG(loaded == got, "%s %s: quantized at load differs from the quantized file", m, type_name(i));
    }
  std::system(("rm -rf '" + tmp + "'").c_str());
}

// What a token reads of the weights (Model::weight_bytes_per_token, rwkv-bench's bandwidth
// figures): a file's tensors, the embedding left out, where they run as stored (fp32 files and
// rwkv.cpp's quantized ones; RWKV-5.1 reads a little more, holding its per-head decay and bonus
// per channel); quantizing at load reads what the quantized file does, a dequantized file what
// the fp32 one does.
void weight_bytes() {
  const std::string dir = testing::testdata() + "/rwkvcpp/", tmp = testing::temp_dir("quantize-bytes");
  auto file_bytes = [](const rwkv::Model& m) {
    uint64_t n = 0;
    for (const auto& [name, t] : m.tensors().tensors()) n += name == "emb.weight" ? 0 : t.nbytes;
    return n;
  };
  auto u = [](uint64_t n) { return static_cast<unsigned long long>(n); };
  for (const char* m : {"4v0-660K", "5v1-730K", "5v2-730K", "7v0-834K"}) {
    const std::string in = dir + "tiny-rwkv-" + m + "-FP32.bin", out = tmp + "/q8_0.bin";
    rwkv::quantize_rwkvcpp(in, out, rwkv::DType::Q8_0);
    rwkv::LoadOptions deq, at_load;
    deq.dequantize = true;
    at_load.quantize = rwkv::DType::Q8_0;
    const auto fp32 = rwkv::Model::load(in), q8 = rwkv::Model::load(out);
    const uint64_t f = fp32->weight_bytes_per_token(), q = q8->weight_bytes_per_token();
    const uint64_t ff = file_bytes(*fp32), qf = file_bytes(*q8);
    std::printf("%s: a token reads %llu bytes in fp32 (its tensors %llu), %llu in q8_0 (%llu)\n", m, u(f), u(ff), u(q),
                u(qf));
    const bool as_stored = std::string(m) != "5v1-730K";
    CHECK_MSG(as_stored ? f == ff : f > ff, "%s fp32: %llu bytes, its tensors %llu", m, u(f), u(ff));
    CHECK_MSG(as_stored ? q == qf : q > qf, "%s q8_0: %llu bytes, its tensors %llu", m, u(q), u(qf));
    CHECK_MSG(f - q == ff - qf && q < f / 2, "%s: fp32 %llu, q8_0 %llu", m, u(f), u(q));
    CHECK(rwkv::Model::load(in, at_load)->weight_bytes_per_token() == q);
    CHECK(rwkv::Model::load(out, deq)->weight_bytes_per_token() == f);
  }
  std::system(("rm -rf '" + tmp + "'").c_str());
}

void errors() {
  const std::string tmp = testing::temp_dir("quantize-errors");
  const std::string fp32 = testing::testdata() + "/rwkvcpp/tiny-rwkv-4v0-660K-FP32.bin";
  CHECK_THROWS(rwkv::quantize_rwkvcpp(fp32, tmp + "/x.bin", rwkv::DType::F16), "not a quantized type");
  CHECK_THROWS(rwkv::dtype_from_name("q3_k"), "unknown data type 'q3_k'");
  CHECK_THROWS(rwkv::quantize_rwkvcpp(fp32, tmp + "/no/such/dir/x.bin", rwkv::DType::Q8_0), "cannot write");
  // A truncated input fails naming the tensor, and leaves neither output nor partial file.
  std::vector<uint8_t> cut = testing::read_bytes(fp32);
  cut.resize(cut.size() / 2);
  testing::write_bytes(tmp + "/cut.bin", cut);
  CHECK_THROWS(rwkv::quantize_rwkvcpp(tmp + "/cut.bin", tmp + "/out.bin", rwkv::DType::Q8_0), "data of tensor");
  CHECK(!std::ifstream(tmp + "/out.bin").good());
  CHECK(!std::ifstream(tmp + "/out.bin.part").good());
  rwkv::LoadOptions bad;
  bad.quantize = rwkv::DType::F16;
  CHECK_THROWS(rwkv::Model::load(fp32, bad), "not a quantized type");
  CHECK_THROWS(rwkv::quantized_type_from_name("fp16"), "'fp16' is not a quantized type (q4_0, q4_1, q5_0, q5_1, q8_0)");
  CHECK_THROWS(rwkv::quantized_type_from_name("q3"), "'q3' is not a quantized type");
  std::system(("rm -rf '" + tmp + "'").c_str());
}

}  // namespace

int main(int argc, char** argv) {
  return testing::run_cases(argc, argv,
                            {{"block-bounds", block_bounds},
                             {"kernels", kernels},
                             {"matches-rwkvcpp", matches_rwkvcpp, true},
                             {"models-every-type", models_every_type, true},
                             {"weight-bytes", weight_bytes, true},
                             {"errors", errors, true}},
                            !testing::testdata().empty());
}
