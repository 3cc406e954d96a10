#include "cpu/cpu_runner.h"

#include <algorithm>

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
  const size_t per_row = C * 2 + scratch_per_token();
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
    layers(states, x, int(n), xn + rows * C);
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

}  // namespace cpu

std::unique_ptr<Runner> make_cpu_runner(const ModelInfo& info, TensorMap& tensors,
                                        const LoadOptions& opts) {
  switch (info.arch) {
    case Arch::V4: return cpu::make_v4(info, tensors, opts);
    case Arch::V5_1:
    case Arch::V5_2: return cpu::make_v5(info, tensors, opts);
    case Arch::V6: return cpu::make_v6(info, tensors, opts);
    case Arch::V7: return cpu::make_v7(info, tensors, opts);
  }
  throw Error("unknown architecture " + std::to_string(int(info.arch)));
}

}  // namespace rwkv
