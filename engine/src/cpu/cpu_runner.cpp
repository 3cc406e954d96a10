#include "cpu/cpu_runner.h"

#include <algorithm>

#include "cpu/ops.h"
#include "rwkv/error.h"

namespace rwkv {

namespace cpu {

CpuRunner::CpuRunner(const ModelInfo& info, TensorMap& tensors, const LoadOptions& opts)
    : Runner(info), pool_(opts.threads), emb_(&tensors.get("emb.weight")) {
  Binder b(tensors);
  ends_ = arch::bind_ends(b, info);
}

void CpuRunner::eval(State& state, std::span<const uint32_t> tokens, float* logits, Logits which) {
  check_state_fits(state, info_);
  for (uint32_t tok : tokens)
    if (tok >= uint32_t(info_.n_vocab))
      throw Error("token id " + std::to_string(tok) + " is out of range (n_vocab " +
                  std::to_string(info_.n_vocab) + ")");
  if (tokens.empty()) return;
  const int C = info_.n_embd;
  const size_t per_token = size_t(C) * 2 + scratch_per_token();
  thread_local std::vector<float> scratch;
  const int chunk = std::min<int>(kChunk, int(tokens.size()));
  if (scratch.size() < per_token * size_t(chunk)) scratch.resize(per_token * size_t(chunk));

  for (size_t done = 0; done < tokens.size();) {
    const int T = int(std::min<size_t>(size_t(chunk), tokens.size() - done));
    float* x = scratch.data();
    float* xn = x + size_t(T) * C;
    for (int t = 0; t < T; t++)
      tensor_to_f32(*emb_, x + size_t(t) * C, uint64_t(tokens[done + size_t(t)]) * C, uint64_t(C));
    layer_norm(x, x, T, C, ends_.ln0.w.data(), ends_.ln0.b.data());
    layers(state, x, T, xn + size_t(T) * C);
    if (which == Logits::All) {
      layer_norm(x, xn, T, C, ends_.ln_out.w.data(), ends_.ln_out.b.data());
      matmul(pool_, ends_.head, xn, T, logits + done * size_t(info_.n_vocab));
    } else if (which == Logits::Last && done + size_t(T) == tokens.size()) {
      layer_norm(x + size_t(T - 1) * C, xn, 1, C, ends_.ln_out.w.data(), ends_.ln_out.b.data());
      matmul(pool_, ends_.head, xn, 1, logits);
    }
    done += size_t(T);
  }
  state.tokens_seen += tokens.size();
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
