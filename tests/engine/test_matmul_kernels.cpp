// The CPU matrix kernels of every weight type, on every instruction set this CPU runs:
// a token's outputs are the same bits whether it comes alone or with others (any number of
// tokens, any row range: what batched streams rely on), and the float kernels stay within
// the textbook bound of a float32 dot product of the decoded weights.
#include <cstring>

#include "kernels/cpu/matmul_kernels.h"
#include "kernels/half.h"
#include "kernels/quant_blocks.h"
#include "testing.h"

namespace {

using testing::random_values;

using rwkv::DType;

// Every weight type the table has (rwkv/dtype.h), so a new one is tested by every case.
using TypeCase = rwkv::DTypeInfo;
const auto& kTypes = rwkv::kDTypes;
const char* const kIsas[] = {"generic", "avx2", "avx512"};

// A rows x k matrix in type t and its decoded values.
struct Matrix {
  std::vector<uint8_t> bytes;
  std::vector<float> values;
};

Matrix make_matrix(DType t, size_t rows, size_t k, uint32_t seed) {
  const std::vector<float> w = random_values(rows * k, seed);
  Matrix m{std::vector<uint8_t>(rows * rwkv::dtype_row_bytes(t, k)), std::vector<float>(rows * k)};
  for (size_t i = 0; i < rows * k; i++) {
    if (t == DType::F32) {
      std::memcpy(m.bytes.data() + 4 * i, &w[i], 4);
      m.values[i] = w[i];
    } else if (t == DType::F16 || t == DType::BF16) {
      const uint16_t h = t == DType::F16 ? rwkv::float_to_half(w[i]) : rwkv::float_to_bf16(w[i]);
      std::memcpy(m.bytes.data() + 2 * i, &h, 2);
      m.values[i] = t == DType::F16 ? rwkv::half_to_float(h) : rwkv::bf16_to_float(h);
    }
  }
  if (rwkv::dtype_is_quantized(t)) {
    const size_t bb = rwkv::dtype_block_bytes(t);
    for (size_t b = 0; b < rows * k / 32; b++) {
      rwkv::quant::encode_block(t, w.data() + b * 32, m.bytes.data() + b * bb);
      rwkv::quant::decode_block(t, m.bytes.data() + b * bb, m.values.data() + b * 32);
    }
  }
  return m;
}

// Each token alone (t = 1, all rows) against the same token in calls of T tokens split into
// the row ranges of a thread pool: bit for bit. T covers one token, the tile widths and every
// remainder, both sides of the switch from row tiles to row blocks, and a prefill.
void token_alone() {
  const size_t rows = 53;
  for (const char* isa : kIsas) {
    const rwkv::cpu::MatmulKernels* kern = rwkv::cpu::matmul_kernels_for(isa);
    if (!kern) {
      std::printf("%s: not on this CPU\n", isa);
      continue;
    }
    for (const TypeCase& tc : kTypes) {
      const bool quantized = rwkv::dtype_is_quantized(tc.type);
      // k not a multiple of the vector width exercises the float kernels' scalar tail; k = 1024
      // makes a single token's rows long enough to be read as streaming (matmul_tiles.h).
      for (size_t k : quantized ? std::vector<size_t>{256} : std::vector<size_t>{256, 203, 1024}) {
        const Matrix m = make_matrix(tc.type, rows, k, uint32_t(k) + uint32_t(tc.type));
        const int kMaxT = 40;
        const std::vector<float> x = random_values(size_t(kMaxT) * k, 7);
        std::vector<float> alone(size_t(kMaxT) * rows);
        for (int tok = 0; tok < kMaxT; tok++)
          kern->rows[int(tc.type)](m.bytes.data(), k, 0, int(rows), x.data() + tok * k, k, 1,
                                   alone.data() + tok * rows, rows);
        for (int T : {2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 16, 17, 40}) {
          std::vector<float> got(size_t(T) * rows, -1.0f);
          for (auto [o0, o1] : {std::pair{0, 20}, std::pair{20, 27}, std::pair{27, int(rows)}})
            kern->rows[int(tc.type)](m.bytes.data(), k, o0, o1, x.data(), k, T, got.data(), rows);
          CHECK_MSG(std::memcmp(got.data(), alone.data(), got.size() * 4) == 0,
                    "%s %s k=%zu: a token among %d differs from the token alone", isa, tc.name, k, T);
        }
      }
    }
  }
}

// T tokens' outputs y[t * rows + o] against a float64 dot product of m's values and x(t, i):
// a float32 sum of k products in any order is within gamma_k = k u / (1 - k u) of sum |w x|
// (u = 2^-24). Returns the worst error as a fraction of its bound.
template <class X>
double check_f32_bound(const Matrix& m, size_t rows, size_t k, int T, const X& x, const float* y, const char* what) {
  const double u = std::ldexp(1.0, -24), gamma = double(k) * u / (1 - double(k) * u);
  double worst = 0;
  for (int t = 0; t < T; t++)
    for (size_t o = 0; o < rows; o++) {
      double exact = 0, mag = 0;
      for (size_t i = 0; i < k; i++) {
        const double p = double(m.values[o * k + i]) * double(x(t, i));
        exact += p;
        mag += std::fabs(p);
      }
      const double err = std::fabs(double(y[t * rows + o]) - exact);
      worst = std::max(worst, err / (gamma * mag));
      CHECK_MSG(err <= gamma * mag, "%s token %d row %zu: %g, exact %g", what, t, o, double(y[t * rows + o]), exact);
    }
  return worst;
}

// The float kernels (fp32 / fp16 / bf16 weights, converted exactly) within the float32 bound
// of a float64 dot product of the same values (check_f32_bound). The quantized kernels'
// arithmetic is tested in test_quantize.
void float_bound() {
  const size_t rows = 29, k = 203;
  const int T = 6;
  for (const char* isa : kIsas) {
    const rwkv::cpu::MatmulKernels* kern = rwkv::cpu::matmul_kernels_for(isa);
    if (!kern) continue;
    for (const TypeCase& tc : kTypes) {
      if (rwkv::dtype_is_quantized(tc.type)) continue;
      const Matrix m = make_matrix(tc.type, rows, k, 3);
      const std::vector<float> x = random_values(size_t(T) * k, 11);
      std::vector<float> y(size_t(T) * rows);
      kern->rows[int(tc.type)](m.bytes.data(), k, 0, int(rows), x.data(), k, T, y.data(), rows);
      char what[64];
      std::snprintf(what, sizeof what, "%s %s", isa, tc.name);
      const double worst = check_f32_bound(m, rows, k, T, [&](int t, size_t i) { return x[t * k + i]; }, y.data(), what);
      std::printf("%s %s: worst error %.3f of the bound\n", isa, tc.name, worst);
    }
  }
}

// The AVX-512 quantized kernels give the AVX2 kernels' results, bit for bit: the same integer
// codes, the same 16-bit activations, and the two halves' integer sums added into the eight the
// AVX2 kernel forms, then scaled in the same order. (The generic kernel sums a block's 32
// products in one integer and so rounds differently.)
void quantized_isas_agree() {
  const size_t rows = 37, k = 512;
  const rwkv::cpu::MatmulKernels *avx2 = rwkv::cpu::matmul_kernels_for("avx2"),
                                 *avx512 = rwkv::cpu::matmul_kernels_for("avx512");
  if (!avx2 || !avx512) {
    std::printf("AVX2 or AVX-512 not on this CPU: nothing to compare\n");
    return;
  }
  for (const TypeCase& tc : kTypes) {
    if (!rwkv::dtype_is_quantized(tc.type)) continue;
    const Matrix m = make_matrix(tc.type, rows, k, 19 + uint32_t(tc.type));
    for (int T : {1, 3, 4, 9}) {
      const std::vector<float> x = random_values(size_t(T) * k, 23 + uint32_t(T));
      std::vector<float> want(size_t(T) * rows), got(size_t(T) * rows, -1.0f);
      avx2->rows[int(tc.type)](m.bytes.data(), k, 0, int(rows), x.data(), k, T, want.data(), rows);
      avx512->rows[int(tc.type)](m.bytes.data(), k, 0, int(rows), x.data(), k, T, got.data(), rows);
      CHECK_MSG(std::memcmp(got.data(), want.data(), got.size() * 4) == 0, "%s T=%d: AVX-512 differs from AVX2",
                tc.name, T);
    }
    std::printf("%s: AVX-512 and AVX2 agree\n", tc.name);
  }
}

// The bf16 products: activations rounded to nearest even (and padded with zeros) bit for bit
// as float_to_bf16 rounds them; a token alone and among others gives the same bits; and each
// output is within the float32 bound of a float64 dot product of the bf16 weights and the
// rounded activations (each product of two bf16 values is exact in fp32). Skips where the CPU
// lacks AVX-512 BF16.
void bf16_products() {
  const rwkv::cpu::MatmulKernels* avx512 = rwkv::cpu::matmul_kernels_for("avx512");
  const rwkv::cpu::Bf16Kernels* bf = avx512 ? avx512->bf16_products : nullptr;
  if (!bf) {
    std::printf("no AVX-512 BF16 on this CPU (dispatching %s): nothing to test\n", rwkv::cpu::matmul_kernels().isa);
    std::exit(77);
  }
  const size_t rows = 53;
  for (size_t k : {256, 203, 1024, 33}) {
    const Matrix m = make_matrix(DType::BF16, rows, k, uint32_t(k) + 5);
    const int kMaxT = 40;
    const size_t ldx = k + 3;  // strided rows, as a slice of a wider activation
    const std::vector<float> x = random_values(size_t(kMaxT) * ldx, 9);
    const size_t lb = rwkv::cpu::bf16_row(k);
    std::vector<uint16_t> xb(size_t(kMaxT) * lb, 0xffff);
    bf->round(x.data(), k, ldx, kMaxT, xb.data());
    for (int tok = 0; tok < kMaxT; tok++)
      for (size_t i = 0; i < lb; i++) {
        const uint16_t want = i < k ? rwkv::float_to_bf16(x[tok * ldx + i]) : 0;
        CHECK_MSG(xb[tok * lb + i] == want, "k=%zu token %d value %zu: rounded to %04x, not %04x", k, tok, i,
                  xb[tok * lb + i], want);
      }
    std::vector<float> alone(size_t(kMaxT) * rows);
    for (int tok = 0; tok < kMaxT; tok++)
      bf->rows(m.bytes.data(), k, 0, int(rows), xb.data() + tok * lb, 1, alone.data() + tok * rows, rows);
    for (int T : {2, 3, 4, 5, 7, 8, 9, 17, 40}) {
      std::vector<float> got(size_t(T) * rows, -1.0f);
      for (auto [o0, o1] : {std::pair{0, 20}, std::pair{20, 27}, std::pair{27, int(rows)}})
        bf->rows(m.bytes.data(), k, o0, o1, xb.data(), T, got.data(), rows);
      CHECK_MSG(std::memcmp(got.data(), alone.data(), got.size() * 4) == 0,
                "bf16 products k=%zu: a token among %d differs from the token alone", k, T);
    }
    char what[64];
    std::snprintf(what, sizeof what, "bf16 products k=%zu", k);
    const double worst = check_f32_bound(
        m, rows, k, kMaxT, [&](int t, size_t i) { return rwkv::bf16_to_float(xb[t * lb + i]); }, alone.data(), what);
    std::printf("bf16 products k=%zu: worst error %.3f of the bound\n", k, worst);
  }
}

}  // namespace

int main(int argc, char** argv) {
  return testing::run_cases(
      argc, argv,
      {{"token-alone", token_alone}, {"float-bound", float_bound}, {"quantized-isas-agree", quantized_isas_agree},
       {"bf16-products", bf16_products}},
      true);
}
