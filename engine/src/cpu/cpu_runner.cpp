#include "cpu/cpu_runner.h"

#include <algorithm>

#include "arch/versions.h"
#include "cpu/layer_ops.h"
#include "cpu/ops.h"
#include "rwkv/error.h"

namespace rwkv {

namespace cpu {

CpuRunner::CpuRunner(const ModelInfo& info, TensorMap& tensors, const LoadOptions& opts)
    : Runner(info), binder_(tensors, opts), pool_(opts.threads), emb_(&tensors.get("emb.weight")) {
  ends_ = arch::bind_ends(binder_, info);
}

void CpuRunner::eval(State& state, std::span<const uint32_t> tokens, float* logits, Logits which) {
  State* one = &state;
  run(std::span<State* const>(&one, 1), tokens, logits, which);
}

void CpuRunner::eval_batch(std::span<State* const> states, std::span<const uint32_t> tokens, float* logits) {
  run(states, tokens, logits, logits ? Logits::Last : Logits::None);
}

void CpuRunner::eval_batch(StateBatch& batch, std::span<const uint32_t> tokens, float* logits,
                           std::span<const size_t> slots) {
  const size_t n = slots.empty() ? batch.size() : slots.size();
  thread_local std::vector<State*> states;
  states.clear();
  for (size_t i = 0; i < n; i++) states.push_back(&host_state(batch, slots.empty() ? i : slots[i]));
  run(states, tokens, logits, logits ? Logits::Last : Logits::None);
}

void CpuRunner::run(std::span<State* const> states, std::span<const uint32_t> tokens, float* logits, Logits which) {
  for (const State* s : states) check_state_fits(*s, info_);
  check_tokens_fit(tokens, info_);
  const size_t B = states.size();
  if (B == 0 || tokens.empty()) return;
  const size_t T = tokens.size() / B, C = size_t(info_.n_embd), V = size_t(info_.n_vocab);
  // Each pass takes `chunk` tokens of every stream: at most kChunk rows, or one token each
  // when there are more streams than that.
  const size_t chunk = std::min(T, std::max<size_t>(1, size_t(kChunk) / B));
  const size_t per_row = C * 2;
  thread_local std::vector<float> scratch;
  if (scratch.size() < per_row * chunk * B) scratch.resize(per_row * chunk * B);

  for (size_t done = 0; done < T;) {
    const size_t n = std::min(chunk, T - done), rows = n * B;
    float* x = scratch.data();
    float* xn = x + rows * C;
    for (size_t b = 0; b < B; b++)
      for (size_t t = 0; t < n; t++)
        tensor_to_f32(*emb_, x + (b * n + t) * C, uint64_t(tokens[b * T + done + t]) * C, uint64_t(C));
    layer_norm(x, x, int(rows), int(C), ends_.ln0.w.data(), ends_.ln0.b.data());
    layers(states, x, int(n));
    if (which == Logits::All) {  // one stream
      layer_norm(x, xn, int(rows), int(C), ends_.ln_out.w.data(), ends_.ln_out.b.data());
      matmul(pool_, ends_.head, xn, int(rows), logits + done * V);
    } else if (which == Logits::Last && done + n == T) {
      for (size_t b = 0; b < B; b++)
        layer_norm(x + (b * n + n - 1) * C, xn + b * C, 1, int(C), ends_.ln_out.w.data(), ends_.ln_out.b.data());
      matmul(pool_, ends_.head, xn, int(B), logits);
    }
    done += n;
  }
  for (State* s : states) s->tokens_seen += T;
}

namespace {

// A version's weights and its layer sequence over the CPU's operations.
template <class V>
class Layers final : public CpuRunner {
 public:
  Layers(const ModelInfo& info, TensorMap& tensors, const LoadOptions& opts)
      : CpuRunner(info, tensors, opts), w_(V::bind(binder_, info, /*fp16_rescale=*/false)) {}

 protected:
  void layers(std::span<State* const> states, float* x, int T) override {
    LayerOps o(pool_, info_, states, x, T);
    typename V::template Scratch<LayerOps> s(o, w_, info_);
    for (int l = 0; l < info_.n_layer; l++) V::layer(o, w_, l, s);
  }

 private:
  decltype(V::bind(std::declval<Binder&>(), ModelInfo{}, false)) w_;
};

}  // namespace

}  // namespace cpu

std::unique_ptr<Runner> make_cpu_runner(const ModelInfo& info, TensorMap& tensors,
                                        const LoadOptions& opts) {
  return arch::with_version(info.arch, [&](auto v) -> std::unique_ptr<Runner> {
    return std::make_unique<cpu::Layers<decltype(v)>>(info, tensors, opts);
  });
}

}  // namespace rwkv
