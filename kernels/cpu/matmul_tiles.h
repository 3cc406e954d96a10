// The tiling shared by every instruction set: blocks of NR rows x NT tokens, each output
// accumulated by Ops::dot-style lanes in the same order regardless of NR and NT.
// Ops provides: vec, zero(), load_x(p), load_w(p) (type-specific), fma(a, b, c),
// reduce(acc0, acc1) -> float, kWidth (floats per vec), and scalar_w(p, i).
#pragma once
#include <algorithm>
#include <cstddef>
#include <cstdint>

namespace rwkv::cpu {

template <class Ops, int NR, int NT>
inline void tile(const typename Ops::WT* w, size_t k, int o, const float* x, size_t ldx, float* y,
                 size_t ldy) {
  using V = typename Ops::vec;
  constexpr size_t W = Ops::kWidth;
  V acc[NR][NT][2];
  for (int r = 0; r < NR; r++)
    for (int t = 0; t < NT; t++) acc[r][t][0] = acc[r][t][1] = Ops::zero();
  size_t i = 0;
  for (; i + 2 * W <= k; i += 2 * W) {
    for (int r = 0; r < NR; r++) {
      const typename Ops::WT* wr = w + size_t(o + r) * k + i;
      const V w0 = Ops::load_w(wr), w1 = Ops::load_w(wr + W);
      for (int t = 0; t < NT; t++) {
        acc[r][t][0] = Ops::fma(w0, Ops::load_x(x + t * ldx + i), acc[r][t][0]);
        acc[r][t][1] = Ops::fma(w1, Ops::load_x(x + t * ldx + i + W), acc[r][t][1]);
      }
    }
  }
  for (int r = 0; r < NR; r++) {
    const typename Ops::WT* wr = w + size_t(o + r) * k;
    for (int t = 0; t < NT; t++) {
      float s = Ops::reduce(acc[r][t][0], acc[r][t][1]);
      for (size_t j = i; j < k; j++) s += Ops::scalar_w(wr, j) * x[t * ldx + j];
      y[t * ldy + size_t(o + r)] = s;
    }
  }
}

// The same tile over a quantized matrix: Ops::dequant(block, v) turns one 32-value block
// into four 8-float vectors holding exactly the dequantized fp32 values, which meet the
// activations in the order the fp32 tile (kWidth 8) uses: lanes 0 and 1 alternate every 8
// values. So a quantized matrix gives bit for bit what its dequantized fp32 copy gives.
template <class Ops, int NR, int NT>
inline void qtile(const uint8_t* w, size_t k, int o, const float* x, size_t ldx, float* y, size_t ldy) {
  static_assert(Ops::kWidth == 8, "the block order below is that of 8-float lanes");
  using V = typename Ops::vec;
  const size_t blocks = k / 32, row_bytes = blocks * Ops::kBlockBytes;
  V acc[NR][NT][2];
  for (int r = 0; r < NR; r++)
    for (int t = 0; t < NT; t++) acc[r][t][0] = acc[r][t][1] = Ops::zero();
  for (size_t b = 0; b < blocks; b++) {
    for (int r = 0; r < NR; r++) {
      V wv[4];
      Ops::dequant(w + size_t(o + r) * row_bytes + b * Ops::kBlockBytes, wv);
      for (int t = 0; t < NT; t++) {
        const float* xp = x + t * ldx + b * 32;
        for (int j = 0; j < 4; j++) acc[r][t][j & 1] = Ops::fma(wv[j], Ops::load_x(xp + 8 * j), acc[r][t][j & 1]);
      }
    }
  }
  for (int r = 0; r < NR; r++)
    for (int t = 0; t < NT; t++) y[t * ldy + size_t(o + r)] = Ops::reduce(acc[r][t][0], acc[r][t][1]);
}

// Tile families for rows(): plain element types and quantized blocks.
template <class Ops>
struct PlainTiles {
  using W = typename Ops::WT;
  static size_t row_bytes(size_t k) { return k * sizeof(W); }
  template <int NR, int NT>
  static void run(const void* w, size_t k, int o, const float* x, size_t ldx, float* y, size_t ldy) {
    tile<Ops, NR, NT>(static_cast<const W*>(w), k, o, x, ldx, y, ldy);
  }
};

template <class Ops>
struct BlockTiles {
  static size_t row_bytes(size_t k) { return k / 32 * Ops::kBlockBytes; }
  template <int NR, int NT>
  static void run(const void* w, size_t k, int o, const float* x, size_t ldx, float* y, size_t ldy) {
    qtile<Ops, NR, NT>(static_cast<const uint8_t*>(w), k, o, x, ldx, y, ldy);
  }
};

// Rows [o0, o1) for all t tokens: token blocks of 4 share each weight load; the remaining
// tokens go one at a time over 4 rows at once for instruction-level parallelism. The rows go
// in blocks of about 32 KB of weights, which stay in cache while every token passes over
// them: each weight comes from memory once per call, however many tokens (or streams) it
// serves. Every output is the same sum in the same order whichever tile computes it.
template <class Tiles>
void tiled_rows(const void* w, size_t k, int o0, int o1, const float* x, size_t ldx, int t, float* y,
                size_t ldy) {
  const int block = int(std::max<size_t>(4, (size_t(32) << 10) / Tiles::row_bytes(k) / 4 * 4));
  for (int b0 = o0; b0 < o1; b0 += block) {
    const int b1 = std::min(o1, b0 + block);
    int t0 = 0;
    for (; t0 + 4 <= t; t0 += 4)
      for (int o = b0; o < b1; o++) Tiles::template run<1, 4>(w, k, o, x + t0 * ldx, ldx, y + t0 * ldy, ldy);
    for (; t0 < t; t0++) {
      int o = b0;
      for (; o + 4 <= b1; o += 4) Tiles::template run<4, 1>(w, k, o, x + t0 * ldx, ldx, y + t0 * ldy, ldy);
      for (; o < b1; o++) Tiles::template run<1, 1>(w, k, o, x + t0 * ldx, ldx, y + t0 * ldy, ldy);
    }
  }
}

template <class Ops>
void rows(const void* w, size_t k, int o0, int o1, const float* x, size_t ldx, int t, float* y, size_t ldy) {
  tiled_rows<PlainTiles<Ops>>(w, k, o0, o1, x, ldx, t, y, ldy);
}

template <class Ops>
void qrows(const void* w, size_t k, int o0, int o1, const float* x, size_t ldx, int t, float* y, size_t ldy) {
  tiled_rows<BlockTiles<Ops>>(w, k, o0, o1, x, ldx, t, y, ldy);
}

}  // namespace rwkv::cpu
