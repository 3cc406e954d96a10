/**
 * SECTION:element-rwkvdetokenize
 * @title: rwkvdetokenize
 *
 * Turns `application/x-rwkv-tokens` back into UTF-8 text, emitting only complete characters.
 * The caps' `vocabulary` must be the tokenizer's (a mismatch is one STREAM/WRONG_TYPE error);
 * `vocabulary=bytes` needs no tokenizer. Timestamps are carried over.
 *
 * ## Example launch lines
 * |[
 * gst-launch-1.0 filesrc location=book.tokens ! "application/x-rwkv-tokens,vocabulary=world" \
 *     ! rwkvdetokenize tokenizer=rwkv_vocab_v20230424.txt ! fdsink
 * ]|
 */
// The rwkvdetokenize element. Ids go through rwkv::TextDecoder, which holds back an unfinished
// UTF-8 character until the token that completes it (or EOS, where it becomes U+FFFD).
#include "gstrwkvdetokenize.h"

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "rwkv/tokenizer.h"
#include "token_element.h"

GST_DEBUG_CATEGORY_STATIC(gst_rwkv_detokenize_debug);
#define GST_CAT_DEFAULT gst_rwkv_detokenize_debug

namespace {

using Settings = gstrwkv::TokenizerSettings;

// Streaming state: touched by the streaming thread, and by state changes while stopped.
struct Coder {
  std::optional<Settings> loaded;              // the properties `tok` was resolved for
  std::shared_ptr<const rwkv::Tokenizer> tok;  // from the properties, or from the caps (bytes)
  std::unique_ptr<rwkv::TextDecoder> dec;
  GstCaps* caps = nullptr;  // ours: text/x-raw, format=utf8
  GstSegment segment;
  std::string id_tail;      // the bytes of an id cut off at the end of the last buffer
  bool discont = true;
  bool caps_refused = false;  // a refused caps event is offered again with every buffer: one error
  GstClockTime last_pts = GST_CLOCK_TIME_NONE, last_end = GST_CLOCK_TIME_NONE;

  Coder() {
    gst_segment_init(&segment, GST_FORMAT_TIME);
    caps = gst_caps_new_simple("text/x-raw", "format", G_TYPE_STRING, "utf8", nullptr);
  }
  ~Coder() { gst_caps_unref(caps); }
  void restart() {
    if (dec) dec->reset();
    id_tail.clear();
    discont = true;
    last_pts = last_end = GST_CLOCK_TIME_NONE;
  }
};

}  // namespace

struct _GstRwkvDetokenize {
  GstElement parent;
  GstPad* sinkpad;
  GstPad* srcpad;
  Settings* settings;  // guarded by the object lock
  Coder* coder;
};

G_DEFINE_TYPE(GstRwkvDetokenize, gst_rwkv_detokenize, GST_TYPE_ELEMENT);
GST_ELEMENT_REGISTER_DEFINE(rwkvdetokenize, "rwkvdetokenize", GST_RANK_NONE, GST_TYPE_RWKV_DETOKENIZE);


static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE(
    "sink", GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS("application/x-rwkv-tokens"));
static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE(
    "src", GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS("text/x-raw, format = (string) utf8"));

static GstFlowReturn push_text(GstRwkvDetokenize* self, const std::string& text, GstClockTime pts,
                               GstClockTime duration) {
  Coder& c = *self->coder;
  GstBuffer* buf = gst_buffer_new_memdup(text.data(), text.size());
  GST_BUFFER_PTS(buf) = pts;
  GST_BUFFER_DURATION(buf) = duration;
  if (c.discont) GST_BUFFER_FLAG_SET(buf, GST_BUFFER_FLAG_DISCONT);
  c.discont = false;
  GST_LOG_OBJECT(self, "%zu bytes at %" GST_TIME_FORMAT, text.size(), GST_TIME_ARGS(pts));
  return gst_pad_push(self->srcpad, buf);
}

static GstFlowReturn gst_rwkv_detokenize_chain(GstPad*, GstObject* parent, GstBuffer* buf) {
  GstRwkvDetokenize* self = GST_RWKV_DETOKENIZE(parent);
  Coder& c = *self->coder;
  if (!c.tok) {
    gst_buffer_unref(buf);
    GST_ELEMENT_ERROR(self, CORE, NEGOTIATION, ("Token stream without a vocabulary"),
                      ("no caps arrived and neither `tokenizer` nor `model` is set"));
    return GST_FLOW_NOT_NEGOTIATED;
  }
  // No caps from upstream: the ids are read in the configured tokenizer's vocabulary.
  if (!c.dec) c.dec = std::make_unique<rwkv::TextDecoder>(c.tok);
  gstrwkv::prepare_src_pad(GST_ELEMENT(self), self->srcpad, c.caps, &c.segment);

  GstMapInfo map;
  if (!gst_buffer_map(buf, &map, GST_MAP_READ)) {
    gst_buffer_unref(buf);
    GST_ELEMENT_ERROR(self, STREAM, FAILED, ("Could not read an input buffer"), (nullptr));
    return GST_FLOW_ERROR;
  }
  // An id may straddle two buffers (a token file read in arbitrary blocks).
  std::string bytes = std::move(c.id_tail);
  bytes.append(reinterpret_cast<const char*>(map.data), map.size);
  gst_buffer_unmap(buf, &map);
  const size_t n = bytes.size() / 4;
  c.id_tail = bytes.substr(n * 4);
  std::vector<uint32_t> ids(n);
  for (size_t i = 0; i < n; i++) {
    ids[i] = GST_READ_UINT32_LE(bytes.data() + 4 * i);
    if (ids[i] >= c.tok->n_vocab()) {
      gst_buffer_unref(buf);
      GST_ELEMENT_ERROR(self, STREAM, DECODE, ("Token id %u is out of range", ids[i]),
                        ("the %s vocabulary has %u tokens", c.tok->name(), c.tok->n_vocab()));
      return GST_FLOW_ERROR;
    }
  }
  const std::string text = c.dec->push(ids);

  const GstClockTime pts = GST_BUFFER_PTS(buf), duration = GST_BUFFER_DURATION(buf);
  if (GST_BUFFER_IS_DISCONT(buf)) c.discont = true;
  gst_buffer_unref(buf);
  if (GST_CLOCK_TIME_IS_VALID(pts)) {
    c.last_pts = pts;
    c.last_end = GST_CLOCK_TIME_IS_VALID(duration) ? pts + duration : pts;
  }
  if (!text.empty()) return push_text(self, text, pts, duration);
  // Only part of a character so far: this span holds no text.
  if (GST_CLOCK_TIME_IS_VALID(pts)) gst_pad_push_event(self->srcpad, gst_event_new_gap(pts, duration));
  return GST_FLOW_OK;
}

// End of stream: an unfinished character comes out as U+FFFD.
static void drain(GstRwkvDetokenize* self) {
  Coder& c = *self->coder;
  if (!c.id_tail.empty())
    GST_ELEMENT_WARNING(self, STREAM, DECODE, ("Token stream ends inside a token id"),
                        ("%zu stray bytes dropped", c.id_tail.size()));
  c.id_tail.clear();
  if (!c.dec) return;
  const std::string text = c.dec->flush();
  if (text.empty()) return;
  const GstClockTime duration = GST_CLOCK_TIME_IS_VALID(c.last_pts) ? c.last_end - c.last_pts : GST_CLOCK_TIME_NONE;
  gstrwkv::prepare_src_pad(GST_ELEMENT(self), self->srcpad, c.caps, &c.segment);
  push_text(self, text, c.last_pts, duration);
}

// Takes the vocabulary from the caps: it must be the tokenizer's, and with neither `tokenizer`
// nor `model` set, a bytes stream needs no file.
static bool set_input_caps(GstRwkvDetokenize* self, GstCaps* caps) {
  Coder& c = *self->coder;
  const gchar* vocab = gst_structure_get_string(gst_caps_get_structure(caps, 0), "vocabulary");
  if (!c.tok) {
    if (!vocab || !g_str_equal(vocab, "bytes")) {
      if (!std::exchange(c.caps_refused, true))
        GST_ELEMENT_ERROR(self, CORE, NEGOTIATION, ("Token stream of vocabulary '%s' needs a tokenizer", vocab ? vocab : "unknown"),
                          ("set the `tokenizer` property to its file, or `model` to the model it belongs to"));
      return false;
    }
    std::shared_ptr<const rwkv::Tokenizer> bytes = rwkv::make_bytes_tokenizer();
    GST_OBJECT_LOCK(self);
    c.tok = bytes;
    GST_OBJECT_UNLOCK(self);
  } else if (vocab && !g_str_equal(vocab, c.tok->name())) {
    if (!std::exchange(c.caps_refused, true))
      GST_ELEMENT_ERROR(self, STREAM, WRONG_TYPE,
                        ("Token stream of vocabulary '%s', but the tokenizer is '%s'", vocab, c.tok->name()),
                        ("tokenizer %s", c.tok->source.c_str()));
    return false;
  }
  c.caps_refused = false;
  if (!c.dec) c.dec = std::make_unique<rwkv::TextDecoder>(c.tok);
  gstrwkv::prepare_src_pad(GST_ELEMENT(self), self->srcpad, c.caps, nullptr);
  return true;
}

static gboolean gst_rwkv_detokenize_sink_event(GstPad* pad, GstObject* parent, GstEvent* event) {
  GstRwkvDetokenize* self = GST_RWKV_DETOKENIZE(parent);
  Coder& c = *self->coder;
  switch (GST_EVENT_TYPE(event)) {
    case GST_EVENT_CAPS: {
      GstCaps* caps;
      gst_event_parse_caps(event, &caps);
      const bool ok = set_input_caps(self, caps);
      gst_event_unref(event);
      return ok;
    }
    case GST_EVENT_SEGMENT: {
      const GstSegment* seg;
      gst_event_parse_segment(event, &seg);
      gst_segment_copy_into(seg, &c.segment);
      // Caps go before the segment; this pushes them when upstream sent none.
      gstrwkv::prepare_src_pad(GST_ELEMENT(self), self->srcpad, c.caps, nullptr);
      return gst_pad_push_event(self->srcpad, event);
    }
    case GST_EVENT_GAP:
      gstrwkv::prepare_src_pad(GST_ELEMENT(self), self->srcpad, c.caps, &c.segment);
      return gst_pad_push_event(self->srcpad, event);
    case GST_EVENT_FLUSH_STOP:
      // An unfinished character belonged to the tokens before the flush.
      c.restart();
      return gst_pad_event_default(pad, parent, event);
    case GST_EVENT_EOS:
      drain(self);
      gstrwkv::prepare_src_pad(GST_ELEMENT(self), self->srcpad, c.caps, &c.segment);
      return gst_pad_event_default(pad, parent, event);
    default:
      return gst_pad_event_default(pad, parent, event);
  }
}

static gboolean gst_rwkv_detokenize_sink_query(GstPad* pad, GstObject* parent, GstQuery* query) {
  GstRwkvDetokenize* self = GST_RWKV_DETOKENIZE(parent);
  if (GST_QUERY_TYPE(query) == GST_QUERY_CAPS) {
    // Once the tokenizer is known, only its vocabulary.
    GstCaps* ours = nullptr;
    GST_OBJECT_LOCK(self);
    if (self->coder->tok)
      ours = gst_caps_new_simple(gstrwkv::kTokensMediaType, "vocabulary", G_TYPE_STRING, self->coder->tok->name(), nullptr);
    GST_OBJECT_UNLOCK(self);
    const gboolean ret = gstrwkv::answer_caps_query(pad, query, ours);
    if (ours) gst_caps_unref(ours);
    return ret;
  }
  return gst_pad_query_default(pad, parent, query);
}

// ---- state changes ---------------------------------------------------------------------

static void replace_coder(GstRwkvDetokenize* self, Coder* c) {
  GST_OBJECT_LOCK(self);  // the sink caps query reads it from other threads
  std::swap(c, self->coder);
  GST_OBJECT_UNLOCK(self);
  delete c;
}

// Loads the tokenizer (again only when the properties changed) and starts a fresh coder. At
// READY->PAUSED, so the properties can change in READY as their flags say.
static bool start(GstRwkvDetokenize* self) {
  GST_OBJECT_LOCK(self);
  const Settings s = *self->settings;
  GST_OBJECT_UNLOCK(self);
  std::shared_ptr<const rwkv::Tokenizer> tok;
  if (self->coder->loaded && s == *self->coder->loaded) {
    tok = self->coder->tok;
  } else if (!s.model.empty() || (s.tokenizer != "auto" && !s.tokenizer.empty())) {
    tok = gstrwkv::load_tokenizer_or_post(GST_ELEMENT(self), s);
    if (!tok) return false;
    GST_INFO_OBJECT(self, "tokenizer %s (%s), %u tokens", tok->name(), tok->source.c_str(), tok->n_vocab());
  }
  // Otherwise (tokenizer=auto, no model) the caps name the vocabulary; only bytes needs no file.
  Coder* c = new Coder();
  if (tok) c->loaded = s;
  c->tok = tok;
  replace_coder(self, c);
  return true;
}

static GstStateChangeReturn gst_rwkv_detokenize_change_state(GstElement* element, GstStateChange transition) {
  GstRwkvDetokenize* self = GST_RWKV_DETOKENIZE(element);
  if (transition == GST_STATE_CHANGE_READY_TO_PAUSED && !start(self)) return GST_STATE_CHANGE_FAILURE;
  const GstStateChangeReturn ret = GST_ELEMENT_CLASS(gst_rwkv_detokenize_parent_class)->change_state(element, transition);
  if (transition == GST_STATE_CHANGE_READY_TO_NULL) replace_coder(self, new Coder());
  return ret;
}

// ---- properties and class --------------------------------------------------------------

static void gst_rwkv_detokenize_set_property(GObject* object, guint id, const GValue* value, GParamSpec* pspec) {
  GstRwkvDetokenize* self = GST_RWKV_DETOKENIZE(object);
  GST_OBJECT_LOCK(self);
  gstrwkv::set_tokenizer_property(object, *self->settings, id, value, pspec);
  GST_OBJECT_UNLOCK(self);
}

static void gst_rwkv_detokenize_get_property(GObject* object, guint id, GValue* value, GParamSpec* pspec) {
  GstRwkvDetokenize* self = GST_RWKV_DETOKENIZE(object);
  GST_OBJECT_LOCK(self);
  gstrwkv::get_tokenizer_property(object, *self->settings, id, value, pspec);
  GST_OBJECT_UNLOCK(self);
}

static void gst_rwkv_detokenize_finalize(GObject* object) {
  GstRwkvDetokenize* self = GST_RWKV_DETOKENIZE(object);
  delete self->coder;
  delete self->settings;
  G_OBJECT_CLASS(gst_rwkv_detokenize_parent_class)->finalize(object);
}

static void gst_rwkv_detokenize_init(GstRwkvDetokenize* self) {
  self->settings = new Settings();
  self->coder = new Coder();
  self->sinkpad = gst_pad_new_from_static_template(&sink_template, "sink");
  gst_pad_set_chain_function(self->sinkpad, gst_rwkv_detokenize_chain);
  gst_pad_set_event_function(self->sinkpad, gst_rwkv_detokenize_sink_event);
  gst_pad_set_query_function(self->sinkpad, gst_rwkv_detokenize_sink_query);
  // Any token caps are accepted, so a wrong vocabulary gets a clear error at the caps event.
  GST_PAD_SET_ACCEPT_TEMPLATE(self->sinkpad);
  gst_element_add_pad(GST_ELEMENT(self), self->sinkpad);
  self->srcpad = gst_pad_new_from_static_template(&src_template, "src");
  gst_pad_use_fixed_caps(self->srcpad);
  gst_element_add_pad(GST_ELEMENT(self), self->srcpad);
}

static void gst_rwkv_detokenize_class_init(GstRwkvDetokenizeClass* klass) {
  GObjectClass* gobject_class = G_OBJECT_CLASS(klass);
  GstElementClass* element_class = GST_ELEMENT_CLASS(klass);
  gobject_class->set_property = gst_rwkv_detokenize_set_property;
  gobject_class->get_property = gst_rwkv_detokenize_get_property;
  gobject_class->finalize = gst_rwkv_detokenize_finalize;
  element_class->change_state = gst_rwkv_detokenize_change_state;

  gstrwkv::install_tokenizer_properties(gobject_class,
      "the tokenizer of the `model`, or without a model the one the caps name (only a bytes stream needs no file)");

  gst_element_class_add_static_pad_template(element_class, &sink_template);
  gst_element_class_add_static_pad_template(element_class, &src_template);
  gst_element_class_set_static_metadata(element_class, "RWKV detokenizer", "Filter/Text",
      "Turns RWKV token ids (uint32 little-endian) back into UTF-8 text, emitting only complete characters",
      "gst-rwkv");
  GST_DEBUG_CATEGORY_INIT(gst_rwkv_detokenize_debug, "rwkvdetokenize", 0, "RWKV detokenizer element");
}
