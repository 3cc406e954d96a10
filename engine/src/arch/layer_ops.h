// What a backend gives the layer sequences. Each version (arch/v4.h .. v7.h) writes its layer
// once, as `Version::layer(o, weights, l, scratch)` over a backend's operations `o` (the CPU's
// cpu::LayerOps, the GPU's cuda::LayerOps); the backends implement the pieces, fused or not
// as suits them, and never the sequence.
//
// A pass runs B streams of T tokens (rows = B*T, stream-major); the residual stream x and
// each stream's state are the backend's. State pieces are named by where they start in a
// layer's state, in vectors of C floats (arch/traits.h: the layout). O provides:
//   using Binder;          whose Vec, Mat and Stack the weights hold
//   using F, Op;           rows of fp32 / rows in the operand type the products read
//   using FGroup, OpGroup; n such buffers, g[j], g.from(j) (the group from j on)
//   F floats(size_t per_row, const char* what);  Op operands(...);  (Scratch constructors)
//   FGroup floats(int n, ...);  OpGroup operands(int n, ...);
//   ln_shift(ln, l, carry, delta, mix, n, out[, xx, dx])  LayerNorm x, token shift, n mixes
//   products(stack, in, out, n)      out[j] = stack[j] in[j]
//   lora(lora, in, out)              out = B f(A in)
//   add_product(mat, in)             x += mat in
//   wkv_out(WkvOut) -> Op            GroupNorm and the gate (and RWKV-7's r·k bonus)
//   channel_mix(ffn, l, carry)       x += ChannelMix(LN2(x))
//   wkv(l, S, w, y)                  a matrix-state recurrence: w is the version's Wkv, whose
//                                    head() is the reference maths for one head and token
//                                    (the CPU runs it; a GPU runs its own kernel)
//   the versions' own steps: wkv4, v6_mix, v7_prepare
//   rescaled(), scale_residual(f)    RWKV-4's fp16 rescaling (arch/v4.h)
#pragma once
#include "arch/binder.h"

namespace rwkv::arch {

// A dot product summed in 8 fixed lanes: vectorisable, and the same order for any caller.
inline float dot(const float* a, const float* b, int n) {
  float acc[8] = {};
  int i = 0;
  for (; i + 8 <= n; i += 8)
    for (int l = 0; l < 8; l++) acc[l] += a[i + l] * b[i + l];
  float s = ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
  for (; i < n; i++) s += a[i] * b[i];
  return s;
}

enum class Gate { None, Silu, Plain };  // y *= silu(g), y *= g

// GroupNorm ln_x of y, then the gate; RWKV-7 first adds its per-head bonus
// (sum_i r k r_k) v to y.
template <class O>
struct WkvOut {
  const Norm<typename O::Binder>* ln_x = nullptr;
  typename O::F y{};
  Gate gate = Gate::None;
  typename O::F g{};
  const typename O::Binder::Vec* r_k = nullptr;
  typename O::F r{}, k{}, v{};
};

}  // namespace rwkv::arch
