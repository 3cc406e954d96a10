/**
 * SECTION:element-rwkv
 * @title: rwkv
 *
 * Reads a text (or token) stream into an RWKV language model's recurrent state, for as long
 * as the stream runs, and scores, continues, answers, classifies or punctuates it (restoring
 * the marks and capitals a speech recogniser leaves out). The state has a fixed
 * size whatever the stream's length: there is no context window.
 *
 * ## Example launch lines
 * |[
 * gst-launch-1.0 fdsrc ! rwkv model=m.pth ! fdsink                      # score stdin, pass it on
 * gst-launch-1.0 filesrc location=in.srt ! subparse ! rwkv model=m.pth mode=continue \
 *     ! webvttenc ! filesink location=out.vtt
 * gst-launch-1.0 autoaudiosrc ! audioconvert ! audioresample ! pocketsphinx \
 *     ! rwkv model=m.pth mode=respond trigger=silence ! fdsink
 * gst-launch-1.0 filesrc location=asr.srt ! subparse ! rwkv model=m.pth mode=punctuate \
 *     ! webvttenc ! filesink location=captions.vtt
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
 *   with `latency=auto`, when reading or answering took longer than the latency reported.
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
 * - In a live pipeline, a long first buffer (1 KB or more, since the start or a flush) is
 *   preceded downstream by a GAP at its start, so that the sink prerolls while it is read and
 *   the pipeline's other branches are not held until this one has output.
 * - The `trigger` action signal returns at once; the answer is made and pushed by the
 *   element's own thread.
 * - `reset` returns to the start of a stream (initial state, preamble read again); the totals
 *   go on counting.
 */
// The rwkv element: the GObject, its pads, events, queries and state changes. Its other
// concerns are in the rwkv_*.cpp files beside it (rwkv_element.h lists them); everything the
// model does is in Stream (rwkv_stream.h) over the engine's session API.
#include <exception>
#include <memory>
#include <string>

#include "model_cache.h"
#include "rwkv/error.h"
#include "rwkv/model.h"
#include "rwkv_mode.h"

GST_DEBUG_CATEGORY(gst_rwkv_debug);

using gstrwkv::Mode;
using namespace gstrwkv::elem;

G_DEFINE_TYPE(GstRwkv, gst_rwkv, GST_TYPE_ELEMENT);
GST_ELEMENT_REGISTER_DEFINE(rwkv, "rwkv", GST_RANK_NONE, GST_TYPE_RWKV);

enum { SIGNAL_TRIGGER, SIGNAL_RESET, SIGNAL_SAVE_STATE, SIGNAL_LOAD_STATE, N_SIGNALS };
static guint signals[N_SIGNALS];

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE(
    "sink", GST_PAD_SINK, GST_PAD_ALWAYS,
    GST_STATIC_CAPS("text/x-raw, format = (string) { utf8, pango-markup }; text/plain; "
                    "application/x-rwkv-tokens"));
static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE(
    "src", GST_PAD_SRC, GST_PAD_ALWAYS,
    GST_STATIC_CAPS("text/x-raw, format = (string) { utf8, pango-markup }; application/x-rwkv-tokens"));

static GstFlowReturn gst_rwkv_chain(GstPad*, GstObject* parent, GstBuffer* buf) {
  GstRwkv* self = GST_RWKV(parent);
  GstFlowReturn ret;
  {
    std::lock_guard<std::mutex> lock(*self->work);
    ret = handle_input(self, buf);
  }
  gst_buffer_unref(buf);
  wake_worker(self);  // a silence or hold deadline moved
  return ret;
}

static void post_summary(GstRwkv* self) {
  const gstrwkv::Totals t = stream_of(self).totals();
  post_structure(self, gst_structure_new("rwkv-summary", "tokens", G_TYPE_UINT64, guint64(t.tokens), "bytes",
                                         G_TYPE_UINT64, guint64(t.bytes), "logprob", G_TYPE_DOUBLE, t.logprob,
                                         "bits-per-byte", G_TYPE_DOUBLE, t.bits_per_byte(), nullptr));
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
      behaviour(self->rt->active_mode).drop(self);
      self->rt->pending.clear();
      self->rt->pending_start = self->rt->pending_end = GST_CLOCK_TIME_NONE;
      self->rt->segment_pushed = false;
      self->rt->sent_downstream = self->rt->liveness_checked = false;  // sinks preroll again
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
        behaviour(rt.active_mode).pause(self, "end of stream");
        try {
          stream_of(self).flush();
        } catch (const std::exception& e) {
          GST_ELEMENT_WARNING(self, LIBRARY, FAILED, ("Could not read the last text"), ("%s", e.what()));
        }
        if (!rt.pending.empty()) behaviour(s.mode).trigger(self, s, "end of stream", 0);
        if (!s.state_file.empty()) save_state(self, s.state_file);
        ensure_src_ready(self, s.mode);
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

static gboolean gst_rwkv_sink_query(GstPad* pad, GstObject* parent, GstQuery* query) {
  GstRwkv* self = GST_RWKV(parent);
  if (GST_QUERY_TYPE(query) == GST_QUERY_DRAIN) {  // upstream wants everything out: held buffers too
    std::lock_guard<std::mutex> lock(*self->work);
    behaviour(self->rt->active_mode).pause(self, "drain");
  }
  return gst_pad_query_default(pad, parent, query);
}

static gboolean gst_rwkv_src_query(GstPad* pad, GstObject* parent, GstQuery* query) {
  GstRwkv* self = GST_RWKV(parent);
  if (GST_QUERY_TYPE(query) == GST_QUERY_LATENCY) {
    if (!gst_pad_peer_query(self->sinkpad, query)) return FALSE;
    gboolean live;
    GstClockTime min, max;
    gst_query_parse_latency(query, &live, &min, &max);
    if (live) {
      // No `work` lock here: a sink prerolling asks this while the streaming thread holds it
      // in the push the sink is blocking.
      const GstClockTime ours = reported_latency(self);
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
    if (!s.quantize.empty()) opts.quantize = rwkv::quantized_type_from_name(s.quantize);
    opts.bf16_products = s.bf16_products;
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
  self->auto_latency->store(0);
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
  // latency=auto starts from what the mode's first output would take at the measured step
  // time (max-tokens for an answer, a buffer's tokens in score mode); it rises when output
  // takes longer.
  const double step = st.step_seconds();
  const int tokens = behaviour(s.mode).latency_tokens(s);
  self->auto_latency->store(GstClockTime(step * double(tokens) * 1.25 * 1e9));
  rt.active_mode = s.mode;
  GST_DEBUG_OBJECT(self, "one step %.3f ms: latency=auto starts at %" GST_TIME_FORMAT, step * 1e3,
                   GST_TIME_ARGS(self->auto_latency->load()));
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

static void gst_rwkv_finalize(GObject* object) {
  GstRwkv* self = GST_RWKV(object);
  delete self->stream;
  delete self->loaded;
  delete self->rt;
  delete self->settings;
  delete self->work;
  delete self->flushing;
  delete self->reconfigured;
  delete self->auto_latency;
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
  self->auto_latency = new std::atomic<GstClockTime>(0);
  self->worker = nullptr;
  self->worker_stop = true;  // no thread until READY->PAUSED
  self->trigger_requested = false;
  g_mutex_init(&self->worker_lock);
  g_cond_init(&self->worker_cond);
  gst_segment_init(&self->rt->segment, GST_FORMAT_TIME);

  self->sinkpad = gst_pad_new_from_static_template(&sink_template, "sink");
  gst_pad_set_chain_function(self->sinkpad, gst_rwkv_chain);
  gst_pad_set_event_function(self->sinkpad, gst_rwkv_sink_event);
  gst_pad_set_query_function(self->sinkpad, gst_rwkv_sink_query);
  gst_element_add_pad(GST_ELEMENT(self), self->sinkpad);
  self->srcpad = gst_pad_new_from_static_template(&src_template, "src");
  gst_pad_set_query_function(self->srcpad, gst_rwkv_src_query);
  gst_pad_use_fixed_caps(self->srcpad);
  gst_element_add_pad(GST_ELEMENT(self), self->srcpad);
}

static void gst_rwkv_class_init(GstRwkvClass* klass) {
  GObjectClass* gobject_class = G_OBJECT_CLASS(klass);
  GstElementClass* element_class = GST_ELEMENT_CLASS(klass);
  gobject_class->set_property = gstrwkv::elem::set_property;
  gobject_class->get_property = gstrwkv::elem::get_property;
  gobject_class->finalize = gst_rwkv_finalize;
  element_class->change_state = gst_rwkv_change_state;

  install_properties(gobject_class);

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
  GST_DEBUG_CATEGORY_INIT(gst_rwkv_debug, "rwkv", 0, "RWKV language model element");
}
