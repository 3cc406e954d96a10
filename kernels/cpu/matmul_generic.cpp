// Portable kernels: 8-float lanes as plain arrays, which the compiler vectorises with the
// baseline instruction set.
#include <cstdint>

#include "kernels/half.h"
#include "kernels/quant_blocks.h"
#include "matmul_kernels.h"
#include "matmul_tiles.h"

namespace rwkv::cpu {
namespace {

struct V8 {
  float v[8];
};

template <class T, float (*Cvt)(T)>
struct GenericOps {
  using WT = T;
  using vec = V8;
  static constexpr size_t kWidth = 8;
  static vec zero() { return V8{}; }
  static vec load_x(const float* p) {
    V8 r;
    for (int i = 0; i < 8; i++) r.v[i] = p[i];
    return r;
  }
  static vec load_w(const T* p) {
    V8 r;
    for (int i = 0; i < 8; i++) r.v[i] = Cvt(p[i]);
    return r;
  }
  static vec fma(const vec& a, const vec& b, vec c) {
    for (int i = 0; i < 8; i++) c.v[i] += a.v[i] * b.v[i];
    return c;
  }
  static float reduce(const vec& a, const vec& b) {
    float s[8];
    for (int i = 0; i < 8; i++) s[i] = a.v[i] + b.v[i];
    return ((s[0] + s[4]) + (s[1] + s[5])) + ((s[2] + s[6]) + (s[3] + s[7]));
  }
  static float scalar_w(const T* p, size_t i) { return Cvt(p[i]); }
};

float id(float f) { return f; }

// Quantized blocks against 16-bit activations (matmul_tiles.h: qtile), in scalar code: the
// codes from the scalar definition, the integer dot product exact.
template <DType T>
struct GenericQOps {
  using vec = float;
  struct Codes {
    int8_t c[32];
  };
  static constexpr size_t kBlockBytes = dtype_block_bytes(T);
  static constexpr bool kHasMin = quant::has_min(T);
  static vec zero() { return 0.0f; }
  static float hsum(vec a) { return a; }
  static float scale(const uint8_t* b) { return half_to_float(quant::rd16(b)); }
  static float min(const uint8_t* b) { return half_to_float(quant::rd16(b + 2)); }
  static Codes codes(const uint8_t* b) {
    Codes c;
    constexpr int centre = dtype_info(T).zero;
    for (int n = 0; n < 32; n++)
      c.c[n] = int8_t(dtype_info(T).code_bits == 8 ? int8_t(b[2 + n]) : quant::code(T, b, n) - centre);
    return c;
  }
  static vec dot(const Codes& c, const int16_t* q, float s, vec acc) {
    int sum = 0;
    for (int n = 0; n < 32; n++) sum += int(c.c[n]) * int(q[n]);
    return acc + float(sum) * s;
  }
  template <class XB>
  static void quantize(const float* x, XB& out) {
    float amax = 0, sum = 0;
    for (int n = 0; n < 32; n++) amax = std::max(amax, std::fabs(x[n])), sum += x[n];
    const float d = amax / 32767.0f, id = d != 0.0f ? 1.0f / d : 0.0f;
    out.d = d;
    out.sum = sum;
    for (int n = 0; n < 32; n++) out.q[n] = int16_t(std::nearbyint(x[n] * id));
  }
};

}  // namespace

namespace detail {
const MatmulKernels kGeneric = [] {
  MatmulKernels k{"generic", {}};
  k.rows[int(DType::F32)] = rows<GenericOps<float, id>>;
  k.rows[int(DType::F16)] = rows<GenericOps<uint16_t, half_to_float>>;
  k.rows[int(DType::BF16)] = rows<GenericOps<uint16_t, bf16_to_float>>;
  k.rows[int(DType::Q8_0)] = qrows<GenericQOps<DType::Q8_0>>;
  k.rows[int(DType::Q4_0)] = qrows<GenericQOps<DType::Q4_0>>;
  k.rows[int(DType::Q4_1)] = qrows<GenericQOps<DType::Q4_1>>;
  k.rows[int(DType::Q5_0)] = qrows<GenericQOps<DType::Q5_0>>;
  k.rows[int(DType::Q5_1)] = qrows<GenericQOps<DType::Q5_1>>;
  return k;
}();
}  // namespace detail

}  // namespace rwkv::cpu
