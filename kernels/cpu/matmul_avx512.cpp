// AVX-512F kernels (16 floats per vector); compiled with AVX-512 enabled for this file only
// and called only after a run-time CPU check (no shared inline code is included, see avx2).
#include <immintrin.h>

#include <cstdint>

#include "matmul_kernels.h"
#include "matmul_tiles.h"

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

}  // namespace

namespace detail {
// The block types have no AVX-512 rows yet: matmul_kernels_for() fills them from kAvx2.
const MatmulKernels kAvx512 = [] {
  MatmulKernels k{"avx512", {}};
  k.rows[int(DType::F32)] = rows<F32Ops>;
  k.rows[int(DType::F16)] = rows<F16Ops>;
  k.rows[int(DType::BF16)] = rows<BF16Ops>;
  return k;
}();
}  // namespace detail

}  // namespace rwkv::cpu
