// rwkv-live-bench --model PATH [--tokenizer SPEC] [--mode score|punctuate] [--streams N[,N...]]
// [--seconds S] [--interval-ms MS] [--props "PROP=VALUE ..."] [--backlog BYTES [--backlog-apart]]
// [--target-ms MS]
//
// Live-stream capacity: one process, one pipeline of N branches `appsrc is-live ! rwkv mode=MODE !
// appsink` on one shared model, each fed a 6-word lowercase transcript line every MS milliseconds
// (about speech rate at 2000 ms), the streams staggered across the interval. Prints, per N, the
// latency from each push to its output (p50, p99, max) and how many buffers came out: a machine
// holds N streams while p99 stays near the mode's own wait (none in score mode; up to `hold` in
// punctuate mode) and every buffer comes out; the last line names the most streams tried that did,
// with p99 within --target-ms (250). A warm-up line into every stream comes first and is not timed:
// a live pipeline reaches PLAYING once every sink has had a buffer or a gap, so the first outputs
// wait for the last stream's first line. --backlog BYTES adds one more stream on the same model
// (given a warm-up line too), given that much text in one buffer as the timed rounds start (a file,
// or a transcript's backlog after a reconnect): the live streams' latency while it runs; in the
// same pipeline, or with --backlog-apart in a pipeline of its own.
#include <gst/gst.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "args.h"

namespace {

const char* kLines[] = {
    "so we started the meeting at nine",  "the first thing on the list was",
    "the budget for the next quarter",    "and nobody wanted to talk about it",
    "i think we should look at travel",   "because it went up by a third",
    "then we moved on to the new office", "where the rent is a lot lower",
    "it will take a month to move there", "we agreed to decide next week",
};

struct Stream {
  GstElement* src = nullptr;
  std::mutex lock;
  std::map<GstClockTime, double> pushed;  // PTS -> push time (s) of the timed lines
  std::vector<double> latency;
  size_t outputs = 0;  // buffers out, timed or not
};

double now_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

GstFlowReturn on_sample(GstElement* sink, gpointer data) {
  auto* s = static_cast<Stream*>(data);
  GstSample* sample = nullptr;
  g_signal_emit_by_name(sink, "pull-sample", &sample);
  if (!sample) return GST_FLOW_OK;
  const GstClockTime pts = GST_BUFFER_PTS(gst_sample_get_buffer(sample));
  const double t = now_s();
  {
    std::lock_guard<std::mutex> l(s->lock);
    s->outputs++;
    auto it = s->pushed.find(pts);
    if (it != s->pushed.end()) {
      s->latency.push_back(t - it->second);
      s->pushed.erase(it);
    }
  }
  gst_sample_unref(sample);
  return GST_FLOW_OK;
}

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, size_t(p * double(v.size() - 1) + 0.5))];
}

// Returns whether every buffer came out with p99 within target_ms.
bool run(double target_ms, const std::string& model, const std::string& extra, int n, double seconds, int interval_ms,
         size_t backlog, bool apart) {
  const std::string bulk_desc = "appsrc name=bulk is-live=true format=time caps=text/x-raw,format=utf8 ! rwkv model=\"" +
                                model + "\" " + extra + " ! fakesink sync=false ";
  std::string desc;
  if (backlog > 0 && !apart) desc += bulk_desc;
  for (int i = 0; i < n; i++) {
    const std::string k = std::to_string(i);
    desc += "appsrc name=src" + k + " is-live=true format=time caps=text/x-raw,format=utf8 ! rwkv model=\"" + model +
            "\" " + extra + " ! appsink name=sink" + k + " emit-signals=true sync=false ";
  }
  GError* err = nullptr;
  GstElement* pipe = gst_parse_launch(desc.c_str(), &err);
  if (!pipe || err) {  // (a missing element leaves a pipeline and an error)
    std::fprintf(stderr, "rwkv-live-bench: %s\n", err ? err->message : "pipeline");
    std::exit(1);
  }
  std::vector<Stream> streams(static_cast<size_t>(n));
  for (int i = 0; i < n; i++) {
    const std::string k = std::to_string(i);
    streams[size_t(i)].src = gst_bin_get_by_name(GST_BIN(pipe), ("src" + k).c_str());
    GstElement* sink = gst_bin_get_by_name(GST_BIN(pipe), ("sink" + k).c_str());
    g_signal_connect(sink, "new-sample", G_CALLBACK(on_sample), &streams[size_t(i)]);
    gst_object_unref(sink);
  }
  if (gst_element_set_state(pipe, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
    std::fprintf(stderr, "rwkv-live-bench: the pipeline did not start\n");
    std::exit(1);
  }
  // No waiting for PLAYING: a live pipeline gets there once every sink has had data or a gap.
  GstClock* clock = gst_element_get_clock(pipe);  // chosen on the way to PLAYING (sinks still prerolling)
  if (!clock) {
    std::fprintf(stderr, "rwkv-live-bench: the pipeline has no clock\n");
    std::exit(1);
  }
  const GstClockTime base = gst_element_get_base_time(pipe);
  const double interval = interval_ms / 1000.0;
  size_t pushes = 0;
  GstElement* bulk_pipe = nullptr;
  if (backlog > 0 && apart) {
    bulk_pipe = gst_parse_launch(bulk_desc.c_str(), nullptr);
    if (!bulk_pipe || gst_element_set_state(bulk_pipe, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
      std::fprintf(stderr, "rwkv-live-bench: the backlog's pipeline did not start\n");
      std::exit(1);
    }
  }
  GstElement* bulk = backlog > 0 ? gst_bin_get_by_name(GST_BIN(bulk_pipe ? bulk_pipe : pipe), "bulk") : nullptr;
  // Pushes text as one buffer at the running time now; times it for `timed`.
  auto push = [&](GstElement* src, const std::string& text, Stream* timed) {
    GstBuffer* b = gst_buffer_new_memdup(text.data(), text.size());
    const GstClockTime running = gst_clock_get_time(clock) - base;
    GST_BUFFER_PTS(b) = running;
    GST_BUFFER_DURATION(b) = GstClockTime(interval * 0.8 * GST_SECOND);
    if (timed) {
      std::lock_guard<std::mutex> l(timed->lock);
      timed->pushed[running] = now_s();
    }
    GstFlowReturn ret;
    g_signal_emit_by_name(src, "push-buffer", b, &ret);
    gst_buffer_unref(b);
  };
  // Warm-up, not timed: a line into every stream, then a wait until each has come out (a
  // live pipeline reaches PLAYING once every sink has had a buffer or a gap: until the last
  // stream's first line, the others' first outputs wait in their sinks).
  for (Stream& s : streams) push(s.src, kLines[0], nullptr);
  if (bulk) push(bulk, kLines[0], nullptr);
  for (int waited = 0; waited < 6000; waited++) {
    size_t ready = 0;
    for (Stream& s : streams) {
      std::lock_guard<std::mutex> l(s.lock);
      ready += s.outputs > 0;
    }
    if (ready == streams.size()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  const double t0 = now_s();
  for (int round = 0; double(round) * interval < seconds; round++) {
    if (bulk && round == 0) {
      std::string text;
      for (size_t j = 0; text.size() < backlog; j++) text += std::string(kLines[j % std::size(kLines)]) + ". ";
      push(bulk, text, nullptr);
    }
    for (int i = 0; i < n; i++) {
      const double due = t0 + double(round) * interval + interval * double(i) / double(n);
      const double wait = due - now_s();
      if (wait > 0) std::this_thread::sleep_for(std::chrono::duration<double>(wait));
      Stream& s = streams[size_t(i)];
      push(s.src, kLines[size_t(round + i + 1) % std::size(kLines)], &s);
      pushes++;
    }
  }
  for (auto& s : streams) {
    GstFlowReturn ret;
    g_signal_emit_by_name(s.src, "end-of-stream", &ret);
  }
  if (bulk) {
    GstFlowReturn ret;
    g_signal_emit_by_name(bulk, "end-of-stream", &ret);
    gst_object_unref(bulk);
  }
  if (bulk_pipe) {
    gst_element_set_state(bulk_pipe, GST_STATE_NULL);
    gst_object_unref(bulk_pipe);
  }
  GstBus* bus = gst_element_get_bus(pipe);
  GstMessage* m = gst_bus_timed_pop_filtered(bus, 120 * GST_SECOND, GstMessageType(GST_MESSAGE_EOS | GST_MESSAGE_ERROR));
  if (m && GST_MESSAGE_TYPE(m) == GST_MESSAGE_ERROR) std::fprintf(stderr, "rwkv-live-bench: pipeline error\n");
  if (m) gst_message_unref(m);
  gst_object_unref(bus);
  gst_element_set_state(pipe, GST_STATE_NULL);
  std::vector<double> all;
  for (auto& s : streams) {
    all.insert(all.end(), s.latency.begin(), s.latency.end());
    gst_object_unref(s.src);
  }
  gst_object_unref(clock);
  gst_object_unref(pipe);
  const double p99 = 1e3 * percentile(all, 0.99);
  std::printf("| %d | %zu / %zu | %.0f ms | %.0f ms | %.0f ms |\n", n, all.size(), pushes, 1e3 * percentile(all, 0.5),
              p99, 1e3 * percentile(all, 1.0));
  std::fflush(stdout);
  return all.size() == pushes && p99 <= target_ms;
}

int run_bench(const std::vector<std::string>& argv) {
  rwkv::cli::Args a(argv, {"model", "tokenizer", "mode", "streams", "seconds", "interval-ms", "props", "backlog", "backlog-apart", "target-ms"},
                    {"backlog-apart"});
  const std::string model = a.require("model"), mode = a.get("mode", "score"), props = a.get("props");
  const double seconds = a.get_double("seconds", 20);
  const int interval_ms = int(a.get_int("interval-ms", 2000, 1, 3600000));
  const size_t backlog = size_t(a.get_int("backlog", 0, 0, 1 << 30));
  const bool apart = a.has("backlog-apart");
  const double target_ms = a.get_double("target-ms", 250);
  const std::string extra = "tokenizer=" + a.get("tokenizer", "auto") + " mode=" + mode + " " + props;
  std::printf("%s, mode=%s %s, a 6-word line every %d ms per stream, %.0f s%s\n\n", model.c_str(), mode.c_str(),
              props.c_str(), interval_ms, seconds,
              backlog ? (", and one more stream given " + std::to_string(backlog) + " bytes at once" +
                         (apart ? " in a pipeline of its own" : " in the same pipeline")).c_str()
                      : "");
  std::printf("| streams | buffers out | p50 | p99 | max |\n|---|---|---|---|---|\n");
  std::stringstream list(a.get("streams", "16"));
  int held = 0;
  for (std::string c; std::getline(list, c, ',');) {
    const int n = std::stoi(c);
    if (run(target_ms, model, extra, n, seconds, interval_ms, backlog, apart)) held = std::max(held, n);
  }
  if (held > 0) std::printf("\nheld: %d streams (the most tried with every buffer out and p99 <= %.0f ms)\n", held, target_ms);
  else std::printf("\nheld: none of the counts tried (p99 <= %.0f ms with every buffer out)\n", target_ms);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  gst_init(&argc, &argv);
  return rwkv::cli::run_tool("rwkv-live-bench", argc, argv, run_bench);
}
