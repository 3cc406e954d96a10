// ggml's 32-value quantized blocks (the layouts of rwkv.cpp and GGUF files), one block at a
// time in scalar code: decoding is the definition every kernel reproduces exactly, encoding
// is the quantizer (scales from the block's extreme values, rounding to nearest).
//   Q8_0: fp16 d, 32 x int8 q                      value = q * d
//   Q4_0: fp16 d, 16 bytes of nibbles              value = (q - 8) * d
//   Q4_1: fp16 d, fp16 m, 16 bytes of nibbles      value = q * d + m
//   Q5_0: fp16 d, u32 high bits, nibbles           value = (q - 16) * d
//   Q5_1: fp16 d, fp16 m, u32 high bits, nibbles   value = q * d + m
// Nibble byte j holds value j (low) and value j + 16 (high); bit n of the u32 is bit 4 of
// value n.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>

#include "kernels/half.h"
#include "rwkv/dtype.h"

namespace rwkv::quant {


inline uint16_t rd16(const uint8_t* p) { return uint16_t(p[0] | (p[1] << 8)); }
inline void wr16(uint8_t* p, uint16_t v) {
  p[0] = uint8_t(v);
  p[1] = uint8_t(v >> 8);
}

// Where the parts of a block start (rwkv/dtype.h describes each type).
constexpr bool has_min(DType t) { return dtype_info(t).has_min; }
constexpr bool has_high_bits(DType t) { return dtype_info(t).high_bits; }
constexpr int nibbles_at(DType t) { return (has_min(t) ? 4 : 2) + (has_high_bits(t) ? 4 : 0); }

// The integer code of value n (0..31) of a 4- or 5-bit block.
inline int code(DType t, const uint8_t* b, int n) {
  const uint8_t byte = b[nibbles_at(t) + (n & 15)];
  int q = n < 16 ? byte & 0xf : byte >> 4;
  if (has_high_bits(t)) {
    const uint8_t* h = b + (has_min(t) ? 4 : 2);
    q |= ((h[n >> 3] >> (n & 7)) & 1) << 4;
  }
  return q;
}

inline void decode_block(DType t, const uint8_t* b, float* out) {
  const float d = half_to_float(rd16(b));
  if (dtype_info(t).code_bits == 8) {
    for (int n = 0; n < 32; n++) out[n] = float(int8_t(b[2 + n])) * d;
    return;
  }
  if (has_min(t)) {
    const float m = half_to_float(rd16(b + 2));
    for (int n = 0; n < 32; n++) out[n] = float(code(t, b, n)) * d + m;
    return;
  }
  const int zero = dtype_info(t).zero;
  for (int n = 0; n < 32; n++) out[n] = float(code(t, b, n) - zero) * d;
}

inline void encode_block(DType t, const float* x, uint8_t* b) {
  if (dtype_info(t).code_bits == 8) {
    float amax = 0;
    for (int n = 0; n < 32; n++) amax = std::max(amax, std::fabs(x[n]));
    const float d = amax / 127.0f, id = d != 0 ? 1.0f / d : 0.0f;
    wr16(b, float_to_half(d));
    for (int n = 0; n < 32; n++) b[2 + n] = uint8_t(int8_t(std::lround(x[n] * id)));
    return;
  }
  const int levels = 1 << dtype_info(t).code_bits;
  int q[32];
  if (has_min(t)) {
    // Asymmetric: the range [min, max] in levels - 1 steps.
    float lo = x[0], hi = x[0];
    for (int n = 1; n < 32; n++) lo = std::min(lo, x[n]), hi = std::max(hi, x[n]);
    const float d = (hi - lo) / float(levels - 1), id = d != 0 ? 1.0f / d : 0.0f;
    wr16(b, float_to_half(d));
    wr16(b + 2, float_to_half(lo));
    for (int n = 0; n < 32; n++) q[n] = std::min(levels - 1, int((x[n] - lo) * id + 0.5f));
  } else {
    // Symmetric: the value of largest magnitude maps to the most negative code, so its sign
    // uses the longer side of the range.
    float ext = 0;
    for (int n = 0; n < 32; n++)
      if (std::fabs(x[n]) > std::fabs(ext)) ext = x[n];
    const float d = ext / -float(levels / 2), id = d != 0 ? 1.0f / d : 0.0f;
    wr16(b, float_to_half(d));
    for (int n = 0; n < 32; n++) q[n] = std::clamp(int(x[n] * id + float(levels / 2) + 0.5f), 0, levels - 1);
  }
  if (has_high_bits(t)) {
    uint8_t* h = b + (has_min(t) ? 4 : 2);
    for (int i = 0; i < 4; i++) h[i] = 0;
    for (int n = 0; n < 32; n++) h[n >> 3] |= uint8_t(((q[n] >> 4) & 1) << (n & 7));
  }
  uint8_t* qs = b + nibbles_at(t);
  for (int j = 0; j < 16; j++) qs[j] = uint8_t((q[j] & 0xf) | ((q[j + 16] & 0xf) << 4));
}

}  // namespace rwkv::quant
