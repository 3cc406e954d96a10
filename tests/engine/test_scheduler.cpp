// Many threads on one model: each stream's logits and state are bit-identical to running it
// alone on a model without batching, whatever the others do (prefills of any length, steps,
// every-token logits), and the work was in fact batched. argv[1]: a model file name in
// ../shared/testdata/rwkvcpp, or "bundled" for the bundled model.
#include <barrier>
#include <cstring>
#include <random>
#include <thread>

#include "rwkv/model.h"
#include "testing.h"

namespace {

// One stream's work, the same for the batched and the solo run: its inputs and the logits
// it got after each call.
struct Script {
  std::vector<std::pair<std::vector<uint32_t>, rwkv::Logits>> calls;
  std::vector<std::vector<float>> got;
  rwkv::State state;
};

Script make_script(size_t stream, uint32_t vocab, const rwkv::Model& m) {
  std::mt19937 rng(uint32_t(1000 + stream));
  Script s;
  s.state = m.new_state();
  auto toks = [&](size_t n) {
    std::vector<uint32_t> t(n);
    for (auto& x : t) x = rng() % vocab;
    return t;
  };
  s.calls.push_back({toks(1 + rng() % 300), rwkv::Logits::Last});  // a prefill, some longer than a pass
  for (int i = 0; i < 40; i++) {
    const uint32_t kind = rng() % 10;
    if (kind == 0) s.calls.push_back({toks(20), rwkv::Logits::All});
    else if (kind == 1) s.calls.push_back({toks(1 + rng() % 9), rwkv::Logits::None});
    else s.calls.push_back({toks(1), rwkv::Logits::Last});
  }
  return s;
}

void play(const rwkv::Model& m, Script& s) {
  const size_t V = size_t(m.info().n_vocab);
  for (const auto& [tokens, which] : s.calls) {
    std::vector<float> logits(which == rwkv::Logits::All ? tokens.size() * V : which == rwkv::Logits::Last ? V : 0);
    m.eval(s.state, tokens, logits.empty() ? nullptr : logits.data(), which);
    s.got.push_back(std::move(logits));
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: test_scheduler MODEL_FILE|bundled\n");
    return 2;
  }
  std::string path;
  if (std::string(argv[1]) == "bundled") {
    const char* b = std::getenv("RWKV_BUNDLED_MODEL");
    if (!b) return 77;
    path = b;
  } else {
    path = testing::require_testdata() + "/rwkvcpp/" + argv[1];
  }
  rwkv::LoadOptions solo_opts;
  solo_opts.batch_streams = false;
  auto batched = rwkv::Model::load(path), solo = rwkv::Model::load(path, solo_opts);
  const uint32_t V = uint32_t(batched->info().n_vocab);

  constexpr size_t kStreams = 6;
  std::vector<Script> a, b;
  for (size_t i = 0; i < kStreams; i++) {
    a.push_back(make_script(i, V, *batched));
    b.push_back(make_script(i, V, *solo));
  }
  for (Script& s : b) play(*solo, s);
  std::barrier start{std::ptrdiff_t(kStreams)};
  std::vector<std::thread> threads;
  for (size_t i = 0; i < kStreams; i++)
    threads.emplace_back([&, i] {
      start.arrive_and_wait();
      play(*batched, a[i]);
    });
  for (auto& t : threads) t.join();

  for (size_t i = 0; i < kStreams; i++) {
    bool same = a[i].state.tokens_seen == b[i].state.tokens_seen &&
                std::memcmp(a[i].state.data().data(), b[i].state.data().data(), a[i].state.data().size() * 4) == 0;
    for (size_t c = 0; c < a[i].got.size(); c++) same = same && a[i].got[c] == b[i].got[c];
    CHECK_MSG(same, "%s: stream %zu differs from its solo run", argv[1], i);
  }
  const rwkv::BatchStats st = batched->batch_stats();
  std::printf("%s: %llu requests in %llu passes (%.2f streams per pass)\n", argv[1],
              static_cast<unsigned long long>(st.requests), static_cast<unsigned long long>(st.passes),
              st.passes ? double(st.requests) / double(st.passes) : 0.0);
  CHECK_MSG(st.passes > 0 && st.requests > st.passes, "nothing was batched");
  CHECK(solo->batch_stats().passes == 0);
  return testing::finish();
}
