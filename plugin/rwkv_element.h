// The rwkv element's private parts, one file per concern: gstrwkv.cpp (the GObject, pads,
// events, state changes), rwkv_properties.cpp (properties and the settings snapshot),
// rwkv_input.cpp (reading buffers), rwkv_output.cpp (output, timing, latency),
// rwkv_mode.h with mode_*.cpp (what each mode does: input, triggers, pauses, caps, messages),
// rwkv_triggers.cpp (when an answer is due, and the element's thread), rwkv_state_file.cpp
// (saving and restoring the stream).
#pragma once
#include <gst/gst.h>

#include <atomic>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "gstrwkv.h"
#include "mode.h"
#include "rwkv_stream.h"

GST_DEBUG_CATEGORY_EXTERN(gst_rwkv_debug);
#define GST_CAT_DEFAULT gst_rwkv_debug

namespace gstrwkv::elem {

enum InputFormat { INPUT_UTF8, INPUT_MARKUP, INPUT_TOKENS };

// How long text without a duration of its own is shown (captions, overlays).
constexpr GstClockTime kDefaultDuration = 3 * GST_SECOND;
// `separator` default: timed buffers (cues) are units, untimed ones a continuous text.
constexpr const char* kAutoSeparator = "auto";
// `latency` default: measured.
constexpr GstClockTime kAutoLatency = GST_CLOCK_TIME_NONE;
constexpr guint kDefaultMaxTextBytes = 1 << 16;
// `hold` default: how long punctuate mode waits for the next utterance's words.
constexpr GstClockTime kDefaultHold = GST_SECOND;

// An input buffer punctuate mode holds until its last word's mark is decided (its output
// keeps the buffer's timestamps, flags and metas).
struct HeldBuffer {
  GstBuffer* buf;
  GstClockTime end;   // running time
  gint64 arrived_us;  // monotonic: `hold` counts from here
  HeldBuffer(GstBuffer* b, GstClockTime e, gint64 arrived) : buf(gst_buffer_ref(b)), end(e), arrived_us(arrived) {}
  HeldBuffer(HeldBuffer&& o) noexcept : buf(o.buf), end(o.end), arrived_us(o.arrived_us) { o.buf = nullptr; }
  HeldBuffer& operator=(HeldBuffer&& o) noexcept {
    std::swap(buf, o.buf);
    end = o.end;
    arrived_us = o.arrived_us;
    return *this;
  }
  ~HeldBuffer() {
    if (buf) gst_buffer_unref(buf);
  }
};

struct Settings {
  std::string model, tokenizer = "auto", device = "auto", state_file, separator = kAutoSeparator;
  std::string quantize;  // "" or a type for LoadOptions::quantize
  bool bf16_products = false;  // LoadOptions::bf16_products
  int threads = 0;
  Mode mode = Mode::Score;
  gstrwkv::Settings stream;
  Trigger trigger = Trigger::Sentence;
  GstClockTime interval = 5 * GST_SECOND;
  GstClockTime latency = kAutoLatency;
  guint save_interval = 0;  // seconds; 0 = only on EOS and save-state
  guint max_text_bytes = kDefaultMaxTextBytes;
  int lookahead = rwkv::PunctuateOptions().lookahead;
  GstClockTime hold = kDefaultHold;
};

// What a loaded model was loaded with: a change of any of these in READY reloads it.
struct LoadKey {
  std::string model, tokenizer, device, quantize;
  int threads = 0;
  bool bf16_products = false;
  bool operator==(const LoadKey&) const = default;
};
inline LoadKey load_key(const Settings& s) {
  return {s.model, s.tokenizer, s.device, s.quantize, s.threads, s.bf16_products};
}

// What the element holds for one stream; replaced at READY→PAUSED.
struct Runtime {
  GstSegment segment;
  bool timed = false;            // the input segment is in TIME
  InputFormat format = INPUT_UTF8;
  std::string input_caps;        // token input: passed on in score mode
  bool stream_started = false, segment_pushed = false;
  // Since the start or the last flush: a buffer or gap went downstream (its sinks have
  // prerolled), and whether upstream was asked if it is live.
  bool sent_downstream = false, liveness_checked = false;
  std::string pending;           // text since the last trigger
  GstClockTime pending_start = GST_CLOCK_TIME_NONE, pending_end = GST_CLOCK_TIME_NONE;
  GstClockTime last_end = 0;     // running time of the newest input (or gap)
  GstClockTime last_trigger = GST_CLOCK_TIME_NONE;
  gint64 last_arrival_us = 0;    // monotonic, for the silence trigger
  gint64 last_save_us = 0;
  bool warned_utf8 = false, warned_labels = false, warned_latency = false, vocab_error = false;
  std::string utf8_carry;        // an unfinished UTF-8 sequence at the end of the last buffer
  std::deque<HeldBuffer> held;   // punctuate mode: buffers waiting for their last word's mark
  Mode active_mode = Mode::Score;  // the mode the last buffer was read in
};

}  // namespace gstrwkv::elem

struct _GstRwkv {
  GstElement parent;
  GstPad* sinkpad;
  GstPad* srcpad;
  gstrwkv::elem::Settings* settings;  // guarded by the object lock
  gstrwkv::elem::Runtime* rt;         // guarded by work
  std::unique_ptr<gstrwkv::Stream>* stream;  // guarded by work
  gstrwkv::elem::LoadKey* loaded;     // what *stream was made with; guarded by work
  std::mutex* work;    // one of chain / event / action / worker at a time
  std::atomic<bool>* flushing;
  std::atomic<bool>* reconfigured;  // mode or labels changed: warnings about them re-armed
  // latency=auto: what the LATENCY query reports (measured). Atomic: the query comes from
  // another thread while the streaming thread holds `work` in a push a sink is blocking.
  std::atomic<GstClockTime>* auto_latency;
  // The element's own thread: runs requested triggers (the action signal) and the silence
  // trigger's deadline; it sleeps until one of those is due, without polling.
  GThread* worker;
  GMutex worker_lock;
  GCond worker_cond;
  bool worker_stop, trigger_requested;  // guarded by worker_lock
};

namespace gstrwkv::elem {

inline Stream& stream_of(GstRwkv* self) { return **self->stream; }

// Time since a g_get_monotonic_time() reading, as a GstClockTime (for the latency).
inline GstClockTime since(gint64 monotonic_us) {
  return GstClockTime((g_get_monotonic_time() - monotonic_us) * gint64(GST_USECOND));
}

// ---- rwkv_properties.cpp
void install_properties(GObjectClass* klass);
Settings settings_snapshot(GstRwkv* self);
void set_property(GObject* object, guint id, const GValue* value, GParamSpec* pspec);
void get_property(GObject* object, guint id, GValue* value, GParamSpec* pspec);

// ---- rwkv_input.cpp
GstFlowReturn handle_input(GstRwkv* self, GstBuffer* buf);
bool set_input_caps(GstRwkv* self, GstCaps* caps);
// A GAP carries stream time: an interval trigger due by then runs (as whispertranscriber
// drains on GAP), then the gap goes on downstream.
bool handle_gap(GstRwkv* self, GstEvent* event);
// The newest `limit` bytes of s, not starting inside a UTF-8 sequence.
std::string_view newest(std::string_view s, size_t limit);

// ---- rwkv_output.cpp (reported_latency takes no lock but the object lock)
// Running time now, by the pipeline clock (for input that carries no timestamps).
GstClockTime arrival_running_time(GstRwkv* self);
// Position in the output segment for a running time.
GstClockTime output_position(GstRwkv* self, GstClockTime running);
// Stream-start, caps (again whenever the mode asks for others) and segment before output.
void ensure_src_ready(GstRwkv* self, Mode mode);
GstFlowReturn push_text(GstRwkv* self, Mode mode, const std::string& text, GstClockTime start,
                               GstClockTime end);
void push_gap(GstRwkv* self, Mode mode, GstClockTime start, GstClockTime end);
// Pushes an output buffer (caps and segment first when due).
GstFlowReturn push_out(GstRwkv* self, Mode mode, GstBuffer* buf);
// A live pipeline goes to PLAYING only once every sink has had a buffer or a gap, and until
// then every branch waits in its sink. When the first buffer since the start or a flush is
// long (kLongBufferBytes or more: a backlog may take minutes) the element sends a gap up to
// that buffer's start before reading it, when upstream is live, as a live source does for
// time it has no data for, so that other branches of the pipeline are not held until this
// one has output. A short first buffer prerolls its sink with its own output, as before: a
// gap would start the clock before the (slower, first) output, which a synchronised sink
// could then find late.
constexpr size_t kLongBufferBytes = 1024;
void let_downstream_preroll(GstRwkv* self, Mode mode, GstClockTime start);
void post_structure(GstRwkv* self, GstStructure* s);
GstClockTime reported_latency(GstRwkv* self);
// After an answer that took `took`: with latency=auto, one longer than reported raises it
// (with a margin) and posts a LATENCY message so the pipeline re-queries; with a fixed
// latency, the first such answer is a warning (output would be late in a live pipeline).
void account_latency(GstRwkv* self, GstClockTime took);

// ---- rwkv_triggers.cpp
bool trigger_due(GstRwkv* self, const Settings& s);
// Lets the element's thread look again (a silence deadline or the trigger settings moved).
void wake_worker(GstRwkv* self);
void start_worker(GstRwkv* self);
void stop_worker(GstRwkv* self);
// Returns at once: the element's thread answers and pushes (an action signal must not block
// an application's main loop, in PAUSED nor on a synchronised sink).
void action_trigger(GstRwkv* self);

// ---- rwkv_state_file.cpp
// Posts NAME with the state file's path and the stream position it holds.
void post_state_message(GstRwkv* self, const char* name, const std::string& path);
// Why a state file could not be written there, or "" when it can (as filesink checks its
// location when it starts, not at the first write).
std::string state_path_problem(const std::string& path);
// Posts the state file's location problem as an error (starting); false when there is one.
bool state_path_usable(GstRwkv* self, const std::string& path);
bool save_state(GstRwkv* self, const std::string& path);
void maybe_save_periodically(GstRwkv* self, const Settings& s);
gboolean action_save(GstRwkv* self, const gchar* path);
gboolean action_load(GstRwkv* self, const gchar* path);

}  // namespace gstrwkv::elem
