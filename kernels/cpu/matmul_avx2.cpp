// AVX2 + FMA + F16C kernels; this file alone is compiled with those instructions enabled and
// is only called after a run-time CPU check. What it shares with the AVX-512 file
// (quant_avx2.h, matmul_tiles.h) has internal linkage, so no AVX2 copy of a common function
// can be picked by the linker for other callers.
#include <immintrin.h>

#include <cstdint>
#include <cstring>

#include "matmul_kernels.h"
#include "matmul_tiles.h"
#include "quant_avx2.h"

namespace rwkv::cpu {
namespace {

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

struct Q8_0Ops : QuantBase {
  static constexpr size_t kBlockBytes = dtype_block_bytes(DType::Q8_0);
  static constexpr bool kHasMin = false;
  static Codes codes(const uint8_t* b) {
    return {_mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(b + 2))),
            _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(b + 18)))};
  }
};

// Bit n of the 16 bits at p as 0x10 of 16-bit lane n.
__m256i fifth_bits16(const uint8_t* p) {
  uint16_t h;
  std::memcpy(&h, p, 2);
  const __m256i bit = _mm256_setr_epi16(1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384, -32768);
  const __m256i set = _mm256_cmpeq_epi16(_mm256_and_si256(_mm256_set1_epi16(int16_t(h)), bit), bit);
  return _mm256_and_si256(set, _mm256_set1_epi16(0x10));
}

// 4- and 5-bit codes (rwkv/dtype.h): has_min says whether an fp16 m follows d, high_bits
// whether 32 fifth bits do. Nibble byte j holds value j (low) and value j + 16 (high); bit n
// of the fifth bits is bit 4 of value n; without m the codes are centred on `zero`.
template <DType T>
struct NibbleOps : QuantBase {
  static constexpr bool Min = dtype_info(T).has_min, High = dtype_info(T).high_bits;
  static constexpr size_t kBlockBytes = dtype_block_bytes(T);
  static constexpr bool kHasMin = Min;
  static Codes codes(const uint8_t* b) {
    const __m256i bytes =
        _mm256_cvtepu8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(b + kBlockBytes - 16)));
    Codes c{_mm256_and_si256(bytes, _mm256_set1_epi16(0x0f)), _mm256_srli_epi16(bytes, 4)};
    if constexpr (High) {
      const uint8_t* qh = b + (Min ? 4 : 2);
      c.lo = _mm256_or_si256(c.lo, fifth_bits16(qh));
      c.hi = _mm256_or_si256(c.hi, fifth_bits16(qh + 2));
    }
    if constexpr (!Min) {
      const __m256i centre = _mm256_set1_epi16(dtype_info(T).zero);
      c.lo = _mm256_sub_epi16(c.lo, centre);
      c.hi = _mm256_sub_epi16(c.hi, centre);
    }
    return c;
  }
};

}  // namespace

namespace detail {
const MatmulKernels kAvx2 = [] {
  MatmulKernels k{"avx2", {}};
  k.rows[int(DType::F32)] = rows<F32Ops>;
  k.rows[int(DType::F16)] = rows<F16Ops>;
  k.rows[int(DType::BF16)] = rows<BF16Ops>;
  k.rows[int(DType::Q8_0)] = qrows<Q8_0Ops>;
  k.rows[int(DType::Q4_0)] = qrows<NibbleOps<DType::Q4_0>>;
  k.rows[int(DType::Q4_1)] = qrows<NibbleOps<DType::Q4_1>>;
  k.rows[int(DType::Q5_0)] = qrows<NibbleOps<DType::Q5_0>>;
  k.rows[int(DType::Q5_1)] = qrows<NibbleOps<DType::Q5_1>>;
  return k;
}();
}  // namespace detail

}  // namespace rwkv::cpu
