// The rwkv element's punctuate mode under GstHarness, as a captioning application drives it:
// each buffer comes out once with the same words and its own timestamps, after `lookahead`
// words, a GAP, EOS, a drain, the trigger signal or `hold`; the LATENCY answer adds `hold`;
// written cues pass unchanged; a flush drops what waits. One named case each.
#include <chrono>
#include <thread>

#include "harness.h"
#include "rwkv/punctuate.h"

namespace {

std::string g_model;

struct Run : testing::Harness {
  GstElement* rwkv;
  explicit Run(const std::string& props, const char* caps = "text/x-raw,format=utf8")
      : Harness("rwkv name=r model=\"" + g_model + "\" tokenizer=bytes mode=punctuate " + props, caps),
        rwkv(gst_bin_get_by_name(GST_BIN(h->element), "r")) {
    GstSegment seg;
    gst_segment_init(&seg, GST_FORMAT_TIME);
    gst_harness_push_event(h, gst_event_new_segment(&seg));
  }
  ~Run() { gst_object_unref(rwkv); }

  struct Out {
    std::string text;
    GstClockTime pts, duration;
  };
  std::vector<Out> outputs() {
    std::vector<GstBuffer*> bufs;
    const auto texts = pull_all(&bufs);
    std::vector<Out> out;
    for (size_t i = 0; i < bufs.size(); i++) {
      out.push_back({texts[i], GST_BUFFER_PTS(bufs[i]), GST_BUFFER_DURATION(bufs[i])});
      gst_buffer_unref(bufs[i]);
    }
    return out;
  }
};

constexpr GstClockTime S = GST_SECOND;

// Three timed utterances at lookahead 2: the first leaves when two words follow it, each
// keeps its PTS and duration, and EOS lets the rest out, all with the same words.
void test_timestamps_and_lookahead() {
  Run r("lookahead=2");
  CHECK(r.push("we went home", 1 * S, 2 * S) == GST_FLOW_OK);
  CHECK(r.outputs().empty());
  CHECK(r.push("and", 4 * S, S / 2) == GST_FLOW_OK);
  CHECK(r.outputs().empty());  // one word after it: not yet
  CHECK(r.push("then we slept", 5 * S, 2 * S) == GST_FLOW_OK);
  auto first = r.outputs();
  CHECK(first.size() == 2);  // "we went home" and "and" (three words follow it)
  if (first.size() == 2) {
    CHECK(rwkv::same_words("we went home", first[0].text) && first[0].text.starts_with("We"));
    CHECK(first[0].pts == 1 * S && first[0].duration == 2 * S);
    CHECK(rwkv::same_words("and", first[1].text) && first[1].pts == 4 * S && first[1].duration == S / 2);
  }
  r.eos();
  auto rest = r.outputs();
  CHECK(rest.size() == 1 && rwkv::same_words("then we slept", rest[0].text) && rest[0].pts == 5 * S);
}

// A GAP (a pause upstream) lets what waits out before the gap goes on; a drain query too.
void test_gap_and_drain() {
  Run r("lookahead=4");
  CHECK(r.push("is it raining", 1 * S, S) == GST_FLOW_OK);
  CHECK(r.outputs().empty());
  gst_harness_push_event(r.h, gst_event_new_gap(3 * S, S));
  auto out = r.outputs();
  CHECK(out.size() == 1 && rwkv::same_words("is it raining", out[0].text));
  CHECK(r.push("yes it is", 5 * S, S) == GST_FLOW_OK);
  CHECK(r.outputs().empty());
  GstQuery* drain = gst_query_new_drain();
  CHECK(gst_pad_peer_query(r.h->srcpad, drain));
  gst_query_unref(drain);
  out = r.outputs();
  CHECK(out.size() == 1 && rwkv::same_words("yes it is", out[0].text));
}

// No next words in time: the buffer leaves `hold` after it arrived (from the element's thread),
// counted from its own arrival even when a later buffer (too short to decide it) came since.
void test_hold() {
  Run r("lookahead=5 hold=400000000");
  const auto t0 = std::chrono::steady_clock::now();
  CHECK(r.push("see you tomorrow", 1 * S, S) == GST_FLOW_OK);
  CHECK(r.outputs().empty());
  std::this_thread::sleep_for(std::chrono::milliseconds(250));
  CHECK(r.push("bye", 2 * S, S) == GST_FLOW_OK);
  GstBuffer* b = gst_harness_pull(r.h);  // blocks until the hold expires
  const double waited = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("held %.3f s (hold 0.4 s; the second buffer came at 0.25 s)\n", waited);
  CHECK(b && GST_BUFFER_PTS(b) == 1 * S);
  CHECK(waited >= 0.39 && waited < 0.64);  // counted from the second buffer it would be 0.65
  if (b) gst_buffer_unref(b);
}

// Live: the element adds `hold` and its own latency to upstream's; changing hold posts LATENCY.
void test_latency() {
  Run r("latency=100000000 hold=500000000");
  gst_harness_set_upstream_latency(r.h, 50 * GST_MSECOND);
  CHECK(r.live_latency() == 650 * GST_MSECOND);
  CHECK(r.posts_latency(r.rwkv, "hold", GST_SECOND));
  CHECK(r.live_latency() == 1150 * GST_MSECOND);
}

// Written cues pass unchanged and at once; trigger=buffer decides each buffer when it arrives;
// the trigger signal lets what waits out.
void test_written_and_triggers() {
  {
    Run r("");
    CHECK(r.push("Where does the water go?", S, S) == GST_FLOW_OK);
    auto out = r.outputs();
    CHECK(out.size() == 1 && out[0].text == "Where does the water go?");
  }
  {
    Run r("trigger=buffer");
    CHECK(r.push("one two three", S, S) == GST_FLOW_OK);
    auto out = r.outputs();
    CHECK(out.size() == 1 && rwkv::same_words("one two three", out[0].text));
  }
  {
    Run r("trigger=manual lookahead=5");
    CHECK(r.push("wait for it", S, S) == GST_FLOW_OK);
    CHECK(r.outputs().empty());
    g_signal_emit_by_name(r.rwkv, "trigger");
    GstBuffer* b = gst_harness_pull(r.h);  // the element's thread pushes it
    CHECK(b != nullptr);
    if (b) gst_buffer_unref(b);
  }
}

// A flush drops what waits (as other modes drop text waiting for a trigger); the stream goes on.
void test_flush() {
  Run r("lookahead=4");
  CHECK(r.push("this is dropped", S, S) == GST_FLOW_OK);
  gst_harness_push_event(r.h, gst_event_new_flush_start());
  gst_harness_push_event(r.h, gst_event_new_flush_stop(TRUE));
  GstSegment seg;
  gst_segment_init(&seg, GST_FORMAT_TIME);
  gst_harness_push_event(r.h, gst_event_new_segment(&seg));
  CHECK(r.push("this goes out", 2 * S, S) == GST_FLOW_OK);
  r.eos();
  auto out = r.outputs();
  CHECK(out.size() == 1 && rwkv::same_words("this goes out", out[0].text) && out[0].pts == 2 * S);
}

// Token ids in (from rwkvtokenize): the words they spell come out as text.
void test_tokens_input() {
  Run r("", "application/x-rwkv-tokens,vocabulary=bytes");
  const std::string words = "where are we going";
  std::vector<uint8_t> ids;
  for (unsigned char c : words)
    for (int k = 0; k < 4; k++) ids.push_back(k == 0 ? c : 0);  // uint32 little-endian
  CHECK(r.push_bytes(ids.data(), ids.size(), S, S) == GST_FLOW_OK);
  r.eos();
  auto out = r.outputs();
  CHECK(out.size() == 1 && rwkv::same_words(words, out[0].text));
  CHECK(r.src_caps_of_output().find("text/x-raw") == 0);
}

// A transcript in random pieces: every buffer out once, in order, with its words.
void test_invariant() {
  Run r("lookahead=2");
  const std::vector<std::string> in = {"so", "i told him we would be there by noon", "but the train was late",
                                       "and nobody called", "", "what could we do", "we waited"};
  for (size_t i = 0; i < in.size(); i++) CHECK(r.push(in[i], GstClockTime(i) * S, S) == GST_FLOW_OK);
  r.eos();
  auto out = r.outputs();
  CHECK(out.size() == in.size());
  for (size_t i = 0; i < out.size() && i < in.size(); i++) {
    std::printf("%s\n", out[i].text.c_str());
    CHECK_MSG(rwkv::same_words(in[i], out[i].text), "'%s' -> '%s'", in[i].c_str(), out[i].text.c_str());
    CHECK(out[i].pts == GstClockTime(i) * S);
  }
}

}  // namespace

int main(int argc, char** argv) {
  g_model = testing::byte_model();
  setvbuf(stdout, nullptr, _IOLBF, 0);
  gst_init(&argc, &argv);
  return testing::run_cases(argc, argv, {
      {"timestamps-and-lookahead", test_timestamps_and_lookahead, true},
      {"gap-and-drain", test_gap_and_drain, true},
      {"hold", test_hold, true},
      {"latency", test_latency, true},
      {"written-and-triggers", test_written_and_triggers, true},
      {"flush", test_flush, true},
      {"invariant", test_invariant, true},
      {"tokens-input", test_tokens_input, true},
  }, !g_model.empty());
}
