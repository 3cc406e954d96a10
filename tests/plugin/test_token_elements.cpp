// rwkvtokenize and rwkvdetokenize under GstHarness: ids equal Tokenizer::encode of the whole
// text however it is split, text survives the round trip, timestamps follow the input that
// completed each output, events (flush, EOS, gap) behave, and token input to rwkv reads the
// same as text input.
#include <gst/check/gstharness.h>
#include <gst/gst.h>

#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "harness.h"
#include "rwkv/tokenizer.h"

namespace {

std::string g_data, g_model, g_world, g_neox;

// Multi-byte characters, runs of spaces, digits, newlines and punctuation: the places where a
// streaming encoder has to hold text back.
const std::string kText =
    "Hello world! The quick brown fox — naïve café, 2024-06-01: 12345 items.\n\n"
    "  Indented   spaces\tand tabs. 日本語のテキスト, emoji 😀👍🏽 and Ωμέγα.\r\n"
    "Don't stop; it's 3.14159... \"quoted\" (parens) [brackets] {braces}\n";

using testing::Harness;

struct Vocab {
  const char* name;  // Tokenizer::name()
  std::string spec;  // the tokenizer property
  std::shared_ptr<rwkv::Tokenizer> tok;
};

Vocab vocabulary(const std::string& name) {
  if (name == "world") return {"world", g_world, rwkv::load_tokenizer(g_world)};
  if (name == "neox") return {"neox", g_neox, rwkv::load_tokenizer(g_neox)};
  return {"bytes", "bytes", rwkv::make_bytes_tokenizer()};
}

std::string text_caps = "text/x-raw,format=utf8";

// Splits of 1..16 bytes, fixed and varying: the ids are always Tokenizer::encode(whole text).
void test_split_invariance(const Vocab& v) {
  const std::vector<uint32_t> expected = v.tok->encode(kText);
  int mismatches = 0;
  for (size_t piece = 1; piece <= 16; piece++) {
    Harness t("rwkvtokenize tokenizer=\"" + v.spec + "\"", text_caps.c_str());
    t.push_split(kText, piece);
    t.eos();
    if (t.pull_ids() != expected) {
      std::fprintf(stderr, "%s: pieces of %zu bytes give other ids\n", v.name, piece);
      mismatches++;
    }
  }
  // Varying piece sizes (a fixed pseudo-random sequence, so the test is repeatable).
  for (uint32_t seed = 1; seed <= 8; seed++) {
    Harness t("rwkvtokenize tokenizer=\"" + v.spec + "\"", "text/plain");
    uint32_t x = seed;
    for (size_t i = 0; i < kText.size();) {
      x = x * 1103515245u + 12345u;
      const size_t n = 1 + (x >> 16) % 16;
      t.push(kText.substr(i, n));
      i += n;
    }
    t.eos();
    if (t.pull_ids() != expected) {
      std::fprintf(stderr, "%s: varying split (seed %u) gives other ids\n", v.name, seed);
      mismatches++;
    }
  }
  std::printf("%s: %zu ids, same for 24 splits: %s\n", v.name, expected.size(), mismatches ? "no" : "yes");
  CHECK(mismatches == 0);
}

// text -> rwkvtokenize -> rwkvdetokenize gives the text back, however it is cut.
void test_round_trip(const Vocab& v) {
  const std::string line =
      "rwkvtokenize tokenizer=\"" + v.spec + "\" ! rwkvdetokenize tokenizer=\"" + v.spec + "\"";
  for (size_t piece : {size_t(1), size_t(2), size_t(3), size_t(5), size_t(16), kText.size()}) {
    Harness t(line, text_caps.c_str());
    t.push_split(kText, piece);
    t.eos();
    const std::string out = t.pull_text();
    CHECK_MSG(out == kText, "%s round trip with %zu-byte pieces: got %zu bytes", v.name, piece, out.size());
    CHECK(t.src_caps_of_output().find("utf8") != std::string::npos);
  }
}

// Token buffers cut anywhere, even inside an id (a token file read in blocks), decode the same.
void test_detokenize_split_ids() {
  const auto world = rwkv::load_tokenizer(g_world);
  const std::vector<uint32_t> ids = world->encode(kText);
  std::string bytes(ids.size() * 4, '\0');
  for (size_t i = 0; i < ids.size(); i++) GST_WRITE_UINT32_LE(&bytes[4 * i], ids[i]);
  for (size_t piece : {size_t(1), size_t(3), size_t(4), size_t(7), size_t(64)}) {
    Harness t("rwkvdetokenize tokenizer=\"" + g_world + "\"", "application/x-rwkv-tokens,vocabulary=world");
    t.push_split(bytes, piece);
    t.eos();
    const std::vector<std::string> pieces = t.pull_all();
    std::string out;
    bool each_valid = true;
    for (const auto& p : pieces) {
      each_valid = each_valid && g_utf8_validate(p.data(), gssize(p.size()), nullptr);
      out += p;
    }
    CHECK_MSG(out == kText, "ids in %zu-byte pieces", piece);
    CHECK(each_valid);  // only complete characters come out
  }
  // A bytes stream needs no tokenizer file: the caps say what the ids are.
  Harness t("rwkvdetokenize", "application/x-rwkv-tokens,vocabulary=bytes");
  const std::string s = "naïve";
  std::string b;
  for (unsigned char c : s) {
    char le[4];
    GST_WRITE_UINT32_LE(le, c);
    b.append(le, 4);
  }
  t.push(b.substr(0, 12));  // "na" and the first byte of "ï"
  CHECK(t.pull_text() == "na");
  t.push(b.substr(12));
  t.eos();
  CHECK(t.pull_text() == "ïve");
}

// An output buffer carries the PTS of the input that completed it; at EOS, text held back
// comes out stamped where it began; inputs that complete nothing become gaps.
void test_timestamps() {
  const auto world = rwkv::load_tokenizer(g_world);
  Harness t("rwkvtokenize tokenizer=\"" + g_world + "\"", text_caps.c_str());
  const std::vector<std::string> pieces = {"Hel", "lo", " wor", "ld, ", "th", "is is ", "a te", "st"};
  std::vector<uint32_t> all;
  bool stamped_by_completing_input = true;
  int gaps = 0;
  for (size_t i = 0; i < pieces.size(); i++) {
    const GstClockTime pts = GstClockTime(i + 1) * GST_SECOND;
    CHECK(t.push(pieces[i], pts, GST_SECOND / 2) == GST_FLOW_OK);
    std::vector<GstBuffer*> out;
    t.pull_all(&out);
    for (GstBuffer* b : out) {
      stamped_by_completing_input = stamped_by_completing_input && GST_BUFFER_PTS(b) == pts &&
                                    GST_BUFFER_DURATION(b) == GST_SECOND / 2;
      gst_buffer_unref(b);
    }
    auto g = t.events(GST_EVENT_GAP);
    if (out.empty()) {
      CHECK_MSG(g.size() == 1, "piece %zu completed no token but sent %zu gaps", i, g.size());
      gaps += int(g.size());
    }
    for (GstEvent* e : g) {
      GstClockTime gap_pts, gap_dur;
      gst_event_parse_gap(e, &gap_pts, &gap_dur);
      CHECK(gap_pts == pts && gap_dur == GST_SECOND / 2);
      gst_event_unref(e);
    }
  }
  CHECK(stamped_by_completing_input);
  CHECK(gaps > 0);  // "Hel" cannot be final yet
  // "st" and maybe "te" are still held: they come out at EOS, from where the held text began.
  t.eos();
  std::vector<GstBuffer*> last;
  t.pull_all(&last);
  CHECK(last.size() == 1);
  if (last.size() == 1) {
    const GstClockTime pts = GST_BUFFER_PTS(last[0]);
    CHECK(pts == 7 * GST_SECOND || pts == 8 * GST_SECOND);
    CHECK(pts + GST_BUFFER_DURATION(last[0]) == 8 * GST_SECOND + GST_SECOND / 2);
  }
  for (GstBuffer* b : last) gst_buffer_unref(b);
  CHECK(t.events(GST_EVENT_EOS).size() == 1);

  // The same through the detokenizer: text stamped by the id buffer that completed it.
  Harness d("rwkvdetokenize", "application/x-rwkv-tokens,vocabulary=bytes");
  const uint32_t e_acute[] = {0xC3, 0xA9};
  d.push_bytes(&e_acute[0], 4, 1 * GST_SECOND, GST_SECOND);
  CHECK(d.pull_all().empty() && d.events(GST_EVENT_GAP).size() == 1);
  d.push_bytes(&e_acute[1], 4, 2 * GST_SECOND, GST_SECOND);
  std::vector<GstBuffer*> out;
  CHECK(d.pull_all(&out) == std::vector<std::string>{"é"});
  if (out.size() == 1) CHECK(GST_BUFFER_PTS(out[0]) == 2 * GST_SECOND && GST_BUFFER_DURATION(out[0]) == GST_SECOND);
  for (GstBuffer* b : out) gst_buffer_unref(b);
  // An unfinished character at EOS becomes U+FFFD.
  d.push_bytes(&e_acute[0], 4, 3 * GST_SECOND, GST_SECOND);
  d.eos();
  CHECK(d.pull_text() == "\xEF\xBF\xBD");
}

// Buffers with no caps (pocketsphinx sends none) are read as UTF-8 text; the element
// announces its own caps downstream.
void test_no_caps() {
  Harness t("rwkvtokenize tokenizer=bytes", nullptr);
  t.push("Hi!\n");
  CHECK(t.pull_ids() == (std::vector<uint32_t>{'H', 'i', '!', '\n'}));
  CHECK(t.src_caps_of_output() == "application/x-rwkv-tokens, vocabulary=(string)bytes");
  Harness w("rwkvtokenize tokenizer=\"" + g_world + "\"", nullptr);
  w.push("Hello world");
  w.eos();
  CHECK(w.pull_ids() == rwkv::load_tokenizer(g_world)->encode("Hello world"));
  CHECK(w.src_caps_of_output() == "application/x-rwkv-tokens, vocabulary=(string)world");
}

// FLUSH_STOP drops what the coder held back; GAP passes through; EOS comes after the drain.
void test_events() {
  const auto world = rwkv::load_tokenizer(g_world);
  Harness t("rwkvtokenize tokenizer=\"" + g_world + "\"", text_caps.c_str());
  t.push("The end of the wor");
  gst_harness_push_event(t.h, gst_event_new_flush_start());
  gst_harness_push_event(t.h, gst_event_new_flush_stop(TRUE));
  GstSegment seg;
  gst_segment_init(&seg, GST_FORMAT_TIME);
  gst_harness_push_event(t.h, gst_event_new_segment(&seg));
  t.pull_all();
  t.push("ld.");
  t.eos();
  CHECK(t.pull_ids() == world->encode("ld."));

  Harness g("rwkvtokenize tokenizer=bytes ! rwkvdetokenize", text_caps.c_str());
  gst_harness_push_event(g.h, gst_event_new_gap(5 * GST_SECOND, GST_SECOND));
  auto gaps = g.events(GST_EVENT_GAP);
  CHECK(gaps.size() == 1);
  if (gaps.size() == 1) {
    GstClockTime pts, dur;
    gst_event_parse_gap(gaps[0], &pts, &dur);
    CHECK(pts == 5 * GST_SECOND && dur == GST_SECOND);
  }
  for (GstEvent* e : gaps) gst_event_unref(e);

  // Flushing the detokenizer drops an unfinished character.
  Harness d("rwkvdetokenize", "application/x-rwkv-tokens,vocabulary=bytes");
  const uint32_t ids[] = {0xC3, 'o', 'k'};
  d.push_bytes(&ids[0], 4);
  gst_harness_push_event(d.h, gst_event_new_flush_start());
  gst_harness_push_event(d.h, gst_event_new_flush_stop(TRUE));
  gst_harness_push_event(d.h, gst_event_new_segment(&seg));
  d.push_bytes(&ids[1], 8);
  d.eos();
  CHECK(d.pull_text() == "ok");
}

// Token input to rwkv reads exactly what text input reads (same ids, same bytes; the logprob
// up to the order per-buffer sums are added in).
void test_tokens_into_rwkv() {
  const std::string rwkv = " ! rwkv model=\"" + g_model + "\" tokenizer=bytes mode=score";
  Harness text("rwkv model=\"" + g_model + "\" tokenizer=bytes mode=score", text_caps.c_str());
  text.push_split(kText, 4096);
  text.eos();
  const double want = text.summary_logprob();
  for (const std::string& tok : {std::string("tokenizer=bytes"), "model=\"" + g_model + "\""}) {
    for (size_t piece : {size_t(1), size_t(7), size_t(4096)}) {
      Harness t("rwkvtokenize " + tok + rwkv, text_caps.c_str());
      t.push_split(kText, piece);
      t.eos();
      const double got = t.summary_logprob();
      std::printf("rwkvtokenize %s, %zu-byte pieces ! rwkv: %.12g (text input %.12g)\n", tok.c_str(), piece, got,
                  want);
      CHECK(want < 0 && std::fabs(got - want) <= 1e-9 * std::fabs(want));
    }
  }
}

// Bad input and bad settings: clear messages, no crash.
void test_errors() {
  {  // invalid UTF-8: a warning; the bytes are tokenized as they are
    const std::string bad = "ok \xff\xfe then more";
    Harness t("rwkvtokenize tokenizer=\"" + g_world + "\"", text_caps.c_str());
    t.push(bad);
    t.push("");
    t.eos();
    CHECK(t.pull_ids() == rwkv::load_tokenizer(g_world)->encode(bad));
    std::string text;
    CHECK(t.message(GST_MESSAGE_WARNING, &text) && text.find("UTF-8") != std::string::npos);
  }
  {  // a character split over buffers is not invalid
    Harness t("rwkvtokenize tokenizer=bytes", text_caps.c_str());
    t.push("caf\xC3");
    t.push("\xA9");
    t.eos();
    CHECK(!t.message(GST_MESSAGE_WARNING));
  }
  {  // ids of another vocabulary: one error, though the refused caps come again with each buffer
    Harness t("rwkvdetokenize tokenizer=bytes", "application/x-rwkv-tokens,vocabulary=world");
    const uint32_t id = 65;
    for (int i = 0; i < 5; i++) t.push_bytes(&id, 4);
    std::string text;
    CHECK(t.message(GST_MESSAGE_ERROR, &text) && text.find("vocabulary 'world'") != std::string::npos);
    CHECK_MSG(!t.message(GST_MESSAGE_ERROR), "the vocabulary error was posted more than once");
  }
  {  // an id past the vocabulary
    Harness t("rwkvdetokenize", "application/x-rwkv-tokens,vocabulary=bytes");
    const uint32_t id = 300;
    CHECK(t.push_bytes(&id, 4) == GST_FLOW_ERROR);
    std::string text, debug;
    CHECK(t.message(GST_MESSAGE_ERROR, &text, &debug) && text.find("300") != std::string::npos &&
          debug.find("256 tokens") != std::string::npos);
  }
  {  // a world stream with no tokenizer file to read it
    Harness t("rwkvdetokenize", "application/x-rwkv-tokens,vocabulary=world");
    std::string text;
    CHECK(t.message(GST_MESSAGE_ERROR, &text) && text.find("needs a tokenizer") != std::string::npos);
  }
  {  // world ids into a bytes model: rwkv refuses them
    Harness t("rwkvtokenize tokenizer=\"" + g_world + "\" ! rwkv model=\"" + g_model + "\" tokenizer=bytes",
              text_caps.c_str());
    t.push("Hello");
    t.eos();
    std::string text;
    CHECK(t.message(GST_MESSAGE_ERROR, &text) && text.find("vocabulary 'world'") != std::string::npos);
  }
  // Failing to start: tokenizer=auto with no model, a missing file.
  for (const char* props : {"", "tokenizer=/nonexistent/vocab.txt"}) {
    GstElement* e = gst_parse_launch((std::string("rwkvtokenize ") + props).c_str(), nullptr);
    const testing::StartError err = testing::start_error(e, GST_STATE_PAUSED);
    const std::string all = err.message + " " + err.debug;
    std::printf("start error: %s\n", all.c_str());
    CHECK(err.refused && err.posted && all.find(*props ? "/nonexistent/vocab.txt" : "model") != std::string::npos);
  }
}

// Once started, the tokenizer's caps name its vocabulary (upstream of rwkv can negotiate).
void test_caps_query() {
  Harness t("rwkvtokenize tokenizer=\"" + g_world + "\"", text_caps.c_str());
  GstCaps* caps = gst_pad_peer_query_caps(t.h->sinkpad, nullptr);
  gchar* s = gst_caps_to_string(caps);
  CHECK(std::string(s) == "application/x-rwkv-tokens, vocabulary=(string)world");
  g_free(s);
  gst_caps_unref(caps);
}

}  // namespace

int main(int argc, char** argv) {
  // The World and NeoX vocabularies come from ../shared; the bytes cases and the model run
  // without it (on the bundled model).
  const std::string data = testing::testdata();
  g_model = testing::byte_model();
  if (!data.empty()) {
    g_data = data + "/rwkvcpp/";
    g_world = g_data + "rwkv_vocab_v20230424.txt";
    g_neox = g_data + "20B_tokenizer.json";
  }
  setvbuf(stdout, nullptr, _IOLBF, 0);
  gst_init(&argc, &argv);
  const bool shared = !data.empty();
  std::vector<testing::Case> cases;
  for (const char* v : {"bytes", "world", "neox"}) {
    const bool needs = std::string(v) != "bytes";
    cases.push_back({std::string("split-invariance-") + v, [v] { test_split_invariance(vocabulary(v)); }, needs});
    cases.push_back({std::string("round-trip-") + v, [v] { test_round_trip(vocabulary(v)); }, needs});
  }
  cases.push_back({"detokenize-split-ids", test_detokenize_split_ids, true});
  cases.push_back({"timestamps", test_timestamps, true});
  cases.push_back({"no-caps", test_no_caps, true});
  cases.push_back({"events", test_events, true});
  cases.push_back({"tokens-into-rwkv", test_tokens_into_rwkv, g_model.empty()});
  cases.push_back({"errors", test_errors, true});
  cases.push_back({"caps-query", test_caps_query, true});
  return testing::run_cases(argc, argv, cases, shared);
}
