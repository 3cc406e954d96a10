/**
 * SECTION:element-rwkv
 * @title: rwkv
 *
 * Reads a text (or token) stream into an RWKV language model's recurrent state, for as long
 * as the stream runs, and scores, continues, answers or classifies it. The state has a fixed
 * size whatever the stream's length: there is no context window.
 *
 * ## Example launch lines
 * |[
 * gst-launch-1.0 fdsrc ! rwkv model=m.pth ! fdsink                      # score stdin, pass it on
 * gst-launch-1.0 filesrc location=in.srt ! subparse ! rwkv model=m.pth mode=continue \
 *     ! webvttenc ! filesink location=out.vtt
 * gst-launch-1.0 autoaudiosrc ! audioconvert ! audioresample ! pocketsphinx \
 *     ! rwkv model=m.pth mode=respond trigger=silence ! fdsink
 * ]|
 *
 * ## Messages (element messages on the bus)
 * - `rwkv-score` (score mode, per buffer): `running-time` (guint64), `tokens` (guint), `bytes`
 *   (guint), `logprob` (gdouble, nats), `bits-per-byte` (gdouble), `least-likely-word`
 *   (string, at most 64 bytes), `least-likely-logprob` (gdouble). The same fields ride on the
 *   buffer as the custom meta `GstRwkvScoreMeta`.
 * - `rwkv-classify` (classify mode, per trigger): `running-time`, `label`, `scores` (list of
 *   `label` structures: `name`, `logprob`).
 * - `rwkv-summary` (at EOS): `tokens`, `bytes`, `logprob`, `bits-per-byte` of the input since
 *   the stream started (a preamble is not counted).
 * - `rwkv-state-saved` / `rwkv-state-restored`: `path`, `tokens`, `bytes` (the input position).
 * - `progress` messages while the model loads; a `latency` message when `latency` changes or,
 *   with `latency=auto`, when a generation took longer than the latency reported.
 *
 * ## Behaviour an application relies on
 * - NULL→READY loads the model (shared by every element naming the same file and device) and
 *   checks the configuration; READY→PAUSED starts a fresh stream: the state from `state-file`
 *   when it exists, else the initial state with `preamble` read; totals start from zero.
 *   `model`, `tokenizer`, `device`, `threads` and `preamble` set in READY apply from there.
 * - A trigger with nothing to answer (no text read yet, or none since the last answer in
 *   respond/classify mode; classify without `labels`) produces no output: a GAP, a debug line,
 *   and for missing labels one warning. The stream goes on.
 * - `mode` can change while playing: the source caps follow (the input's format in score mode,
 *   utf8 text otherwise).
 * - The `trigger` action signal returns at once; the answer is made and pushed by the
 *   element's own thread.
 * - `reset` returns to the start of a stream (initial state, preamble read again); the totals
 *   go on counting.
 */
// The rwkv element. GStreamer concerns live here (pads, caps, events, time, properties,
// messages); everything the model does is in Stream (rwkv_stream.h) over the engine's
// session API.
#include "gstrwkv.h"

#include <glib/gstdio.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "markup.h"
#include "model_cache.h"
#include "rwkv_stream.h"
#include "rwkv/error.h"

GST_DEBUG_CATEGORY_STATIC(gst_rwkv_debug);
#define GST_CAT_DEFAULT gst_rwkv_debug

using gstrwkv::Mode;
using gstrwkv::Trigger;

namespace {

enum InputFormat { INPUT_UTF8, INPUT_MARKUP, INPUT_TOKENS };

// How long text without a duration of its own is shown (captions, overlays).
constexpr GstClockTime kDefaultDuration = 3 * GST_SECOND;
// `separator` default: timed buffers (cues) are units, untimed ones a continuous text.
constexpr const char* kAutoSeparator = "auto";
// `latency` default: measured.
constexpr GstClockTime kAutoLatency = GST_CLOCK_TIME_NONE;
constexpr guint kDefaultMaxTextBytes = 1 << 16;

struct Settings {
  std::string model, tokenizer = "auto", device = "auto", state_file, separator = kAutoSeparator;
  int threads = 0;
  gstrwkv::Settings stream;
  Trigger trigger = Trigger::Sentence;
  GstClockTime interval = 5 * GST_SECOND;
  GstClockTime latency = kAutoLatency;
  guint save_interval = 0;  // seconds; 0 = only on EOS and save-state
  guint max_text_bytes = kDefaultMaxTextBytes;
};

// What a loaded model was loaded with: a change of any of these in READY reloads it.
struct LoadKey {
  std::string model, tokenizer, device;
  int threads = 0;
  bool operator==(const LoadKey&) const = default;
};
LoadKey load_key(const Settings& s) { return {s.model, s.tokenizer, s.device, s.threads}; }

// What the element holds for one stream; replaced at READY→PAUSED.
struct Runtime {
  GstSegment segment;
  bool timed = false;            // the input segment is in TIME
  InputFormat format = INPUT_UTF8;
  std::string input_caps;        // token input: passed on in score mode
  bool stream_started = false, segment_pushed = false;
  std::string pending;           // text since the last trigger
  GstClockTime pending_start = GST_CLOCK_TIME_NONE, pending_end = GST_CLOCK_TIME_NONE;
  GstClockTime last_end = 0;     // running time of the newest input (or gap)
  GstClockTime last_trigger = GST_CLOCK_TIME_NONE;
  gint64 last_arrival_us = 0;    // monotonic, for the silence trigger
  gint64 last_save_us = 0;
  bool warned_utf8 = false, warned_labels = false, warned_latency = false, vocab_error = false;
  std::string utf8_carry;        // an unfinished UTF-8 sequence at the end of the last buffer
  GstClockTime auto_latency = 0; // latency=auto: what is reported (measured)
};

// Whether the input so far is valid UTF-8, allowing a character split across buffers.
bool utf8_ok(Runtime& rt, std::string_view text) {
  if (!rt.utf8_carry.empty()) {  // finish the character the last buffer began
    const size_t carried = rt.utf8_carry.size();
    const std::string head = rt.utf8_carry + std::string(text.substr(0, 4));
    const gunichar c = g_utf8_get_char_validated(head.data(), gssize(head.size()));
    rt.utf8_carry.clear();
    if (c == gunichar(-2)) {  // still unfinished: this buffer is shorter than the character
      rt.utf8_carry = head;
      return true;
    }
    if (c == gunichar(-1)) return false;
    text.remove_prefix(size_t(g_utf8_next_char(head.data()) - head.data()) - carried);
  }
  const gchar* end = nullptr;
  if (g_utf8_validate(text.data(), gssize(text.size()), &end)) return true;
  const size_t valid = size_t(end - text.data()), rest = text.size() - valid;
  // A tail that may still become a character: a lead byte and fewer continuation bytes than it needs.
  const auto lead = static_cast<unsigned char>(text[valid]);
  const size_t need = lead >= 0xf0 && lead <= 0xf4 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc2 ? 2 : 0;
  bool partial = need > rest;
  for (size_t i = valid + 1; partial && i < text.size(); i++) partial = (static_cast<unsigned char>(text[i]) & 0xc0) == 0x80;
  if (partial) rt.utf8_carry = std::string(text.substr(valid));
  return partial;
}

// The newest `limit` bytes of s, not starting inside a UTF-8 sequence.
std::string_view newest(std::string_view s, size_t limit) {
  if (s.size() <= limit) return s;
  size_t cut = s.size() - limit;
  while (cut < s.size() && (static_cast<unsigned char>(s[cut]) & 0xc0) == 0x80) cut++;
  return s.substr(cut);
}

// Text since the last trigger, which respond and classify put into their prompt: its newest
// `limit` bytes are kept (the state has read all of it anyway).
void append_pending(Runtime& rt, std::string_view text, size_t limit) {
  rt.pending += text;
  if (rt.pending.size() > 2 * limit) rt.pending = std::string(newest(rt.pending, limit));
}

bool is_blank(const std::string& s) { return s.find_first_not_of(" \t\r\n") == std::string::npos; }

}  // namespace

struct _GstRwkv {
  GstElement parent;
  GstPad* sinkpad;
  GstPad* srcpad;
  Settings* settings;  // guarded by the object lock
  Runtime* rt;         // guarded by work
  std::unique_ptr<gstrwkv::Stream>* stream;  // guarded by work
  LoadKey* loaded;     // what *stream was made with; guarded by work
  std::mutex* work;    // one of chain / event / action / worker at a time
  std::atomic<bool>* flushing;
  std::atomic<bool>* reconfigured;  // mode or labels changed: warnings about them re-armed
  // The element's own thread: runs requested triggers (the action signal) and the silence
  // trigger's deadline; it sleeps until one of those is due, without polling.
  GThread* worker;
  GMutex worker_lock;
  GCond worker_cond;
  bool worker_stop, trigger_requested;  // guarded by worker_lock
};

G_DEFINE_TYPE(GstRwkv, gst_rwkv, GST_TYPE_ELEMENT);
GST_ELEMENT_REGISTER_DEFINE(rwkv, "rwkv", GST_RANK_NONE, GST_TYPE_RWKV);

enum {
  PROP_0,
  PROP_MODEL,
  PROP_TOKENIZER,
  PROP_DEVICE,
  PROP_THREADS,
  PROP_MODE,
  PROP_PROMPT,
  PROP_PREAMBLE,
  PROP_LABELS,
  PROP_TRIGGER,
  PROP_INTERVAL,
  PROP_MAX_TOKENS,
  PROP_STOP,
  PROP_TEMPERATURE,
  PROP_TOP_P,
  PROP_TOP_K,
  PROP_PRESENCE_PENALTY,
  PROP_FREQUENCY_PENALTY,
  PROP_SEED,
  PROP_STATE_FILE,
  PROP_SAVE_INTERVAL,
  PROP_LATENCY,
  PROP_SEPARATOR,
  PROP_MAX_TEXT_BYTES,
};

enum { SIGNAL_TRIGGER, SIGNAL_RESET, SIGNAL_SAVE_STATE, SIGNAL_LOAD_STATE, N_SIGNALS };
static guint signals[N_SIGNALS];

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE(
    "sink", GST_PAD_SINK, GST_PAD_ALWAYS,
    GST_STATIC_CAPS("text/x-raw, format = (string) { utf8, pango-markup }; text/plain; "
                    "application/x-rwkv-tokens"));
static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE(
    "src", GST_PAD_SRC, GST_PAD_ALWAYS,
    GST_STATIC_CAPS("text/x-raw, format = (string) { utf8, pango-markup }; application/x-rwkv-tokens"));

#define GST_TYPE_RWKV_MODE (gst_rwkv_mode_get_type())
static GType gst_rwkv_mode_get_type() {
  static GType type = 0;
  static const GEnumValue values[] = {
      {int(Mode::Score), "Pass text through; score each buffer (meta and rwkv-score message)", "score"},
      {int(Mode::Continue), "At each trigger, continue the stream (on a fork of the state)", "continue"},
      {int(Mode::Respond), "At each trigger, answer the prompt about the text since the last trigger", "respond"},
      {int(Mode::Classify), "At each trigger, output the most likely of the labels", "classify"},
      {0, nullptr, nullptr}};
  if (g_once_init_enter(&type)) g_once_init_leave(&type, g_enum_register_static("GstRwkvMode", values));
  return type;
}

#define GST_TYPE_RWKV_TRIGGER (gst_rwkv_trigger_get_type())
static GType gst_rwkv_trigger_get_type() {
  static GType type = 0;
  static const GEnumValue values[] = {
      {int(Trigger::Buffer), "Every input buffer", "buffer"},
      {int(Trigger::Sentence), "At the end of each sentence (. ! ? or a line break)", "sentence"},
      {int(Trigger::Interval), "Every `interval` of stream time (GAP events carry it too)", "interval"},
      {int(Trigger::Silence), "After `interval` without input (live streams)", "silence"},
      {int(Trigger::Eos), "At end of stream only", "eos"},
      {int(Trigger::Manual), "Only when the `trigger` action signal is emitted", "manual"},
      {0, nullptr, nullptr}};
  if (g_once_init_enter(&type)) g_once_init_leave(&type, g_enum_register_static("GstRwkvTrigger", values));
  return type;
}

static Settings settings_snapshot(GstRwkv* self) {
  GST_OBJECT_LOCK(self);
  Settings s = *self->settings;
  GST_OBJECT_UNLOCK(self);
  return s;
}

static gstrwkv::Stream& stream_of(GstRwkv* self) { return **self->stream; }

// ---- time ------------------------------------------------------------------------------

// Running time now, by the pipeline clock (for input that carries no timestamps).
static GstClockTime arrival_running_time(GstRwkv* self) {
  GstClock* clock = gst_element_get_clock(GST_ELEMENT(self));
  if (!clock) return self->rt->last_end;
  const GstClockTime now = gst_clock_get_time(clock);
  gst_object_unref(clock);
  const GstClockTime base = gst_element_get_base_time(GST_ELEMENT(self));
  return now > base ? now - base : 0;
}

// Position in the output segment for a running time.
static GstClockTime output_position(GstRwkv* self, GstClockTime running) {
  const guint64 pos = gst_segment_position_from_running_time(&self->rt->segment, GST_FORMAT_TIME, running);
  return pos == GST_CLOCK_TIME_NONE ? running : pos;
}

// ---- output ----------------------------------------------------------------------------

// The source caps for a mode: score passes the input's format on, the others write text.
static GstCaps* output_caps(const Runtime& rt, Mode mode) {
  if (mode == Mode::Score && rt.format == INPUT_TOKENS && !rt.input_caps.empty())
    return gst_caps_from_string(rt.input_caps.c_str());
  const char* fmt = mode == Mode::Score && rt.format == INPUT_MARKUP ? "pango-markup" : "utf8";
  return gst_caps_new_simple("text/x-raw", "format", G_TYPE_STRING, fmt, nullptr);
}

// Stream-start, caps (again whenever the mode asks for others) and segment before output.
static void ensure_src_ready(GstRwkv* self, Mode mode) {
  Runtime& rt = *self->rt;
  if (!rt.stream_started) {
    GstEvent* started = gst_pad_get_sticky_event(self->srcpad, GST_EVENT_STREAM_START, 0);
    if (started) {
      gst_event_unref(started);
    } else {  // upstream sent no stream-start: start our own stream
      gchar* id = gst_pad_create_stream_id(self->srcpad, GST_ELEMENT(self), "text");
      gst_pad_push_event(self->srcpad, gst_event_new_stream_start(id));
      g_free(id);
    }
    rt.stream_started = true;
  }
  GstCaps* want = output_caps(rt, mode);
  GstCaps* have = gst_pad_get_current_caps(self->srcpad);
  if (!have || !gst_caps_is_equal(have, want)) {
    GST_DEBUG_OBJECT(self, "source caps %" GST_PTR_FORMAT " (mode %d)", want, int(mode));
    gst_pad_push_event(self->srcpad, gst_event_new_caps(want));
    rt.segment_pushed = false;  // a segment follows caps
  }
  if (have) gst_caps_unref(have);
  gst_caps_unref(want);
  if (!rt.segment_pushed) {
    gst_pad_push_event(self->srcpad, gst_event_new_segment(&rt.segment));
    rt.segment_pushed = true;
  }
}

static GstFlowReturn push_text(GstRwkv* self, Mode mode, const std::string& text, GstClockTime start,
                               GstClockTime end) {
  ensure_src_ready(self, mode);
  GstBuffer* buf = gst_buffer_new_memdup(text.data(), text.size());
  const GstClockTime pts = output_position(self, end);
  GST_BUFFER_PTS(buf) = pts;
  GST_BUFFER_DURATION(buf) = (GST_CLOCK_TIME_IS_VALID(start) && end > start) ? end - start : kDefaultDuration;
  GST_DEBUG_OBJECT(self, "output at %" GST_TIME_FORMAT ": %s", GST_TIME_ARGS(pts), text.c_str());
  return gst_pad_push(self->srcpad, buf);
}

static void push_gap(GstRwkv* self, Mode mode, GstClockTime start, GstClockTime end) {
  if (!GST_CLOCK_TIME_IS_VALID(start)) return;
  ensure_src_ready(self, mode);
  const GstClockTime pos = output_position(self, start);
  gst_pad_push_event(self->srcpad, gst_event_new_gap(pos, end > start ? end - start : 0));
}

static void post_structure(GstRwkv* self, GstStructure* s) {
  GST_LOG_OBJECT(self, "posting %" GST_PTR_FORMAT, s);
  gst_element_post_message(GST_ELEMENT(self), gst_message_new_element(GST_OBJECT(self), s));
}

// ---- state file ------------------------------------------------------------------------

// Posts NAME with the state file's path and the stream position it holds.
static void post_state_message(GstRwkv* self, const char* name, const std::string& path) {
  const gstrwkv::Stream& st = stream_of(self);
  post_structure(self, gst_structure_new(name, "path", G_TYPE_STRING, path.c_str(), "tokens", G_TYPE_UINT64,
                                         guint64(st.tokens_read()), "bytes", G_TYPE_UINT64, guint64(st.bytes_read()),
                                         nullptr));
}

// Why a state file could not be written there, or "" when it can (as filesink checks its
// location when it starts, not at the first write).
static std::string state_path_problem(const std::string& path) {
  gchar* dir = g_path_get_dirname(path.c_str());
  std::string problem;
  if (!g_file_test(dir, G_FILE_TEST_IS_DIR)) problem = std::string("directory ") + dir + " does not exist";
  else if (g_access(dir, W_OK) != 0) problem = std::string("directory ") + dir + " is not writable";
  else if (g_file_test(path.c_str(), G_FILE_TEST_IS_DIR)) problem = "it is a directory";
  g_free(dir);
  return problem;
}

// Posts the state file's location problem as an error (starting); false when there is one.
static bool state_path_usable(GstRwkv* self, const std::string& path) {
  if (path.empty()) return true;
  const std::string problem = state_path_problem(path);
  if (problem.empty()) return true;
  GST_ELEMENT_ERROR(self, RESOURCE, OPEN_WRITE, ("Cannot write the state file \"%s\"", path.c_str()),
                    ("%s", problem.c_str()));
  return false;
}

static bool save_state(GstRwkv* self, const std::string& path) {
  try {
    stream_of(self).save(path);
    self->rt->last_save_us = g_get_monotonic_time();
    GST_INFO_OBJECT(self, "state saved to %s", path.c_str());
    post_state_message(self, "rwkv-state-saved", path);
    return true;
  } catch (const std::exception& e) {
    GST_ELEMENT_WARNING(self, RESOURCE, WRITE, ("Could not save the state to %s", path.c_str()), ("%s", e.what()));
    return false;
  }
}

static void maybe_save_periodically(GstRwkv* self, const Settings& s) {
  if (s.state_file.empty() || s.save_interval == 0) return;
  if (g_get_monotonic_time() - self->rt->last_save_us >= gint64(s.save_interval) * G_USEC_PER_SEC)
    save_state(self, s.state_file);
}

// ---- latency ---------------------------------------------------------------------------

static GstClockTime reported_latency(GstRwkv* self) {
  GST_OBJECT_LOCK(self);
  const GstClockTime fixed = self->settings->latency;
  GST_OBJECT_UNLOCK(self);
  return fixed != kAutoLatency ? fixed : self->rt->auto_latency;
}

// After an answer that took `took`: with latency=auto, one longer than reported raises it
// (with a margin) and posts a LATENCY message so the pipeline re-queries; with a fixed
// latency, the first such answer is a warning (output would be late in a live pipeline).
static void account_latency(GstRwkv* self, GstClockTime took) {
  Runtime& rt = *self->rt;
  GST_OBJECT_LOCK(self);
  const GstClockTime fixed = self->settings->latency;
  GST_OBJECT_UNLOCK(self);
  if (fixed == kAutoLatency) {
    if (took <= rt.auto_latency) return;
    rt.auto_latency = took + took / 4;
    GST_INFO_OBJECT(self, "answering took %" GST_TIME_FORMAT ": latency now %" GST_TIME_FORMAT, GST_TIME_ARGS(took),
                    GST_TIME_ARGS(rt.auto_latency));
    gst_element_post_message(GST_ELEMENT(self), gst_message_new_latency(GST_OBJECT(self)));
  } else if (took > fixed && !rt.warned_latency) {
    rt.warned_latency = true;
    GST_ELEMENT_WARNING(self, CORE, CLOCK, ("Answering took longer than the latency property allows"),
                        ("%" GST_TIME_FORMAT " > latency %" GST_TIME_FORMAT "; raise latency (or leave it on auto) or "
                         "lower max-tokens", GST_TIME_ARGS(took), GST_TIME_ARGS(fixed)));
  }
}

// ---- triggers --------------------------------------------------------------------------

// Why the pending text cannot be answered now, or null when it can.
static const char* nothing_to_answer(GstRwkv* self, const Settings& s) {
  const Runtime& rt = *self->rt;
  switch (s.stream.mode) {
    case Mode::Score: return "score mode";
    case Mode::Continue: return stream_of(self).can_continue() ? nullptr : "no text read yet";
    case Mode::Respond: return is_blank(rt.pending) ? "no text since the last answer" : nullptr;
    case Mode::Classify:
      if (s.stream.labels.empty()) return "classify mode without labels";
      return is_blank(rt.pending) ? "no text since the last answer" : nullptr;
  }
  return nullptr;
}

static void post_classify(GstRwkv* self, const gstrwkv::Answer& a, GstClockTime end) {
  GstStructure* st = gst_structure_new("rwkv-classify", "running-time", G_TYPE_UINT64, guint64(end), "label",
                                       G_TYPE_STRING, a.text.c_str(), nullptr);
  GValue list = G_VALUE_INIT, item = G_VALUE_INIT;
  gst_value_list_init(&list, guint(a.labels.size()));
  for (const auto& [label, logprob] : a.labels) {
    GstStructure* ls =
        gst_structure_new("label", "name", G_TYPE_STRING, label.c_str(), "logprob", G_TYPE_DOUBLE, logprob, nullptr);
    g_value_init(&item, GST_TYPE_STRUCTURE);
    gst_value_set_structure(&item, ls);
    gst_structure_free(ls);
    gst_value_list_append_and_take_value(&list, &item);
    item = G_VALUE_INIT;
  }
  gst_structure_take_value(st, "scores", &list);
  post_structure(self, st);
}

// Answers the pending text per the mode and pushes the answer (or a GAP when there is
// nothing to answer). Caller holds `work`.
static GstFlowReturn run_trigger(GstRwkv* self, const Settings& s, const char* why) {
  Runtime& rt = *self->rt;
  if (s.stream.mode == Mode::Score) return GST_FLOW_OK;
  if (self->reconfigured->exchange(false)) rt.warned_labels = false;
  const GstClockTime start = rt.pending_start,
                     end = GST_CLOCK_TIME_IS_VALID(rt.pending_end) ? rt.pending_end : rt.last_end;
  if (const char* nothing = nothing_to_answer(self, s)) {
    GST_DEBUG_OBJECT(self, "trigger (%s): nothing to answer (%s)", why, nothing);
    if (s.stream.mode == Mode::Classify && s.stream.labels.empty() && !rt.warned_labels) {
      rt.warned_labels = true;  // once per configuration: re-armed when mode or labels change
      GST_ELEMENT_WARNING(self, LIBRARY, SETTINGS, ("Classify mode needs the labels property"),
                          ("triggers produce no output until labels are set"));
    }
    push_gap(self, s.stream.mode, start, end);
    return GST_FLOW_OK;
  }
  GST_DEBUG_OBJECT(self, "trigger (%s): answering %zu bytes in mode %d", why, rt.pending.size(), int(s.stream.mode));
  gstrwkv::Settings ss = s.stream;
  const auto t0 = std::chrono::steady_clock::now();
  gstrwkv::Answer a;
  try {
    a = stream_of(self).answer(ss, std::string(newest(rt.pending, s.max_text_bytes)), *self->flushing);
  } catch (const std::exception& e) {
    GST_ELEMENT_ERROR(self, LIBRARY, FAILED, ("Generation failed"), ("%s", e.what()));
    return GST_FLOW_ERROR;
  }
  const auto took = GstClockTime(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() * 1e9);
  GST_DEBUG_OBJECT(self, "answered in %" GST_TIME_FORMAT "%s: %zu bytes", GST_TIME_ARGS(took),
                   a.aborted ? " (aborted by a flush)" : "", a.text.size());
  if (a.aborted) return GST_FLOW_FLUSHING;
  account_latency(self, took);
  rt.pending.clear();
  rt.pending_start = rt.pending_end = GST_CLOCK_TIME_NONE;
  rt.last_trigger = end;
  if (s.stream.mode == Mode::Classify) post_classify(self, a, end);
  if (a.text.empty()) {
    push_gap(self, s.stream.mode, start, end);
    return GST_FLOW_OK;
  }
  return push_text(self, s.stream.mode, a.text, start, end);
}

static bool sentence_ended(const std::string& text) {
  for (size_t i = text.size(); i-- > 0;) {
    const char c = text[i];
    if (c == '\n') return true;
    if (c == ' ' || c == '\t' || c == '\r' || c == '"' || c == '\'' || c == ')') continue;
    return c == '.' || c == '!' || c == '?';
  }
  return false;
}

static bool trigger_due(GstRwkv* self, const Settings& s) {
  Runtime& rt = *self->rt;
  switch (s.trigger) {
    case Trigger::Buffer: return true;
    case Trigger::Sentence: return sentence_ended(rt.pending);
    case Trigger::Interval: {
      if (!GST_CLOCK_TIME_IS_VALID(rt.last_trigger)) rt.last_trigger = rt.pending_start;
      return GST_CLOCK_TIME_IS_VALID(rt.last_trigger) && rt.last_end >= rt.last_trigger + s.interval;
    }
    default: return false;
  }
}

// Lets the element's thread look again (a silence deadline or the trigger settings moved).
static void wake_worker(GstRwkv* self) {
  g_mutex_lock(&self->worker_lock);
  g_cond_signal(&self->worker_cond);
  g_mutex_unlock(&self->worker_lock);
}

// ---- input -----------------------------------------------------------------------------

// The separator read after a buffer: "auto" keeps timed buffers (subtitle cues, transcript
// lines) apart with a space and reads untimed ones (bytes from a file or socket) as one text.
static std::string separator_for(const Settings& s, bool timed_buffer) {
  if (s.separator == kAutoSeparator) return timed_buffer ? " " : "";
  return s.separator;
}

static GstFlowReturn post_score(GstRwkv* self, GstBuffer* buf, const gstrwkv::Score& score, GstClockTime end,
                                Mode mode) {
  Runtime& rt = *self->rt;
  // GstStructure strings must be UTF-8; the input (and so the word) may not be.
  gchar* word = g_utf8_make_valid(score.least_likely_word.data(), gssize(score.least_likely_word.size()));
  GstStructure* st = gst_structure_new("rwkv-score", "running-time", G_TYPE_UINT64, guint64(end), "tokens",
                                       G_TYPE_UINT, guint(score.tokens), "bytes", G_TYPE_UINT, guint(score.bytes),
                                       "logprob", G_TYPE_DOUBLE, score.logprob, "bits-per-byte", G_TYPE_DOUBLE,
                                       score.bits_per_byte(), "least-likely-word", G_TYPE_STRING, word,
                                       "least-likely-logprob", G_TYPE_DOUBLE, score.least_likely_logprob, nullptr);
  g_free(word);
  buf = gst_buffer_make_writable(gst_buffer_ref(buf));
  GstCustomMeta* meta = gst_buffer_add_custom_meta(buf, "GstRwkvScoreMeta");
  GstStructure* ms = gst_custom_meta_get_structure(meta);
  // The meta carries what the message carries.
  for (int i = 0; i < gst_structure_n_fields(st); i++) {
    const gchar* name = gst_structure_nth_field_name(st, guint(i));
    gst_structure_set_value(ms, name, gst_structure_get_value(st, name));
  }
  post_structure(self, st);
  if (!GST_BUFFER_PTS_IS_VALID(buf) || !rt.timed) {
    GST_BUFFER_PTS(buf) = output_position(self, end);
    if (!GST_BUFFER_DURATION_IS_VALID(buf)) GST_BUFFER_DURATION(buf) = kDefaultDuration;
  }
  ensure_src_ready(self, mode);
  return gst_pad_push(self->srcpad, buf);
}

static GstFlowReturn handle_input(GstRwkv* self, GstBuffer* buf) {
  Runtime& rt = *self->rt;
  if (self->flushing->load()) return GST_FLOW_FLUSHING;
  const Settings s = settings_snapshot(self);  // one snapshot per buffer

  // Time span of this buffer, in running time.
  GstClockTime start, end;
  const bool timed_buffer = rt.timed && GST_BUFFER_PTS_IS_VALID(buf);
  if (timed_buffer) {
    start = gst_segment_to_running_time(&rt.segment, GST_FORMAT_TIME, GST_BUFFER_PTS(buf));
    end = GST_BUFFER_DURATION_IS_VALID(buf)
              ? gst_segment_to_running_time(&rt.segment, GST_FORMAT_TIME, GST_BUFFER_PTS(buf) + GST_BUFFER_DURATION(buf))
              : start;
    if (!GST_CLOCK_TIME_IS_VALID(end)) end = start;
  } else {
    start = end = arrival_running_time(self);
  }
  if (GST_CLOCK_TIME_IS_VALID(end)) rt.last_end = end;
  rt.last_arrival_us = g_get_monotonic_time();
  GST_LOG_OBJECT(self, "buffer of %zu bytes, %" GST_TIME_FORMAT " - %" GST_TIME_FORMAT, gst_buffer_get_size(buf),
                 GST_TIME_ARGS(start), GST_TIME_ARGS(end));

  GstMapInfo map;
  if (!gst_buffer_map(buf, &map, GST_MAP_READ)) {
    GST_ELEMENT_ERROR(self, STREAM, FAILED, ("Could not read an input buffer"), (nullptr));
    return GST_FLOW_ERROR;
  }
  // Read from the mapped buffer in place: a large buffer is not copied (Stream reads it in slices).
  struct Unmap {
    GstBuffer* b;
    GstMapInfo* m;
    ~Unmap() { gst_buffer_unmap(b, m); }
  } unmap{buf, &map};
  std::string_view text(reinterpret_cast<const char*>(map.data), map.size);
  std::string plain;
  if (rt.format == INPUT_TOKENS && map.size % 4 != 0) {
    GST_ELEMENT_ERROR(self, STREAM, DECODE, ("Token buffer of %zu bytes is not a whole number of uint32 ids", map.size), (nullptr));
    return GST_FLOW_ERROR;
  }
  if (rt.format == INPUT_MARKUP) {
    if (!gstrwkv::strip_markup(text, plain)) {
      GST_ELEMENT_WARNING(self, STREAM, DECODE, ("Malformed pango markup; reading it as plain text"), (nullptr));
      plain = text;
    }
    text = plain;
  }

  if (rt.format != INPUT_TOKENS && !utf8_ok(rt, text) && !rt.warned_utf8) {
    // The bytes still go to the model as they are: the World and bytes tokenizers read any
    // bytes, the NeoX one replaces ill-formed sequences by U+FFFD. Warned once.
    GST_ELEMENT_WARNING(self, STREAM, DECODE, ("Input is not valid UTF-8"), (nullptr));
    rt.warned_utf8 = true;
  }
  // Buffers that are whole units (subtitle cues) are kept apart: the separator is read after
  // one that does not end in white space, so words of adjacent cues do not run together.
  std::string separator = separator_for(s, timed_buffer);
  if (rt.format == INPUT_TOKENS || text.empty() || g_ascii_isspace(text.back())) separator.clear();

  // Between slices of a long buffer: periodic saves go on, and a flush stops the reading.
  const auto between = [self, &s] {
    maybe_save_periodically(self, s);
    return !self->flushing->load();
  };
  gstrwkv::Score score;
  std::vector<uint32_t> tokens;
  try {
    if (rt.format == INPUT_TOKENS) {
      tokens.resize(map.size / 4);
      for (size_t i = 0; i < tokens.size(); i++) tokens[i] = GST_READ_UINT32_LE(map.data + 4 * i);
      score = stream_of(self).ingest_tokens(tokens, between);
    } else {
      score = stream_of(self).ingest(text, between);
      if (!score.aborted) score += stream_of(self).ingest(separator);
    }
  } catch (const std::exception& e) {
    GST_ELEMENT_ERROR(self, LIBRARY, FAILED, ("The model could not read the input"), ("%s", e.what()));
    return GST_FLOW_ERROR;
  }
  if (score.aborted) return GST_FLOW_FLUSHING;
  maybe_save_periodically(self, s);

  if (s.stream.mode == Mode::Score) return post_score(self, buf, score, end, s.stream.mode);

  if (rt.format != INPUT_TOKENS) {
    append_pending(rt, text, s.max_text_bytes);
    append_pending(rt, separator, s.max_text_bytes);
  } else {
    const size_t from = tokens.size() - std::min<size_t>(tokens.size(), s.max_text_bytes);  // ids are a byte or more
    append_pending(rt, stream_of(self).detokenize(std::vector<uint32_t>(tokens.begin() + std::ptrdiff_t(from), tokens.end())),
                   s.max_text_bytes);
  }
  if (!GST_CLOCK_TIME_IS_VALID(rt.pending_start)) rt.pending_start = start;
  rt.pending_end = end;
  if (trigger_due(self, s)) return run_trigger(self, s, "input");
  push_gap(self, s.stream.mode, start, end);
  return GST_FLOW_OK;
}

static GstFlowReturn gst_rwkv_chain(GstPad*, GstObject* parent, GstBuffer* buf) {
  GstRwkv* self = GST_RWKV(parent);
  GstFlowReturn ret;
  {
    std::lock_guard<std::mutex> lock(*self->work);
    ret = handle_input(self, buf);
  }
  gst_buffer_unref(buf);
  wake_worker(self);  // a silence deadline moved
  return ret;
}

// ---- events and queries ----------------------------------------------------------------

static bool set_input_caps(GstRwkv* self, GstCaps* caps) {
  Runtime& rt = *self->rt;
  GST_DEBUG_OBJECT(self, "input caps %" GST_PTR_FORMAT, caps);
  const GstStructure* st = gst_caps_get_structure(caps, 0);
  const gchar* name = gst_structure_get_name(st);
  if (g_str_equal(name, "application/x-rwkv-tokens")) {
    const gchar* vocab = gst_structure_get_string(st, "vocabulary");
    const std::string ours = stream_of(self).vocabulary();
    if (vocab && ours != vocab) {
      if (!rt.vocab_error) {  // upstream may offer the same caps again: one error
        rt.vocab_error = true;
        GST_ELEMENT_ERROR(self, STREAM, WRONG_TYPE,
                          ("Token stream of vocabulary '%s', but the model's tokenizer is '%s'", vocab, ours.c_str()),
                          (nullptr));
      }
      return false;
    }
    rt.format = INPUT_TOKENS;
    gchar* str = gst_caps_to_string(caps);
    rt.input_caps = str;
    g_free(str);
  } else {
    const gchar* fmt = gst_structure_get_string(st, "format");
    rt.format = fmt && g_str_equal(fmt, "pango-markup") ? INPUT_MARKUP : INPUT_UTF8;
  }
  GST_OBJECT_LOCK(self);
  const Mode mode = self->settings->stream.mode;
  GST_OBJECT_UNLOCK(self);
  ensure_src_ready(self, mode);  // downstream may not be linked yet (harness); caps stay sticky
  return true;
}

static void post_summary(GstRwkv* self) {
  const gstrwkv::Totals t = stream_of(self).totals();
  post_structure(self, gst_structure_new("rwkv-summary", "tokens", G_TYPE_UINT64, guint64(t.tokens), "bytes",
                                         G_TYPE_UINT64, guint64(t.bytes), "logprob", G_TYPE_DOUBLE, t.logprob,
                                         "bits-per-byte", G_TYPE_DOUBLE, t.bits_per_byte(), nullptr));
}

// A GAP carries stream time: an interval trigger due by then runs (as whispertranscriber
// drains on GAP), then the gap goes on downstream.
static bool handle_gap(GstRwkv* self, GstEvent* event) {
  Runtime& rt = *self->rt;
  const Settings s = settings_snapshot(self);
  GstClockTime ts, duration;
  gst_event_parse_gap(event, &ts, &duration);
  if (rt.timed && GST_CLOCK_TIME_IS_VALID(ts)) {
    GstClockTime end = gst_segment_to_running_time(&rt.segment, GST_FORMAT_TIME,
                                                   GST_CLOCK_TIME_IS_VALID(duration) ? ts + duration : ts);
    if (GST_CLOCK_TIME_IS_VALID(end) && end > rt.last_end) rt.last_end = end;
  }
  GST_LOG_OBJECT(self, "gap, stream time now %" GST_TIME_FORMAT, GST_TIME_ARGS(rt.last_end));
  if (s.trigger == Trigger::Interval && !rt.pending.empty() && trigger_due(self, s))
    run_trigger(self, s, "interval reached by a gap");
  ensure_src_ready(self, s.stream.mode);
  return gst_pad_push_event(self->srcpad, event);
}

static gboolean gst_rwkv_sink_event(GstPad* pad, GstObject* parent, GstEvent* event) {
  GstRwkv* self = GST_RWKV(parent);
  GST_LOG_OBJECT(self, "event %" GST_PTR_FORMAT, event);
  switch (GST_EVENT_TYPE(event)) {
    case GST_EVENT_FLUSH_START:
      self->flushing->store(true);  // aborts a generation in progress
      return gst_pad_event_default(pad, parent, event);
    case GST_EVENT_FLUSH_STOP: {
      std::lock_guard<std::mutex> lock(*self->work);
      self->flushing->store(false);
      // The state keeps what it has read; text waiting for a trigger is dropped with the flush.
      self->rt->pending.clear();
      self->rt->pending_start = self->rt->pending_end = GST_CLOCK_TIME_NONE;
      self->rt->segment_pushed = false;
      return gst_pad_event_default(pad, parent, event);
    }
    case GST_EVENT_CAPS: {
      GstCaps* caps;
      gst_event_parse_caps(event, &caps);
      std::lock_guard<std::mutex> lock(*self->work);
      const bool ok = set_input_caps(self, caps);
      gst_event_unref(event);
      return ok;
    }
    case GST_EVENT_SEGMENT: {
      const GstSegment* seg;
      gst_event_parse_segment(event, &seg);
      std::lock_guard<std::mutex> lock(*self->work);
      Runtime& rt = *self->rt;
      rt.timed = seg->format == GST_FORMAT_TIME;
      if (rt.timed) gst_segment_copy_into(seg, &rt.segment);
      else gst_segment_init(&rt.segment, GST_FORMAT_TIME);  // untimed input: our own time line
      rt.segment_pushed = false;
      gst_event_unref(event);
      return TRUE;  // pushed before the next output
    }
    case GST_EVENT_GAP: {
      std::lock_guard<std::mutex> lock(*self->work);
      return handle_gap(self, event);
    }
    case GST_EVENT_EOS: {
      {
        std::lock_guard<std::mutex> lock(*self->work);
        Runtime& rt = *self->rt;
        const Settings s = settings_snapshot(self);
        try {
          stream_of(self).flush();
        } catch (const std::exception& e) {
          GST_ELEMENT_WARNING(self, LIBRARY, FAILED, ("Could not read the last text"), ("%s", e.what()));
        }
        if (!rt.pending.empty()) run_trigger(self, s, "end of stream");
        if (!s.state_file.empty()) save_state(self, s.state_file);
        ensure_src_ready(self, s.stream.mode);
        post_summary(self);
      }
      return gst_pad_event_default(pad, parent, event);
    }
    case GST_EVENT_STREAM_START: {
      std::lock_guard<std::mutex> lock(*self->work);
      self->rt->stream_started = false;
      self->rt->vocab_error = false;
      return gst_pad_event_default(pad, parent, event);
    }
    default:
      return gst_pad_event_default(pad, parent, event);
  }
}

static gboolean gst_rwkv_src_query(GstPad* pad, GstObject* parent, GstQuery* query) {
  GstRwkv* self = GST_RWKV(parent);
  if (GST_QUERY_TYPE(query) == GST_QUERY_LATENCY) {
    if (!gst_pad_peer_query(self->sinkpad, query)) return FALSE;
    gboolean live;
    GstClockTime min, max;
    gst_query_parse_latency(query, &live, &min, &max);
    if (live) {
      GstClockTime ours;
      {
        std::lock_guard<std::mutex> lock(*self->work);
        ours = reported_latency(self);
      }
      min += ours;
      if (GST_CLOCK_TIME_IS_VALID(max)) max += ours;
      gst_query_set_latency(query, live, min, max);
      GST_DEBUG_OBJECT(self, "latency: ours %" GST_TIME_FORMAT ", total min %" GST_TIME_FORMAT, GST_TIME_ARGS(ours),
                       GST_TIME_ARGS(min));
    }
    return TRUE;
  }
  return gst_pad_query_default(pad, parent, query);
}

// ---- the element's thread: requested triggers and the silence trigger ------------------

static gpointer worker_loop(gpointer data) {
  GstRwkv* self = GST_RWKV(data);
  g_mutex_lock(&self->worker_lock);
  while (!self->worker_stop) {
    const bool requested = self->trigger_requested;
    self->trigger_requested = false;
    g_mutex_unlock(&self->worker_lock);
    gint64 deadline = -1;  // monotonic µs of the next silence check; -1: none
    {
      std::lock_guard<std::mutex> lock(*self->work);
      const Settings s = settings_snapshot(self);
      Runtime& rt = *self->rt;
      if (requested && !self->flushing->load()) run_trigger(self, s, "action signal");
      if (s.trigger == Trigger::Silence && !rt.pending.empty() && !self->flushing->load()) {
        const gint64 due = rt.last_arrival_us + gint64(s.interval / GST_USECOND);
        if (g_get_monotonic_time() >= due) run_trigger(self, s, "silence");
        else deadline = due;
      }
    }
    g_mutex_lock(&self->worker_lock);
    if (self->worker_stop || self->trigger_requested) continue;
    if (deadline < 0) g_cond_wait(&self->worker_cond, &self->worker_lock);
    else g_cond_wait_until(&self->worker_cond, &self->worker_lock, deadline);
  }
  g_mutex_unlock(&self->worker_lock);
  return nullptr;
}

static void start_worker(GstRwkv* self) {
  g_mutex_lock(&self->worker_lock);
  self->worker_stop = false;
  self->trigger_requested = false;
  g_mutex_unlock(&self->worker_lock);
  self->worker = g_thread_new("rwkv-worker", worker_loop, self);
}

static void stop_worker(GstRwkv* self) {
  g_mutex_lock(&self->worker_lock);
  self->worker_stop = true;
  g_cond_signal(&self->worker_cond);
  g_mutex_unlock(&self->worker_lock);
  if (self->worker) g_thread_join(self->worker);
  self->worker = nullptr;
}

// ---- action signals --------------------------------------------------------------------

// Returns at once: the element's thread answers and pushes (an action signal must not block
// an application's main loop, in PAUSED nor on a synchronised sink).
static void action_trigger(GstRwkv* self) {
  g_mutex_lock(&self->worker_lock);
  const bool running = !self->worker_stop;  // the thread runs from READY->PAUSED to PAUSED->READY
  if (running) {
    self->trigger_requested = true;
    g_cond_signal(&self->worker_cond);
  }
  g_mutex_unlock(&self->worker_lock);
  GST_DEBUG_OBJECT(self, running ? "trigger signal" : "trigger signal ignored: not PAUSED or PLAYING");
}

static void action_reset(GstRwkv* self) {
  std::lock_guard<std::mutex> lock(*self->work);
  if (!*self->stream) return;
  const Settings s = settings_snapshot(self);
  GST_DEBUG_OBJECT(self, "reset: initial state%s", s.stream.preamble.empty() ? "" : " and the preamble");
  try {
    stream_of(self).restart(s.stream.preamble, true);
  } catch (const std::exception& e) {
    GST_ELEMENT_WARNING(self, LIBRARY, FAILED, ("Could not read the preamble after a reset"), ("%s", e.what()));
  }
  self->rt->pending.clear();
  self->rt->pending_start = self->rt->pending_end = GST_CLOCK_TIME_NONE;
}

static gboolean action_save(GstRwkv* self, const gchar* path) {
  std::lock_guard<std::mutex> lock(*self->work);
  if (!*self->stream) return FALSE;
  std::string p = path ? path : "";
  if (p.empty()) {
    GST_OBJECT_LOCK(self);
    p = self->settings->state_file;
    GST_OBJECT_UNLOCK(self);
  }
  return !p.empty() && save_state(self, p);
}

static gboolean action_load(GstRwkv* self, const gchar* path) {
  std::lock_guard<std::mutex> lock(*self->work);
  if (!*self->stream || !path) return FALSE;
  try {
    stream_of(self).load(path);
    post_state_message(self, "rwkv-state-restored", path);
    return TRUE;
  } catch (const std::exception& e) {
    GST_ELEMENT_WARNING(self, RESOURCE, READ, ("Could not load the state from %s", path), ("%s", e.what()));
    return FALSE;
  }
}

// ---- state changes ---------------------------------------------------------------------

static void post_progress(GstRwkv* self, GstProgressType type, const char* text) {
  gst_element_post_message(GST_ELEMENT(self), gst_message_new_progress(GST_OBJECT(self), type, "load", text));
}

// Loads the model (shared) and its tokenizer, naming the file at fault when one fails: a
// missing file is RESOURCE/NOT_FOUND, as filesrc reports it. Caller holds `work`.
static bool load(GstRwkv* self, const Settings& settings) {
  Settings s = settings;
  if (s.model.empty()) s.model = rwkv::default_model_path();  // $RWKV_MODEL or the bundled model
  if (s.model.empty()) {
    GST_ELEMENT_ERROR(self, RESOURCE, NOT_FOUND, ("No model: set the `model` property to an RWKV checkpoint"),
                      ("neither RWKV_MODEL nor the bundled model (installed by meson install) is there"));
    return false;
  }
  if (!g_file_test(s.model.c_str(), G_FILE_TEST_EXISTS)) {
    GST_ELEMENT_ERROR(self, RESOURCE, NOT_FOUND, ("Model file \"%s\" not found", s.model.c_str()), (nullptr));
    return false;
  }
  const bool tokenizer_file = s.tokenizer != "auto" && s.tokenizer != "bytes";
  if (tokenizer_file && !g_file_test(s.tokenizer.c_str(), G_FILE_TEST_EXISTS)) {
    GST_ELEMENT_ERROR(self, RESOURCE, NOT_FOUND, ("Tokenizer file \"%s\" not found", s.tokenizer.c_str()), (nullptr));
    return false;
  }
  post_progress(self, GST_PROGRESS_TYPE_START, ("Loading " + s.model).c_str());
  std::shared_ptr<rwkv::Model> model;
  try {
    rwkv::LoadOptions opts;
    opts.device = s.device;
    opts.threads = s.threads;
    model = gstrwkv::shared_model(s.model, opts);
  } catch (const std::exception& e) {
    post_progress(self, GST_PROGRESS_TYPE_ERROR, "Loading failed");
    GST_ELEMENT_ERROR(self, RESOURCE, OPEN_READ, ("Could not load the model \"%s\"", s.model.c_str()), ("%s", e.what()));
    return false;
  }
  try {
    *self->stream = std::make_unique<gstrwkv::Stream>(model, s.tokenizer, s.model);
  } catch (const std::exception& e) {
    post_progress(self, GST_PROGRESS_TYPE_ERROR, "Loading failed");
    GST_ELEMENT_ERROR(self, RESOURCE, OPEN_READ, ("Could not load the tokenizer \"%s\" for the model \"%s\"",
                      s.tokenizer.c_str(), s.model.c_str()), ("%s", e.what()));
    return false;
  }
  *self->loaded = load_key(settings);
  post_progress(self, GST_PROGRESS_TYPE_COMPLETE, "Model loaded");
  GST_INFO_OBJECT(self, "model %s loaded (tokenizer %s, device %s)", s.model.c_str(), s.tokenizer.c_str(),
                  model->device().c_str());
  return true;
}

// A fresh stream (READY→PAUSED): a model whose load settings changed in READY is loaded
// again; the state comes from the state file when it exists, else the initial state with
// the preamble read; totals start from zero.
static bool begin_stream(GstRwkv* self) {
  std::lock_guard<std::mutex> lock(*self->work);
  const Settings s = settings_snapshot(self);
  if (!*self->stream || !(*self->loaded == load_key(s))) {
    GST_INFO_OBJECT(self, "loading settings changed in READY: loading again");
    if (!load(self, s)) return false;
  }
  if (!state_path_usable(self, s.state_file)) return false;
  *self->rt = Runtime();
  Runtime& rt = *self->rt;
  gst_segment_init(&rt.segment, GST_FORMAT_TIME);
  rt.last_save_us = g_get_monotonic_time();
  gstrwkv::Stream& st = stream_of(self);
  const bool restore = !s.state_file.empty() && g_file_test(s.state_file.c_str(), G_FILE_TEST_EXISTS);
  try {
    st.restart(restore ? std::string() : s.stream.preamble, false);  // a restored state has read it
  } catch (const std::exception& e) {
    GST_ELEMENT_ERROR(self, LIBRARY, FAILED, ("Could not read the preamble"), ("%s", e.what()));
    return false;
  }
  if (restore) {
    try {
      st.load(s.state_file);  // a state of another model is refused here
    } catch (const std::exception& e) {
      GST_ELEMENT_ERROR(self, RESOURCE, READ, ("Could not restore the state file \"%s\"", s.state_file.c_str()),
                        ("%s", e.what()));
      return false;
    }
    post_state_message(self, "rwkv-state-restored", s.state_file);
  }
  // latency=auto starts from what answering max-tokens would take at the measured step time.
  if (s.stream.mode != Mode::Score) {
    const double step = st.step_seconds();
    rt.auto_latency = GstClockTime(step * double(s.stream.max_tokens) * 1.25 * 1e9);
    GST_DEBUG_OBJECT(self, "one step %.3f ms: latency=auto starts at %" GST_TIME_FORMAT, step * 1e3,
                     GST_TIME_ARGS(rt.auto_latency));
  }
  return true;
}

static GstStateChangeReturn gst_rwkv_change_state(GstElement* element, GstStateChange transition) {
  GstRwkv* self = GST_RWKV(element);
  switch (transition) {
    case GST_STATE_CHANGE_NULL_TO_READY: {
      std::lock_guard<std::mutex> lock(*self->work);
      const Settings s = settings_snapshot(self);
      if (!state_path_usable(self, s.state_file) || !load(self, s)) return GST_STATE_CHANGE_FAILURE;
      break;
    }
    case GST_STATE_CHANGE_READY_TO_PAUSED:
      self->flushing->store(false);
      if (!begin_stream(self)) return GST_STATE_CHANGE_FAILURE;
      start_worker(self);
      break;
    case GST_STATE_CHANGE_PAUSED_TO_READY:
      self->flushing->store(true);  // unblocks a generation in progress
      break;
    default: break;
  }
  const GstStateChangeReturn ret = GST_ELEMENT_CLASS(gst_rwkv_parent_class)->change_state(element, transition);
  switch (transition) {
    case GST_STATE_CHANGE_PAUSED_TO_READY:
      stop_worker(self);
      break;
    case GST_STATE_CHANGE_READY_TO_NULL: {
      std::lock_guard<std::mutex> lock(*self->work);
      *self->rt = Runtime();
      self->stream->reset();
      break;
    }
    default: break;
  }
  return ret;
}

// ---- properties ------------------------------------------------------------------------

static std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (size_t i = 0; i < v.size(); i++) s += (i ? "," : "") + v[i];
  return s;
}

static void gst_rwkv_set_property(GObject* object, guint id, const GValue* value, GParamSpec* pspec) {
  GstRwkv* self = GST_RWKV(object);
  bool latency_changed = false;
  std::string state_file;
  GST_OBJECT_LOCK(self);
  Settings& s = *self->settings;
  auto str = [&] { return std::string(g_value_get_string(value) ? g_value_get_string(value) : ""); };
  switch (id) {
    case PROP_MODEL: s.model = str(); break;
    case PROP_TOKENIZER: s.tokenizer = str().empty() ? "auto" : str(); break;
    case PROP_DEVICE: s.device = str().empty() ? "auto" : str(); break;
    case PROP_THREADS: s.threads = g_value_get_int(value); break;
    case PROP_MODE:
      s.stream.mode = Mode(g_value_get_enum(value));
      self->reconfigured->store(true);
      break;
    case PROP_PROMPT: s.stream.prompt = gstrwkv::unescape(str()); break;
    case PROP_PREAMBLE: s.stream.preamble = gstrwkv::unescape(str()); break;
    case PROP_LABELS:
      s.stream.labels = gstrwkv::split_list(str());
      self->reconfigured->store(true);
      break;
    case PROP_TRIGGER: s.trigger = Trigger(g_value_get_enum(value)); break;
    case PROP_MAX_TEXT_BYTES: s.max_text_bytes = g_value_get_uint(value); break;
    case PROP_INTERVAL: s.interval = g_value_get_uint64(value); break;
    case PROP_MAX_TOKENS: s.stream.max_tokens = g_value_get_int(value); break;
    case PROP_STOP: s.stream.stop = gstrwkv::split_list(gstrwkv::unescape(str())); break;
    case PROP_TEMPERATURE: s.stream.sampling.temperature = float(g_value_get_double(value)); break;
    case PROP_TOP_P: s.stream.sampling.top_p = float(g_value_get_double(value)); break;
    case PROP_TOP_K: s.stream.sampling.top_k = g_value_get_int(value); break;
    case PROP_PRESENCE_PENALTY: s.stream.sampling.presence_penalty = float(g_value_get_double(value)); break;
    case PROP_FREQUENCY_PENALTY: s.stream.sampling.frequency_penalty = float(g_value_get_double(value)); break;
    case PROP_SEED: s.stream.sampling.seed = g_value_get_uint64(value); break;
    case PROP_STATE_FILE:
      s.state_file = str();
      state_file = s.state_file;
      break;
    case PROP_SAVE_INTERVAL: s.save_interval = g_value_get_uint(value); break;
    case PROP_SEPARATOR: s.separator = str() == kAutoSeparator ? str() : gstrwkv::unescape(str()); break;
    case PROP_LATENCY:
      latency_changed = s.latency != g_value_get_uint64(value);
      s.latency = g_value_get_uint64(value);
      break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec); break;
  }
  const bool running = GST_STATE(self) >= GST_STATE_READY;
  GST_OBJECT_UNLOCK(self);
  if (latency_changed) gst_element_post_message(GST_ELEMENT(self), gst_message_new_latency(GST_OBJECT(self)));
  if (running && !state_file.empty()) {  // checked now, not at the first save
    const std::string problem = state_path_problem(state_file);
    if (!problem.empty())
      GST_ELEMENT_WARNING(self, RESOURCE, OPEN_WRITE, ("Cannot write the state file \"%s\"", state_file.c_str()),
                          ("%s", problem.c_str()));
  }
  wake_worker(self);  // the trigger or the interval may have changed
}

static void gst_rwkv_get_property(GObject* object, guint id, GValue* value, GParamSpec* pspec) {
  GstRwkv* self = GST_RWKV(object);
  GST_OBJECT_LOCK(self);
  const Settings& s = *self->settings;
  switch (id) {
    case PROP_MODEL: g_value_set_string(value, s.model.c_str()); break;
    case PROP_TOKENIZER: g_value_set_string(value, s.tokenizer.c_str()); break;
    case PROP_DEVICE: g_value_set_string(value, s.device.c_str()); break;
    case PROP_THREADS: g_value_set_int(value, s.threads); break;
    case PROP_MODE: g_value_set_enum(value, int(s.stream.mode)); break;
    case PROP_PROMPT: g_value_set_string(value, s.stream.prompt.c_str()); break;
    case PROP_PREAMBLE: g_value_set_string(value, s.stream.preamble.c_str()); break;
    case PROP_LABELS: g_value_set_string(value, join(s.stream.labels).c_str()); break;
    case PROP_TRIGGER: g_value_set_enum(value, int(s.trigger)); break;
    case PROP_INTERVAL: g_value_set_uint64(value, s.interval); break;
    case PROP_MAX_TOKENS: g_value_set_int(value, s.stream.max_tokens); break;
    case PROP_STOP: g_value_set_string(value, join(s.stream.stop).c_str()); break;
    case PROP_TEMPERATURE: g_value_set_double(value, s.stream.sampling.temperature); break;
    case PROP_TOP_P: g_value_set_double(value, s.stream.sampling.top_p); break;
    case PROP_TOP_K: g_value_set_int(value, s.stream.sampling.top_k); break;
    case PROP_PRESENCE_PENALTY: g_value_set_double(value, s.stream.sampling.presence_penalty); break;
    case PROP_FREQUENCY_PENALTY: g_value_set_double(value, s.stream.sampling.frequency_penalty); break;
    case PROP_SEED: g_value_set_uint64(value, s.stream.sampling.seed); break;
    case PROP_STATE_FILE: g_value_set_string(value, s.state_file.c_str()); break;
    case PROP_SAVE_INTERVAL: g_value_set_uint(value, s.save_interval); break;
    case PROP_LATENCY: g_value_set_uint64(value, s.latency); break;
    case PROP_SEPARATOR: g_value_set_string(value, s.separator.c_str()); break;
    case PROP_MAX_TEXT_BYTES: g_value_set_uint(value, s.max_text_bytes); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec); break;
  }
  GST_OBJECT_UNLOCK(self);
}

// ---- class -----------------------------------------------------------------------------

static void gst_rwkv_finalize(GObject* object) {
  GstRwkv* self = GST_RWKV(object);
  delete self->stream;
  delete self->loaded;
  delete self->rt;
  delete self->settings;
  delete self->work;
  delete self->flushing;
  delete self->reconfigured;
  g_mutex_clear(&self->worker_lock);
  g_cond_clear(&self->worker_cond);
  G_OBJECT_CLASS(gst_rwkv_parent_class)->finalize(object);
}

static void gst_rwkv_init(GstRwkv* self) {
  self->settings = new Settings();
  self->rt = new Runtime();
  self->stream = new std::unique_ptr<gstrwkv::Stream>();
  self->loaded = new LoadKey();
  self->work = new std::mutex();
  self->flushing = new std::atomic<bool>(false);
  self->reconfigured = new std::atomic<bool>(false);
  self->worker = nullptr;
  self->worker_stop = true;  // no thread until READY->PAUSED
  self->trigger_requested = false;
  g_mutex_init(&self->worker_lock);
  g_cond_init(&self->worker_cond);
  gst_segment_init(&self->rt->segment, GST_FORMAT_TIME);

  self->sinkpad = gst_pad_new_from_static_template(&sink_template, "sink");
  gst_pad_set_chain_function(self->sinkpad, gst_rwkv_chain);
  gst_pad_set_event_function(self->sinkpad, gst_rwkv_sink_event);
  gst_element_add_pad(GST_ELEMENT(self), self->sinkpad);
  self->srcpad = gst_pad_new_from_static_template(&src_template, "src");
  gst_pad_set_query_function(self->srcpad, gst_rwkv_src_query);
  gst_pad_use_fixed_caps(self->srcpad);
  gst_element_add_pad(GST_ELEMENT(self), self->srcpad);
}

static void gst_rwkv_class_init(GstRwkvClass* klass) {
  GObjectClass* gobject_class = G_OBJECT_CLASS(klass);
  GstElementClass* element_class = GST_ELEMENT_CLASS(klass);
  gobject_class->set_property = gst_rwkv_set_property;
  gobject_class->get_property = gst_rwkv_get_property;
  gobject_class->finalize = gst_rwkv_finalize;
  element_class->change_state = gst_rwkv_change_state;

  const auto ready = GParamFlags(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY);
  const auto playing = GParamFlags(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_PLAYING);
  const gstrwkv::Settings d;
  g_object_class_install_property(gobject_class, PROP_MODEL,
      g_param_spec_string("model", "Model",
          "RWKV checkpoint: rwkv.cpp .bin, BlinkDL .pth, .safetensors or .gguf (empty: $RWKV_MODEL, else the "
          "bundled model of the installation)", "", ready));
  g_object_class_install_property(gobject_class, PROP_TOKENIZER,
      g_param_spec_string("tokenizer", "Tokenizer",
          "Tokenizer file (rwkv_vocab_v20230424.txt or 20B_tokenizer.json), or \"auto\": a file beside the model, "
          "the one inside a GGUF file, or bytes for 256-token models", "auto", ready));
  g_object_class_install_property(gobject_class, PROP_DEVICE,
      g_param_spec_string("device", "Device", "Where the model runs: auto, cpu, cuda or cuda:N", "auto", ready));
  g_object_class_install_property(gobject_class, PROP_THREADS,
      g_param_spec_int("threads", "Threads", "CPU threads for the model (0 = all cores)", 0, 1024, 0, ready));
  g_object_class_install_property(gobject_class, PROP_MODE,
      g_param_spec_enum("mode", "Mode", "What the element writes", GST_TYPE_RWKV_MODE, int(Mode::Score), playing));
  g_object_class_install_property(gobject_class, PROP_PROMPT,
      g_param_spec_string("prompt", "Prompt",
          "Template fed to a fork of the state at each trigger in respond/classify mode; {text} is the text since "
          "the last trigger (empty: a World chat turn \"\\n\\nUser: {text}\\n\\nAssistant:\")", "", playing));
  g_object_class_install_property(gobject_class, PROP_PREAMBLE,
      g_param_spec_string("preamble", "Preamble",
          "Text read into the state when the element starts (not when a state file is restored); \\n escapes work",
          "", ready));
  g_object_class_install_property(gobject_class, PROP_LABELS,
      g_param_spec_string("labels", "Labels", "Comma-separated labels ranked by log-probability in classify mode", "", playing));
  g_object_class_install_property(gobject_class, PROP_TRIGGER,
      g_param_spec_enum("trigger", "Trigger", "When continue/respond/classify produce output", GST_TYPE_RWKV_TRIGGER,
                        int(Trigger::Sentence), playing));
  g_object_class_install_property(gobject_class, PROP_INTERVAL,
      g_param_spec_uint64("interval", "Interval", "Stream time (trigger=interval) or silence (trigger=silence) in ns",
                          1, G_MAXUINT64, 5 * GST_SECOND, playing));
  g_object_class_install_property(gobject_class, PROP_MAX_TOKENS,
      g_param_spec_int("max-tokens", "Max tokens", "Most tokens generated per trigger", 1, 1 << 20, d.max_tokens, playing));
  g_object_class_install_property(gobject_class, PROP_STOP,
      g_param_spec_string("stop", "Stop sequences",
          "Comma-separated sequences that end a generation (\\n escapes work; empty: \"\\n\\n\" in respond mode)", "",
          playing));
  g_object_class_install_property(gobject_class, PROP_TEMPERATURE,
      g_param_spec_double("temperature", "Temperature", "Sampling temperature (0 = greedy)", 0, 10, d.sampling.temperature, playing));
  g_object_class_install_property(gobject_class, PROP_TOP_P,
      g_param_spec_double("top-p", "Top p", "Nucleus sampling: keep the most likely tokens up to this probability mass", 0, 1,
                          d.sampling.top_p, playing));
  g_object_class_install_property(gobject_class, PROP_TOP_K,
      g_param_spec_int("top-k", "Top k", "Keep only the k most likely tokens (0 = all)", 0, G_MAXINT, d.sampling.top_k, playing));
  g_object_class_install_property(gobject_class, PROP_PRESENCE_PENALTY,
      g_param_spec_double("presence-penalty", "Presence penalty", "Subtracted from the logit of every token already generated",
                          -10, 10, d.sampling.presence_penalty, playing));
  g_object_class_install_property(gobject_class, PROP_FREQUENCY_PENALTY,
      g_param_spec_double("frequency-penalty", "Frequency penalty",
                          "Subtracted from a token's logit once per time it was generated", -10, 10,
                          d.sampling.frequency_penalty, playing));
  g_object_class_install_property(gobject_class, PROP_SEED,
      g_param_spec_uint64("seed", "Seed", "Random seed for sampling", 0, G_MAXUINT64, d.sampling.seed, playing));
  g_object_class_install_property(gobject_class, PROP_STATE_FILE,
      g_param_spec_string("state-file", "State file",
          "Restored at start if it exists (refused if it belongs to another model); saved atomically at EOS, on "
          "save-state and every save-interval seconds", "", playing));
  g_object_class_install_property(gobject_class, PROP_SAVE_INTERVAL,
      g_param_spec_uint("save-interval", "Save interval", "Seconds between state-file saves while running (0 = off)",
                        0, G_MAXUINT, 0, playing));
  g_object_class_install_property(gobject_class, PROP_LATENCY,
      g_param_spec_uint64("latency", "Latency",
          "Latency in ns added to upstream's in live pipelines (the time to answer). Default (18446744073709551615 = "
          "auto): measured, starting from max-tokens times one step and raised (with a LATENCY message) when an "
          "answer takes longer; a fixed value warns once when an answer takes longer",
          0, G_MAXUINT64, kAutoLatency, playing));

  g_object_class_install_property(gobject_class, PROP_SEPARATOR,
      g_param_spec_string("separator", "Separator",
          "Read after each input buffer that does not end in white space, so that words of whole-unit buffers "
          "(subtitle cues, transcript lines) do not run together. \"auto\": a space after timed buffers, nothing "
          "after untimed ones (bytes of a file or socket); empty: nothing; \\n escapes work", kAutoSeparator,
          playing));
  g_object_class_install_property(gobject_class, PROP_MAX_TEXT_BYTES,
      g_param_spec_uint("max-text-bytes", "Max text bytes",
          "Most bytes of the text since the last trigger put into a respond/classify prompt (the newest; the state "
          "has read all of it)", 1, G_MAXINT, kDefaultMaxTextBytes, playing));

  signals[SIGNAL_TRIGGER] = g_signal_new_class_handler("trigger", G_TYPE_FROM_CLASS(klass),
      GSignalFlags(G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION), G_CALLBACK(action_trigger), nullptr, nullptr, nullptr, G_TYPE_NONE, 0);
  signals[SIGNAL_RESET] = g_signal_new_class_handler("reset", G_TYPE_FROM_CLASS(klass),
      GSignalFlags(G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION), G_CALLBACK(action_reset), nullptr, nullptr, nullptr, G_TYPE_NONE, 0);
  signals[SIGNAL_SAVE_STATE] = g_signal_new_class_handler("save-state", G_TYPE_FROM_CLASS(klass),
      GSignalFlags(G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION), G_CALLBACK(action_save), nullptr, nullptr, nullptr,
      G_TYPE_BOOLEAN, 1, G_TYPE_STRING);
  signals[SIGNAL_LOAD_STATE] = g_signal_new_class_handler("load-state", G_TYPE_FROM_CLASS(klass),
      GSignalFlags(G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION), G_CALLBACK(action_load), nullptr, nullptr, nullptr,
      G_TYPE_BOOLEAN, 1, G_TYPE_STRING);

  gst_element_class_add_static_pad_template(element_class, &sink_template);
  gst_element_class_add_static_pad_template(element_class, &src_template);
  gst_element_class_set_static_metadata(element_class, "RWKV language model", "Filter/Text",
      "Reads a text or token stream into an RWKV model's recurrent state and scores, continues, answers or "
      "classifies it", "gst-rwkv");
  // What gst-inspect shows beside the properties: the element's messages and life cycle.
  gst_element_class_add_static_metadata(element_class, "messages",
      "rwkv-score (score mode, per buffer; also the buffer's GstRwkvScoreMeta): running-time, tokens, bytes, "
      "logprob (nats), bits-per-byte, least-likely-word (at most 64 bytes), least-likely-logprob. rwkv-classify "
      "(per trigger): running-time, label, scores (name, logprob). rwkv-summary (at EOS): tokens, bytes, logprob, "
      "bits-per-byte of the input since the stream started. rwkv-state-saved, rwkv-state-restored: path, tokens, "
      "bytes. Progress messages while loading; LATENCY when the reported latency changes.");
  gst_element_class_add_static_metadata(element_class, "life-cycle",
      "NULL->READY loads the model (shared per file and device) and checks the configuration. READY->PAUSED starts "
      "a fresh stream: the state-file if it exists, else the initial state with the preamble read; totals from "
      "zero. model, tokenizer, device, threads, preamble set in READY apply from there. A trigger with nothing to "
      "answer gives no output (a GAP). The trigger signal returns at once; the element's thread answers. reset "
      "goes back to the initial state with the preamble.");
  gst_type_mark_as_plugin_api(GST_TYPE_RWKV_MODE, GstPluginAPIFlags(0));
  gst_type_mark_as_plugin_api(GST_TYPE_RWKV_TRIGGER, GstPluginAPIFlags(0));
  GST_DEBUG_CATEGORY_INIT(gst_rwkv_debug, "rwkv", 0, "RWKV language model element");
}
