// The rwkv element driven as applications drive it: triggers and property changes from
// other threads, reconfiguration while playing, state changes, bus messages. One case per
// run (argv[1]), each a named meson test; the bundled byte-level model is all they need.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "harness.h"

namespace {

std::string g_model;  // the bundled model (byte-level RWKV-4)

struct Run : testing::Harness {
  GstElement* rwkv;
  explicit Run(const std::string& props, const char* caps = "text/x-raw,format=utf8")
      : Harness("rwkv name=r model=\"" + g_model + "\" " + props, caps),
        rwkv(gst_bin_get_by_name(GST_BIN(h->element), "r")) {}
  ~Run() {
    for (GstMessage* m : seen) gst_message_unref(m);
    gst_object_unref(rwkv);
  }

  // Output buffers, waiting up to `ms` for at least `n`.
  std::vector<std::string> wait_texts(size_t n, int ms = 5000) {
    std::vector<std::string> out;
    for (int waited = 0;; waited += 10) {
      for (auto& t : pull_all()) out.push_back(t);
      if (out.size() >= n || waited >= ms) return out;
      g_usleep(10000);
    }
  }
  // Bus messages so far, kept here: gst_bus_pop_filtered would drop the other types.
  std::vector<GstMessage*> seen;
  std::vector<GstMessage*> take(const std::function<bool(GstMessage*)>& want) {
    while (GstMessage* m = gst_bus_pop(bus)) seen.push_back(m);
    std::vector<GstMessage*> out, rest;
    for (GstMessage* m : seen) (want(m) ? out : rest).push_back(m);
    seen = rest;
    return out;
  }
  // Errors or warnings so far, as "text | debug".
  std::vector<std::string> bus_texts(GstMessageType type) {
    std::vector<std::string> out;
    for (GstMessage* m : take([&](GstMessage* m) { return GST_MESSAGE_TYPE(m) == type; })) {
      GError* err = nullptr;
      gchar* dbg = nullptr;
      if (type == GST_MESSAGE_ERROR) gst_message_parse_error(m, &err, &dbg);
      else gst_message_parse_warning(m, &err, &dbg);
      out.push_back(std::string(err ? err->message : "") + " | " + (dbg ? dbg : ""));
      if (err) g_error_free(err);
      g_free(dbg);
      gst_message_unref(m);
    }
    return out;
  }
  // Element messages named `name` so far.
  std::vector<GstStructure*> element_messages(const char* name) {
    std::vector<GstStructure*> out;
    for (GstMessage* m : take([&](GstMessage* m) {
           const GstStructure* s = gst_message_get_structure(m);
           return GST_MESSAGE_TYPE(m) == GST_MESSAGE_ELEMENT && s && gst_structure_has_name(s, name);
         })) {
      out.push_back(gst_structure_copy(gst_message_get_structure(m)));
      gst_message_unref(m);
    }
    return out;
  }
  std::string src_caps() {
    GstPad* pad = gst_element_get_static_pad(rwkv, "src");
    GstCaps* caps = gst_pad_get_current_caps(pad);
    gst_object_unref(pad);
    gchar* s = caps ? gst_caps_to_string(caps) : nullptr;
    std::string out = s ? s : "";
    g_free(s);
    if (caps) gst_caps_unref(caps);
    return out;
  }
};

// Takes the harness's element through READY (or from READY) back to PLAYING, and starts a
// new input stream as a source would.
void replay(Run& r) {
  gst_element_set_state(r.h->element, GST_STATE_PLAYING);
  gst_harness_push_event(r.h, gst_event_new_stream_start("text-again"));
  gst_harness_push_event(r.h, gst_event_new_caps(gst_caps_from_string("text/x-raw,format=utf8")));
  GstSegment seg;
  gst_segment_init(&seg, GST_FORMAT_TIME);
  gst_harness_push_event(r.h, gst_event_new_segment(&seg));
}

void free_all(std::vector<GstStructure*>& v) {
  for (auto* s : v) gst_structure_free(s);
  v.clear();
}

uint64_t summary_field(Run& r, const char* field) {
  auto s = r.element_messages("rwkv-summary");
  guint64 v = 0;
  if (!s.empty()) gst_structure_get_uint64(s.back(), field, &v);
  free_all(s);
  return v;
}

// 1. A trigger with nothing read yet is no error: no output, the stream goes on.
void trigger_before_text() {
  {
    Run r("mode=continue trigger=manual max-tokens=3");
    g_signal_emit_by_name(r.rwkv, "trigger");
    g_usleep(300000);
    CHECK(r.pull_all().empty());
    g_signal_emit_by_name(r.rwkv, "reset");
    g_signal_emit_by_name(r.rwkv, "trigger");
    g_usleep(300000);
    CHECK(r.bus_texts(GST_MESSAGE_ERROR).empty());
    r.push("And God said, Let there be light.");
    g_signal_emit_by_name(r.rwkv, "trigger");
    CHECK(r.wait_texts(1).size() == 1);  // the stream went on
  }
  {
    // An empty first buffer with trigger=buffer: a GAP, no error.
    Run r("mode=continue trigger=buffer max-tokens=3");
    CHECK(r.push("") == GST_FLOW_OK);
    CHECK(r.bus_texts(GST_MESSAGE_ERROR).empty());
    CHECK(r.pull_all().empty());
    CHECK(r.push("In the beginning") == GST_FLOW_OK);
    CHECK(r.wait_texts(1).size() == 1);
  }
  {
    // Preroll: a real pipeline with an empty first buffer reaches PAUSED and PLAYING.
    GstElement* p = gst_parse_launch(("appsrc name=src caps=text/x-raw,format=utf8 format=time ! rwkv model=\"" +
                                      g_model + "\" mode=continue trigger=buffer max-tokens=2 ! fakesink")
                                         .c_str(),
                                     nullptr);
    CHECK(p != nullptr);
    if (!p) return;
    GstElement* src = gst_bin_get_by_name(GST_BIN(p), "src");
    gst_element_set_state(p, GST_STATE_PAUSED);
    GstBuffer* b = gst_buffer_new();
    GST_BUFFER_PTS(b) = 0;
    GST_BUFFER_DURATION(b) = GST_SECOND;
    GstFlowReturn fr;
    g_signal_emit_by_name(src, "push-buffer", b, &fr);
    gst_buffer_unref(b);
    GstState state;
    CHECK(gst_element_get_state(p, &state, nullptr, 5 * GST_SECOND) == GST_STATE_CHANGE_SUCCESS &&
          state == GST_STATE_PAUSED);
    GstBus* bus = gst_element_get_bus(p);
    GstMessage* err = gst_bus_pop_filtered(bus, GST_MESSAGE_ERROR);
    CHECK(err == nullptr);
    if (err) gst_message_unref(err);
    gst_object_unref(bus);
    gst_element_set_state(p, GST_STATE_NULL);
    gst_object_unref(src);
    gst_object_unref(p);
  }
}

// 2. The source caps follow `mode` while playing.
void mode_caps() {
  Run r("mode=score trigger=buffer max-tokens=3", "text/x-raw,format=pango-markup");
  r.push("<b>In the</b> beginning.");
  r.pull_all();
  CHECK(r.src_caps().find("pango-markup") != std::string::npos);
  g_object_set(r.rwkv, "mode", 1 /* continue */, nullptr);
  r.push("And the earth was without form.");
  CHECK(r.wait_texts(1).size() == 1);
  CHECK_MSG(r.src_caps().find("utf8") != std::string::npos, "caps after score->continue: %s", r.src_caps().c_str());
  g_object_set(r.rwkv, "mode", 0 /* score */, nullptr);
  r.push("<i>And darkness</i> was upon the face of the deep.");
  CHECK(r.wait_texts(1).size() == 1);
  CHECK_MSG(r.src_caps().find("pango-markup") != std::string::npos, "caps after continue->score: %s",
            r.src_caps().c_str());
}

// 3. classify without labels: one warning, no output, the stream goes on; labels set later work.
void classify_without_labels() {
  Run r("mode=classify trigger=buffer");
  CHECK(r.push("Let there be light.") == GST_FLOW_OK);
  CHECK(r.push("And there was light.") == GST_FLOW_OK);
  CHECK(r.bus_texts(GST_MESSAGE_ERROR).empty());
  const auto warnings = r.bus_texts(GST_MESSAGE_WARNING);
  CHECK_MSG(warnings.size() == 1, "%zu warnings: %s", warnings.size(), warnings.empty() ? "" : warnings[0].c_str());
  CHECK(r.pull_all().empty());
  g_object_set(r.rwkv, "labels", "light,dark", nullptr);
  CHECK(r.push("And God saw the light.") == GST_FLOW_OK);
  auto t = r.wait_texts(1);
  CHECK(t.size() == 1 && (t[0] == "light" || t[0] == "dark"));
}

// 4. Timed buffers (subtitle cues) are kept apart by default; untimed ones are one text.
void separator_auto() {
  Run cues("mode=score");
  cues.push("the end of the meeting.", 0, GST_SECOND);
  cues.push("Tonight we rest", GST_SECOND, GST_SECOND);
  cues.eos();
  const uint64_t bytes = summary_field(cues, "bytes");
  CHECK_MSG(bytes == 23 + 1 + 15 + 1, "timed cues read as %llu bytes, expected 40 (a space after each)",
            (unsigned long long)bytes);
  Run raw("mode=score");
  raw.push("the end of the mee");
  raw.push("ting.");
  raw.eos();
  CHECK(summary_field(raw, "bytes") == 23);
}

// 5. The trigger action signal returns at once, in PAUSED and in PLAYING with a synchronised sink.
void trigger_signal_async() {
  GstElement* p = gst_parse_launch(("appsrc name=src caps=text/x-raw,format=utf8 format=time ! rwkv name=r model=\"" +
                                    g_model + "\" mode=continue trigger=manual max-tokens=4 ! fakesink name=sink "
                                    "sync=true signal-handoffs=true")
                                       .c_str(),
                                   nullptr);
  CHECK(p != nullptr);
  if (!p) return;
  GstElement* src = gst_bin_get_by_name(GST_BIN(p), "src");
  GstElement* r = gst_bin_get_by_name(GST_BIN(p), "r");
  GstElement* sink = gst_bin_get_by_name(GST_BIN(p), "sink");
  std::atomic<int> handoffs{0};
  g_signal_connect(sink, "handoff", G_CALLBACK(+[](GstElement*, GstBuffer*, GstPad*, gpointer n) {
                     ++*static_cast<std::atomic<int>*>(n);
                   }),
                   &handoffs);
  gst_element_set_state(p, GST_STATE_PAUSED);
  GstBuffer* b = gst_buffer_new_memdup("In the beginning God created", 28);
  GST_BUFFER_PTS(b) = 0;
  GST_BUFFER_DURATION(b) = GST_SECOND;
  GstFlowReturn fr;
  g_signal_emit_by_name(src, "push-buffer", b, &fr);
  gst_buffer_unref(b);
  gst_element_get_state(p, nullptr, nullptr, 5 * GST_SECOND);  // prerolled on the GAP
  auto t0 = std::chrono::steady_clock::now();
  g_signal_emit_by_name(r, "trigger");
  double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  CHECK_MSG(ms < 100, "trigger signal in PAUSED took %.1f ms", ms);
  gst_element_set_state(p, GST_STATE_PLAYING);
  for (int i = 0; i < 500 && handoffs.load() == 0; i++) g_usleep(10000);
  CHECK(handoffs.load() == 1);  // answered once playing
  t0 = std::chrono::steady_clock::now();
  g_signal_emit_by_name(r, "trigger");
  ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  CHECK_MSG(ms < 100, "trigger signal in PLAYING took %.1f ms", ms);
  gst_element_set_state(p, GST_STATE_NULL);
  gst_object_unref(sink);
  gst_object_unref(r);
  gst_object_unref(src);
  gst_object_unref(p);
}

// 6. A FIFO as the model fails at once, naming it (it would block NULL->READY forever).
void fifo_model(const std::string& dir) {
  const std::string fifo = dir + "/model.fifo";
  CHECK(mkfifo(fifo.c_str(), 0600) == 0);
  GstElement* e = gst_element_factory_make("rwkv", nullptr);
  g_object_set(e, "model", fifo.c_str(), nullptr);
  std::atomic<bool> done{false};
  testing::StartError err;
  std::thread t([&] {
    err = testing::start_error(e, GST_STATE_READY);
    done = true;
  });
  for (int i = 0; i < 300 && !done; i++) g_usleep(10000);
  CHECK_MSG(done.load(), "NULL->READY with a FIFO model did not return within 3 s");
  if (!done) {  // unblock it: a writer lets open() return
    int fd = open(fifo.c_str(), O_WRONLY | O_NONBLOCK);
    if (fd >= 0) close(fd);
  }
  t.join();
  CHECK_MSG(err.refused && err.debug.find("not a regular file") != std::string::npos, "error: %s | %s",
            err.message.c_str(), err.debug.c_str());
}

// 7. model, preamble, threads set in READY are what the stream then uses.
void ready_properties() {
  const char* other = std::getenv("RWKV_TESTDATA");
  const std::string other_model = other ? std::string(other) + "/rwkvcpp/tiny-rwkv-4v0-660K-FP32.bin" : "";
  const std::string text = "And God called the light Day.";
  auto lp_of = [&](Run& r) {
    r.push(text);
    r.eos();
    auto s = r.element_messages("rwkv-summary");
    double lp = NAN;
    if (!s.empty()) gst_structure_get_double(s.back(), "logprob", &lp);
    free_all(s);
    return lp;
  };
  // Reference runs, each configured before it starts.
  Run ref_preamble("mode=score preamble=\"In the beginning. \"");
  const double want_preamble = lp_of(ref_preamble);

  Run r("mode=score");
  gst_element_set_state(r.h->element, GST_STATE_READY);
  g_object_set(r.rwkv, "preamble", "In the beginning. ", "threads", 1, nullptr);
  replay(r);
  const double got_preamble = lp_of(r);
  CHECK_MSG(got_preamble == want_preamble, "preamble set in READY: %.9g, set before start: %.9g", got_preamble,
            want_preamble);

  if (!other_model.empty() && g_file_test(other_model.c_str(), G_FILE_TEST_EXISTS)) {
    Run ref_other("mode=score");
    gst_element_set_state(ref_other.h->element, GST_STATE_NULL);
    g_object_set(ref_other.rwkv, "model", other_model.c_str(), "tokenizer", "bytes", "preamble", "", nullptr);
    replay(ref_other);
    const double want_other = lp_of(ref_other);
    gst_element_set_state(r.h->element, GST_STATE_READY);
    g_object_set(r.rwkv, "model", other_model.c_str(), "tokenizer", "bytes", "preamble", "", nullptr);
    replay(r);
    const double got_other = lp_of(r);
    CHECK_MSG(got_other == want_other, "model set in READY: %.9g, that model from the start: %.9g", got_other,
              want_other);
    CHECK(got_other != got_preamble);
  }
}

// Threads of the CPU worker pools in this process (ThreadPool names them "rwkv-pool").
int pool_threads() {
  int n = 0;
  GDir* d = g_dir_open("/proc/self/task", 0, nullptr);
  while (const gchar* tid = d ? g_dir_read_name(d) : nullptr) {
    gchar* comm = nullptr;
    if (!g_file_get_contents((std::string("/proc/self/task/") + tid + "/comm").c_str(), &comm, nullptr, nullptr)) continue;
    n += g_str_has_prefix(comm, "rwkv-pool");
    g_free(comm);
  }
  if (d) g_dir_close(d);
  return n;
}

// `threads` set in READY loads the model again with that many threads, also while another
// element shares the model it had: the shared-model cache keys on every load option.
void ready_threads() {
  Run a("mode=score threads=2");
  a.push("In the beginning.");
  CHECK_MSG(pool_threads() == 1, "threads=2: %d pool workers, expected 1", pool_threads());
  Run b("mode=score threads=2");
  b.push("In the beginning.");
  CHECK_MSG(pool_threads() == 1, "two elements sharing a threads=2 model: %d pool workers, expected 1", pool_threads());
  gst_element_set_state(b.h->element, GST_STATE_READY);
  g_object_set(b.rwkv, "threads", 3, nullptr);
  replay(b);
  b.push("In the beginning.");
  CHECK_MSG(pool_threads() == 3, "threads=3 set in READY beside a threads=2 element: %d pool workers, expected 1 + 2",
            pool_threads());
}

// 8. trigger=interval fires when GAP events carry stream time past the interval.
void interval_over_gap() {
  Run r("mode=continue trigger=interval interval=2000000000 max-tokens=3");
  r.push("And the evening and the morning were the first day", 0, GST_SECOND);
  CHECK(r.pull_all().empty());
  gst_harness_push_event(r.h, gst_event_new_gap(9 * GST_SECOND, GST_SECOND));
  CHECK(r.wait_texts(1, 2000).size() == 1);
}

// 9. READY→PAUSED starts a fresh stream; reset keeps the preamble; the preamble is not input.
void stream_restart() {
  const std::string text = "And God divided the light from the darkness.";
  Run r("mode=score preamble=\"In the beginning. \"");
  r.push(text);
  r.eos();
  auto first = r.element_messages("rwkv-summary");
  CHECK(first.size() == 1);
  guint64 bytes1 = 0, tokens1 = 0;
  double lp1 = NAN;
  if (!first.empty()) {
    gst_structure_get_uint64(first[0], "bytes", &bytes1);
    gst_structure_get_uint64(first[0], "tokens", &tokens1);
    gst_structure_get_double(first[0], "logprob", &lp1);
  }
  free_all(first);
  CHECK_MSG(bytes1 == text.size(), "summary counts %llu bytes for %zu bytes of input (preamble counted?)",
            (unsigned long long)bytes1, text.size());
  // Rerun after READY: the same summary, not a continuation of the first run.
  gst_element_set_state(r.h->element, GST_STATE_READY);
  replay(r);
  r.push(text);
  r.eos();
  auto second = r.element_messages("rwkv-summary");
  guint64 bytes2 = 0, tokens2 = 0;
  double lp2 = NAN;
  if (!second.empty()) {
    gst_structure_get_uint64(second.back(), "bytes", &bytes2);
    gst_structure_get_uint64(second.back(), "tokens", &tokens2);
    gst_structure_get_double(second.back(), "logprob", &lp2);
  }
  free_all(second);
  CHECK_MSG(bytes2 == bytes1 && tokens2 == tokens1 && lp2 == lp1, "rerun: %llu bytes, lp %.9g; first run %llu, %.9g",
            (unsigned long long)bytes2, lp2, (unsigned long long)bytes1, lp1);
  // reset: back to the preamble's state, so the same text scores the same again.
  Run s("mode=score preamble=\"In the beginning. \"");
  s.push("Something else entirely. ");
  g_signal_emit_by_name(s.rwkv, "reset");
  auto scores_before = s.element_messages("rwkv-score");
  free_all(scores_before);
  s.push(text);
  auto scores = s.element_messages("rwkv-score");
  double lp_after_reset = NAN;
  if (!scores.empty()) gst_structure_get_double(scores.back(), "logprob", &lp_after_reset);
  free_all(scores);
  CHECK_MSG(lp_after_reset == lp1, "after reset %.9g, fresh with preamble %.9g", lp_after_reset, lp1);
}

// 10. An unwritable state-file location is reported when the element starts.
void state_file_location() {
  GstElement* e = gst_element_factory_make("rwkv", nullptr);
  g_object_set(e, "model", g_model.c_str(), "state-file", "/nonexistent-dir/stream.state", nullptr);
  const testing::StartError err = testing::start_error(e, GST_STATE_READY);
  CHECK(err.refused && err.posted && err.domain == GST_RESOURCE_ERROR && err.code == GST_RESOURCE_ERROR_OPEN_WRITE);
  CHECK_MSG(err.message.find("/nonexistent-dir/stream.state") != std::string::npos &&
                err.debug.find("does not exist") != std::string::npos,
            "%s | %s", err.message.c_str(), err.debug.c_str());
  // Set while playing: a warning at once.
  Run r("mode=score");
  g_object_set(r.rwkv, "state-file", "/nonexistent-dir/later.state", nullptr);
  const auto w = r.bus_texts(GST_MESSAGE_WARNING);
  CHECK(w.size() == 1 && w[0].find("later.state") != std::string::npos);
}

// 11. continue answers carry no leading or trailing white space (a cue that starts with a
// line break shows nothing in webvttenc).
void continue_trimmed() {
  const char* texts[] = {"And God said, Let there be light.", "In the beginning God created the heaven.\n",
                         "And it was so.", "Thou shalt not kill.\n\n", "Blessed are the meek:"};
  int answers = 0;
  for (const char* t : texts) {
    Run r("mode=continue trigger=buffer max-tokens=12 temperature=0");
    r.push(t);
    for (const auto& out : r.wait_texts(1)) {
      answers++;
      CHECK_MSG(!out.empty() && !g_ascii_isspace(out.front()) && !g_ascii_isspace(out.back()),
                "answer to \"%s\": \"%s\"", t, out.c_str());
    }
  }
  CHECK(answers > 0);
}

// 12. The least likely word is bounded for text without spaces; max-text-bytes caps the prompt.
void bounded_text() {
  std::string han;
  for (int i = 0; i < 2500; i++) han += "\xe6\x96\x87";  // 7.5 KB of one CJK character
  Run r("mode=score");
  r.push(han);
  r.eos();
  auto s = r.element_messages("rwkv-score");
  CHECK(!s.empty());
  for (auto* st : s) {
    const gchar* w = gst_structure_get_string(st, "least-likely-word");
    CHECK_MSG(w && std::strlen(w) <= 64 && g_utf8_validate(w, -1, nullptr), "word of %zu bytes", w ? std::strlen(w) : 0);
  }
  free_all(s);
  // The prompt with max-text-bytes=5 holds the newest 5 bytes: "{text}" then is "HELLO".
  const std::string text = "And the LORD spake unto Moses, saying HELLO";
  Run capped("mode=respond trigger=buffer prompt={text} max-text-bytes=5 max-tokens=8 temperature=0 stop=#");
  Run literal("mode=respond trigger=buffer prompt=HELLO max-tokens=8 temperature=0 stop=#");
  capped.push(text);
  literal.push(text);
  const auto a = capped.wait_texts(1), b = literal.wait_texts(1);
  CHECK_MSG(a == b, "max-text-bytes=5: \"%s\", prompt HELLO: \"%s\"", a.empty() ? "" : a[0].c_str(),
            b.empty() ? "" : b[0].c_str());
}

// Sixteen live transcripts at speech rate (a word every quarter second, a sentence every
// second) through sixteen elements on one model, which the engine batches: every buffer
// reaches its synchronised sink in time (none late, none dropped), half the branches
// answering at each sentence. The pipeline's own clock, as a live application runs it.
void live_streams() {
  constexpr int kStreams = 16, kWords = 16;
  std::string desc;
  for (int i = 0; i < kStreams; i++)
    desc += "appsrc name=src" + std::to_string(i) +
            " is-live=true do-timestamp=true format=time caps=text/x-raw,format=utf8 ! rwkv name=r" +
            std::to_string(i) + " model=\"" + g_model + "\" " +
            (i % 2 ? "mode=continue trigger=sentence max-tokens=4 temperature=0" : "mode=score") +
            " ! fakesink name=sink" + std::to_string(i) + " sync=true qos=true max-lateness=50000000 ";
  GError* err = nullptr;
  GstElement* pipeline = gst_parse_launch(desc.c_str(), &err);
  CHECK_MSG(pipeline && !err, "pipeline: %s", err ? err->message : "");
  if (!pipeline) return;
  GstBus* bus = gst_element_get_bus(pipeline);
  CHECK(gst_element_set_state(pipeline, GST_STATE_PLAYING) != GST_STATE_CHANGE_FAILURE);
  std::vector<GstElement*> srcs;
  for (int i = 0; i < kStreams; i++)
    srcs.push_back(gst_bin_get_by_name(GST_BIN(pipeline), ("src" + std::to_string(i)).c_str()));
  const char* words[] = {"And ", "the ", "light ", "shone. "};
  int qos = 0;
  // As gst-launch does: a LATENCY message (an element's latency rose) is applied.
  auto drain_bus = [&] {
    while (GstMessage* m = gst_bus_pop(bus)) {
      if (GST_MESSAGE_TYPE(m) == GST_MESSAGE_LATENCY) gst_bin_recalculate_latency(GST_BIN(pipeline));
      qos += GST_MESSAGE_TYPE(m) == GST_MESSAGE_QOS;
      gst_message_unref(m);
    }
  };
  for (int w = 0; w < kWords; w++) {
    drain_bus();
    for (GstElement* src : srcs) {
      const char* word = words[w % 4];
      GstFlowReturn ret;
      g_signal_emit_by_name(src, "push-buffer", gst_buffer_new_memdup(word, std::strlen(word)), &ret);
    }
    g_usleep(250000);
  }
  for (GstElement* src : srcs) {
    GstFlowReturn ret;
    g_signal_emit_by_name(src, "end-of-stream", &ret);
    gst_object_unref(src);
  }
  GstMessage* end = nullptr;
  for (int waited = 0; !end && waited < 3000; waited++) {  // up to 30 s
    while (GstMessage* m = gst_bus_pop(bus)) {
      if (GST_MESSAGE_TYPE(m) == GST_MESSAGE_EOS || GST_MESSAGE_TYPE(m) == GST_MESSAGE_ERROR) {
        end = m;
        break;
      }
      if (GST_MESSAGE_TYPE(m) == GST_MESSAGE_LATENCY) gst_bin_recalculate_latency(GST_BIN(pipeline));
      qos += GST_MESSAGE_TYPE(m) == GST_MESSAGE_QOS;
      gst_message_unref(m);
    }
    if (!end) g_usleep(10000);
  }
  CHECK_MSG(end && GST_MESSAGE_TYPE(end) == GST_MESSAGE_EOS, "the live pipeline did not end cleanly");
  if (end) gst_message_unref(end);
  guint64 rendered = 0, dropped = 0;
  for (int i = 0; i < kStreams; i++) {
    GstElement* sink = gst_bin_get_by_name(GST_BIN(pipeline), ("sink" + std::to_string(i)).c_str());
    GstStructure* stats = nullptr;
    g_object_get(sink, "stats", &stats, nullptr);
    guint64 r = 0, d = 0;
    gst_structure_get_uint64(stats, "rendered", &r);
    gst_structure_get_uint64(stats, "dropped", &d);
    rendered += r;
    dropped += d;
    CHECK_MSG(r > 0 && d == 0, "stream %d: %llu buffers rendered, %llu late", i, static_cast<unsigned long long>(r),
              static_cast<unsigned long long>(d));
    gst_structure_free(stats);
    gst_object_unref(sink);
  }
  drain_bus();
  std::printf("%d live streams: %llu buffers rendered on time, %llu late, %d QoS messages\n", kStreams,
              static_cast<unsigned long long>(rendered), static_cast<unsigned long long>(dropped), qos);
  CHECK(qos == 0);
  gst_element_set_state(pipeline, GST_STATE_NULL);
  gst_object_unref(bus);
  gst_object_unref(pipeline);
}

// Polish: engine notices go to the debug log, not stderr; errors name the file at fault.
void quiet_and_clear_errors(const std::string& dir) {
  // Standard error stays empty while an element with device=auto starts and runs.
  fflush(stderr);
  const std::string err_path = dir + "/stderr.txt";
  const int saved = dup(2);
  FILE* f = std::fopen(err_path.c_str(), "w");
  dup2(fileno(f), 2);
  {
    Run r("mode=score device=auto");
    r.push("Let there be light.");
    r.eos();
  }
  fflush(stderr);
  dup2(saved, 2);
  close(saved);
  std::fclose(f);
  const auto bytes = testing::read_bytes(err_path);
  const std::string printed(bytes.begin(), bytes.end());
  CHECK_MSG(printed.empty(), "printed to stderr: %s", printed.c_str());

  auto start_error = [&](const std::map<std::string, std::string>& props, GstState to) {
    GstElement* e = gst_element_factory_make("rwkv", nullptr);
    for (const auto& [k, v] : props) g_object_set(e, k.c_str(), v.c_str(), nullptr);
    return testing::start_error(e, to);
  };
  const auto missing = start_error({{"model", dir + "/absent.pth"}}, GST_STATE_READY);
  CHECK(missing.refused && missing.domain == GST_RESOURCE_ERROR && missing.code == GST_RESOURCE_ERROR_NOT_FOUND &&
        missing.message.find("absent.pth") != std::string::npos);
  const auto tok = start_error({{"model", g_model}, {"tokenizer", dir + "/absent.txt"}}, GST_STATE_READY);
  CHECK(tok.refused && tok.code == GST_RESOURCE_ERROR_NOT_FOUND && tok.message.find("absent.txt") != std::string::npos);
  const std::string damaged = dir + "/damaged.state";
  testing::write_bytes(damaged, std::vector<uint8_t>(300, 'x'));
  const auto state = start_error({{"model", g_model}, {"state-file", damaged}}, GST_STATE_PAUSED);
  CHECK_MSG(state.refused && state.domain == GST_RESOURCE_ERROR &&
                state.message.find("damaged.state") != std::string::npos && !state.debug.empty(),
            "%s | %s", state.message.c_str(), state.debug.c_str());

  // A token stream of another vocabulary: one error, however often the caps come.
  Run r("mode=score", "application/x-rwkv-tokens,vocabulary=rwkv-world");
  gst_harness_push_event(r.h, gst_event_new_caps(gst_caps_from_string("application/x-rwkv-tokens,vocabulary=rwkv-world")));
  const uint32_t id = 65;
  r.push_bytes(&id, 4);
  r.push_bytes(&id, 4);
  CHECK_MSG(r.bus_texts(GST_MESSAGE_ERROR).size() == 1, "vocabulary mismatch errors");
}

// Polish: GST_DEBUG=rwkv:6 tells what the element does; the meta has the message's fields;
// a fixed latency shorter than an answer warns once.
void debug_meta_latency() {
  static std::vector<std::string> lines;
  static std::mutex lines_mutex;
  gst_debug_set_threshold_for_name("rwkv", GST_LEVEL_LOG);
  GstLogFunction collect = [](GstDebugCategory* cat, GstDebugLevel, const gchar*, const gchar*, gint, GObject*,
                              GstDebugMessage* msg, gpointer) {
    if (std::strcmp(gst_debug_category_get_name(cat), "rwkv") != 0) return;
    std::lock_guard<std::mutex> lock(lines_mutex);
    lines.emplace_back(gst_debug_message_get(msg));
  };
  gst_debug_add_log_function(collect, nullptr, nullptr);
  {
    Run r("mode=continue trigger=buffer max-tokens=3 latency=1");
    r.push("Let there be light.");
    r.wait_texts(1);
    r.push("And there was light.");
    r.wait_texts(1);
    CHECK(r.bus_texts(GST_MESSAGE_WARNING).size() == 1);  // answering took longer than 1 ns: once
  }
  gst_debug_remove_log_function(collect);
  gst_debug_set_threshold_for_name("rwkv", GST_LEVEL_NONE);
  auto seen = [&](const char* what) {
    for (const auto& l : lines)
      if (l.find(what) != std::string::npos) return true;
    return false;
  };
  CHECK_MSG(seen("input caps"), "no caps line in the debug log");
  CHECK_MSG(seen("trigger (input)"), "no trigger line");
  CHECK_MSG(seen("answered in"), "no generation time");
  CHECK_MSG(seen("event"), "no event line");

  Run s("mode=score");
  s.push("In the beginning God created the heaven and the earth.", 2 * GST_SECOND, GST_SECOND);
  GstBuffer* b = gst_harness_pull(s.h);
  CHECK(b != nullptr);
  if (b) {
    GstCustomMeta* meta = gst_buffer_get_custom_meta(b, "GstRwkvScoreMeta");
    CHECK(meta != nullptr);
    if (meta) {
      const GstStructure* st = gst_custom_meta_get_structure(meta);
      for (const char* f : {"running-time", "tokens", "bytes", "logprob", "bits-per-byte", "least-likely-word",
                            "least-likely-logprob"})
        CHECK_MSG(gst_structure_has_field(st, f), "meta lacks %s", f);
      guint64 rt = 0;
      CHECK(gst_structure_get_uint64(st, "running-time", &rt) && rt == 3 * GST_SECOND);
    }
    gst_buffer_unref(b);
  }

  // latency=auto (the default) reports a measured latency in a live pipeline.
  Run live("mode=continue max-tokens=16");
  gst_harness_set_live(live.h, TRUE);
  GstQuery* q = gst_query_new_latency();
  GstPad* src = gst_element_get_static_pad(live.rwkv, "src");
  CHECK(gst_pad_query(src, q));
  gboolean is_live = FALSE;
  GstClockTime min = 0, max = 0;
  gst_query_parse_latency(q, &is_live, &min, &max);
  CHECK_MSG(is_live && min > 0, "live %d, min latency %" GST_TIME_FORMAT, is_live, GST_TIME_ARGS(min));
  gst_query_unref(q);
  gst_object_unref(src);
}

// Polish: idle elements do not wake up (no polling): their threads sleep until a trigger,
// a silence deadline or a state change.
void idle_threads() {
  std::vector<std::unique_ptr<Run>> runs;
  for (int i = 0; i < 8; i++) runs.push_back(std::make_unique<Run>("mode=continue trigger=sentence"));
  auto switches = [] {  // voluntary context switches of every rwkv-worker thread
    std::map<std::string, long> out;
    GDir* d = g_dir_open("/proc/self/task", 0, nullptr);
    while (const gchar* tid = d ? g_dir_read_name(d) : nullptr) {
      const std::string base = std::string("/proc/self/task/") + tid;
      gchar* comm = nullptr;
      if (!g_file_get_contents((base + "/comm").c_str(), &comm, nullptr, nullptr)) continue;
      const bool worker = g_str_has_prefix(comm, "rwkv-worker");
      g_free(comm);
      gchar* status = nullptr;
      if (!worker || !g_file_get_contents((base + "/status").c_str(), &status, nullptr, nullptr)) continue;
      const char* v = std::strstr(status, "voluntary_ctxt_switches:");
      if (v) out[tid] = std::atol(v + std::strlen("voluntary_ctxt_switches:"));
      g_free(status);
    }
    if (d) g_dir_close(d);
    return out;
  };
  g_usleep(200000);
  const auto before = switches();
  g_usleep(1000000);
  const auto after = switches();
  CHECK_MSG(before.size() == 8, "%zu rwkv-worker threads for 8 elements", before.size());
  long woke = 0;
  for (const auto& [tid, n] : after) woke += n - (before.count(tid) ? before.at(tid) : n);
  CHECK_MSG(woke == 0, "8 idle elements woke %ld times in a second", woke);
}

}  // namespace

// GStreamer's system plugins this test uses (appsrc, fakesink), linked into a folder of their
// own that stands in for the system plugin path.
// Two live branches in one pipeline, one of them given a long backlog at once: the other's
// line comes out while the backlog is still being read. A live pipeline reaches PLAYING only
// once every sink has prerolled; the busy element lets its sink preroll with a gap before it
// starts reading, so the other branch's sink is not held until the backlog is done (before,
// live lines beside a 10 KB backlog waited seconds).
void live_backlog_branch() {
  const std::string desc =
      "appsrc name=bulk is-live=true format=time caps=text/x-raw,format=utf8 ! rwkv model=\"" + g_model +
      "\" mode=score ! appsink name=bulk_out sync=false "
      "appsrc name=live is-live=true format=time caps=text/x-raw,format=utf8 ! rwkv model=\"" + g_model +
      "\" mode=score ! appsink name=live_out sync=false";
  GError* err = nullptr;
  GstElement* pipeline = gst_parse_launch(desc.c_str(), &err);
  CHECK_MSG(pipeline && !err, "pipeline: %s", err ? err->message : "");
  if (!pipeline) return;
  CHECK(gst_element_set_state(pipeline, GST_STATE_PLAYING) != GST_STATE_CHANGE_FAILURE);
  GstElement* bulk = gst_bin_get_by_name(GST_BIN(pipeline), "bulk");
  GstElement* live = gst_bin_get_by_name(GST_BIN(pipeline), "live");
  GstElement* bulk_out = gst_bin_get_by_name(GST_BIN(pipeline), "bulk_out");
  GstElement* live_out = gst_bin_get_by_name(GST_BIN(pipeline), "live_out");
  auto push = [](GstElement* src, const std::string& text, GstClockTime pts) {
    GstBuffer* b = gst_buffer_new_memdup(text.data(), text.size());
    GST_BUFFER_PTS(b) = pts;
    GstFlowReturn ret;
    g_signal_emit_by_name(src, "push-buffer", b, &ret);
    gst_buffer_unref(b);
  };
  std::string backlog;
  while (backlog.size() < (size_t(4) << 20)) backlog += "and the evening and the morning were the first day. ";
  const gint64 t0 = g_get_monotonic_time();
  push(bulk, backlog, 0);
  g_usleep(200000);  // the backlog is being read
  push(live, "and there was light.", 200 * GST_MSECOND);
  GstSample* line = nullptr;
  g_signal_emit_by_name(live_out, "try-pull-sample", GstClockTime(20 * GST_SECOND), &line);
  const double took = double(g_get_monotonic_time() - t0) / 1e6;
  GstSample* early = nullptr;
  g_signal_emit_by_name(bulk_out, "try-pull-sample", GstClockTime(0), &early);
  std::printf("the live line came out %.2f s after the backlog went in; the backlog's output %s\n", took,
              early ? "had come out first (inconclusive: make the backlog longer)" : "not yet");
  CHECK_MSG(line, "the live branch's line did not come out within 20 s beside the backlog");
  CHECK_MSG(!early, "the backlog was read before the live line came out: nothing was shown");
  if (line) gst_sample_unref(line);
  if (early) gst_sample_unref(early);
  gst_element_set_state(pipeline, GST_STATE_NULL);  // the backlog's reading stops at the flush
  for (GstElement* e : {bulk, live, bulk_out, live_out}) gst_object_unref(e);
  gst_object_unref(pipeline);
}

void system_plugins(const std::string& dir) {
  const char* sys = std::getenv("RWKV_GST_SYSTEM_PLUGINS");
  if (!sys) return;
  const std::string own = dir + "/system-plugins";
  g_mkdir_with_parents(own.c_str(), 0700);
  for (const char* lib : {"libgstcoreelements.so", "libgstapp.so"})
    if (symlink((std::string(sys) + "/" + lib).c_str(), (own + "/" + lib).c_str()) != 0 && errno != EEXIST)
      std::perror(lib);
  g_setenv("GST_PLUGIN_SYSTEM_PATH_1_0", own.c_str(), TRUE);
}

int main(int argc, char** argv) {
  setvbuf(stdout, nullptr, _IOLBF, 0);
  const std::string model = testing::bundled_model();
  if (model.empty() || !g_file_test(model.c_str(), G_FILE_TEST_EXISTS)) {
    std::printf("SKIP: the bundled model (RWKV_BUNDLED_MODEL) is absent\n");
    return 77;
  }
  g_model = model;
  const std::string dir = testing::temp_dir("app");
  system_plugins(dir);
  gst_init(&argc, &argv);
  const std::vector<testing::Case> cases = {
      {"trigger-before-text", trigger_before_text},
      {"mode-caps", mode_caps},
      {"classify-without-labels", classify_without_labels},
      {"separator-auto", separator_auto},
      {"trigger-signal-async", trigger_signal_async},
      {"fifo-model", [&] { fifo_model(dir); }},
      {"ready-properties", ready_properties},
      {"ready-threads", ready_threads},
      {"interval-over-gap", interval_over_gap},
      {"stream-restart", stream_restart},
      {"state-file-location", state_file_location},
      {"continue-trimmed", continue_trimmed},
      {"bounded-text", bounded_text},
      {"quiet-and-clear-errors", [&] { quiet_and_clear_errors(dir); }},
      {"debug-meta-latency", debug_meta_latency},
      {"idle-threads", idle_threads},
      {"live-streams", live_streams},
      {"live-backlog-branch", live_backlog_branch},
  };
  const int rc = testing::run_cases(argc, argv, cases, true);
  std::system(("rm -rf '" + dir + "'").c_str());
  return rc;
}
