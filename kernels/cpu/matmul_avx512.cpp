// AVX-512 F and BW kernels (16 floats per vector; 32 16-bit codes of a quantized block in
// one register); compiled with AVX-512 enabled for this file only and called only after a
// run-time CPU check (shared code has internal linkage, see matmul_avx2.cpp).
#include <immintrin.h>

#include <cstdint>

#include "matmul_kernels.h"
#include "matmul_tiles.h"
#include "quant_avx2.h"

namespace rwkv::cpu {
namespace {

struct Avx512Base {
  using vec = __m512;
  static constexpr size_t kWidth = 16;
  static vec zero() { return _mm512_setzero_ps(); }
  static vec load_x(const float* p) { return _mm512_loadu_ps(p); }
  static vec fma(vec a, vec b, vec c) { return _mm512_fmadd_ps(a, b, c); }
  static float reduce(vec a, vec b) { return _mm512_reduce_add_ps(_mm512_add_ps(a, b)); }
};

struct F32Ops : Avx512Base {
  using WT = float;
  static vec load_w(const float* p) { return _mm512_loadu_ps(p); }
  static float scalar_w(const float* p, size_t i) { return p[i]; }
};

struct F16Ops : Avx512Base {
  using WT = uint16_t;
  static vec load_w(const uint16_t* p) {
    return _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
  }
  static float scalar_w(const uint16_t* p, size_t i) {
    return _mm_cvtss_f32(_mm_cvtph_ps(_mm_cvtsi32_si128(p[i])));
  }
};

struct BF16Ops : Avx512Base {
  using WT = uint16_t;
  static vec load_w(const uint16_t* p) {
    const __m512i i32 = _mm512_cvtepu16_epi32(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
    return _mm512_castsi512_ps(_mm512_slli_epi32(i32, 16));
  }
  static float scalar_w(const uint16_t* p, size_t i) {
    return _mm_cvtss_f32(_mm_castsi128_ps(_mm_cvtsi32_si128(int(uint32_t(p[i]) << 16))));
  }
};

// Quantized blocks (kernels/quant_blocks.h) against 16-bit activations (matmul_tiles.h: qtile):
// a block's 32 codes in one register, one pair-summing multiply, and the two halves' 32-bit
// sums added lane by lane: the eight integer sums the AVX2 kernel forms, scaled into the same
// 8-lane accumulator (quant_avx2.h), so the two give the same results, bit for bit. VNNI's
// vpdpwssd would fuse the multiply with an integer accumulation, but each block has its own
// scale, so there is no integer accumulation to fuse; its 8-bit form would need activations
// rounded to 8 bits, which doubles a Q8_0 model's error (as ggml's does).
template <DType T>
struct Q512Ops : QuantBase {
  static constexpr bool Min = dtype_info(T).has_min, High = dtype_info(T).high_bits;
  static constexpr size_t kBlockBytes = dtype_block_bytes(T);
  static constexpr bool kHasMin = Min;
  static Codes codes(const uint8_t* b) { return halves(codes512(b)); }
  static Codes halves(__m512i c) { return {_mm512_castsi512_si256(c), _mm512_extracti64x4_epi64(c, 1)}; }
  static __m512i codes512(const uint8_t* b) {  // lane n: value n
    if constexpr (dtype_info(T).code_bits == 8)
      return _mm512_cvtepi8_epi16(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(b + 2)));
    // Nibble byte j holds value j (low) and value j + 16 (high): the 16 bytes twice, the
    // first copy masked, the second shifted.
    const __m128i raw = _mm_loadu_si128(reinterpret_cast<const __m128i*>(b + kBlockBytes - 16));
    const __m512i bytes = _mm512_cvtepu8_epi16(_mm256_set_m128i(raw, raw));
    const __m512i shift = _mm512_inserti64x4(_mm512_setzero_si512(), _mm256_set1_epi16(4), 1);  // 0s, then 4s
    __m512i c = _mm512_and_si512(_mm512_srlv_epi16(bytes, shift), _mm512_set1_epi16(0x0f));
    if constexpr (High) {  // bit n of the 32 fifth bits is bit 4 of value n
      uint32_t h;
      std::memcpy(&h, b + (Min ? 4 : 2), 4);
      c = _mm512_or_si512(c, _mm512_maskz_mov_epi16(__mmask32(h), _mm512_set1_epi16(0x10)));
    }
    if constexpr (!Min) c = _mm512_sub_epi16(c, _mm512_set1_epi16(dtype_info(T).zero));
    return c;
  }
};

}  // namespace

namespace detail {
const MatmulKernels kAvx512 = [] {
  MatmulKernels k{"avx512", {}};
  k.rows[int(DType::F32)] = rows<F32Ops>;
  k.rows[int(DType::F16)] = rows<F16Ops>;
  k.rows[int(DType::BF16)] = rows<BF16Ops>;
  // The 5-bit types only: their fifth bits come from one mask register here, where AVX2
  // spends ten instructions a block (Zen 4, 169M Q5_1: decode 1.17x, sequence 1.22x the AVX2
  // kernel, medians of three interleaved rounds). For Q8_0 and the 4-bit types the wider
  // decode measured level with AVX2 on Zen 4, which splits 512-bit operations in two; they
  // run the AVX2 kernels (matmul_dispatch.cpp).
  k.rows[int(DType::Q5_0)] = qrows<Q512Ops<DType::Q5_0>>;
  k.rows[int(DType::Q5_1)] = qrows<Q512Ops<DType::Q5_1>>;
  return k;
}();
}  // namespace detail

}  // namespace rwkv::cpu
