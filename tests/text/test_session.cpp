// Sessions on the tiny byte-level RWKV-4 model (and a random World-vocabulary model):
// score() equals log-probabilities computed step by step with Model::eval; ingest gives the
// same state for any split; fork() leaves its origin alone; temperature 0 generation is
// greedy and reproducible; stop sequences, callbacks, end-of-text, state restore and
// save / restore through a state file.
#include <cmath>
#include <random>

#include "random_model.h"
#include "rwkv/error.h"
#include "rwkv/session.h"
#include "engine/testing.h"

namespace {

double log_softmax(const std::vector<float>& l, uint32_t id) {
  double m = l[0], s = 0;
  for (float x : l) m = std::max(m, double(x));
  for (float x : l) s += std::exp(double(x) - m);
  return double(l[id]) - m - std::log(s);
}

std::vector<uint32_t> bytes_of(const std::string& s) { return {s.begin(), s.end()}; }

float state_diff(const rwkv::State& a, const rwkv::State& b) {
  const auto x = a.data(), y = b.data();
  if (x.size() != y.size()) return INFINITY;
  float m = 0;
  for (size_t i = 0; i < x.size(); i++) m = std::max(m, std::fabs(x[i] - y[i]));
  return m;
}

void test_score(const std::shared_ptr<rwkv::Model>& model, const std::shared_ptr<rwkv::Tokenizer>& tok) {
  const std::string ctx = "The quick", text = " brown fox jumps over";
  rwkv::Session s(model, tok);
  s.ingest(ctx);
  s.flush();
  const auto before = s.state().serialize();
  const std::vector<float> logits_before(s.logits().begin(), s.logits().end());
  const rwkv::ScoreResult r = s.score(text);
  CHECK(s.state().serialize() == before);
  CHECK(std::equal(logits_before.begin(), logits_before.end(), s.logits().begin()));

  // The same, one token at a time with Model::eval.
  rwkv::State st = model->new_state();
  std::vector<float> logits(256);
  for (uint32_t t : bytes_of(ctx)) model->eval(st, std::span<const uint32_t>(&t, 1), logits.data());
  double total = 0;
  CHECK(r.tokens.size() == text.size());
  for (size_t i = 0; i < text.size(); i++) {
    const uint32_t t = uint8_t(text[i]);
    const double lp = log_softmax(logits, t);
    total += lp;
    if (i < r.tokens.size()) {
      CHECK(r.tokens[i].id == t && r.tokens[i].scored && r.tokens[i].bytes == std::string(1, text[i]));
      CHECK_MSG(std::fabs(r.tokens[i].logprob - lp) < 1e-4, "token %zu: %g vs %g", i, r.tokens[i].logprob, lp);
    }
    model->eval(st, std::span<const uint32_t>(&t, 1), logits.data());
  }
  std::printf("score: %.6f nats over %zu tokens (step by step %.6f), %.3f bits/byte\n", r.logprob, r.scored_tokens,
              total, r.bits_per_byte());
  CHECK(std::fabs(r.logprob - total) < 1e-3);
  CHECK(r.scored_tokens == text.size() && r.scored_bytes == text.size());
  CHECK(std::fabs(r.bits_per_byte() - (-total / std::log(2.0) / double(text.size()))) < 1e-4);
  const size_t worst = r.least_likely();
  CHECK(worst < r.tokens.size());
  for (const auto& t : r.tokens) CHECK(t.logprob >= r.tokens[worst].logprob);

  // A fresh byte-level session has nothing to predict its first token from.
  rwkv::Session fresh(model, tok);
  const auto f = fresh.score("ab");
  CHECK(f.tokens.size() == 2 && !f.tokens[0].scored && std::isnan(f.tokens[0].logprob) && f.tokens[1].scored);
  CHECK(f.scored_tokens == 1);
  CHECK_THROWS(fresh.generate({}), "ingest a prompt first");
}

void test_ingest_splits(const std::shared_ptr<rwkv::Model>& model, const std::shared_ptr<rwkv::Tokenizer>& tok,
                        const std::string& text) {
  rwkv::Session whole(model, tok);
  whole.ingest(text);
  whole.flush();
  std::mt19937 rng(5);
  for (int k = 1; k <= 9; k++) {
    rwkv::Session s(model, tok);
    for (size_t at = 0; at < text.size();) {
      const size_t n = k <= 7 ? size_t(k) : 1 + rng() % 11;
      s.ingest(std::string_view(text).substr(at, n));
      at += n;
    }
    s.flush();
    CHECK(s.tokens_consumed() == whole.tokens_consumed() && s.bytes_consumed() == text.size());
    CHECK_MSG(state_diff(s.state(), whole.state()) < 1e-4f, "%s split %d: state differs by %g", tok->name(), k,
              state_diff(s.state(), whole.state()));
  }
}

// Session::save / restore mid-word: the restored session scores what follows exactly as the
// uninterrupted one, with the same input position; a bad file leaves the session as it was.
void test_save_restore(const std::shared_ptr<const rwkv::Model>& model, const std::shared_ptr<rwkv::Tokenizer>& tok) {
  const std::string dir = testing::temp_dir("session");
  const std::string head = "Hello wor", tail = "ld, and the rest of it.";
  rwkv::Session a(model, tok);
  a.ingest(head);
  a.save(dir + "/a.state");
  rwkv::Session b(model, tok);
  b.ingest("something else entirely");
  b.restore(dir + "/a.state");
  CHECK(b.bytes_consumed() == a.bytes_consumed() && b.pending_bytes() == a.pending_bytes() &&
        b.tokens_consumed() == a.tokens_consumed());
  const rwkv::ScoreResult ra = a.score(tail), rb = b.score(tail);
  CHECK(ra.tokens.size() == rb.tokens.size());
  for (size_t i = 0; i < ra.tokens.size() && i < rb.tokens.size(); i++)
    CHECK_MSG(ra.tokens[i].id == rb.tokens[i].id && std::fabs(ra.tokens[i].logprob - rb.tokens[i].logprob) < 1e-6,
              "%s: token %zu after restore", tok->name(), i);
  std::FILE* f = std::fopen((dir + "/bad.state").c_str(), "wb");
  std::fputs("not a state file", f);
  std::fclose(f);
  const auto before = b.state().serialize();
  CHECK_THROWS(b.restore(dir + "/bad.state"), "not an RWKV state file");
  CHECK(b.state().serialize() == before && b.pending_bytes() == a.pending_bytes());
}

void test_generate(const std::shared_ptr<rwkv::Model>& model, const std::shared_ptr<rwkv::Tokenizer>& tok) {
  rwkv::Session s(model, tok);
  s.ingest("In a shocking finding, scientists");
  const auto origin = s.state().serialize();

  rwkv::GenerateParams g;
  g.sampler.temperature = 0;
  g.max_tokens = 40;
  rwkv::Session a = s.fork(), b = s.fork();
  std::string streamed;
  const auto ra = a.generate(g, [&](std::string_view piece) {
    streamed += piece;
    return true;
  });
  const auto rb = b.generate(g);
  CHECK(s.state().serialize() == origin && s.pending_bytes() == 0);
  CHECK(ra.text == rb.text && ra.tokens == 40 && ra.reason == rwkv::StopReason::MaxTokens);
  CHECK(streamed == ra.text);
  CHECK(state_diff(a.state(), b.state()) == 0.0f);

  // Greedy: each token is the argmax of the logits, as Model::eval computes them.
  rwkv::State st = model->new_state();
  std::vector<float> logits(256);
  const auto prompt = bytes_of("In a shocking finding, scientists");
  model->eval(st, prompt, logits.data());
  std::string greedy;
  for (int i = 0; i < 40; i++) {
    const uint32_t t = uint32_t(std::max_element(logits.begin(), logits.end()) - logits.begin());
    greedy += char(t);
    model->eval(st, std::span<const uint32_t>(&t, 1), logits.data());
  }
  CHECK_MSG(ra.text == greedy, "greedy '%s' vs '%s'", ra.text.c_str(), greedy.c_str());
  std::printf("temperature 0: \"%s\"\n", ra.text.c_str());

  // Seeded sampling is reproducible.
  g.sampler = {0.9f, 0.95f, 0, 0, 0, 42};
  const auto s1 = s.fork().generate(g), s2 = s.fork().generate(g);
  CHECK(s1.text == s2.text);
  bool differs = false;
  for (uint64_t seed = 1; seed < 6; seed++) {
    g.sampler.seed = seed;
    differs |= s.fork().generate(g).text != s1.text;
  }
  CHECK(differs);

  // A stop sequence taken from the greedy text ends generation before it.
  g.sampler = {};
  g.sampler.temperature = 0;
  const std::string stop = greedy.substr(10, 3);
  g.stop = {stop};
  std::string pieces;
  const auto rs = s.fork().generate(g, [&](std::string_view p) {
    pieces += p;
    return true;
  });
  CHECK(rs.reason == rwkv::StopReason::StopSequence && rs.text == greedy.substr(0, greedy.find(stop)));
  CHECK(pieces == rs.text);
  // The callback can stop it.
  g.stop.clear();
  const auto rc = s.fork().generate(g, [](std::string_view) { return false; });
  CHECK(rc.reason == rwkv::StopReason::Callback && rc.tokens == 1 && rc.text.size() == 1);

  // A restored state with its logits continues exactly as the original.
  rwkv::Session restored(model, tok);
  restored.set_state(rwkv::State::deserialize(model->info(), s.state().serialize()), s.logits());
  g.max_tokens = 20;
  CHECK(restored.generate(g).text == s.fork().generate(g).text);
  rwkv::Session no_logits(model, tok);
  no_logits.set_state(s.state());
  CHECK_THROWS(no_logits.generate(g), "without its logits");
  // reset() is the fresh state.
  rwkv::Session r = s.fork();
  r.reset();
  CHECK(state_diff(r.state(), model->new_state()) == 0.0f && r.tokens_consumed() == 0 && r.logits().empty());
}

// With the World vocabulary: a fresh session predicts after token 0, held-back text is
// scored with what follows, and generation samples only ids that have text.
void test_world(const std::string& dir) {
  auto world = rwkv::load_world_tokenizer(dir + "/rwkvcpp/rwkv_vocab_v20230424.txt");
  // The padding rows 65530.. of the head get huge weights: they would dominate sampling
  // if generation did not keep to the ids that have text.
  rwkv::TensorMap tensors = testing::random_v4_tensors(65536);
  const rwkv::Tensor& head = tensors.get("head.weight");
  std::vector<float> w = rwkv::tensor_to_f32(head);
  const auto shape = head.shape;
  for (size_t i = size_t(65530) * size_t(shape[1]); i < w.size(); i++) w[i] *= 100.0f;
  tensors.put_f32("head.weight", shape, std::move(w));
  rwkv::LoadOptions o;
  o.threads = 1;
  std::shared_ptr<const rwkv::Model> model = rwkv::Model::from_tensors(std::move(tensors), o);
  rwkv::Session s(model, world);
  const auto r = s.score("Hello world");
  CHECK(r.tokens.size() == 2 && r.scored_tokens == 2);
  s.ingest("Hello wor");
  CHECK(s.pending_bytes() > 0 && s.tokens_consumed() >= 1);
  const auto rest = s.score("ld");
  CHECK(rest.scored_tokens >= 1);
  s.flush();
  CHECK(s.pending_bytes() == 0);
  test_ingest_splits(std::const_pointer_cast<rwkv::Model>(model), world, "Hello world, this is a streaming test. It's split\n\nUser: anywhere");
  test_save_restore(model, world);
  rwkv::GenerateParams g;
  g.max_tokens = 30;
  g.stop_at_end_of_text = false;
  const auto out = s.generate(g);  // would throw decoding a padding id
  CHECK(out.tokens == 30);
  const std::string text = out.text;
  CHECK(!text.empty());
  // The session refuses a tokenizer larger than the model.
  CHECK_THROWS(rwkv::Session(testing::random_v4(256), world), "tokens but the model only 256");
}

}  // namespace

int main(int argc, char** argv) {
  // The tiny rwkv.cpp model when ../shared is there, else the bundled one (both byte-level).
  const std::string dir = testing::testdata(), path = testing::byte_model();
  rwkv::LoadOptions o;
  o.threads = 1;
  std::shared_ptr<rwkv::Model> model;
  auto bytes = rwkv::make_bytes_tokenizer();
  auto with_model = [&](auto f) {
    return [&, f] {
      if (!model) model = rwkv::Model::load(path, o);
      f();
    };
  };
  return testing::run_cases(argc, argv, {
      {"score", with_model([&] { test_score(model, bytes); }), path.empty()},
      {"ingest-splits", with_model([&] {
         test_ingest_splits(model, bytes, "In a shocking finding, scientist discovered a herd of dragons.");
       }), path.empty()},
      {"generate", with_model([&] { test_generate(model, bytes); }), path.empty()},
      {"save-restore", with_model([&] { test_save_restore(model, bytes); }), path.empty()},
      {"world", [&] { test_world(dir); }, true},
  }, !dir.empty());
}
