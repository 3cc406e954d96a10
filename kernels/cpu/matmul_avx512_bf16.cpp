// bf16 products (the opt-in LoadOptions::bf16_products): bf16 weights against activations
// rounded to bf16 (to nearest even) once per product, with vdpbf16ps: 32 products and
// their pairwise sums into 16 fp32 lanes per instruction, where the fp32 kernels' multiply-add
// does 16. Compiled with AVX-512 BF16 for this file only and called only after a run-time
// CPU check (matmul_dispatch.cpp). Each output is one accumulator over k in steps of 32,
// reduced at the end: the same order whatever the tile, so a token alone and among others
// (batched streams) give the same bits, as every kernel here.
#include <immintrin.h>

#include <cstdint>

#include "matmul_kernels.h"
#include "matmul_tiles.h"

namespace rwkv::cpu {
namespace {

constexpr size_t kPair = 32;  // bf16 values per 512-bit vector

// The last k % 32 values of a row: a masked load (zeros beyond the row).
__mmask32 tail_mask(size_t n) { return n >= 32 ? ~__mmask32(0) : __mmask32((uint32_t(1) << n) - 1); }

// Activations rounded to bf16, each token's row padded with zeros to whole vectors.
void round_to_bf16(const float* x, size_t k, size_t ldx, int t, uint16_t* xb) {
  const size_t padded = bf16_row(k);
  for (int tok = 0; tok < t; tok++)
    for (size_t i = 0; i < k; i += kPair) {
      const float* p = x + size_t(tok) * ldx + i;
      const size_t n = std::min(kPair, k - i);
      const __mmask16 lo = __mmask16(tail_mask(std::min<size_t>(n, 16))),
                      hi = __mmask16(n > 16 ? tail_mask(n - 16) : 0);
      const __m512 a = _mm512_maskz_loadu_ps(lo, p), b = _mm512_maskz_loadu_ps(hi, p + 16);
      _mm512_storeu_si512(xb + size_t(tok) * padded + i, reinterpret_cast<__m512i>(_mm512_cvtne2ps_pbh(b, a)));  // a first
    }
}

template <int NR, int NT, bool Tail>
inline void bf16_step(const uint16_t* w, size_t k, int o, size_t i, const uint16_t* x, size_t ldx, __m512 (&acc)[NR][NT]) {
  __m512bh wv[NR];
  for (int r = 0; r < NR; r++) {
    const uint16_t* p = w + size_t(o + r) * k + i;
    if constexpr (Tail) {
      wv[r] = reinterpret_cast<__m512bh>(_mm512_maskz_loadu_epi16(tail_mask(k - i), p));
    } else {
      // Only a single token's rows, which stream from memory: several tokens' tiles read
      // their rows from cache (blocks of rows, matmul_tiles.h), where the extra load slowed
      // the 768 x 3072 products by a quarter.
      if constexpr (NT == 1) __builtin_prefetch(p + kPrefetchRows * k);
      wv[r] = reinterpret_cast<__m512bh>(_mm512_loadu_si512(p));
    }
  }
  for (int t = 0; t < NT; t++) {
    const __m512bh xv = reinterpret_cast<__m512bh>(_mm512_loadu_si512(x + t * ldx + i));
    for (int r = 0; r < NR; r++) acc[r][t] = _mm512_dpbf16_ps(acc[r][t], wv[r], xv);
  }
}

// An accumulator's 16 lanes summed as a fixed tree: lane i + lane i + 8, then i + 4, i + 2,
// i + 1. sum4 forms four such sums at once with the same additions (each output's bits do not
// depend on whether it was reduced alone or with three others), in about a third of the
// instructions: with k = 768 the reductions were a fifth of a 4 x 4 tile's work.
float sum1(__m512 a) {
  const __m256 s8 = _mm256_add_ps(_mm512_castps512_ps256(a),
                                  _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(a), 1)));
  const __m128 s4 = _mm_add_ps(_mm256_castps256_ps128(s8), _mm256_extractf128_ps(s8, 1));
  const __m128 s2 = _mm_add_ps(s4, _mm_movehl_ps(s4, s4));
  return _mm_cvtss_f32(_mm_add_ss(s2, _mm_movehdup_ps(s2)));
}

__m128 sum4(__m512 a0, __m512 a1, __m512 a2, __m512 a3) {
  // [a0 lanes 0-7 + 8-15 | a1 ...] and the same for a2, a3.
  const __m512 u01 = _mm512_add_ps(_mm512_shuffle_f32x4(a0, a1, 0x44), _mm512_shuffle_f32x4(a0, a1, 0xee));
  const __m512 u23 = _mm512_add_ps(_mm512_shuffle_f32x4(a2, a3, 0x44), _mm512_shuffle_f32x4(a2, a3, 0xee));
  // Quarter j: a_j's lanes 0-3 + 4-7 of the above.
  const __m512 v = _mm512_add_ps(_mm512_shuffle_f32x4(u01, u23, 0x88), _mm512_shuffle_f32x4(u01, u23, 0xdd));
  const __m512 w = _mm512_add_ps(v, _mm512_permute_ps(v, 0x4e));  // lane 0 + 2, 1 + 3 of each quarter
  const __m512 z = _mm512_add_ps(w, _mm512_permute_ps(w, 0xb1));  // lane 0 + 1
  return _mm512_castps512_ps128(_mm512_permutexvar_ps(_mm512_setr_epi32(0, 4, 8, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0), z));
}

template <int NR, int NT>
inline void bf16_tile(const uint16_t* w, size_t k, int o, const uint16_t* x, size_t ldx, float* y, size_t ldy) {
  __m512 acc[NR][NT];
  for (int r = 0; r < NR; r++)
    for (int t = 0; t < NT; t++) acc[r][t] = _mm512_setzero_ps();
  size_t i = 0;
  for (; i + kPair <= k; i += kPair) bf16_step<NR, NT, false>(w, k, o, i, x, ldx, acc);
  if (i < k) bf16_step<NR, NT, true>(w, k, o, i, x, ldx, acc);
  for (int t = 0; t < NT; t++) {
    if constexpr (NR == 4)
      _mm_storeu_ps(y + t * ldy + size_t(o), sum4(acc[0][t], acc[1][t], acc[2][t], acc[3][t]));
    else
      for (int r = 0; r < NR; r++) y[t * ldy + size_t(o + r)] = sum1(acc[r][t]);
  }
}

// 4 rows x 4 tokens: 16 accumulators, 4 weight and 1 activation vectors of the 32 registers.
struct Bf16Tiles {
  static constexpr int kRows = 4, kCachedRows = 4;
  static size_t row_bytes(size_t k) { return k * 2; }
  template <int NR, int NT>
  static void run(const void* w, size_t k, int o, const uint16_t* x, size_t ldx, float* y, size_t ldy) {
    bf16_tile<NR, NT>(static_cast<const uint16_t*>(w), k, o, x, ldx, y, ldy);
  }
};

void bf16_rows(const void* w, size_t k, int o0, int o1, const uint16_t* xb, int t, float* y, size_t ldy) {
  tiled_rows<Bf16Tiles>(w, k, o0, o1, xb, bf16_row(k), t, y, ldy);
}

}  // namespace

namespace detail {
const Bf16Kernels kBf16Products = {round_to_bf16, bf16_rows};
}  // namespace detail

}  // namespace rwkv::cpu
