// The tiling shared by every instruction set: one row x NT tokens at a time, each output
// accumulated by Ops::dot-style lanes in the same order regardless of NT.
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

template <class Ops, int NT>
inline void tile(const typename Ops::WT* w, size_t k, int o, const float* x, size_t ldx, float* y,
                 size_t ldy) {
  using V = typename Ops::vec;
  constexpr size_t W = Ops::kWidth;
  const typename Ops::WT* wr = w + size_t(o) * k;
  V acc[NT][2];
  for (int t = 0; t < NT; t++) acc[t][0] = acc[t][1] = Ops::zero();
  size_t i = 0;
  for (; i + 2 * W <= k; i += 2 * W) {
    if constexpr (sizeof(typename Ops::WT) == 2) __builtin_prefetch(wr + i + kPrefetchRows * k);
    const V w0 = Ops::load_w(wr + i), w1 = Ops::load_w(wr + i + W);
    for (int t = 0; t < NT; t++) {
      acc[t][0] = Ops::fma(w0, Ops::load_x(x + t * ldx + i), acc[t][0]);
      acc[t][1] = Ops::fma(w1, Ops::load_x(x + t * ldx + i + W), acc[t][1]);
    }
  }
  for (int t = 0; t < NT; t++) {
    float s = Ops::reduce(acc[t][0], acc[t][1]);
    for (size_t j = i; j < k; j++) s += Ops::scalar_w(wr, j) * x[t * ldx + j];
    y[t * ldy + size_t(o)] = s;
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

// Tile families for rows(): plain element types and quantized blocks.
template <class Ops>
struct PlainTiles {
  using W = typename Ops::WT;
  static size_t row_bytes(size_t k) { return k * sizeof(W); }
  template <int NT>
  static void run(const void* w, size_t k, int o, const float* x, size_t ldx, float* y, size_t ldy) {
    tile<Ops, NT>(static_cast<const W*>(w), k, o, x, ldx, y, ldy);
  }
};

template <class Ops>
struct BlockTiles {
  static size_t row_bytes(size_t k) { return k / 32 * Ops::kBlockBytes; }
  template <int NT>
  static void run(const void* w, size_t k, int o, const XBlock* x, size_t ldx, float* y, size_t ldy) {
    qtile<Ops, NT>(static_cast<const uint8_t*>(w), k, o, x, ldx, y, ldy);
  }
};

// Rows [o0, o1) for all t tokens: token blocks of 4 share each weight load; the remaining
// tokens go one at a time, row after row. One row at a time reads the weights as one
// sequential stream: on two EPYC cores a single token's product read fp32, fp16 and Q8_0
// matrices at 90-100%, 80% and 93% of the plain read bandwidth that way, against 75%, 70%
// and 60% with four rows' streams interleaved, and it was no slower in cache. The rows go in
// blocks of about 32 KB of weights, which stay in cache while every token passes over them:
// each weight comes from memory once per call, however many tokens (or streams) it serves.
// Every output is the same sum in the same order whichever tile computes it.
template <class Tiles, class X>
void tiled_rows(const void* w, size_t k, int o0, int o1, const X* x, size_t ldx, int t, float* y, size_t ldy) {
  const int block = int(std::max<size_t>(4, (size_t(32) << 10) / Tiles::row_bytes(k) / 4 * 4));
  for (int b0 = o0; b0 < o1; b0 += block) {
    const int b1 = std::min(o1, b0 + block);
    int t0 = 0;
    for (; t0 + 4 <= t; t0 += 4)
      for (int o = b0; o < b1; o++) Tiles::template run<4>(w, k, o, x + t0 * ldx, ldx, y + t0 * ldy, ldy);
    for (; t0 < t; t0++)
      for (int o = b0; o < b1; o++) Tiles::template run<1>(w, k, o, x + t0 * ldx, ldx, y + t0 * ldy, ldy);
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
