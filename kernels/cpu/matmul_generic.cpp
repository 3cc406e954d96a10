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

// Quantized blocks decoded by the scalar definition itself.
template <WeightType T>
struct GenericQOps : GenericOps<float, id> {
  static constexpr size_t kBlockBytes = weight_block_bytes(T);
  static void dequant(const uint8_t* b, vec* v) {
    float f[32];
    quant::decode_block(T, b, f);
    for (int g = 0; g < 4; g++)
      for (int i = 0; i < 8; i++) v[g].v[i] = f[8 * g + i];
  }
};

}  // namespace

namespace detail {
const MatmulKernels kGeneric = {"generic",
                                {rows<GenericOps<float, id>>, rows<GenericOps<uint16_t, half_to_float>>,
                                 rows<GenericOps<uint16_t, bf16_to_float>>,
                                 qrows<GenericQOps<WeightType::Q8_0>>, qrows<GenericQOps<WeightType::Q4_0>>,
                                 qrows<GenericQOps<WeightType::Q4_1>>, qrows<GenericQOps<WeightType::Q5_0>>,
                                 qrows<GenericQOps<WeightType::Q5_1>>}};
}  // namespace detail

}  // namespace rwkv::cpu
