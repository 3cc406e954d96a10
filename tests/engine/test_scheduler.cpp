// Many threads on one model: each stream's logits and state are bit-identical to running it
// alone on a model without batching, whatever the others do (prefills of any length, steps,
// every-token logits), and the work was in fact batched; sessions that start, save, restore,
// generate and stop at random end exactly as alone ("stress"). argv[1]: a model file name in
// ../shared/testdata/rwkvcpp, "bundled" for the bundled model, or "stress".
#include <barrier>
#include <cstring>
#include <random>
#include <thread>

#include "rwkv/model.h"
#include "rwkv/session.h"
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

// What a live stream does through a Session, chosen by `seed`: reads text in pieces, scores,
// generates on forks, saves and restores its state file, resets; returns its final state
// and everything it produced, which must not depend on what other threads do meanwhile.
std::string session_life(const std::shared_ptr<const rwkv::Model>& m, uint32_t seed, const std::string& dir) {
  std::mt19937 rng(seed);
  rwkv::Session s(m, rwkv::make_bytes_tokenizer());
  std::string out;
  const std::string path = dir + "/s" + std::to_string(seed) + ".state";
  const int ops = 10 + int(rng() % 20);
  for (int i = 0; i < ops; i++) {
    switch (rng() % 6) {
      case 0:
      case 1: {
        std::string text;
        for (uint32_t n = 1 + rng() % 80; n > 0; n--) text += rng() % 5 == 0 ? ' ' : char('a' + rng() % 26);
        s.ingest(text);
        break;
      }
      case 2: out += std::to_string(s.score(" and then").logprob) + ";"; break;
      case 3: {
        rwkv::GenerateParams g;
        g.max_tokens = 1 + int(rng() % 8);
        g.sampler.temperature = 0;
        rwkv::Session fork = s.fork();
        if (fork.tokens_consumed() > 0 || fork.pending_bytes() > 0) out += fork.generate(g).text + ";";
        break;
      }
      case 4:
        s.save(path);
        s.restore(path);
        break;
      default:
        if (rng() % 4 == 0) s.reset();
    }
  }
  const auto bytes = s.state().serialize();
  return out + std::string(bytes.begin(), bytes.end());
}

// Streams starting and stopping at random while others run, each a Session doing all a
// live stream does: every one ends exactly as it does alone.
int stress(const std::string& path) {
  rwkv::LoadOptions solo_opts;
  solo_opts.batch_streams = false;
  std::shared_ptr<const rwkv::Model> batched = rwkv::Model::load(path), solo = rwkv::Model::load(path, solo_opts);
  const std::string dir = testing::temp_dir("scheduler");
  constexpr uint32_t kLives = 24;
  std::vector<std::string> want(kLives), got(kLives);
  for (uint32_t i = 0; i < kLives; i++) want[i] = session_life(solo, i, dir);
  // Four at a time; each thread runs lives one after another, so streams come and go.
  std::vector<std::thread> threads;
  for (uint32_t t = 0; t < 4; t++)
    threads.emplace_back([&, t] {
      for (uint32_t i = t; i < kLives; i += 4) got[i] = session_life(batched, i, dir);
    });
  for (auto& th : threads) th.join();
  for (uint32_t i = 0; i < kLives; i++) CHECK_MSG(got[i] == want[i], "life %u differs beside the others", i);
  const rwkv::BatchStats st = batched->batch_stats();
  std::printf("stress: %u lives, %llu requests in %llu passes\n", kLives, static_cast<unsigned long long>(st.requests),
              static_cast<unsigned long long>(st.passes));
  CHECK_MSG(st.requests > st.passes, "nothing was batched");
  std::system(("rm -rf '" + dir + "'").c_str());
  return testing::finish();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: test_scheduler MODEL_FILE|bundled\n");
    return 2;
  }
  std::string path;
  const std::string bundled = testing::bundled_model();
  if (std::string(argv[1]) == "stress") return bundled.empty() ? 77 : stress(bundled);
  if (std::string(argv[1]) == "bundled") {
    if (bundled.empty()) return 77;
    path = bundled;
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
