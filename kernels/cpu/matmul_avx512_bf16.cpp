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
      __builtin_prefetch(p + kPrefetchRows * k);
      wv[r] = reinterpret_cast<__m512bh>(_mm512_loadu_si512(p));
    }
  }
  for (int t = 0; t < NT; t++) {
    const __m512bh xv = reinterpret_cast<__m512bh>(_mm512_loadu_si512(x + t * ldx + i));
    for (int r = 0; r < NR; r++) acc[r][t] = _mm512_dpbf16_ps(acc[r][t], wv[r], xv);
  }
}

template <int NR, int NT>
inline void bf16_tile(const uint16_t* w, size_t k, int o, const uint16_t* x, size_t ldx, float* y, size_t ldy) {
  __m512 acc[NR][NT];
  for (int r = 0; r < NR; r++)
    for (int t = 0; t < NT; t++) acc[r][t] = _mm512_setzero_ps();
  size_t i = 0;
  for (; i + kPair <= k; i += kPair) bf16_step<NR, NT, false>(w, k, o, i, x, ldx, acc);
  if (i < k) bf16_step<NR, NT, true>(w, k, o, i, x, ldx, acc);
  for (int r = 0; r < NR; r++)
    for (int t = 0; t < NT; t++) y[t * ldy + size_t(o + r)] = _mm512_reduce_add_ps(acc[r][t]);
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
