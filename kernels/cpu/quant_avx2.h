// The AVX2 pieces the AVX2 and AVX-512 quantized kernels share: 8-float vectors, the
// activations' 16-bit quantization, and the scaling of a block's eight 32-bit integer sums
// into the accumulator, so that both instruction sets give the same results, bit for bit.
// Included only by files compiled with AVX2 (and FMA, F16C) enabled; everything here is in
// an anonymous namespace, a copy of its own in each of them (see matmul_avx2.cpp).
#pragma once
#include <immintrin.h>

#include <cstdint>
#include <cstring>

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

// Quantized blocks (layouts in kernels/quant_blocks.h) against 16-bit activations
// (matmul_tiles.h: qtile).
float half_at(const uint8_t* p) {
  uint16_t h;
  std::memcpy(&h, p, 2);
  return _cvtsh_ss(h);
}

struct QuantBase : Avx2Base {
  // A block's 32 codes as 16-bit integers: values 0-15 in lo, 16-31 in hi.
  struct Codes {
    __m256i lo, hi;
  };
  static float hsum(vec a) { return reduce(a, _mm256_setzero_ps()); }
  static float scale(const uint8_t* b) { return half_at(b); }
  static float min(const uint8_t* b) { return half_at(b + 2); }
  // Two pair-summing multiplies, then the eight 32-bit sums scaled into acc.
  static vec dot(const Codes& c, const int16_t* q, float s, vec acc) {
    return scaled(_mm256_add_epi32(
                      _mm256_madd_epi16(c.lo, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(q))),
                      _mm256_madd_epi16(c.hi, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(q + 16)))),
                  s, acc);
  }
  // A block's eight 32-bit sums (lane i: the products of values 2i, 2i + 1, 2i + 16 and
  // 2i + 17; at most 4 * 128 * 32767 < 2^24, exact as floats) times s, added to acc.
  static vec scaled(__m256i sums, float s, vec acc) {
    return _mm256_fmadd_ps(_mm256_cvtepi32_ps(sums), _mm256_set1_ps(s), acc);
  }
  template <class XB>
  static void quantize(const float* x, XB& out) {
    __m256 v[4], amax = _mm256_setzero_ps(), sum = _mm256_setzero_ps();
    const __m256 abs_mask = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff));
    for (int g = 0; g < 4; g++) {
      v[g] = _mm256_loadu_ps(x + 8 * g);
      amax = _mm256_max_ps(amax, _mm256_and_ps(v[g], abs_mask));
      sum = _mm256_add_ps(sum, v[g]);
    }
    __m128 m = _mm_max_ps(_mm256_castps256_ps128(amax), _mm256_extractf128_ps(amax, 1));
    m = _mm_max_ps(m, _mm_movehl_ps(m, m));
    m = _mm_max_ss(m, _mm_movehdup_ps(m));
    const float d = _mm_cvtss_f32(m) / 32767.0f, id = d != 0.0f ? 1.0f / d : 0.0f;
    out.d = d;
    out.sum = reduce(sum, _mm256_setzero_ps());
    __m256i i[4];
    for (int g = 0; g < 4; g++) i[g] = _mm256_cvtps_epi32(_mm256_mul_ps(v[g], _mm256_set1_ps(id)));  // to nearest even
    // The packs work within 128-bit lanes; put the 64-bit groups back in order.
    for (int h = 0; h < 2; h++)
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(out.q + 16 * h),
                          _mm256_permute4x64_epi64(_mm256_packs_epi32(i[2 * h], i[2 * h + 1]), 0xd8));
  }
};

}  // namespace
}  // namespace rwkv::cpu
