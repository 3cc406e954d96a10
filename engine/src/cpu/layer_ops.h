// The CPU backend's operations for the layer sequences (arch/layer_ops.h), over one pass of
// B streams, each its own number of tokens: products through the threaded kernels
// (cpu/linear.h), the rest in scalar loops the compiler vectorises. Buffers are fp32 (the
// operand type is fp32 too), from a per-thread arena sized for the pass.
#pragma once
#include <span>
#include <vector>

#include "arch/layer_ops.h"
#include "arch/lora.h"
#include "arch/v7.h"
#include "cpu/binder.h"
#include "cpu/channel_mix.h"
#include "cpu/ops.h"

namespace rwkv::cpu {

// n buffers of the same size, one after another.
struct Group {
  float* base = nullptr;
  size_t stride = 0;
  float* operator[](int j) const { return base + size_t(j) * stride; }
  Group from(int j) const { return {(*this)[j], stride}; }
};

class LayerOps {
 public:
  using Binder = cpu::Binder;
  using F = float*;
  using Op = float*;
  using FGroup = Group;
  using OpGroup = Group;
  using Vec = Binder::Vec;
  using Norm = arch::Norm<Binder>;

  // x [rows, C]: stream b's (of B = states.size()) at rows first[b] .. first[b + 1] - 1; the
  // arena's buffers are reused by the calling thread's next pass.
  LayerOps(ThreadPool& pool, const ModelInfo& info, std::span<State* const> states, float* x,
           std::span<const int> first);

  F floats(size_t per_row, const char* = "") { return take(per_row); }
  Op operands(size_t per_row, const char* = "") { return take(per_row); }
  Group floats(int n, size_t per_row, const char* = "") {
    return {take(size_t(n) * per_row), size_t(rows_) * per_row};
  }
  Group operands(int n, size_t per_row, const char* what = "") { return floats(n, per_row, what); }

  void ln_shift(const Norm& ln, int l, int carry, bool delta, const Vec* mix, int n, Group out, F xx = nullptr,
                F dx = nullptr);
  void products(const Binder::Stack& w, Group in, Group out, int n);
  void lora(const arch::Lora<Binder>& w, Op in, F out, F mid, Op mid_op);
  void add_product(const Matrix& w, Op in);
  Op wkv_out(const arch::WkvOut<LayerOps>& a);
  void channel_mix(const arch::ChannelMix<Binder>& w, int l, int carry);

  // RWKV-4: y = sigmoid(r) * wkv, the state's aa, bb, pp from vector `aa` on.
  void wkv4(int l, int aa, F r, F k, F v, const Vec& decay, const Vec& first, Op y);
  // A matrix-state recurrence (arch/v5.h, v7.h: Wkv), w.head() for every stream, head and
  // token: the (stream, head) pairs in parallel, each scanned over its stream's tokens. Each
  // head's arithmetic is the same whatever the pass holds, so step, chunked and batched feeding
  // agree exactly.
  template <class W>
  void wkv(int l, int S, const W& w, F y) {
    const int H = info_.n_head, N = info_.head_size, B = int(states_.size());
    const size_t C = size_t(C_), n = size_t(N);
    for_heads(B, H, N, [&](int b, int h) {
      float* s = part(l, S).at(b) + size_t(h) * n * n;
      for (int r = first_[size_t(b)]; r < first_[size_t(b) + 1]; r++) {
        const size_t at = size_t(r) * C + size_t(h) * n;
        w.head(N, s, at, size_t(h) * n, y + at);
      }
    });
  }
  // RWKV-6's data-dependent mixes: out[j] = xx + dx * (maa[j] + (tanh(xxx w1) w2[j])).
  void v6_mix(const Matrix& w1, const Binder::Stack& w2, const Vec* maa, Op xxx, F xx, F dx, F mid, Op mid_op,
              Group m, Group out);
  // RWKV-7's per-token quantities; see arch/v7.h.
  void v7_prepare(const arch::v7::Prepare<LayerOps>& a);

  bool rescaled() const { return false; }
  void scale_residual(float) {}

 private:
  float* take(size_t per_row);
  // Runs fn(b, h) for every stream and head, on the pool when the pass pays for it.
  template <class Fn>
  void for_heads(int B, int H, int N, const Fn& fn) {
    const int n = B * H;
    if (n > 1 && pool_.size() > 1 && double(rows_) * H * N * N >= double(1 << 15))
      pool_.parallel_for(n, [&](int i) { fn(i / H, i % H); });
    else
      for (int i = 0; i < n; i++) fn(i / H, i % H);
  }
  StatePart part(int l, int at) const { return {states_, first_, l, size_t(at) * size_t(C_)}; }

  ThreadPool& pool_;
  const ModelInfo& info_;
  std::span<State* const> states_;
  float* x_;
  std::span<const int> first_;
  int rows_, C_;
  size_t used_ = 0;  // arena buffers handed out
  float *xx_, *dx_, *tmp_, *ffn_;
};

}  // namespace rwkv::cpu
