// Soak: a million tokens through one rwkv::Session on the CPU, as a live transcript would
// arrive, watched three ways:
//  1. Memory stays flat. VmRSS, VmHWM and the heap in use (proc_memory.h) are read at every
//     checkpoint; the first checkpoint ends the warm-up (allocator pools, the shadow thread's
//     arena); from there to the end none may grow by more than kMaxGrowthKb.
//  2. Every output is finite. Each token's log-probability (the session's scores: a
//     log-softmax over all logits, so a NaN or +inf anywhere in them shows) and, after every
//     piece, all the logits the session keeps.
//  3. No drift. A float64 shadow (shadow.h) runs the same tokens from the same initial state;
//     at every checkpoint the engine's logits and state are compared with it. The difference
//     must stay within fp32 rounding (max_logit_delta, max_state_rel) and must not grow: the
//     worst of the last quarter of checkpoints at most kMaxRise times the worst of the first.
// The stream (soak_text.h): models/heldout.txt, KJV text, cycled from random offsets with
// bursts of random bytes; the tiny rwkv.cpp models are byte-level, so tokens are bytes and
// checkpoints fall on exact positions. It is fed in pieces of 1-256 bytes, so the engine runs
// both one token at a time and in chunks of up to 64. The engine runs on one thread, the
// shadow on two more (its layers in two halves, pipelined).
// argv: MODEL (a path, or a file name in ../shared/testdata/rwkvcpp) TEXT_FILE [TOKENS [INTERVAL]]
// [--max-logit-delta=X] [--max-state-rel=X].
#include <chrono>
#include <cmath>
#include <random>
#include <stdexcept>
#include <thread>

#include "proc_memory.h"
#include "rwkv/formats.h"
#include "rwkv/model.h"
#include "rwkv/session.h"
#include "rwkv/tokenizer.h"
#include "shadow.h"
#include "soak_text.h"
#include "engine/testing.h"

namespace {

constexpr long kMaxGrowthKb = 2048;
// The fp32 engine's distance from float64, by default; --max-logit-delta=X and
// --max-state-rel=X set them per model (meson.build). fp32 rounds each operation at 2^-24
// (6e-8 relative). What enters the state carries such errors (those of the projections it
// comes from, widened by exp for RWKV-4's k) and the state keeps them as long as it keeps
// anything: about 1/(1 - decay) tokens for the slowest channel. So the distance settles at a
// level set by the model's longest memory and stays there; it does not add up over the
// stream. Measured: rwkv.cpp's tiny v7 logits 5e-7, state 3e-6 (relative to 1 + |x|); the
// bundled v4, whose slowest channels keep ~1,600 tokens, logits 4.6e-5 and state 9e-4 over a
// million tokens (the KJV-only model before it, ~660 tokens: 1e-5 and 1.2e-3). The bounds
// (meson.build) sit 6-20 times above those levels; in the shadow, the largest weight of one
// matrix off by 1% (v7) or 10% (v4, measured with the KJV-only model) breaks them.
double max_logit_delta = 1e-4;
double max_state_rel = 1e-4;
// The worst of the last quarter of checkpoints against the worst of the first: the level
// varies with the text by a factor of about 2; steady growth would pass 4.
constexpr double kMaxRise = 4;

struct Checkpoint {
  size_t tokens;
  double seconds;
  soak::Memory mem;
  double logit_delta, state_rel, bits_per_byte;
};

std::string read_text(const std::string& path) {
  const std::vector<uint8_t> b = testing::read_bytes(path);
  if (b.empty()) throw std::runtime_error("cannot read '" + path + "'");
  return std::string(b.begin(), b.end());
}

// The larger, NaN counting as the largest (std::max would drop it).
double worse(double a, double b) { return b <= a ? a : b; }

bool all_finite(std::span<const float> v) {
  for (float f : v)
    if (!std::isfinite(f)) return false;
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> pos_args;
  for (int i = 1; i < argc; i++) {
    const std::string a = argv[i];
    if (a.rfind("--max-logit-delta=", 0) == 0) max_logit_delta = std::stod(a.substr(18));
    else if (a.rfind("--max-state-rel=", 0) == 0) max_state_rel = std::stod(a.substr(16));
    else pos_args.push_back(a);
  }
  if (pos_args.size() < 2) {
    std::fprintf(stderr, "usage: test_soak MODEL TEXT_FILE [TOKENS [INTERVAL]] [--max-logit-delta=X] [--max-state-rel=X]\n");
    return 2;
  }
  const std::string& arg = pos_args[0];
  const std::string path = arg.find('/') != std::string::npos ? arg : testing::require_testdata() + "/rwkvcpp/" + arg;
  const std::string name = path.substr(path.rfind('/') + 1);
  const size_t n_tokens = pos_args.size() > 2 ? std::stoul(pos_args[2]) : 1000000;
  const size_t interval = pos_args.size() > 3 ? std::stoul(pos_args[3]) : 50000;
  if (n_tokens == 0 || n_tokens % interval != 0) {
    std::fprintf(stderr, "TOKENS must be a positive multiple of INTERVAL\n");
    return 2;
  }

  rwkv::LoadOptions opts;
  opts.threads = 1;
  auto model = rwkv::Model::load(path, opts);
  const rwkv::ModelInfo& info = model->info();
  auto tok = rwkv::tokenizer_for_model(*model);
  if (tok->kind() != rwkv::TokenizerKind::Bytes) {
    std::fprintf(stderr, "%s: the soak needs a byte-level model (tokens at exact positions)\n", name.c_str());
    return 1;
  }
  const std::string text = soak::make_text(read_text(pos_args[1]), n_tokens, 20240229);
  const std::vector<uint32_t> ids = tok->encode(text);
  CHECK(ids.size() == n_tokens);

  soak::Shadow shadow(rwkv::load_checkpoint(path), info, model->new_state(), ids, interval);
  std::thread shadow_thread([&] { shadow.run(); });

  rwkv::Session session(model, tok);
  const size_t V = size_t(info.n_vocab);
  std::mt19937 rng(7);
  std::vector<rwkv::TokenScore> scores;
  std::vector<Checkpoint> checkpoints;
  checkpoints.reserve(n_tokens / interval);
  size_t unscored = 0, bad_logprobs = 0, bad_logits = 0, wrong_ids = 0, wrong_counts = 0;
  size_t first_bad = SIZE_MAX, scored_since = 0;
  double logprob_since = 0, engine_seconds = 0;
  const auto start = std::chrono::steady_clock::now();
  auto seconds_since = [](auto t) { return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count(); };

  std::printf("%s: %s, C %d, %d layers; %zu tokens, checkpoints every %zu\n", name.c_str(), rwkv::arch_name(info.arch),
              info.n_embd, info.n_layer, n_tokens, interval);
  std::printf("%9s %8s %10s %10s %10s %12s %12s %10s\n", "tokens", "seconds", "VmRSS kB", "VmHWM kB", "heap kB",
              "max|dlogit|", "state rel", "bits/byte");
  for (size_t pos = 0; pos < n_tokens;) {
    const size_t next_checkpoint = (pos / interval + 1) * interval;
    const size_t len = std::min<size_t>(1 + rng() % 256, next_checkpoint - pos);
    scores.clear();
    const auto t0 = std::chrono::steady_clock::now();
    session.ingest(std::string_view(text).substr(pos, len), &scores);
    engine_seconds += seconds_since(t0);

    wrong_counts += scores.size() != len || session.tokens_consumed() != pos + len;
    for (size_t i = 0; i < scores.size() && i < len; i++) {
      const rwkv::TokenScore& s = scores[i];
      wrong_ids += s.id != ids[pos + i];
      if (!s.scored) {
        unscored++;
      } else if (!std::isfinite(s.logprob)) {
        bad_logprobs++;
        first_bad = std::min(first_bad, pos + i);
      } else {
        logprob_since += s.logprob;
        scored_since++;
      }
    }
    if (!all_finite(session.logits()) || session.logits().size() != V) {
      bad_logits++;
      first_bad = std::min(first_bad, pos + len - 1);
    }
    pos += len;
    if (pos != next_checkpoint) continue;

    Checkpoint c{pos, seconds_since(start), soak::read_memory(), INFINITY, INFINITY,
                 -logprob_since / std::log(2.0) / double(std::max<size_t>(scored_since, 1))};
    if (const soak::Shadow::Snapshot* s = shadow.snapshot(pos / interval - 1)) {
      const std::span<const float> logits = session.logits(), state = session.state().data();
      c.logit_delta = c.state_rel = 0;
      for (size_t i = 0; i < V; i++) c.logit_delta = worse(c.logit_delta, std::fabs(double(logits[i]) - s->logits[i]));
      for (size_t i = 0; i < state.size(); i++)
        c.state_rel = worse(c.state_rel, std::fabs(double(state[i]) - s->state[i]) / (1 + std::fabs(s->state[i])));
    }
    std::printf("%9zu %8.1f %10ld %10ld %10ld %12.3g %12.3g %10.3f\n", c.tokens, c.seconds, c.mem.rss_kb,
                c.mem.hwm_kb, c.mem.heap_kb, c.logit_delta, c.state_rel, c.bits_per_byte);
    std::fflush(stdout);
    checkpoints.push_back(c);
    logprob_since = 0;
    scored_since = 0;
  }
  shadow_thread.join();
  const double wall = seconds_since(start);
  std::printf("%zu tokens in %.1f s: %.0f tokens/s overall; the engine %.0f tokens/s (%.1f s in Session::ingest), "
              "the float64 shadow %.0f tokens/s\n",
              n_tokens, wall, double(n_tokens) / wall, double(n_tokens) / engine_seconds, engine_seconds,
              double(n_tokens) / shadow.seconds());

  CHECK_MSG(shadow.error().empty(), "the float64 shadow failed: %s", shadow.error().c_str());
  CHECK_MSG(checkpoints.size() == n_tokens / interval, "%zu of %zu checkpoints", checkpoints.size(),
            n_tokens / interval);
  if (checkpoints.empty()) return testing::finish();

  // 1. Memory after the warm-up.
  const Checkpoint& warm = checkpoints.front();
  long rss_growth = 0, heap_growth = 0, hwm_growth = checkpoints.back().mem.hwm_kb - warm.mem.hwm_kb;
  for (const Checkpoint& c : checkpoints) {
    rss_growth = std::max(rss_growth, c.mem.rss_kb - warm.mem.rss_kb);
    heap_growth = std::max(heap_growth, c.mem.heap_kb - warm.mem.heap_kb);
  }
  std::printf("memory after the first checkpoint: VmRSS grew at most %ld kB, VmHWM %ld kB, heap %ld kB (bound %ld kB)\n",
              rss_growth, hwm_growth, heap_growth, kMaxGrowthKb);
  CHECK(warm.mem.rss_kb > 0 && warm.mem.hwm_kb > 0);
  CHECK_MSG(rss_growth <= kMaxGrowthKb, "VmRSS grew by %ld kB over the stream", rss_growth);
  CHECK_MSG(hwm_growth <= kMaxGrowthKb, "VmHWM grew by %ld kB over the stream", hwm_growth);
  CHECK_MSG(heap_growth <= kMaxGrowthKb, "the heap in use grew by %ld kB over the stream", heap_growth);

  // 2. Finite outputs, for the tokens the session fed (the ids the shadow fed too).
  std::printf("non-finite: %zu log-probabilities, %zu logit vectors; %zu unscored token(s)\n", bad_logprobs,
              bad_logits, unscored);
  CHECK_MSG(bad_logprobs == 0 && bad_logits == 0, "non-finite output, first at token %zu", first_bad);
  CHECK_MSG(unscored == 1, "%zu tokens without a prediction (only the first should be)", unscored);
  CHECK_MSG(wrong_ids == 0 && wrong_counts == 0, "the session's tokens differ from the stream's: %zu ids, %zu pieces",
            wrong_ids, wrong_counts);

  // 3. Drift: within bounds everywhere, and no rise from the first quarter to the last.
  const size_t q = std::max<size_t>(1, checkpoints.size() / 4);
  double first_logit = 0, last_logit = 0, first_state = 0, last_state = 0, worst_logit = 0, worst_state = 0;
  for (size_t i = 0; i < checkpoints.size(); i++) {
    const Checkpoint& c = checkpoints[i];
    worst_logit = worse(worst_logit, c.logit_delta);
    worst_state = worse(worst_state, c.state_rel);
    if (i < q) first_logit = worse(first_logit, c.logit_delta), first_state = worse(first_state, c.state_rel);
    if (i >= checkpoints.size() - q)
      last_logit = worse(last_logit, c.logit_delta), last_state = worse(last_state, c.state_rel);
  }
  std::printf("fp32 vs float64: max|dlogit| %.3g (first quarter %.3g, last %.3g), state rel %.3g (%.3g, %.3g)\n",
              worst_logit, first_logit, last_logit, worst_state, first_state, last_state);
  CHECK_MSG(worst_logit <= max_logit_delta, "logits %.3g from float64 (bound %g)", worst_logit, max_logit_delta);
  CHECK_MSG(worst_state <= max_state_rel, "state %.3g from float64 (bound %g)", worst_state, max_state_rel);
  CHECK_MSG(last_logit <= kMaxRise * first_logit, "the logits drift: %.3g at the end, %.3g at the start", last_logit,
            first_logit);
  CHECK_MSG(last_state <= kMaxRise * first_state, "the state drifts: %.3g at the end, %.3g at the start", last_state,
            first_state);
  return testing::finish();
}
