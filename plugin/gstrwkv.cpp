// The rwkv element. GStreamer concerns live here (pads, caps, events, time, properties,
// messages); everything the model does is in Stream (rwkv_stream.h) over the engine's
// session API.
#include "gstrwkv.h"

#include <algorithm>
#include <atomic>
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

struct Settings {
  std::string model, tokenizer = "auto", device = "auto", state_file, separator;
  int threads = 0;
  gstrwkv::Settings stream;
  Trigger trigger = Trigger::Sentence;
  GstClockTime interval = 5 * GST_SECOND;
  GstClockTime latency = 0;
  guint save_interval = 0;  // seconds; 0 = only on EOS and save-state
};

// What the element holds while running; reset on READY.
struct Runtime {
  std::unique_ptr<gstrwkv::Stream> stream;
  GstSegment segment;
  bool timed = false;            // the input segment is in TIME
  InputFormat format = INPUT_UTF8;
  bool src_caps_set = false, segment_pushed = false;
  std::string pending;           // text since the last trigger
  GstClockTime pending_start = GST_CLOCK_TIME_NONE, pending_end = GST_CLOCK_TIME_NONE;
  GstClockTime last_end = 0;     // running time of the newest input
  GstClockTime last_trigger = GST_CLOCK_TIME_NONE;
  gint64 last_arrival_us = 0;    // monotonic, for the silence trigger
  gint64 last_save_us = 0;
  bool warned_utf8 = false;
  std::string utf8_carry;        // an unfinished UTF-8 sequence at the end of the last buffer
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

// Text since the last trigger, which respond and classify put into their prompt: the newest
// kPendingBytes of it (the state has read all of it anyway).
constexpr size_t kPendingBytes = 1 << 16;
void append_pending(Runtime& rt, std::string_view text) {
  rt.pending += text;
  if (rt.pending.size() > 2 * kPendingBytes) {
    size_t cut = rt.pending.size() - kPendingBytes;
    while (cut < rt.pending.size() && (static_cast<unsigned char>(rt.pending[cut]) & 0xc0) == 0x80) cut++;
    rt.pending.erase(0, cut);
  }
}

}  // namespace

struct _GstRwkv {
  GstElement parent;
  GstPad* sinkpad;
  GstPad* srcpad;
  Settings* settings;  // guarded by the object lock
  Runtime* rt;         // guarded by work
  std::mutex* work;    // one of chain / action signal / silence timer at a time
  std::atomic<bool>* flushing;
  // Silence trigger: a thread that wakes when input has paused for `interval`.
  GThread* timer;
  GMutex timer_lock;
  GCond timer_cond;
  bool timer_stop;
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
      {int(Trigger::Interval), "Every `interval` of stream time", "interval"},
      {int(Trigger::Silence), "After `interval` without input (live streams)", "silence"},
      {int(Trigger::Eos), "At end of stream only", "eos"},
      {int(Trigger::Manual), "Only when the `trigger` action signal is emitted", "manual"},
      {0, nullptr, nullptr}};
  if (g_once_init_enter(&type)) g_once_init_leave(&type, g_enum_register_static("GstRwkvTrigger", values));
  return type;
}

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

static bool ensure_src_ready(GstRwkv* self) {
  Runtime& rt = *self->rt;
  if (!rt.src_caps_set) {
    GstEvent* started = gst_pad_get_sticky_event(self->srcpad, GST_EVENT_STREAM_START, 0);
    if (started) {
      gst_event_unref(started);
    } else {  // upstream sent no stream-start: start our own stream
      gchar* id = gst_pad_create_stream_id(self->srcpad, GST_ELEMENT(self), "text");
      gst_pad_push_event(self->srcpad, gst_event_new_stream_start(id));
      g_free(id);
    }
    if (!gst_pad_has_current_caps(self->srcpad)) {  // no caps arrived (pocketsphinx sends none)
      GstCaps* caps = gst_caps_new_simple("text/x-raw", "format", G_TYPE_STRING, "utf8", nullptr);
      gst_pad_push_event(self->srcpad, gst_event_new_caps(caps));
      gst_caps_unref(caps);
    }
    rt.src_caps_set = true;
  }
  if (!rt.segment_pushed) {
    gst_pad_push_event(self->srcpad, gst_event_new_segment(&rt.segment));
    rt.segment_pushed = true;
  }
  return true;
}

static GstFlowReturn push_text(GstRwkv* self, const std::string& text, GstClockTime start, GstClockTime end) {
  ensure_src_ready(self);
  GstBuffer* buf = gst_buffer_new_memdup(text.data(), text.size());
  const GstClockTime pts = output_position(self, end);
  GST_BUFFER_PTS(buf) = pts;
  GST_BUFFER_DURATION(buf) = (GST_CLOCK_TIME_IS_VALID(start) && end > start) ? end - start : kDefaultDuration;
  GST_DEBUG_OBJECT(self, "output at %" GST_TIME_FORMAT ": %s", GST_TIME_ARGS(pts), text.c_str());
  return gst_pad_push(self->srcpad, buf);
}

static void push_gap(GstRwkv* self, GstClockTime start, GstClockTime end) {
  if (!GST_CLOCK_TIME_IS_VALID(start)) return;
  ensure_src_ready(self);
  const GstClockTime pos = output_position(self, start);
  gst_pad_push_event(self->srcpad, gst_event_new_gap(pos, end > start ? end - start : 0));
}

static void post_structure(GstRwkv* self, GstStructure* s) {
  gst_element_post_message(GST_ELEMENT(self), gst_message_new_element(GST_OBJECT(self), s));
}

// ---- state file ------------------------------------------------------------------------

// Posts NAME with the state file's path and the stream position it holds.
static void post_state_message(GstRwkv* self, const char* name, const std::string& path) {
  const gstrwkv::Stream& st = *self->rt->stream;
  post_structure(self, gst_structure_new(name, "path", G_TYPE_STRING, path.c_str(), "tokens", G_TYPE_UINT64,
                                         guint64(st.tokens_read()), "bytes", G_TYPE_UINT64, guint64(st.bytes_read()),
                                         nullptr));
}

static bool save_state(GstRwkv* self, const std::string& path) {
  try {
    self->rt->stream->save(path);
    self->rt->last_save_us = g_get_monotonic_time();
    GST_INFO_OBJECT(self, "state saved to %s", path.c_str());
    post_state_message(self, "rwkv-state-saved", path);
    return true;
  } catch (const std::exception& e) {
    GST_ELEMENT_WARNING(self, RESOURCE, WRITE, ("Could not save the state to %s", path.c_str()), ("%s", e.what()));
    return false;
  }
}

static void maybe_save_periodically(GstRwkv* self) {
  std::string path;
  guint every;
  GST_OBJECT_LOCK(self);
  path = self->settings->state_file;
  every = self->settings->save_interval;
  GST_OBJECT_UNLOCK(self);
  if (path.empty() || every == 0) return;
  if (g_get_monotonic_time() - self->rt->last_save_us >= gint64(every) * G_USEC_PER_SEC) save_state(self, path);
}

// ---- triggers --------------------------------------------------------------------------

static gstrwkv::Settings stream_settings(GstRwkv* self) {
  GST_OBJECT_LOCK(self);
  gstrwkv::Settings s = self->settings->stream;
  GST_OBJECT_UNLOCK(self);
  return s;
}

// Answers the pending text per the mode and pushes the answer. Caller holds `work`.
static GstFlowReturn run_trigger(GstRwkv* self) {
  Runtime& rt = *self->rt;
  const gstrwkv::Settings s = stream_settings(self);
  if (s.mode == Mode::Score) return GST_FLOW_OK;
  gstrwkv::Answer a;
  try {
    a = rt.stream->answer(s, rt.pending, *self->flushing);
  } catch (const std::exception& e) {
    GST_ELEMENT_ERROR(self, LIBRARY, FAILED, ("Generation failed"), ("%s", e.what()));
    return GST_FLOW_ERROR;
  }
  if (a.aborted) return GST_FLOW_FLUSHING;
  const GstClockTime start = rt.pending_start, end = GST_CLOCK_TIME_IS_VALID(rt.pending_end) ? rt.pending_end : rt.last_end;
  rt.pending.clear();
  rt.pending_start = rt.pending_end = GST_CLOCK_TIME_NONE;
  rt.last_trigger = end;
  if (s.mode == Mode::Classify) {
    GstStructure* st = gst_structure_new("rwkv-classify", "running-time", G_TYPE_UINT64, guint64(end), "label",
                                         G_TYPE_STRING, a.text.c_str(), nullptr);
    GValue list = G_VALUE_INIT, item = G_VALUE_INIT;
    gst_value_list_init(&list, guint(a.labels.size()));
    for (const auto& [label, logprob] : a.labels) {
      GstStructure* ls = gst_structure_new("label", "name", G_TYPE_STRING, label.c_str(), "logprob",
                                           G_TYPE_DOUBLE, logprob, nullptr);
      g_value_init(&item, GST_TYPE_STRUCTURE);
      gst_value_set_structure(&item, ls);
      gst_structure_free(ls);
      gst_value_list_append_and_take_value(&list, &item);
      item = G_VALUE_INIT;
    }
    gst_structure_take_value(st, "scores", &list);
    post_structure(self, st);
  }
  if (a.text.empty()) return GST_FLOW_OK;
  return push_text(self, a.text, start, end);
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

static bool trigger_due(GstRwkv* self) {
  Runtime& rt = *self->rt;
  GST_OBJECT_LOCK(self);
  const Trigger t = self->settings->trigger;
  const GstClockTime interval = self->settings->interval;
  GST_OBJECT_UNLOCK(self);
  switch (t) {
    case Trigger::Buffer: return true;
    case Trigger::Sentence: return sentence_ended(rt.pending);
    case Trigger::Interval: {
      if (!GST_CLOCK_TIME_IS_VALID(rt.last_trigger)) rt.last_trigger = rt.pending_start;
      return GST_CLOCK_TIME_IS_VALID(rt.last_trigger) && rt.last_end >= rt.last_trigger + interval;
    }
    default: return false;
  }
}

// ---- input -----------------------------------------------------------------------------

static GstFlowReturn handle_input(GstRwkv* self, GstBuffer* buf) {
  Runtime& rt = *self->rt;
  if (self->flushing->load()) return GST_FLOW_FLUSHING;

  // Time span of this buffer, in running time.
  GstClockTime start, end;
  if (rt.timed && GST_BUFFER_PTS_IS_VALID(buf)) {
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
  // Buffers that are whole units (subtitle cues) can be kept apart: the separator is read
  // after one that does not end in white space, so words of adjacent cues do not run together.
  std::string separator;
  GST_OBJECT_LOCK(self);
  separator = self->settings->separator;
  GST_OBJECT_UNLOCK(self);
  if (rt.format == INPUT_TOKENS || text.empty() || g_ascii_isspace(text.back())) separator.clear();

  // Between slices of a long buffer: periodic saves go on, and a flush stops the reading.
  const auto between = [self] {
    maybe_save_periodically(self);
    return !self->flushing->load();
  };
  const gstrwkv::Settings s = stream_settings(self);
  gstrwkv::Score score;
  std::vector<uint32_t> tokens;
  try {
    if (rt.format == INPUT_TOKENS) {
      tokens.resize(map.size / 4);
      for (size_t i = 0; i < tokens.size(); i++) tokens[i] = GST_READ_UINT32_LE(map.data + 4 * i);
      score = rt.stream->ingest_tokens(tokens, between);
    } else {
      score = rt.stream->ingest(text, between);
      if (!score.aborted) score += rt.stream->ingest(separator);
    }
  } catch (const std::exception& e) {
    GST_ELEMENT_ERROR(self, LIBRARY, FAILED, ("The model could not read the input"), ("%s", e.what()));
    return GST_FLOW_ERROR;
  }
  if (score.aborted) return GST_FLOW_FLUSHING;
  maybe_save_periodically(self);

  if (s.mode == Mode::Score) {
    // GstStructure strings must be UTF-8; the input (and so the word) may not be.
    gchar* word = g_utf8_make_valid(score.least_likely_word.data(), gssize(score.least_likely_word.size()));
    GstStructure* st = gst_structure_new("rwkv-score", "running-time", G_TYPE_UINT64, guint64(end), "tokens",
                                         G_TYPE_UINT, guint(score.tokens), "bytes", G_TYPE_UINT, guint(score.bytes),
                                         "logprob", G_TYPE_DOUBLE, score.logprob, "bits-per-byte", G_TYPE_DOUBLE,
                                         score.bits_per_byte(), "least-likely-word", G_TYPE_STRING,
                                         word, "least-likely-logprob", G_TYPE_DOUBLE,
                                         score.least_likely_logprob, nullptr);
    buf = gst_buffer_make_writable(gst_buffer_ref(buf));
    GstCustomMeta* meta = gst_buffer_add_custom_meta(buf, "GstRwkvScoreMeta");
    GstStructure* ms = gst_custom_meta_get_structure(meta);
    gst_structure_set(ms, "tokens", G_TYPE_UINT, guint(score.tokens), "logprob", G_TYPE_DOUBLE, score.logprob,
                      "bits-per-byte", G_TYPE_DOUBLE, score.bits_per_byte(), "least-likely-word", G_TYPE_STRING,
                      word, nullptr);
    g_free(word);
    post_structure(self, st);
    if (!GST_BUFFER_PTS_IS_VALID(buf) || !rt.timed) {
      GST_BUFFER_PTS(buf) = output_position(self, end);
      if (!GST_BUFFER_DURATION_IS_VALID(buf)) GST_BUFFER_DURATION(buf) = kDefaultDuration;
    }
    ensure_src_ready(self);
    return gst_pad_push(self->srcpad, buf);
  }

  if (rt.format != INPUT_TOKENS) {
    append_pending(rt, text);
    append_pending(rt, separator);
  } else {
    const size_t from = tokens.size() - std::min(tokens.size(), kPendingBytes);  // ids are a byte or more
    append_pending(rt, rt.stream->detokenize(std::vector<uint32_t>(tokens.begin() + std::ptrdiff_t(from), tokens.end())));
  }
  if (!GST_CLOCK_TIME_IS_VALID(rt.pending_start)) rt.pending_start = start;
  rt.pending_end = end;
  if (trigger_due(self)) return run_trigger(self);
  push_gap(self, start, end);
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
  g_mutex_lock(&self->timer_lock);
  g_cond_signal(&self->timer_cond);
  g_mutex_unlock(&self->timer_lock);
  return ret;
}

// ---- events and queries ----------------------------------------------------------------

static bool set_input_caps(GstRwkv* self, GstCaps* caps) {
  Runtime& rt = *self->rt;
  const GstStructure* s = gst_caps_get_structure(caps, 0);
  const gchar* name = gst_structure_get_name(s);
  GstCaps* out = nullptr;
  if (g_str_equal(name, "application/x-rwkv-tokens")) {
    const gchar* vocab = gst_structure_get_string(s, "vocabulary");
    const std::string ours = rt.stream->vocabulary();
    if (vocab && ours != vocab) {
      GST_ELEMENT_ERROR(self, STREAM, WRONG_TYPE, ("Token stream of vocabulary '%s', but the model's tokenizer is '%s'", vocab, ours.c_str()), (nullptr));
      return false;
    }
    rt.format = INPUT_TOKENS;
  } else {
    const gchar* fmt = gst_structure_get_string(s, "format");
    rt.format = fmt && g_str_equal(fmt, "pango-markup") ? INPUT_MARKUP : INPUT_UTF8;

  }
  GST_OBJECT_LOCK(self);
  const Mode mode = self->settings->stream.mode;
  GST_OBJECT_UNLOCK(self);
  if (mode == Mode::Score && rt.format == INPUT_TOKENS) out = gst_caps_copy(caps);
  else if (mode == Mode::Score && rt.format == INPUT_MARKUP)
    out = gst_caps_new_simple("text/x-raw", "format", G_TYPE_STRING, "pango-markup", nullptr);
  else out = gst_caps_new_simple("text/x-raw", "format", G_TYPE_STRING, "utf8", nullptr);
  const bool ok = gst_pad_push_event(self->srcpad, gst_event_new_caps(out));
  gst_caps_unref(out);
  rt.src_caps_set = true;
  return ok || true;  // downstream may not be linked yet (harness); caps stay sticky
}

static void post_summary(GstRwkv* self) {
  const gstrwkv::Totals t = self->rt->stream->totals();
  post_structure(self, gst_structure_new("rwkv-summary", "tokens", G_TYPE_UINT64, guint64(t.tokens), "bytes",
                                         G_TYPE_UINT64, guint64(t.bytes), "logprob", G_TYPE_DOUBLE, t.logprob,
                                         "bits-per-byte", G_TYPE_DOUBLE, t.bits_per_byte(), nullptr));
}

static gboolean gst_rwkv_sink_event(GstPad* pad, GstObject* parent, GstEvent* event) {
  GstRwkv* self = GST_RWKV(parent);
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
      // No text for a while: pass the gap on (sparse streams downstream keep moving).
      std::lock_guard<std::mutex> lock(*self->work);
      ensure_src_ready(self);
      return gst_pad_push_event(self->srcpad, event);
    }
    case GST_EVENT_EOS: {
      {
        std::lock_guard<std::mutex> lock(*self->work);
        Runtime& rt = *self->rt;
        try {
          rt.stream->flush();
        } catch (const std::exception& e) {
          GST_ELEMENT_WARNING(self, LIBRARY, FAILED, ("Could not read the last text"), ("%s", e.what()));
        }
        if (!rt.pending.empty()) run_trigger(self);
        std::string path;
        GST_OBJECT_LOCK(self);
        path = self->settings->state_file;
        GST_OBJECT_UNLOCK(self);
        if (!path.empty()) save_state(self, path);
        ensure_src_ready(self);
        post_summary(self);
      }
      return gst_pad_event_default(pad, parent, event);
    }
    case GST_EVENT_STREAM_START:
      self->rt->src_caps_set = false;
      return gst_pad_event_default(pad, parent, event);
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
      GST_OBJECT_LOCK(self);
      const GstClockTime ours = self->settings->latency;
      GST_OBJECT_UNLOCK(self);
      min += ours;
      if (GST_CLOCK_TIME_IS_VALID(max)) max += ours;
      gst_query_set_latency(query, live, min, max);
    }
    return TRUE;
  }
  return gst_pad_query_default(pad, parent, query);
}

// ---- silence trigger -------------------------------------------------------------------

static gpointer timer_loop(gpointer data) {
  GstRwkv* self = GST_RWKV(data);
  g_mutex_lock(&self->timer_lock);
  while (!self->timer_stop) {
    GST_OBJECT_LOCK(self);
    const bool silence = self->settings->trigger == Trigger::Silence;
    const gint64 interval_us = gint64(self->settings->interval / GST_USECOND);
    GST_OBJECT_UNLOCK(self);
    const gint64 now = g_get_monotonic_time();
    gint64 wake = now + 100 * 1000;
    if (silence) {
      std::unique_lock<std::mutex> lock(*self->work, std::try_to_lock);
      if (lock.owns_lock()) {
        Runtime& rt = *self->rt;
        if (!rt.pending.empty() && rt.stream && now - rt.last_arrival_us >= interval_us) {
          g_mutex_unlock(&self->timer_lock);
          run_trigger(self);
          g_mutex_lock(&self->timer_lock);
        } else if (!rt.pending.empty()) {
          wake = std::min(wake, rt.last_arrival_us + interval_us);
        }
      }
    }
    if (!self->timer_stop) g_cond_wait_until(&self->timer_cond, &self->timer_lock, wake);
  }
  g_mutex_unlock(&self->timer_lock);
  return nullptr;
}

// ---- action signals --------------------------------------------------------------------

static void action_trigger(GstRwkv* self) {
  std::lock_guard<std::mutex> lock(*self->work);
  if (self->rt->stream) run_trigger(self);
}

static void action_reset(GstRwkv* self) {
  std::lock_guard<std::mutex> lock(*self->work);
  if (!self->rt->stream) return;
  self->rt->stream->reset();
  self->rt->pending.clear();
}

static gboolean action_save(GstRwkv* self, const gchar* path) {
  std::lock_guard<std::mutex> lock(*self->work);
  if (!self->rt->stream) return FALSE;
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
  if (!self->rt->stream || !path) return FALSE;
  try {
    self->rt->stream->load(path);
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

static bool start(GstRwkv* self) {
  Settings s;
  GST_OBJECT_LOCK(self);
  s = *self->settings;
  GST_OBJECT_UNLOCK(self);
  if (s.model.empty()) {
    GST_ELEMENT_ERROR(self, RESOURCE, NOT_FOUND, ("No model: set the `model` property to an RWKV checkpoint"), (nullptr));
    return false;
  }
  post_progress(self, GST_PROGRESS_TYPE_START, ("Loading " + s.model).c_str());
  try {
    rwkv::LoadOptions opts;
    opts.device = s.device;
    opts.threads = s.threads;
    auto model = gstrwkv::shared_model(s.model, opts);
    auto stream = std::make_unique<gstrwkv::Stream>(model, s.tokenizer, s.model);
    bool restored = false;
    if (!s.state_file.empty() && g_file_test(s.state_file.c_str(), G_FILE_TEST_EXISTS)) {
      stream->load(s.state_file);  // a state of another model is refused here
      restored = true;
    }
    if (!restored && !s.stream.preamble.empty()) stream->ingest(s.stream.preamble);
    std::lock_guard<std::mutex> lock(*self->work);
    *self->rt = Runtime();
    gst_segment_init(&self->rt->segment, GST_FORMAT_TIME);
    self->rt->stream = std::move(stream);
    self->rt->last_save_us = g_get_monotonic_time();
    if (restored) post_state_message(self, "rwkv-state-restored", s.state_file);
  } catch (const std::exception& e) {
    post_progress(self, GST_PROGRESS_TYPE_ERROR, "Loading failed");
    GST_ELEMENT_ERROR(self, RESOURCE, OPEN_READ, ("Could not start RWKV with model %s", s.model.c_str()), ("%s", e.what()));
    return false;
  }
  post_progress(self, GST_PROGRESS_TYPE_COMPLETE, "Model loaded");
  return true;
}

static GstStateChangeReturn gst_rwkv_change_state(GstElement* element, GstStateChange transition) {
  GstRwkv* self = GST_RWKV(element);
  switch (transition) {
    case GST_STATE_CHANGE_NULL_TO_READY:
      if (!start(self)) return GST_STATE_CHANGE_FAILURE;
      break;
    case GST_STATE_CHANGE_READY_TO_PAUSED:
      self->flushing->store(false);
      self->timer_stop = false;
      self->timer = g_thread_new("rwkv-silence", timer_loop, self);
      break;
    case GST_STATE_CHANGE_PAUSED_TO_READY:
      self->flushing->store(true);  // unblocks a generation in progress
      break;
    default: break;
  }
  const GstStateChangeReturn ret = GST_ELEMENT_CLASS(gst_rwkv_parent_class)->change_state(element, transition);
  switch (transition) {
    case GST_STATE_CHANGE_PAUSED_TO_READY:
      g_mutex_lock(&self->timer_lock);
      self->timer_stop = true;
      g_cond_signal(&self->timer_cond);
      g_mutex_unlock(&self->timer_lock);
      if (self->timer) g_thread_join(self->timer);
      self->timer = nullptr;
      break;
    case GST_STATE_CHANGE_READY_TO_NULL: {
      std::lock_guard<std::mutex> lock(*self->work);
      *self->rt = Runtime();
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
  GST_OBJECT_LOCK(self);
  Settings& s = *self->settings;
  auto str = [&] { return std::string(g_value_get_string(value) ? g_value_get_string(value) : ""); };
  switch (id) {
    case PROP_MODEL: s.model = str(); break;
    case PROP_TOKENIZER: s.tokenizer = str().empty() ? "auto" : str(); break;
    case PROP_DEVICE: s.device = str().empty() ? "auto" : str(); break;
    case PROP_THREADS: s.threads = g_value_get_int(value); break;
    case PROP_MODE: s.stream.mode = Mode(g_value_get_enum(value)); break;
    case PROP_PROMPT: s.stream.prompt = gstrwkv::unescape(str()); break;
    case PROP_PREAMBLE: s.stream.preamble = gstrwkv::unescape(str()); break;
    case PROP_LABELS: s.stream.labels = gstrwkv::split_list(str()); break;
    case PROP_TRIGGER: s.trigger = Trigger(g_value_get_enum(value)); break;
    case PROP_INTERVAL: s.interval = g_value_get_uint64(value); break;
    case PROP_MAX_TOKENS: s.stream.max_tokens = g_value_get_int(value); break;
    case PROP_STOP: s.stream.stop = gstrwkv::split_list(gstrwkv::unescape(str())); break;
    case PROP_TEMPERATURE: s.stream.sampling.temperature = float(g_value_get_double(value)); break;
    case PROP_TOP_P: s.stream.sampling.top_p = float(g_value_get_double(value)); break;
    case PROP_TOP_K: s.stream.sampling.top_k = g_value_get_int(value); break;
    case PROP_PRESENCE_PENALTY: s.stream.sampling.presence_penalty = float(g_value_get_double(value)); break;
    case PROP_FREQUENCY_PENALTY: s.stream.sampling.frequency_penalty = float(g_value_get_double(value)); break;
    case PROP_SEED: s.stream.sampling.seed = g_value_get_uint64(value); break;
    case PROP_STATE_FILE: s.state_file = str(); break;
    case PROP_SAVE_INTERVAL: s.save_interval = g_value_get_uint(value); break;
    case PROP_SEPARATOR: s.separator = gstrwkv::unescape(str()); break;
    case PROP_LATENCY:
      latency_changed = s.latency != g_value_get_uint64(value);
      s.latency = g_value_get_uint64(value);
      break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec); break;
  }
  GST_OBJECT_UNLOCK(self);
  if (latency_changed) gst_element_post_message(GST_ELEMENT(self), gst_message_new_latency(GST_OBJECT(self)));
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
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec); break;
  }
  GST_OBJECT_UNLOCK(self);
}

// ---- class -----------------------------------------------------------------------------

static void gst_rwkv_finalize(GObject* object) {
  GstRwkv* self = GST_RWKV(object);
  delete self->rt;
  delete self->settings;
  delete self->work;
  delete self->flushing;
  g_mutex_clear(&self->timer_lock);
  g_cond_clear(&self->timer_cond);
  G_OBJECT_CLASS(gst_rwkv_parent_class)->finalize(object);
}

static void gst_rwkv_init(GstRwkv* self) {
  self->settings = new Settings();
  self->rt = new Runtime();
  self->work = new std::mutex();
  self->flushing = new std::atomic<bool>(false);
  self->timer = nullptr;
  self->timer_stop = false;
  g_mutex_init(&self->timer_lock);
  g_cond_init(&self->timer_cond);
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
      g_param_spec_string("model", "Model", "RWKV checkpoint: rwkv.cpp .bin, BlinkDL .pth, .safetensors or .gguf", "", ready));
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
      g_param_spec_uint64("latency", "Latency", "Latency in ns added to upstream's in live pipelines (time to answer)",
                          0, G_MAXUINT64, 0, playing));

  g_object_class_install_property(gobject_class, PROP_SEPARATOR,
      g_param_spec_string("separator", "Separator",
          "Read after each input buffer that does not end in white space, for streams whose buffers are whole "
          "units (subtitle cues): e.g. \"\\n\"; empty: buffers are read as one continuous text", "", playing));

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
  gst_type_mark_as_plugin_api(GST_TYPE_RWKV_MODE, GstPluginAPIFlags(0));
  gst_type_mark_as_plugin_api(GST_TYPE_RWKV_TRIGGER, GstPluginAPIFlags(0));
  GST_DEBUG_CATEGORY_INIT(gst_rwkv_debug, "rwkv", 0, "RWKV language model element");
}
