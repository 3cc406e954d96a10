// The CUDA backend against itself (argv: VERSION fp32|fp16|bf16): step mode and sequence
// mode agree, batched steps agree with single ones (across the 256-stream group limit and
// after the staging grows), device-resident state batches agree with States, replayed
// graphs agree with plain launches, Logits::None leaves the same state, and bad input is
// refused with clear errors. Exits 77 without a GPU.
#include <cstdlib>

#include "cuda_testing.h"
#include "rwkv/error.h"

using namespace cuda_testing;

namespace {

struct Streams {
  std::vector<rwkv::State> states;
  std::vector<rwkv::State*> ptrs() {
    std::vector<rwkv::State*> p;
    for (auto& s : states) p.push_back(&s);
    return p;
  }
};

// n states, state i fed i % 13 tokens of history first (so the batch's rows differ).
Streams histories(const rwkv::Model& m, size_t n, const std::vector<uint32_t>& toks) {
  Streams s;
  for (size_t i = 0; i < n; i++) {
    s.states.push_back(m.new_state());
    const size_t len = i % 13;
    if (len) m.eval(s.states.back(), std::span<const uint32_t>(toks.data() + i, len), nullptr, rwkv::Logits::None);
  }
  return s;
}

// eval_batch on m against eval one state at a time on `ref` (m itself by default).
void check_batch(const rwkv::Model& m, size_t n, size_t T, const std::vector<uint32_t>& toks, const Tolerance& tol,
                 const rwkv::Model* ref = nullptr) {
  if (!ref) ref = &m;
  const size_t V = size_t(m.info().n_vocab);
  Streams batched = histories(m, n, toks), single = batched;
  std::vector<uint32_t> in(n * T);
  for (size_t i = 0; i < in.size(); i++) in[i] = toks[(i * 7 + 3) % toks.size()];
  std::vector<float> lb(n * V), ls(n * V);
  m.eval_batch(batched.ptrs(), in, lb.data());
  for (size_t i = 0; i < n; i++)
    ref->eval(single.states[i], std::span<const uint32_t>(in.data() + i * T, T), ls.data() + i * V);
  const std::string what = "batch of " + std::to_string(n) + " x " + std::to_string(T) + " vs one by one";
  check_logits(what.c_str(), lb, ls, V, tol);
  std::vector<const rwkv::State*> got, want;
  for (size_t i = 0; i < n; i++) {
    got.push_back(&batched.states[i]);
    want.push_back(&single.states[i]);
  }
  check_states((what + ": states").c_str(), got, want, tol);
}

}  // namespace

int main(int argc, char** argv) {
  require_gpu();
  const std::string dir = testing::require_testdata();
  if (argc < 3) {
    std::fprintf(stderr, "usage: test_cuda_modes VERSION fp32|fp16|bf16\n");
    return 2;
  }
  const std::string ver = argv[1], dtype = argv[2];
  const rwkv::TensorMap tensors = tiny_model(dir, ver, dtype);
  const auto model = load(tensors, "cuda");
  const rwkv::Model& m = *model;
  const Tolerance tol = Tolerance::for_model(ver, dtype);
  const size_t V = size_t(m.info().n_vocab);
  const auto toks = random_tokens(400, uint32_t(V), 5);
  std::printf("%s %s on %s\n", ver.c_str(), dtype.c_str(), m.device().c_str());

  // Step vs sequence, prompts of 1..40 tokens: last logits and state.
  for (size_t n : {1, 2, 3, 15, 16, 17, 40}) {
    const std::vector<uint32_t> p(toks.begin(), toks.begin() + long(n));
    rwkv::State a = m.new_state(), b = m.new_state();
    std::vector<float> la(V), lb(V);
    for (size_t i = 0; i < n; i++) m.eval(a, std::span<const uint32_t>(&p[i], 1), la.data());
    m.eval(b, p, lb.data());
    const std::string what = "step vs sequence, " + std::to_string(n) + " tokens";
    check_logits(what.c_str(), la, lb, V, tol);
    check_state((what + ": state").c_str(), a, b, tol);
  }

  // Chunked feeding vs one call (all logits).
  {
    rwkv::State whole_state = m.new_state();
    std::vector<float> whole(toks.size() * V);
    m.eval(whole_state, toks, whole.data(), rwkv::Logits::All);
    for (size_t chunk : {7, 100}) {
      rwkv::State s = m.new_state();
      std::vector<float> got(toks.size() * V);
      for (size_t i = 0; i < toks.size(); i += chunk) {
        const size_t n = std::min(chunk, toks.size() - i);
        m.eval(s, std::span<const uint32_t>(toks.data() + i, n), got.data() + i * V, rwkv::Logits::All);
      }
      check_logits(("chunks of " + std::to_string(chunk) + " vs one call").c_str(), got, whole, V, tol);
    }
  }

  // Batched vs single: step mode (graphs for 1, 8, then 300 = 256 + 44 after the staging
  // grows) and several tokens per state (sequence mode for many streams).
  check_batch(m, 1, 1, toks, tol);
  check_batch(m, 8, 1, toks, tol);
  check_batch(m, 300, 1, toks, tol);
  check_batch(m, 8, 1, toks, tol);
  check_batch(m, 5, 7, toks, tol);
  check_batch(m, 3, 600, toks, tol);
  // Straight to the runner (batch_streams off; the scheduler would slice at its 1024 rows):
  // 2 states x 1100 tokens in one eval_batch, two chunks of the runner's own loop, against
  // the scheduled model one state at a time.
  {
    const auto direct = load(tensors, "cuda", false);
    check_batch(*direct, 2, 1100, toks, tol, &m);
  }

  // State batches (device-resident) vs States: all slots in place, a run of slots in place,
  // scattered slots gathered, several tokens per slot, more slots than one pass holds.
  for (const std::vector<size_t>& slots :
       std::vector<std::vector<size_t>>{{}, {2, 3, 4}, {5, 1, 6}, {7, 0, 3, 2, 6, 1, 5, 4}}) {
    for (size_t T : {1, 5}) {
      const size_t n = slots.empty() ? 8 : slots.size();
      Streams st = histories(m, 8, toks);
      auto batch = m.new_state_batch(8);
      for (size_t i = 0; i < 8; i++) batch->load(i, st.states[i]);
      std::vector<uint32_t> in(n * T);
      for (size_t i = 0; i < in.size(); i++) in[i] = toks[(i * 11 + 5) % toks.size()];
      std::vector<float> lb(n * V), ls(n * V);
      m.eval_batch(*batch, in, lb.data(), slots);
      std::vector<rwkv::State*> ptrs;
      for (size_t i = 0; i < n; i++) ptrs.push_back(&st.states[slots.empty() ? i : slots[i]]);
      m.eval_batch(ptrs, in, ls.data());
      std::string what = "state batch, slots {";
      for (size_t s : slots) what += std::to_string(s) + ",";
      what += "} x " + std::to_string(T);
      check_logits(what.c_str(), lb, ls, V, tol);
      std::vector<rwkv::State> out(8, m.new_state());
      std::vector<const rwkv::State*> got, want;
      for (size_t i = 0; i < 8; i++) {
        batch->store(i, out[i]);
        got.push_back(&out[i]);
        want.push_back(&st.states[i]);
      }
      check_states((what + ": all slots").c_str(), got, want, tol);
    }
  }
  {
    Streams st = histories(m, 300, toks);
    auto batch = m.new_state_batch(300);
    for (size_t i = 0; i < 300; i++) batch->load(i, st.states[i]);
    std::vector<float> lb(300 * V), ls(300 * V);
    const std::span<const uint32_t> in(toks.data(), 300);
    m.eval_batch(*batch, in, lb.data());
    m.eval_batch(st.ptrs(), in, ls.data());
    check_logits("state batch of 300 x 1", lb, ls, V, tol);
    rwkv::State out = m.new_state();
    batch->store(299, out);
    check_state("state batch of 300: slot 299", out, st.states[299], tol);
    m.eval_batch(*batch, in, nullptr);  // no logits
    batch->store(0, out);
    CHECK(out.tokens_seen == st.states[0].tokens_seen + 1);
  }

  // Graph replay vs plain launches: the same steps on a model loaded with graphs off.
  {
    const char* was = std::getenv("RWKV_CUDA_GRAPHS");  // "require" under meson
    const std::string before = was ? was : "";
    setenv("RWKV_CUDA_GRAPHS", "0", 1);
    const auto plain = load(tensors, "cuda");
    if (was) setenv("RWKV_CUDA_GRAPHS", before.c_str(), 1);
    else unsetenv("RWKV_CUDA_GRAPHS");
    rwkv::State a = m.new_state(), b = plain->new_state();
    std::vector<float> la(50 * V), lb(50 * V);
    for (size_t i = 0; i < 50; i++) {
      m.eval(a, std::span<const uint32_t>(&toks[i], 1), la.data() + i * V);
      plain->eval(b, std::span<const uint32_t>(&toks[i], 1), lb.data() + i * V);
    }
    const float d = testing::max_abs_diff(la, lb);
    std::printf("  %-44s max |diff| %.3g (bound 1e-5)\n", "graph replay vs plain launches, 50 steps", d);
    CHECK_MSG(d <= 1e-5f, "graph replay differs from plain launches by %g", d);
    CHECK(all_finite(la));
    Streams ga = histories(m, 8, toks), gb = histories(*plain, 8, toks);
    std::vector<float> ba(8 * V), bb(8 * V);
    m.eval_batch(ga.ptrs(), std::span<const uint32_t>(toks.data(), 8), ba.data());
    plain->eval_batch(gb.ptrs(), std::span<const uint32_t>(toks.data(), 8), bb.data());
    const float db = testing::max_abs_diff(ba, bb);
    std::printf("  %-44s max |diff| %.3g (bound 1e-5)\n", "graph replay vs plain launches, batch of 8", db);
    CHECK_MSG(db <= 1e-5f, "batched graph replay differs from plain launches by %g", db);
  }

  // Logits::None leaves the state Logits::All does.
  {
    rwkv::State a = m.new_state(), b = m.new_state();
    std::vector<float> all(toks.size() * V);
    m.eval(a, toks, nullptr, rwkv::Logits::None);
    m.eval(b, toks, all.data(), rwkv::Logits::All);
    CHECK(std::equal(a.data().begin(), a.data().end(), b.data().begin()));
    CHECK(a.tokens_seen == toks.size());
    rwkv::State c = m.new_state(), d = m.new_state();
    m.eval(c, std::span<const uint32_t>(toks.data(), 1), nullptr, rwkv::Logits::None);
    std::vector<float> l(V);
    m.eval(d, std::span<const uint32_t>(toks.data(), 1), l.data());
    CHECK(std::equal(c.data().begin(), c.data().end(), d.data().begin()));
  }

  // Errors name the fault and leave the state alone.
  {
    rwkv::State s = m.new_state();
    m.eval(s, std::span<const uint32_t>(toks.data(), 3), nullptr, rwkv::Logits::None);
    const std::vector<float> before(s.data().begin(), s.data().end());
    const uint32_t bad = uint32_t(V);
    CHECK_THROWS(m.eval(s, std::span<const uint32_t>(&bad, 1), nullptr, rwkv::Logits::None), "out of range");
    CHECK(std::equal(before.begin(), before.end(), s.data().begin()));
    rwkv::ModelInfo other = m.info();
    other.n_layer += 1;
    rwkv::State foreign(other);
    CHECK_THROWS(m.eval(foreign, std::span<const uint32_t>(toks.data(), 1), nullptr, rwkv::Logits::None),
                 "does not belong");
    std::vector<rwkv::State*> twice = {&s, &s};
    CHECK_THROWS(m.eval_batch(twice, std::span<const uint32_t>(toks.data(), 2), nullptr), "twice");
    std::vector<rwkv::State*> one = {&s};
    rwkv::State t = m.new_state();
    std::vector<rwkv::State*> two = {&s, &t};
    CHECK_THROWS(m.eval_batch(two, std::span<const uint32_t>(toks.data(), 3), nullptr), "evenly");
    m.eval_batch(one, std::span<const uint32_t>(toks.data(), 2), nullptr);
    CHECK(s.tokens_seen == 5);

    auto batch = m.new_state_batch(4);
    const std::vector<size_t> bad_slot = {4}, dup = {1, 1};
    CHECK_THROWS(m.eval_batch(*batch, std::span<const uint32_t>(toks.data(), 1), nullptr, bad_slot), "out of range");
    CHECK_THROWS(m.eval_batch(*batch, std::span<const uint32_t>(toks.data(), 2), nullptr, dup), "twice");
    CHECK_THROWS(batch->load(4, s), "out of range");
    CHECK_THROWS(batch->load(0, foreign), "does not belong");
    const auto other_model = load(tensors, "cpu");
    auto foreign_batch = other_model->new_state_batch(4);
    CHECK_THROWS(m.eval_batch(*foreign_batch, std::span<const uint32_t>(toks.data(), 4), nullptr), "another model");
    batch->load(2, s);
    rwkv::State back = m.new_state();
    batch->store(2, back);
    CHECK(std::equal(back.data().begin(), back.data().end(), s.data().begin()) && back.tokens_seen == 5);
  }
  return testing::finish();
}
