#include "model/runner.h"

#include <algorithm>
#include <cstdint>
#include <vector>

#include "rwkv/error.h"

namespace rwkv {

namespace {

// The host default of a StateBatch: plain States.
class HostStateBatch final : public StateBatch {
 public:
  HostStateBatch(const Runner& owner, size_t n) : owner(&owner), states(n, State(owner.info())) {}
  size_t size() const override { return states.size(); }
  void load(size_t slot, const State& s) override {
    check_state_fits(s, owner->info());
    at(slot) = s;
  }
  void store(size_t slot, State& s) const override { s = states[check(slot)]; }

  State& at(size_t slot) { return states[check(slot)]; }
  const Runner* owner;
  std::vector<State> states;

 private:
  size_t check(size_t slot) const {
    if (slot >= states.size())
      throw Error("slot " + std::to_string(slot) + " is out of range (a batch of " + std::to_string(states.size()) +
                  " states)");
    return slot;
  }
};

}  // namespace

void check_state_fits(const State& s, const ModelInfo& info) {
  if (s.arch() != info.arch || s.n_layer() != info.n_layer || s.n_embd() != info.n_embd ||
      s.size() != state_floats_per_layer(info) * size_t(info.n_layer))
    throw Error("state does not belong to this model (" + std::string(arch_name(s.arch())) + ", " +
                std::to_string(s.n_layer()) + " layers, n_embd " + std::to_string(s.n_embd()) + ")");
}

void check_tokens_fit(std::span<const uint32_t> tokens, const ModelInfo& info) {
  for (uint32_t tok : tokens)
    if (tok >= uint32_t(info.n_vocab))
      throw Error("token id " + std::to_string(tok) + " is out of range (n_vocab " + std::to_string(info.n_vocab) + ")");
}

void Runner::eval_batch(std::span<State* const> states, std::span<const uint32_t> tokens, float* logits) {
  if (states.empty()) return;
  const size_t T = tokens.size() / states.size(), V = size_t(info_.n_vocab);
  for (size_t b = 0; b < states.size(); b++)
    eval(*states[b], tokens.subspan(b * T, T), logits ? logits + b * V : nullptr, logits ? Logits::Last : Logits::None);
}

namespace {

// B streams of T tokens each (state-major), each stream's logits as out[b] asks.
void eval_step(Runner& r, std::span<State* const> states, std::span<const uint32_t> tokens,
               std::span<const StreamOut> out) {
  const size_t B = states.size();
  if (B == 0) return;
  const size_t T = tokens.size() / B, V = size_t(r.info().n_vocab);
  if (B == 1) return r.eval(*states[0], tokens, out[0].logits, out[0].which);
  std::vector<State*> rest;
  std::vector<uint32_t> rest_tokens;
  std::vector<size_t> rest_index;
  bool want_last = false;
  for (size_t b = 0; b < B; b++) {
    if (out[b].which == Logits::All) {
      r.eval(*states[b], tokens.subspan(b * T, T), out[b].logits, Logits::All);
      continue;
    }
    rest.push_back(states[b]);
    rest_index.push_back(b);
    rest_tokens.insert(rest_tokens.end(), tokens.begin() + std::ptrdiff_t(b * T), tokens.begin() + std::ptrdiff_t((b + 1) * T));
    want_last = want_last || out[b].which == Logits::Last;
  }
  if (rest.empty()) return;
  std::vector<float> last(want_last ? rest.size() * V : 0);
  r.eval_batch(rest, rest_tokens, want_last ? last.data() : nullptr);
  for (size_t i = 0; i < rest.size(); i++)
    if (out[rest_index[i]].which == Logits::Last)
      std::copy_n(last.data() + i * V, V, out[rest_index[i]].logits);
}

}  // namespace

void Runner::eval_streams(std::span<State* const> states, std::span<const uint32_t> tokens,
                          std::span<const size_t> counts, std::span<const StreamOut> out) {
  const size_t B = states.size(), V = size_t(info_.n_vocab);
  std::vector<size_t> first(B + 1, 0), done(B, 0);
  for (size_t b = 0; b < B; b++) first[b + 1] = first[b] + counts[b];
  std::vector<State*> step_states;
  std::vector<uint32_t> step_tokens;
  std::vector<StreamOut> step_out;
  for (;;) {
    size_t n = SIZE_MAX;
    for (size_t b = 0; b < B; b++)
      if (done[b] < counts[b]) n = std::min(n, counts[b] - done[b]);
    if (n == SIZE_MAX) return;
    step_states.clear();
    step_tokens.clear();
    step_out.clear();
    for (size_t b = 0; b < B; b++) {
      if (done[b] == counts[b]) continue;
      step_states.push_back(states[b]);
      step_tokens.insert(step_tokens.end(), tokens.begin() + std::ptrdiff_t(first[b] + done[b]),
                         tokens.begin() + std::ptrdiff_t(first[b] + done[b] + n));
      step_out.push_back(out[b].part(done[b], n, counts[b], V));
    }
    eval_step(*this, step_states, step_tokens, step_out);
    for (size_t b = 0; b < B; b++)
      if (done[b] < counts[b]) done[b] += n;
  }
}

std::unique_ptr<StateBatch> Runner::new_state_batch(size_t n) {
  return std::make_unique<HostStateBatch>(*this, n);
}

State& Runner::host_state(StateBatch& batch, size_t slot) const {
  auto* host = dynamic_cast<HostStateBatch*>(&batch);
  if (!host || host->owner != this) throw Error("the state batch belongs to another model");
  return host->at(slot);
}

void Runner::eval_batch(StateBatch& batch, std::span<const uint32_t> tokens, float* logits,
                        std::span<const size_t> slots) {
  const size_t n = slots.empty() ? batch.size() : slots.size();
  if (n == 0) return;
  const size_t T = tokens.size() / n, V = size_t(info_.n_vocab);
  for (size_t i = 0; i < n; i++)
    eval(host_state(batch, slots.empty() ? i : slots[i]), tokens.subspan(i * T, T), logits ? logits + i * V : nullptr,
         logits ? Logits::Last : Logits::None);
}

}  // namespace rwkv
