// Step mode, sequence mode, chunked and batched feeding agree; a fork evolves like its
// origin; a serialised and restored state gives bit-identical next logits. argv[1]: a model file name
// in ../shared/testdata/rwkvcpp (with "+bf16": loaded with bf16 products).
#include <cstring>
#include <random>

#include "rwkv/error.h"
#include "rwkv/model.h"
#include "testing.h"

namespace {

std::vector<uint32_t> random_tokens(size_t n, uint32_t vocab, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<uint32_t> t(n);
  for (auto& x : t) x = rng() % vocab;
  return t;
}

// Logits after every token, feeding `chunk` tokens per eval call (0 = all at once).
std::vector<float> run_chunked(const rwkv::Model& m, const std::vector<uint32_t>& toks, size_t chunk,
                               rwkv::State* out_state = nullptr) {
  const size_t V = size_t(m.info().n_vocab);
  rwkv::State s = m.new_state();
  std::vector<float> all(toks.size() * V);
  if (chunk == 0) chunk = toks.size();
  for (size_t i = 0; i < toks.size(); i += chunk) {
    const size_t n = std::min(chunk, toks.size() - i);
    m.eval(s, std::span<const uint32_t>(toks.data() + i, n), all.data() + i * V, rwkv::Logits::All);
  }
  if (out_state) *out_state = s;
  return all;
}

std::shared_ptr<rwkv::Model> g_model;
std::string g_file;

void step_vs_sequence_case() {
  const rwkv::Model& m = *g_model;
  const size_t V = size_t(m.info().n_vocab);
  const auto toks = random_tokens(300, uint32_t(V), 7);
  // Step (one token per call) vs one sequence call, for prompt lengths 1..70: last logits.
  float worst = 0;
  for (size_t n = 1; n <= 70; n++) {
    std::vector<uint32_t> p(toks.begin(), toks.begin() + long(n));
    rwkv::State a = m.new_state(), b = m.new_state();
    std::vector<float> la(V), lb(V);
    for (size_t i = 0; i < n; i++)
      m.eval(a, std::span<const uint32_t>(&p[i], 1), la.data(), rwkv::Logits::Last);
    m.eval(b, p, lb.data(), rwkv::Logits::Last);
    worst = std::max(worst, testing::max_abs_diff(la, lb));
    worst = std::max(worst, testing::max_abs_diff(
                                std::vector<float>(a.data().begin(), a.data().end()),
                                std::vector<float>(b.data().begin(), b.data().end())));
  }
  std::printf("step vs sequence, prompts 1..70: max |diff| %.3g\n", worst);
  CHECK_MSG(worst <= 1e-5f, "step vs sequence differ by %g", worst);
}

void chunked_case() {
  const rwkv::Model& m = *g_model;
  const size_t V = size_t(m.info().n_vocab);
  const auto toks = random_tokens(300, uint32_t(V), 7);
  // Chunked feeding (chunk sizes 1, 2, 8, 10, and longer than the runner's internal chunk).
  const auto whole = run_chunked(m, toks, 0);
  for (size_t chunk : {1, 2, 8, 10, 129}) {
    const float d = testing::max_abs_diff(run_chunked(m, toks, chunk), whole);
    std::printf("chunk %zu vs whole (300 tokens, all logits): max |diff| %.3g\n", chunk, d);
    CHECK_MSG(d <= 1e-5f, "chunk %zu differs by %g", chunk, d);
  }
  bool finite = true;
  for (float f : whole) finite = finite && std::isfinite(f);
  CHECK(finite);
}

void logits_none_case() {
  const rwkv::Model& m = *g_model;
  const size_t V = size_t(m.info().n_vocab);
  const auto toks = random_tokens(300, uint32_t(V), 7);
  // Logits::None must leave the state exactly as Logits::All does.
  {
    rwkv::State a = m.new_state(), b = m.new_state();
    std::vector<float> all(toks.size() * V);
    m.eval(a, toks, nullptr, rwkv::Logits::None);
    m.eval(b, toks, all.data(), rwkv::Logits::All);
    CHECK(std::equal(a.data().begin(), a.data().end(), b.data().begin()));
    CHECK(a.tokens_seen == toks.size());
  }
}

void fork_case() {
  const rwkv::Model& m = *g_model;
  const size_t V = size_t(m.info().n_vocab);
  const auto toks = random_tokens(300, uint32_t(V), 7);
  // A fork evolves exactly as its origin, and feeding the fork leaves the origin alone.
  {
    rwkv::State origin = m.new_state();
    m.eval(origin, std::span<const uint32_t>(toks.data(), 50), nullptr, rwkv::Logits::None);
    const std::vector<float> before(origin.data().begin(), origin.data().end());
    rwkv::State fork = origin.fork();
    std::vector<float> lf(V), lo(V);
    m.eval(fork, std::span<const uint32_t>(toks.data() + 50, 20), lf.data());
    CHECK(std::equal(before.begin(), before.end(), origin.data().begin()));
    m.eval(origin, std::span<const uint32_t>(toks.data() + 50, 20), lo.data());
    CHECK(lf == lo);
  }
}

void serialize_case() {
  const rwkv::Model& m = *g_model;
  const size_t V = size_t(m.info().n_vocab);
  const auto toks = random_tokens(300, uint32_t(V), 7);
  // Serialise and restore: bit-identical next logits; corruption and mismatches are refused.
  {
    rwkv::State s = m.new_state();
    m.eval(s, std::span<const uint32_t>(toks.data(), 100), nullptr, rwkv::Logits::None);
    const std::vector<uint8_t> bytes = s.serialize();
    rwkv::State r = rwkv::State::deserialize(m.info(), bytes);
    CHECK(r.tokens_seen == 100);
    std::vector<float> l1(V), l2(V);
    m.eval(s, std::span<const uint32_t>(toks.data() + 100, 5), l1.data());
    m.eval(r, std::span<const uint32_t>(toks.data() + 100, 5), l2.data());
    CHECK(std::memcmp(l1.data(), l2.data(), V * 4) == 0);

    std::vector<uint8_t> bad = bytes;
    bad[bad.size() / 2] ^= 0x40;
    CHECK_THROWS(rwkv::State::deserialize(m.info(), bad), "checksum");
    CHECK_THROWS(rwkv::State::deserialize(m.info(), std::span<const uint8_t>(bytes.data(), bytes.size() - 9)),
                 "truncated");
    CHECK_THROWS(rwkv::State::deserialize(m.info(), std::span<const uint8_t>(bytes.data(), 5)), "magic");
    rwkv::ModelInfo other = m.info();
    other.n_layer += 1;
    CHECK_THROWS(rwkv::State::deserialize(other, bytes), "another model");
  }
}

void batched_case() {
  const rwkv::Model& m = *g_model;
  const size_t V = size_t(m.info().n_vocab);
  const auto toks = random_tokens(300, uint32_t(V), 7);
  // Batched: B streams at different positions, fed together (eval_batch over States and
  // over a StateBatch) or one after another, give bit-identical logits and states: a batched
  // pass changes no stream's arithmetic. B = 150 is more streams than one pass's rows.
  for (const size_t B : {size_t(2), size_t(5), size_t(150)})
    for (const size_t T : {size_t(1), size_t(3), size_t(40)}) {
      if (B * T > 2000) continue;
      std::vector<rwkv::State> solo, batched;
      for (size_t b = 0; b < B; b++) {
        rwkv::State s = m.new_state();
        m.eval(s, std::span<const uint32_t>(toks.data() + b % 50, b % 7), nullptr, rwkv::Logits::None);
        solo.push_back(s);
        batched.push_back(s);
      }
      auto slots = m.new_state_batch(B);
      for (size_t b = 0; b < B; b++) slots->load(b, solo[b]);
      std::vector<rwkv::State*> ptrs;
      for (auto& s : batched) ptrs.push_back(&s);
      bool same = true;
      for (int step = 0; step < 3; step++) {
        const auto in = random_tokens(B * T, uint32_t(V), uint32_t(100 + step));
        std::vector<float> want(B * V), got(B * V), got_slots(B * V);
        for (size_t b = 0; b < B; b++)
          m.eval(solo[b], std::span<const uint32_t>(in.data() + b * T, T), want.data() + b * V);
        m.eval_batch(ptrs, in, got.data());
        m.eval_batch(*slots, in, got_slots.data());
        same = same && std::memcmp(want.data(), got.data(), want.size() * 4) == 0 &&
               std::memcmp(want.data(), got_slots.data(), want.size() * 4) == 0;
      }
      for (size_t b = 0; b < B; b++) {
        rwkv::State from_slot = m.new_state();
        slots->store(b, from_slot);
        same = same && solo[b].tokens_seen == batched[b].tokens_seen &&
               std::memcmp(solo[b].data().data(), batched[b].data().data(), solo[b].data().size() * 4) == 0 &&
               std::memcmp(solo[b].data().data(), from_slot.data().data(), solo[b].data().size() * 4) == 0;
      }
      CHECK_MSG(same, "%s: %zu streams of %zu tokens batched differ from solo", g_file.c_str(), B, T);
    }
}

void errors_case() {
  const rwkv::Model& m = *g_model;
  const size_t V = size_t(m.info().n_vocab);
  const auto toks = random_tokens(300, uint32_t(V), 7);
  // Bad tokens and foreign states are errors, not crashes.
  {
    rwkv::State s = m.new_state();
    const uint32_t bad_tok = uint32_t(V);
    CHECK_THROWS(m.eval(s, std::span<const uint32_t>(&bad_tok, 1), nullptr, rwkv::Logits::None), "out of range");
    rwkv::ModelInfo other = m.info();
    other.n_layer += 1;
    rwkv::State foreign(other);
    CHECK_THROWS(m.eval(foreign, std::span<const uint32_t>(toks.data(), 1), nullptr, rwkv::Logits::None),
                 "does not belong");
  }
}

}  // namespace

// argv: MODEL_FILE (in ../shared/testdata/rwkvcpp) [CASE]; one meson test per file and case.
int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: test_modes MODEL_FILE [CASE | --listed CASE...]\n");
    return 2;
  }
  g_file = argv[1];
  // FILE+bf16: the same cases with bf16 products (LoadOptions::bf16_products), which must keep
  // every mode's agreement.
  rwkv::LoadOptions opts;
  if (const size_t plus = g_file.rfind("+bf16"); plus != std::string::npos && plus + 5 == g_file.size()) {
    opts.bf16_products = true;
    g_file.resize(plus);
  }
  const bool have = !testing::testdata().empty();
  if (have && std::strcmp(argc > 2 ? argv[2] : "", "--listed") != 0)
    g_model = rwkv::Model::load(testing::testdata() + "/rwkvcpp/" + g_file, opts);
  const std::vector<testing::Case> cases = {
      {"step-vs-sequence", step_vs_sequence_case, true}, {"chunked", chunked_case, true}, {"logits-none", logits_none_case, true},
      {"fork", fork_case, true}, {"serialize", serialize_case, true}, {"batched", batched_case, true}, {"errors", errors_case, true}};
  return testing::run_cases(argc - 1, argv + 1, cases, have);
}
