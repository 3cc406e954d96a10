// AVX2 + FMA + F16C kernels; this file alone is compiled with those instructions enabled and
// is only called after a run-time CPU check. It includes no shared inline code, so no
// AVX2 copy of a common function can be picked by the linker for other callers.
#include <immintrin.h>

#include <cstdint>
#include <cstring>

#include "matmul_kernels.h"
#include "matmul_tiles.h"

namespace rwkv::cpu {
namespace {

struct Avx2Base {
  using vec = __m256;
  static constexpr size_t kWidth = 8;
  static vec zero() { return _mm256_setzero_ps(); }
  static vec load_x(const float* p) { return _mm256_loadu_ps(p); }
  static vec fma(vec a, vec b, vec c) { return _mm256_fmadd_ps(a, b, c); }
  static float reduce(vec a, vec b) {
    const __m256 s = _mm256_add_ps(a, b);
    __m128 h = _mm_add_ps(_mm256_castps256_ps128(s), _mm256_extractf128_ps(s, 1));
    h = _mm_add_ps(h, _mm_movehl_ps(h, h));
    h = _mm_add_ss(h, _mm_movehdup_ps(h));
    return _mm_cvtss_f32(h);
  }
};

struct F32Ops : Avx2Base {
  using WT = float;
  static vec load_w(const float* p) { return _mm256_loadu_ps(p); }
  static float scalar_w(const float* p, size_t i) { return p[i]; }
};

struct F16Ops : Avx2Base {
  using WT = uint16_t;
  static vec load_w(const uint16_t* p) {
    return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
  }
  static float scalar_w(const uint16_t* p, size_t i) {
    return _mm_cvtss_f32(_mm_cvtph_ps(_mm_cvtsi32_si128(p[i])));
  }
};

struct BF16Ops : Avx2Base {
  using WT = uint16_t;
  static vec load_w(const uint16_t* p) {
    const __m256i i32 = _mm256_cvtepu16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
    return _mm256_castsi256_ps(_mm256_slli_epi32(i32, 16));
  }
  static float scalar_w(const uint16_t* p, size_t i) {
    return _mm_cvtss_f32(_mm_castsi128_ps(_mm_cvtsi32_si128(int(uint32_t(p[i]) << 16))));
  }
};

// Quantized blocks (layouts in kernels/quant_blocks.h, whose decode_block these reproduce
// exactly: integer codes converted to fp32, times d, plus m, each rounded once as there; this
// file is built with -ffp-contract=off so the product and sum are not fused).
__m256 half_at(const uint8_t* p) {
  uint16_t h;
  std::memcpy(&h, p, 2);
  return _mm256_set1_ps(_cvtsh_ss(h));
}

struct Q8_0Ops : Avx2Base {
  static constexpr size_t kBlockBytes = 34;
  static void dequant(const uint8_t* b, vec* v) {
    const __m256 d = half_at(b);
    for (int g = 0; g < 4; g++) {
      const __m128i q = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(b + 2 + 8 * g));
      v[g] = _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(q)), d);
    }
  }
};

// 4- and 5-bit codes: Min says whether an fp16 m follows d, High whether 32 fifth bits do.
template <bool Min, bool High>
struct NibbleOps : Avx2Base {
  static constexpr size_t kBlockBytes = 2 + (Min ? 2 : 0) + (High ? 4 : 0) + 16;
  static void dequant(const uint8_t* b, vec* v) {
    const __m256 d = half_at(b);
    const uint8_t* qs = b + kBlockBytes - 16;
    const __m128i raw = _mm_loadu_si128(reinterpret_cast<const __m128i*>(qs));
    const __m128i mask = _mm_set1_epi8(0x0f);
    const __m128i lo = _mm_and_si128(raw, mask), hi = _mm_and_si128(_mm_srli_epi16(raw, 4), mask);
    __m256i q[4] = {_mm256_cvtepu8_epi32(lo), _mm256_cvtepu8_epi32(_mm_srli_si128(lo, 8)),
                    _mm256_cvtepu8_epi32(hi), _mm256_cvtepu8_epi32(_mm_srli_si128(hi, 8))};
    if constexpr (High) {
      uint32_t qh;
      std::memcpy(&qh, b + (Min ? 4 : 2), 4);
      const __m256i bits = _mm256_set1_epi32(int(qh)), one = _mm256_set1_epi32(1);
      for (int g = 0; g < 4; g++) {
        const __m256i shift = _mm256_add_epi32(_mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7), _mm256_set1_epi32(8 * g));
        const __m256i fifth = _mm256_and_si256(_mm256_srlv_epi32(bits, shift), one);
        q[g] = _mm256_or_si256(q[g], _mm256_slli_epi32(fifth, 4));
      }
    }
    if constexpr (Min) {
      const __m256 m = half_at(b + 2);
      for (int g = 0; g < 4; g++) v[g] = _mm256_add_ps(_mm256_mul_ps(_mm256_cvtepi32_ps(q[g]), d), m);
    } else {
      const __m256i zero = _mm256_set1_epi32(High ? 16 : 8);
      for (int g = 0; g < 4; g++) v[g] = _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_sub_epi32(q[g], zero)), d);
    }
  }
};

}  // namespace

namespace detail {
const MatmulKernels kAvx2 = {"avx2",
                             {rows<F32Ops>, rows<F16Ops>, rows<BF16Ops>, qrows<Q8_0Ops>, qrows<NibbleOps<false, false>>,
                              qrows<NibbleOps<true, false>>, qrows<NibbleOps<false, true>>, qrows<NibbleOps<true, true>>}};
}  // namespace detail

}  // namespace rwkv::cpu
