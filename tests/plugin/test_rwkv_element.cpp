// The rwkv element under GstHarness with the tiny byte-level models (the bundled one when
// ../shared is absent): every mode, trigger, event, property and signal a user relies on,
// and bad input; one named case each.
#include <atomic>
#include <chrono>
#include <cmath>
#include <fstream>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "harness.h"

namespace {

std::string g_model, g_model_other;

// A harness around one rwkv element on the tiny byte-level model.
struct Run : testing::Harness {
  GstElement* rwkv;

  explicit Run(const std::string& props, const char* caps = "text/x-raw,format=utf8")
      : Harness("rwkv name=r model=\"" + g_model + "\" tokenizer=bytes " + props, caps),
        rwkv(gst_bin_get_by_name(GST_BIN(h->element), "r")) {}
  ~Run() { gst_object_unref(rwkv); }

  // Every output buffer's text so far.
  std::vector<std::string> texts(std::vector<GstClockTime>* pts = nullptr) {
    std::vector<GstBuffer*> bufs;
    std::vector<std::string> out = pull_all(&bufs);
    for (GstBuffer* b : bufs) {
      if (pts) pts->push_back(GST_BUFFER_PTS(b));
      gst_buffer_unref(b);
    }
    return out;
  }
  // Element messages of one name, in order.
  std::vector<GstStructure*> messages(const char* name) {
    std::vector<GstStructure*> out;
    while (GstMessage* msg = gst_bus_pop(bus)) {
      const GstStructure* s = gst_message_get_structure(msg);
      if (GST_MESSAGE_TYPE(msg) == GST_MESSAGE_ELEMENT && s && gst_structure_has_name(s, name))
        out.push_back(gst_structure_copy(s));
      else if (GST_MESSAGE_TYPE(msg) == GST_MESSAGE_ELEMENT && s)
        kept.push_back(gst_message_ref(msg));
      gst_message_unref(msg);
    }
    // Put back other element messages for a later call.
    for (GstMessage* k : kept) gst_bus_post(bus, k);
    kept.clear();
    return out;
  }
  int count_events(GstEventType type) {
    int n = 0;
    while (GstEvent* e = gst_harness_try_pull_event(h)) {
      n += GST_EVENT_TYPE(e) == type;
      gst_event_unref(e);
    }
    return n;
  }
  std::vector<GstMessage*> kept;
};

double summary_logprob(Run& r) {
  auto s = r.messages("rwkv-summary");
  double lp = NAN;
  if (!s.empty()) gst_structure_get_double(s.back(), "logprob", &lp);
  for (auto* x : s) gst_structure_free(x);
  return lp;
}

const std::string kText =
    "The quick brown fox jumps over the lazy dog. It was the best of times, it was the worst of times. "
    "Call me Ishmael.\nSome years ago, never mind how long precisely, I thought I would sail about a little.";

void test_score_mode() {
  Run r("mode=score", nullptr);  // no caps, no timestamps: as pocketsphinx sends them
  CHECK(r.push("Hello world.") == GST_FLOW_OK);
  CHECK(r.push(" Goodbye.") == GST_FLOW_OK);
  std::vector<GstClockTime> pts;
  auto out = r.texts(&pts);
  CHECK(out.size() == 2 && out[0] == "Hello world." && out[1] == " Goodbye.");
  CHECK(pts.size() == 2 && GST_CLOCK_TIME_IS_VALID(pts[0]) && pts[1] >= pts[0]);
  auto scores = r.messages("rwkv-score");
  CHECK(scores.size() == 2);
  for (auto* s : scores) {
    guint tokens = 0;
    double lp = 0, bpb = 0;
    gst_structure_get_uint(s, "tokens", &tokens);
    gst_structure_get_double(s, "logprob", &lp);
    gst_structure_get_double(s, "bits-per-byte", &bpb);
    CHECK(tokens > 0 && lp < 0 && bpb > 0);
    CHECK(gst_structure_get_string(s, "least-likely-word") != nullptr);
    gst_structure_free(s);
  }
  // Timestamps are kept when the input has them, and each buffer carries the score meta.
  CHECK(r.push(" Again.", 10 * GST_SECOND, GST_SECOND) == GST_FLOW_OK);
  GstBuffer* b = gst_harness_try_pull(r.h);
  CHECK(b != nullptr);
  if (b) {
    CHECK(GST_BUFFER_PTS(b) == 10 * GST_SECOND);
    GstCustomMeta* meta = gst_buffer_get_custom_meta(b, "GstRwkvScoreMeta");
    CHECK(meta != nullptr);
    double lp = 0;
    if (meta) CHECK(gst_structure_get_double(gst_custom_meta_get_structure(meta), "logprob", &lp) && lp < 0);
    gst_buffer_unref(b);
  }
}

// The same text cut into any pieces gives the same summary.
void test_split_invariance() {
  std::vector<double> lps;
  for (size_t piece : {size_t(1), size_t(7), size_t(4096)}) {
    Run r("mode=score");
    for (size_t i = 0; i < kText.size(); i += piece) r.push(kText.substr(i, piece));
    r.eos();
    lps.push_back(summary_logprob(r));
  }
  std::printf("summary logprob for pieces of 1, 7, 4096 bytes: %.9g %.9g %.9g\n", lps[0], lps[1], lps[2]);
  // Equal up to the order the per-buffer sums were added in.
  CHECK(lps[0] < 0 && std::fabs(lps[0] - lps[1]) < 1e-9 && std::fabs(lps[1] - lps[2]) < 1e-9);
}

void test_continue_and_main_state() {
  std::vector<std::string> outs;
  std::vector<double> lps;
  for (int i = 0; i < 2; i++) {
    Run r("mode=continue trigger=sentence temperature=0 max-tokens=12");
    r.push("The quick brown fox");
    CHECK(r.texts().empty());  // no sentence end yet
    CHECK(r.count_events(GST_EVENT_GAP) >= 1);
    r.push(" jumps over the lazy dog.");
    auto t = r.texts();
    CHECK(t.size() == 1 && !t[0].empty());
    if (!t.empty()) outs.push_back(t[0]);
    r.push(" Then it sleeps.");
    r.eos();
    CHECK(r.texts().size() == 1);
    lps.push_back(summary_logprob(r));
  }
  CHECK(outs.size() == 2 && outs[0] == outs[1]);  // temperature 0 is deterministic
  // Generation ran on forks: the main state read exactly what score mode reads.
  Run s("mode=score");
  s.push("The quick brown fox jumps over the lazy dog. Then it sleeps.");
  s.eos();
  const double score_lp = summary_logprob(s);
  std::printf("continue-mode summary %.9g, score-mode summary %.9g\n", lps[0], score_lp);
  CHECK(std::fabs(lps[0] - score_lp) < 1e-6);
}

void test_respond_and_classify() {
  {
    Run r("mode=respond trigger=buffer max-tokens=8 temperature=0 prompt=\"\\nQ: {text}\\nA:\" stop=\"\\n\"");
    r.push("What is a fox?");
    auto t = r.texts();
    CHECK(t.size() == 1);
    if (!t.empty()) CHECK(t[0].find('\n') == std::string::npos);
  }
  {
    Run r("mode=classify trigger=buffer labels=\"apple,banana,cherry\"");
    r.push("I ate a yellow fruit.");
    auto t = r.texts();
    CHECK(t.size() == 1 && (t[0] == "apple" || t[0] == "banana" || t[0] == "cherry"));
    auto c = r.messages("rwkv-classify");
    CHECK(c.size() == 1);
    if (!c.empty()) {
      const GValue* scores = gst_structure_get_value(c[0], "scores");
      CHECK(scores && gst_value_list_get_size(scores) == 3);
      gst_structure_free(c[0]);
    }
  }
}

void test_triggers() {
  {
    Run r("mode=continue trigger=buffer max-tokens=3");
    r.push("a");
    r.push("b");
    CHECK(r.texts().size() == 2);
  }
  {
    Run r("mode=continue trigger=eos max-tokens=3");
    r.push("One. Two. Three.");
    CHECK(r.texts().empty());
    r.eos();
    CHECK(r.texts().size() == 1);
  }
  {
    // Every 5 s of stream time; output stamped with the end of the text it answers.
    Run r("mode=continue trigger=interval interval=5000000000 max-tokens=3");
    for (int s = 0; s < 12; s++) r.push("word ", GstClockTime(s) * GST_SECOND, GST_SECOND);
    std::vector<GstClockTime> pts;
    auto t = r.texts(&pts);
    CHECK(t.size() == 2);
    if (pts.size() == 2) CHECK(pts[0] == 5 * GST_SECOND || pts[0] == 6 * GST_SECOND);
  }
  {
    Run r("mode=continue trigger=manual max-tokens=3");
    r.push("Some text.");
    CHECK(r.texts().empty());
    g_signal_emit_by_name(r.rwkv, "trigger");  // answered by the element's thread
    std::vector<std::string> t;
    for (int i = 0; i < 100 && t.empty(); i++) {
      g_usleep(20000);
      t = r.texts();
    }
    CHECK(t.size() == 1);
  }
  {
    // Live: after `interval` without input.
    Run r("mode=continue trigger=silence interval=200000000 max-tokens=3");
    r.push("Are you there");
    CHECK(r.texts().empty());
    std::vector<std::string> t;
    for (int i = 0; i < 40 && t.empty(); i++) {
      g_usleep(50000);
      t = r.texts();
    }
    CHECK(t.size() == 1);
  }
}

void test_flush_and_reset() {
  Run a("mode=score");
  a.push("First part. ");
  gst_harness_push_event(a.h, gst_event_new_flush_start());
  gst_harness_push_event(a.h, gst_event_new_flush_stop(TRUE));
  GstSegment seg;
  gst_segment_init(&seg, GST_FORMAT_TIME);
  gst_harness_push_event(a.h, gst_event_new_segment(&seg));
  a.push("Second part.");
  a.eos();
  Run b("mode=score");
  b.push("First part. Second part.");
  b.eos();
  CHECK(summary_logprob(a) == summary_logprob(b));  // the flush kept the state

  Run c("mode=score");
  c.push("Something else entirely. ");
  g_signal_emit_by_name(c.rwkv, "reset");
  c.push("First part. Second part.");
  c.eos();
  auto scores = c.messages("rwkv-score");
  Run d("mode=score");
  d.push("First part. Second part.");
  auto dscores = d.messages("rwkv-score");
  double lc = 0, ld = 1;
  if (scores.size() == 2 && dscores.size() == 1) {
    gst_structure_get_double(scores[1], "logprob", &lc);
    gst_structure_get_double(dscores[0], "logprob", &ld);
  }
  CHECK(lc == ld);  // after reset, the same text scores as on a fresh state
  for (auto* s : scores) gst_structure_free(s);
  for (auto* s : dscores) gst_structure_free(s);
}

void test_state_file(const std::string& dir) {
  const std::string path = dir + "/stream.state";
  const std::string first = "It was the best of times, it was the wor", second = "st of times. The end.";
  {
    Run r("mode=score state-file=\"" + path + "\"");
    r.push(first);
    r.eos();
  }
  CHECK(g_file_test(path.c_str(), G_FILE_TEST_EXISTS));
  Run resumed("mode=score state-file=\"" + path + "\"");
  resumed.push(second);
  auto a = resumed.messages("rwkv-score");
  Run whole("mode=score");
  whole.push(first);
  for (GstStructure* st : whole.messages("rwkv-score")) gst_structure_free(st);
  whole.push(second);
  auto b = whole.messages("rwkv-score");
  double la = 0, lb = 1;
  if (a.size() == 1 && b.size() == 1) {
    gst_structure_get_double(a[0], "logprob", &la);
    gst_structure_get_double(b[0], "logprob", &lb);
  }
  std::printf("resumed from state file: %.9g, uninterrupted: %.9g\n", la, lb);
  CHECK(la == lb);
  for (auto* s : a) gst_structure_free(s);
  for (auto* s : b) gst_structure_free(s);

  // save-state / load-state signals.
  gboolean ok = FALSE;
  g_signal_emit_by_name(resumed.rwkv, "save-state", (dir + "/signal.state").c_str(), &ok);
  CHECK(ok && g_file_test((dir + "/signal.state").c_str(), G_FILE_TEST_EXISTS));
  g_signal_emit_by_name(resumed.rwkv, "load-state", (dir + "/signal.state").c_str(), &ok);
  CHECK(ok);

  // A state file of another model is refused when the stream starts, with a clear error.
  if (g_model_other.empty()) return;  // only the bundled model here
  GstElement* e = gst_element_factory_make("rwkv", nullptr);
  g_object_set(e, "model", g_model_other.c_str(), "tokenizer", "bytes", "state-file", path.c_str(), nullptr);
  const testing::StartError err = testing::start_error(e, GST_STATE_PAUSED);
  CHECK(err.refused && err.posted && err.debug.find("another model") != std::string::npos);
}

void test_latency() {
  Run r("mode=continue latency=200000000");
  gst_harness_set_upstream_latency(r.h, 50 * GST_MSECOND);
  CHECK(r.live_latency() == 250 * GST_MSECOND);
  CHECK(r.posts_latency(r.rwkv, "latency", 300 * GST_MSECOND));
}

void test_bad_input() {
  {
    Run r("mode=score");
    CHECK(r.push("valid \xff\xfe text") == GST_FLOW_OK);  // invalid UTF-8: a warning, not an error
    CHECK(r.push("") == GST_FLOW_OK);
    std::string big(20 * 1000, 'a');  // one large buffer (the session scores it in chunks)
    for (size_t i = 0; i < big.size(); i += 61) big[i] = ' ';
    CHECK(r.push(big) == GST_FLOW_OK);
    auto t = r.texts();
    CHECK(t.size() == 3 && t[2].size() == big.size());
    bool warned = false;
    while (GstMessage* m = gst_bus_pop(r.bus)) {
      warned = warned || GST_MESSAGE_TYPE(m) == GST_MESSAGE_WARNING;
      gst_message_unref(m);
    }
    CHECK(warned);
  }
  {
    // Tokens of the right vocabulary are read; another vocabulary is refused.
    Run r("mode=score", "application/x-rwkv-tokens,vocabulary=bytes");
    const uint32_t ids[] = {72, 105, 33};
    GstBuffer* b = gst_buffer_new_memdup(ids, sizeof ids);
    CHECK(gst_harness_push(r.h, b) == GST_FLOW_OK);
    auto s = r.messages("rwkv-score");
    CHECK(s.size() == 1);
    for (auto* x : s) gst_structure_free(x);
  }
  {
    Run r("mode=score", "application/x-rwkv-tokens,vocabulary=world");
    GstMessage* m = gst_bus_pop_filtered(r.bus, GST_MESSAGE_ERROR);
    CHECK(m != nullptr);
    if (m) {
      GError* err = nullptr;
      gst_message_parse_error(m, &err, nullptr);
      CHECK(std::string(err->message).find("vocabulary 'world'") != std::string::npos);
      g_error_free(err);
      gst_message_unref(m);
    }
  }
  // A corrupt model: the element fails to start, with the reason.
  const std::string dir = testing::temp_dir("plugin-bad");
  testing::write_bytes(dir + "/corrupt.bin", std::vector<uint8_t>{'f', 'm', 'g', 'g', 1, 2});
  GstElement* e = gst_element_factory_make("rwkv", nullptr);
  g_object_set(e, "model", (dir + "/corrupt.bin").c_str(), nullptr);
  const testing::StartError err = testing::start_error(e, GST_STATE_READY);
  CHECK(err.refused && err.debug.find("corrupt.bin") != std::string::npos);
  std::system(("rm -rf '" + dir + "'").c_str());
}

// quantize=q8_0 runs the model quantized at load: the same text scores within the cost of
// 8-bit weights (well under 1% here) but not identically; a type that is not a quantization
// stops the element with the reason.
void test_quantize() {
  std::vector<double> lps;
  for (const char* q : {"", "quantize=q8_0", "quantize=q4_0"}) {
    Run r(std::string("mode=score ") + q);
    r.push(kText);
    r.eos();
    lps.push_back(summary_logprob(r));
  }
  std::printf("summary logprob: as the file %.6f, q8_0 %.6f, q4_0 %.6f\n", lps[0], lps[1], lps[2]);
  CHECK(lps[0] < 0 && lps[1] != lps[0] && std::fabs(lps[1] - lps[0]) < 0.01 * std::fabs(lps[0]));
  CHECK(lps[2] != lps[1] && std::fabs(lps[2] - lps[0]) < 0.1 * std::fabs(lps[0]));
  GstElement* e = gst_element_factory_make("rwkv", nullptr);
  g_object_set(e, "model", g_model.c_str(), "quantize", "fp16", nullptr);
  const testing::StartError err = testing::start_error(e, GST_STATE_READY);
  CHECK(err.refused && err.debug.find("not a quantized type") != std::string::npos);
}

// bf16-products=true: the same text scores within the bound of bf16 products but not
// identically, also while an exact element on the same model file plays beside it (the two
// do not share one loaded model); the property reads back.
void test_bf16_products() {
  Run exact("mode=score"), bf16("mode=score bf16-products=true");
  gboolean on = FALSE;
  g_object_get(bf16.rwkv, "bf16-products", &on, nullptr);
  CHECK(on);
  for (Run* r : {&exact, &bf16}) {
    r->push(kText);
    r->eos();
  }
  const double a = summary_logprob(exact), b = summary_logprob(bf16);
  std::printf("summary logprob: exact %.6f, bf16 products %.6f\n", a, b);
  CHECK(a < 0 && b != a && std::fabs(b - a) < 0.005 * std::fabs(a));
}

int warnings(Run& r) {
  int n = 0;
  while (GstMessage* m = gst_bus_pop(r.bus)) {
    n += GST_MESSAGE_TYPE(m) == GST_MESSAGE_WARNING;
    gst_message_unref(m);
  }
  return n;
}

// Characters cut across buffers at every byte are valid UTF-8; a bad byte anywhere is not.
void test_utf8_across_buffers() {
  const std::string text = "caf\xc3\xa9 \xe2\x82\xac" "5 \xf0\x9f\x8e\x89!";
  for (size_t piece : {size_t(1), size_t(2), size_t(3)}) {
    Run r("mode=score");
    for (size_t i = 0; i < text.size(); i += piece) r.push(text.substr(i, piece));
    CHECK(warnings(r) == 0);
  }
  for (const char* bad : {"\xe2\x28", "\xc3", "\x80"}) {
    Run r("mode=score");
    r.push(std::string("ok ") + bad);
    r.push(std::string("(x"));
    CHECK(warnings(r) == 1);
  }
}

// Pango markup is read as its text (tags dropped, entities decoded); malformed markup is read
// as it is, with a warning.
void test_markup() {
  Run r("mode=score", "text/x-raw,format=pango-markup");
  // Per push: the bytes its rwkv-score message counts, and the warnings posted.
  auto read = [&](const std::string& markup, guint& bytes, int& warned) {
    CHECK(r.push(markup) == GST_FLOW_OK);
    bytes = 0;
    warned = 0;
    while (GstMessage* m = gst_bus_pop(r.bus)) {
      const GstStructure* st = gst_message_get_structure(m);
      warned += GST_MESSAGE_TYPE(m) == GST_MESSAGE_WARNING;
      if (GST_MESSAGE_TYPE(m) == GST_MESSAGE_ELEMENT && st && gst_structure_has_name(st, "rwkv-score"))
        gst_structure_get_uint(st, "bytes", &bytes);
      gst_message_unref(m);
    }
  };
  guint bytes = 0;
  int warned = 0;
  read("<b>Hello</b> &amp; <i>world</i>", bytes, warned);
  CHECK(bytes == std::string("Hello & world").size() && warned == 0);
  read("<b>broken", bytes, warned);
  CHECK(bytes == std::string("<b>broken").size() && warned == 1);
}

long rss_kb() {
  std::ifstream f("/proc/self/status");
  for (std::string line; std::getline(f, line);)
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  return -1;
}

// A 100 MB buffer is read where it lies, a slice at a time: memory grows by a slice, not by
// the buffer (copies, token and score vectors of 100 M entries would be gigabytes), and a
// flush arriving while it is read stops the reading within a slice.
void test_huge_buffer() {
  Run r("mode=score");
  constexpr size_t kSize = 100u << 20;
  GstBuffer* b = gst_buffer_new_allocate(nullptr, kSize, nullptr);
  GstMapInfo m;
  gst_buffer_map(b, &m, GST_MAP_WRITE);
  for (size_t i = 0; i < kSize; i++) m.data[i] = static_cast<guint8>(kText[i % kText.size()]);
  gst_buffer_unmap(b, &m);
  const long before = rss_kb();
  std::atomic<GstFlowReturn> ret{GST_FLOW_OK};
  std::atomic<bool> done{false};
  std::thread pusher([&] {
    ret = gst_harness_push(r.h, b);
    done = true;
  });
  long peak = before;
  for (int i = 0; i < 60; i++) {  // 3 s of reading
    peak = std::max(peak, rss_kb());
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  const auto t0 = std::chrono::steady_clock::now();
  gst_harness_push_event(r.h, gst_event_new_flush_start());
  pusher.join();
  const double stop_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("100 MB buffer: RSS %ld kB before, peak %ld kB while reading (+%ld kB); flush stopped it in %.3f s\n",
              before, peak, peak - before, stop_s);
  CHECK(done && ret == GST_FLOW_FLUSHING);
#ifndef __SANITIZE_ADDRESS__  // AddressSanitizer holds freed memory in quarantine
  CHECK(peak - before < 32 * 1024);
#endif
  CHECK(stop_s < 5);
  // The stream goes on after the flush, with what was read before it in the state.
  gst_harness_push_event(r.h, gst_event_new_flush_stop(TRUE));
  GstSegment seg;
  gst_segment_init(&seg, GST_FORMAT_TIME);
  gst_harness_push_event(r.h, gst_event_new_segment(&seg));
  CHECK(r.push("The end.") == GST_FLOW_OK);
  r.eos();
  guint64 tokens = 0;
  for (auto* s : r.messages("rwkv-summary")) {
    gst_structure_get_uint64(s, "tokens", &tokens);
    gst_structure_free(s);
  }
  std::printf("tokens read before the flush and after: %" G_GUINT64_FORMAT "\n", tokens);
  CHECK(tokens > 4096 && tokens < kSize);
}

}  // namespace

int main(int argc, char** argv) {
  // The tiny rwkv.cpp models when ../shared is there, else the bundled model (both byte-level).
  g_model = testing::byte_model();
  if (!testing::testdata().empty()) g_model_other = testing::testdata() + "/rwkvcpp/tiny-rwkv-4v0-660K-FP16.bin";
  setvbuf(stdout, nullptr, _IOLBF, 0);
  gst_init(&argc, &argv);
  const std::string dir = testing::temp_dir("plugin");
  const int rc = testing::run_cases(argc, argv, {
      {"score-mode", test_score_mode, true},
      {"split-invariance", test_split_invariance, true},
      {"continue-and-main-state", test_continue_and_main_state, true},
      {"respond-and-classify", test_respond_and_classify, true},
      {"triggers", test_triggers, true},
      {"flush-and-reset", test_flush_and_reset, true},
      {"state-file", [&] { test_state_file(dir); }, true},
      {"latency", test_latency, true},
      {"bad-input", test_bad_input, true},
      {"utf8-across-buffers", test_utf8_across_buffers, true},
      {"markup", test_markup, true},
      {"huge-buffer", test_huge_buffer, true},
      {"quantize", test_quantize, true},
      {"bf16-products", test_bf16_products, true},
  }, !g_model.empty());
  std::system(("rm -rf '" + dir + "'").c_str());
  return rc;
}
