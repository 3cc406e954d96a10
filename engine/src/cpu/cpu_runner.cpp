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
  const StreamOut out{logits, logits ? which : Logits::None};
  const size_t count = tokens.size();
  run(std::span<State* const>(&one, 1), tokens, std::span<const size_t>(&count, 1), std::span<const StreamOut>(&out, 1));
}

void CpuRunner::eval_batch(std::span<State* const> states, std::span<const uint32_t> tokens, float* logits) {
  run_last(states, tokens, logits);
}

void CpuRunner::eval_batch(StateBatch& batch, std::span<const uint32_t> tokens, float* logits,
                           std::span<const size_t> slots) {
  const size_t n = slots.empty() ? batch.size() : slots.size();
  thread_local std::vector<State*> states;
  states.clear();
  for (size_t i = 0; i < n; i++) states.push_back(&host_state(batch, slots.empty() ? i : slots[i]));
  run_last(states, tokens, logits);
}

void CpuRunner::eval_streams(std::span<State* const> states, std::span<const uint32_t> tokens,
                             std::span<const size_t> counts, std::span<const StreamOut> out) {
  run(states, tokens, counts, out);
}

void CpuRunner::run_last(std::span<State* const> states, std::span<const uint32_t> tokens, float* logits) {
  thread_local std::vector<StreamOut> out;
  thread_local std::vector<size_t> counts;
  out.clear();
  const size_t V = size_t(info_.n_vocab);
  for (size_t b = 0; b < states.size(); b++)
    out.push_back(logits ? StreamOut{logits + b * V, Logits::Last} : StreamOut{});
  counts.assign(states.size(), states.empty() ? 0 : tokens.size() / states.size());
  run(states, tokens, counts, out);
}

void CpuRunner::run(std::span<State* const> states, std::span<const uint32_t> tokens, std::span<const size_t> counts,
                    std::span<const StreamOut> out) {
  for (const State* s : states) check_state_fits(*s, info_);
  check_tokens_fit(tokens, info_);
  const size_t B = states.size(), C = size_t(info_.n_embd), V = size_t(info_.n_vocab);
  if (B == 0 || tokens.empty()) return;
  size_t longest = 0;
  thread_local std::vector<size_t> at;  // where each state's tokens start
  at.assign(B + 1, 0);
  for (size_t b = 0; b < B; b++) {
    at[b + 1] = at[b] + counts[b];
    longest = std::max(longest, counts[b]);
  }
  // Each round takes up to `chunk` tokens of every stream with tokens left: at most kChunk
  // rows, or one token each when there are more streams than that.
  const size_t chunk = std::max<size_t>(1, size_t(kChunk) / B);
  const size_t per_row = C * 2;
  thread_local std::vector<float> scratch;
  thread_local std::vector<float*> dest;  // where each row of the head's product goes
  thread_local std::vector<State*> going;
  thread_local std::vector<int> first;  // the round's rows of each stream going
  thread_local std::vector<size_t> who;  // the stream of each going
  if (scratch.size() < per_row * chunk * B) scratch.resize(per_row * chunk * B);

  for (size_t done = 0; done < longest; done += chunk) {
    going.clear();
    who.clear();
    first.assign(1, 0);
    for (size_t b = 0; b < B; b++)
      if (counts[b] > done) {
        going.push_back(states[b]);
        who.push_back(b);
        first.push_back(first.back() + int(std::min(chunk, counts[b] - done)));
      }
    const size_t rows = size_t(first.back());
    float* x = scratch.data();
    float* xn = x + rows * C;
    for (size_t g = 0; g < going.size(); g++)
      for (int r = first[g]; r < first[g + 1]; r++)
        tensor_to_f32(*emb_, x + size_t(r) * C, uint64_t(tokens[at[who[g]] + done + size_t(r - first[g])]) * C,
                      uint64_t(C));
    layer_norm(x, x, int(rows), int(C), ends_.ln0.w.data(), ends_.ln0.b.data());
    layers(going, x, first);
    // ln_out and the head for the rows whose logits are wanted, as one product.
    dest.clear();
    for (size_t g = 0; g < going.size(); g++) {
      const StreamOut& o = out[who[g]];
      for (int r = first[g]; r < first[g + 1]; r++) {
        const size_t t = done + size_t(r - first[g]);  // the token's place in its stream's request
        float* to = o.part(t, 1, counts[who[g]], V).logits;
        if (!to) continue;
        layer_norm(x + size_t(r) * C, xn + dest.size() * C, 1, int(C), ends_.ln_out.w.data(), ends_.ln_out.b.data());
        dest.push_back(to);
      }
    }
    if (dest.empty()) continue;
    // Straight into the caller's memory when the rows lie there one after another (one
    // stream's every token, or a batch's last logits); else through a buffer.
    bool direct = true;
    for (size_t i = 1; i < dest.size(); i++) direct = direct && dest[i] == dest[0] + i * V;
    if (direct) {
      matmul(pool_, ends_.head, xn, int(dest.size()), dest[0]);
    } else {
      std::lock_guard<std::mutex> lk(head_out_lock_);
      if (head_out_.size() < dest.size() * V) head_out_.resize(dest.size() * V);
      matmul(pool_, ends_.head, xn, int(dest.size()), head_out_.data());
      for (size_t i = 0; i < dest.size(); i++) std::copy_n(head_out_.data() + i * V, V, dest[i]);
    }
  }
  for (size_t b = 0; b < B; b++) states[b]->tokens_seen += counts[b];
}

namespace {

// A version's weights and its layer sequence over the CPU's operations.
template <class V>
class Layers final : public CpuRunner {
 public:
  Layers(const ModelInfo& info, TensorMap& tensors, const LoadOptions& opts)
      : CpuRunner(info, tensors, opts), w_(V::bind(binder_, info, /*fp16_rescale=*/false)) {}

 protected:
  void layers(std::span<State* const> states, float* x, std::span<const int> first) override {
    LayerOps o(pool_, info_, states, x, first);
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
