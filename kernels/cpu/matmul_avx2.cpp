// AVX2 + FMA + F16C kernels; this file alone is compiled with those instructions enabled and
// is only called after a run-time CPU check. It includes no shared inline code, so no
// AVX2 copy of a common function can be picked by the linker for other callers.
#include <immintrin.h>

#include <cstdint>

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

}  // namespace

namespace detail {
const MatmulKernels kAvx2 = {"avx2", {rows<F32Ops>, rows<F16Ops>, rows<BF16Ops>}};
}  // namespace detail

}  // namespace rwkv::cpu
