// The tiling shared by every instruction set: tiles of NR rows x NT tokens, each output summed
// in an order of its own type's (tile below), the same whatever the tile.
// Ops provides: vec, zero(), load_x(p), load_w(p) (type-specific), fma(a, b, c),
// reduce(acc0, acc1) -> float, kWidth (floats per vec), and scalar_w(p, i).
#pragma once
#include <algorithm>
#include <cstddef>
#include <cstdint>

namespace rwkv::cpu {

// Converting weights (fp16, bf16, quantized blocks) costs instructions per byte, so fewer
// misses are in flight and the hardware prefetchers fall behind (one core read fp16 and Q8_0
// matrices at half the fp32 bandwidth): each load asks for the same place four rows on.
// With one row read at a time that still gave Q8_0 and Q5_1 about 1.15 times the bandwidth
// on two cores and fp16 a little; fp32 had lost a fifth with it, so fp32 goes without.
constexpr size_t kPrefetchRows = 4;

// The weights of NR rows are converted once and meet NT tokens' activations, each loaded once
// for the NR rows. Each output is kChains chains (C) of lane-wise multiply-adds, chain c over
// the vectors c, c + C, ... of k, summed at the end: one chain for fp16 and bf16, so that
// 3 x 4 tiles keep their 12 accumulators, 3 weight and 1 activation vectors in AVX2's 16
// registers (converted weights are worth sharing between tokens); two for fp32, whose decode
// from memory needs the second chain to catch up after a miss (one row at a time read the
// 169M fp32 model 10% slower with one), and whose tiles stay one row wide.
template <class Ops>
constexpr int kChains = sizeof(typename Ops::WT) == 4 ? 2 : 1;

template <class Ops, int NR, int NT>
inline void tile(const typename Ops::WT* w, size_t k, int o, const float* x, size_t ldx, float* y,
                 size_t ldy) {
  using V = typename Ops::vec;
  constexpr size_t W = Ops::kWidth;
  constexpr int C = kChains<Ops>;
  V acc[NR][NT][C];
  for (int r = 0; r < NR; r++)
    for (int t = 0; t < NT; t++)
      for (int c = 0; c < C; c++) acc[r][t][c] = Ops::zero();
  size_t i = 0;
  for (; i + C * W <= k; i += C * W) {
    if constexpr (sizeof(typename Ops::WT) == 2)
      if (i % (2 * W) == 0)  // once a 32-byte step of each row
        for (int r = 0; r < NR; r++) __builtin_prefetch(w + size_t(o + r) * k + i + kPrefetchRows * k);
    for (int c = 0; c < C; c++) {
      V wv[NR];
      for (int r = 0; r < NR; r++) wv[r] = Ops::load_w(w + size_t(o + r) * k + i + c * W);
      for (int t = 0; t < NT; t++) {
        const V xv = Ops::load_x(x + t * ldx + i + c * W);
        for (int r = 0; r < NR; r++) acc[r][t][c] = Ops::fma(wv[r], xv, acc[r][t][c]);
      }
    }
  }
  for (int r = 0; r < NR; r++) {
    const typename Ops::WT* wr = w + size_t(o + r) * k;
    for (int t = 0; t < NT; t++) {
      float s = Ops::reduce(acc[r][t][0], C == 2 ? acc[r][t][C - 1] : Ops::zero());
      for (size_t j = i; j < k; j++) s += Ops::scalar_w(wr, j) * x[t * ldx + j];
      y[t * ldy + size_t(o + r)] = s;
    }
  }
}

// Quantized matrices meet activations quantized to 16-bit integers: each token's row of x
// in blocks of 32 (the weights' blocks), d = max|x| / 32767, q = round(x / d), with the
// block's exact fp32 sum kept for the offset m of Q4_1 / Q5_1. A block's product is then an
// exact integer dot product of codes, scaled once: sum = d_w d_x (codes . q) + m_w sum(x).
// That is a few integer instructions per block where fp32 needs the codes converted, scaled
// and multiplied lane by lane, so decode keeps up with the memory bandwidth; and the
// activations keep 16 bits (a relative error of at most 2^-16 of the block's largest value),
// where ggml's 8 bits (2^-8) double the error of a Q8_0 model.
// Each type has its own anonymous copy in every instruction-set file.
namespace {
struct XBlock {
  float d, sum;
  int16_t q[32];
};

// A per-thread buffer for the quantized activations of one call.
struct XScratch {
  XBlock* p = nullptr;
  size_t n = 0;
  ~XScratch() { delete[] p; }
  XBlock* get(size_t m) {
    if (m > n) {
      delete[] p;
      p = new XBlock[m];
      n = m;
    }
    return p;
  }
};
}  // namespace

// Ops (quantized): kBlockBytes, kHasMin, Codes codes(block), float scale(block),
// float min(block), vec dot(Codes, const int16_t* q, float scale, vec acc), zero(),
// float hsum(vec), quantize(const float* x32, XBlock&). Each output sums its blocks in order,
// whatever NT.
template <class Ops, int NT>
inline void qtile(const uint8_t* w, size_t k, int o, const XBlock* x, size_t ldx, float* y, size_t ldy) {
  using V = typename Ops::vec;
  const size_t blocks = k / 32, row_bytes = blocks * Ops::kBlockBytes;
  const uint8_t* row = w + size_t(o) * row_bytes;
  V acc[NT];
  float off[NT];
  for (int t = 0; t < NT; t++) acc[t] = Ops::zero(), off[t] = 0.0f;
  for (size_t b = 0; b < blocks; b++) {
    const uint8_t* blk = row + b * Ops::kBlockBytes;
    __builtin_prefetch(blk + kPrefetchRows * row_bytes);
    const typename Ops::Codes c = Ops::codes(blk);
    const float d = Ops::scale(blk), m = Ops::kHasMin ? Ops::min(blk) : 0.0f;
    for (int t = 0; t < NT; t++) {
      const XBlock& xb = x[t * ldx + b];
      acc[t] = Ops::dot(c, xb.q, d * xb.d, acc[t]);
      if constexpr (Ops::kHasMin) off[t] += m * xb.sum;
    }
  }
  for (int t = 0; t < NT; t++) y[t * ldy + size_t(o)] = Ops::hsum(acc[t]) + off[t];
}

// Sanitizer builds instrument every load, and the registers that takes spill the wide tiles'
// accumulators; they run the same sums one row at a time (the same results, bit for bit).
#if defined(__SANITIZE_ADDRESS__)
constexpr int kFloatRows = 1;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr int kFloatRows = 1;
#else
constexpr int kFloatRows = 3;
#endif
#else
constexpr int kFloatRows = 3;
#endif

// Tile families for rows(): plain element types and quantized blocks (whose codes take two
// registers a row, so their tiles are one row wide).
template <class Ops>
struct PlainTiles {
  using W = typename Ops::WT;
  static constexpr int kRows = kChains<Ops> == 1 ? kFloatRows : 1, kCachedRows = 4;
  static size_t row_bytes(size_t k) { return k * sizeof(W); }
  template <int NR, int NT>
  static void run(const void* w, size_t k, int o, const float* x, size_t ldx, float* y, size_t ldy) {
    tile<Ops, NR, NT>(static_cast<const W*>(w), k, o, x, ldx, y, ldy);
  }
};

template <class Ops>
struct BlockTiles {
  static constexpr int kRows = 1, kCachedRows = 1;
  static size_t row_bytes(size_t k) { return k / 32 * Ops::kBlockBytes; }
  template <int NR, int NT>
  static void run(const void* w, size_t k, int o, const XBlock* x, size_t ldx, float* y, size_t ldy) {
    static_assert(NR == 1);
    qtile<Ops, NT>(static_cast<const uint8_t*>(w), k, o, x, ldx, y, ldy);
  }
};

// Rows [b0, b1) for NT tokens: NR rows per tile, the rest one at a time.
template <class Tiles, int NR, int NT, class X>
void rows_for_tokens(const void* w, size_t k, int b0, int b1, const X* x, size_t ldx, float* y, size_t ldy) {
  int o = b0;
  if constexpr (NR > 1)
    for (; o + NR <= b1; o += NR) Tiles::template run<NR, NT>(w, k, o, x, ldx, y, ldy);
  for (; o < b1; o++) Tiles::template run<1, NT>(w, k, o, x, ldx, y, ldy);
}

// All t tokens over rows [b0, b1): groups of 4 tokens, then the last 1-3 as one group.
template <class Tiles, class X>
void tokens_over_rows(const void* w, size_t k, int b0, int b1, const X* x, size_t ldx, int t, float* y, size_t ldy) {
  constexpr int NR = Tiles::kRows;
  int t0 = 0;
  for (; t0 + 4 <= t; t0 += 4) rows_for_tokens<Tiles, NR, 4>(w, k, b0, b1, x + t0 * ldx, ldx, y + t0 * ldy, ldy);
  const X* xr = x + t0 * ldx;
  float* yr = y + t0 * ldy;
  switch (t - t0) {
    case 3: rows_for_tokens<Tiles, NR, 3>(w, k, b0, b1, xr, ldx, yr, ldy); break;
    case 2: rows_for_tokens<Tiles, NR, 2>(w, k, b0, b1, xr, ldx, yr, ldy); break;
    case 1: rows_for_tokens<Tiles, NR, 1>(w, k, b0, b1, xr, ldx, yr, ldy); break;
    default: break;
  }
}

// A single token's rows of at least this many bytes stream from memory; fewer are taken to
// be in cache (a small model, or a thread's share of a small matrix). Quantized tiles are one
// row wide either way.
constexpr size_t kStreamBytes = size_t(64) << 10;

// Rows [o0, o1) for all t tokens. A single token streaming from memory goes one row at a
// time: one sequential stream, which two EPYC cores read at 90-100% (fp32), 80-95% (fp16)
// and 93% (Q8_0) of the plain read bandwidth, against 75%, 70% and 60% with four rows'
// streams interleaved; in cache, where one chain a row would wait on each multiply-add, four
// rows at once. Up to two groups of tokens (a batch of streams in step mode) take each tile
// of rows in turn: the rows come from memory for the first group and from L1 for the second,
// so reading and arithmetic interleave finely. More tokens (a prefill) go over blocks of
// about 32 KB of weights, which stay in cache while every group passes over them. Either way
// each weight comes from memory once per call, however many tokens (or streams) it serves.
template <class Tiles, class X>
void tiled_rows(const void* w, size_t k, int o0, int o1, const X* x, size_t ldx, int t, float* y, size_t ldy) {
  if (t == 1) {
    if (size_t(o1 - o0) * Tiles::row_bytes(k) >= kStreamBytes)
      return rows_for_tokens<Tiles, 1, 1>(w, k, o0, o1, x, ldx, y, ldy);
    return rows_for_tokens<Tiles, Tiles::kCachedRows, 1>(w, k, o0, o1, x, ldx, y, ldy);
  }
  constexpr int NR = Tiles::kRows;
  const size_t row_bytes = Tiles::row_bytes(k);
  const int block = t <= 8 ? NR : int(std::max<size_t>(NR, (size_t(32) << 10) / row_bytes / NR * NR));
  for (int b0 = o0; b0 < o1; b0 += block) {
    // The next block's rows into L2 while this one's are used (they come from memory once):
    // the head's product from memory, 32 tokens, 123 -> 130 GFLOP/s with bf16 products.
    const int b1 = std::min(o1, b0 + 2 * block);
    if (t > 8 && b0 + block < b1) {
      const char* next = static_cast<const char*>(w) + size_t(b0 + block) * row_bytes;
      const size_t bytes = size_t(b1 - b0 - block) * row_bytes;
      for (size_t i = 0; i < bytes; i += 64) __builtin_prefetch(next + i, 0, 2);  // to L2
    }
    tokens_over_rows<Tiles>(w, k, b0, std::min(o1, b0 + block), x, ldx, t, y, ldy);
  }
}

template <class Ops>
void rows(const void* w, size_t k, int o0, int o1, const float* x, size_t ldx, int t, float* y, size_t ldy) {
  tiled_rows<PlainTiles<Ops>>(w, k, o0, o1, x, ldx, t, y, ldy);
}

// The activations are quantized by every call (each thread's share of the rows): k * t
// values against k * t * rows / threads multiply-adds, a small fraction.
template <class Ops>
void qrows(const void* w, size_t k, int o0, int o1, const float* x, size_t ldx, int t, float* y, size_t ldy) {
  static thread_local XScratch scratch;
  const size_t blocks = k / 32;
  XBlock* xb = scratch.get(size_t(t) * blocks);
  for (int i = 0; i < t; i++)
    for (size_t b = 0; b < blocks; b++) Ops::quantize(x + size_t(i) * ldx + b * 32, xb[size_t(i) * blocks + b]);
  tiled_rows<BlockTiles<Ops>>(w, k, o0, o1, xb, blocks, t, y, ldy);
}

}  // namespace rwkv::cpu
