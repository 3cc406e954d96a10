/**
 * SECTION:element-rwkvtokenize
 * @title: rwkvtokenize
 *
 * Turns UTF-8 text into `application/x-rwkv-tokens` (uint32 little-endian ids; caps field
 * `vocabulary` names the tokenizer), the same ids however the text is cut into buffers.
 * Timestamps are carried over; no bus messages of its own.
 *
 * ## Example launch lines
 * |[
 * gst-launch-1.0 filesrc location=book.txt ! rwkvtokenize tokenizer=rwkv_vocab_v20230424.txt \
 *     ! filesink location=book.tokens
 * gst-launch-1.0 fdsrc ! rwkvtokenize model=m.pth ! rwkv model=m.pth ! fdsink
 * ]|
 */
// The rwkvtokenize element. Text goes through rwkv::TextEncoder, which emits a token only
// when no later text can change it; the rest is held back until more text or EOS.
#include "gstrwkvtokenize.h"

#include <deque>
#include <string>
#include <utility>
#include <vector>

#include "rwkv/tokenizer.h"
#include "token_element.h"

GST_DEBUG_CATEGORY_STATIC(gst_rwkv_tokenize_debug);
#define GST_CAT_DEFAULT gst_rwkv_tokenize_debug

// ---- element ---------------------------------------------------------------------------

namespace {

using Settings = gstrwkv::TokenizerSettings;

// Streaming state: touched by the streaming thread, and by state changes while stopped.
struct Coder {
  Settings loaded;           // the properties `tok` was loaded for
  std::shared_ptr<const rwkv::Tokenizer> tok;
  std::unique_ptr<rwkv::TextEncoder> enc;
  GstCaps* caps = nullptr;   // ours: application/x-rwkv-tokens, vocabulary=<name>
  GstSegment segment;
  std::string utf8_tail;     // an unfinished UTF-8 character at the end of the last buffer
  bool warned_utf8 = false;
  bool discont = true;
  guint64 tokens_out = 0;    // buffer offsets count tokens
  GstClockTime last_pts = GST_CLOCK_TIME_NONE, last_end = GST_CLOCK_TIME_NONE;
  // Input buffers that still hold held-back text: (byte count after the buffer, its PTS).
  guint64 bytes_in = 0;
  std::deque<std::pair<guint64, GstClockTime>> holders;

  Coder() { gst_segment_init(&segment, GST_FORMAT_TIME); }
  ~Coder() {
    if (caps) gst_caps_unref(caps);
  }
  void restart() {
    if (enc) enc->reset();
    utf8_tail.clear();
    discont = true;
    last_pts = last_end = GST_CLOCK_TIME_NONE;
    holders.clear();
  }
};

}  // namespace

struct _GstRwkvTokenize {
  GstElement parent;
  GstPad* sinkpad;
  GstPad* srcpad;
  Settings* settings;  // guarded by the object lock
  Coder* coder;
};

G_DEFINE_TYPE(GstRwkvTokenize, gst_rwkv_tokenize, GST_TYPE_ELEMENT);
GST_ELEMENT_REGISTER_DEFINE(rwkvtokenize, "rwkvtokenize", GST_RANK_NONE, GST_TYPE_RWKV_TOKENIZE);


static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE(
    "sink", GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS("text/x-raw, format = (string) utf8; text/plain"));
static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE(
    "src", GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS("application/x-rwkv-tokens"));

// Whether `data`, following the unfinished character in `tail`, is well-formed UTF-8 so far;
// `tail` then holds the unfinished character `data` ends with. Only for the warning: the
// encoder gets the bytes as they are, so ids equal Tokenizer::encode of the whole text.
static bool utf8_continues(std::string& tail, const guint8* data, gsize size) {
  std::string text = tail;
  text.append(reinterpret_cast<const char*>(data), size);
  tail.clear();
  const gchar* end = nullptr;
  if (g_utf8_validate_len(text.data(), text.size(), &end)) return true;
  const gsize at = gsize(end - text.data()), rest = text.size() - at;
  if (rest < 4 && g_utf8_get_char_validated(end, gssize(rest)) == gunichar(-2)) {
    tail.assign(end, rest);
    return true;
  }
  return false;
}

static GstFlowReturn push_tokens(GstRwkvTokenize* self, const std::vector<uint32_t>& ids, GstClockTime pts,
                                 GstClockTime duration) {
  Coder& c = *self->coder;
  GstBuffer* buf = gst_buffer_new_allocate(nullptr, ids.size() * 4, nullptr);
  GstMapInfo map;
  gst_buffer_map(buf, &map, GST_MAP_WRITE);
  for (size_t i = 0; i < ids.size(); i++) GST_WRITE_UINT32_LE(map.data + 4 * i, ids[i]);
  gst_buffer_unmap(buf, &map);
  GST_BUFFER_PTS(buf) = pts;
  GST_BUFFER_DURATION(buf) = duration;
  GST_BUFFER_OFFSET(buf) = c.tokens_out;
  c.tokens_out += ids.size();
  GST_BUFFER_OFFSET_END(buf) = c.tokens_out;
  if (c.discont) GST_BUFFER_FLAG_SET(buf, GST_BUFFER_FLAG_DISCONT);
  c.discont = false;
  GST_LOG_OBJECT(self, "%zu tokens at %" GST_TIME_FORMAT, ids.size(), GST_TIME_ARGS(pts));
  return gst_pad_push(self->srcpad, buf);
}

static GstFlowReturn gst_rwkv_tokenize_chain(GstPad*, GstObject* parent, GstBuffer* buf) {
  GstRwkvTokenize* self = GST_RWKV_TOKENIZE(parent);
  Coder& c = *self->coder;
  if (!c.enc) {
    gst_buffer_unref(buf);
    GST_ELEMENT_ERROR(self, CORE, NEGOTIATION, ("No tokenizer loaded"), (nullptr));
    return GST_FLOW_NOT_NEGOTIATED;
  }
  // No caps from upstream (pocketsphinx sends none): the buffer is read as UTF-8 text.
  gstrwkv::prepare_src_pad(GST_ELEMENT(self), self->srcpad, c.caps, &c.segment);

  GstMapInfo map;
  if (!gst_buffer_map(buf, &map, GST_MAP_READ)) {
    gst_buffer_unref(buf);
    GST_ELEMENT_ERROR(self, STREAM, FAILED, ("Could not read an input buffer"), (nullptr));
    return GST_FLOW_ERROR;
  }
  if (!utf8_continues(c.utf8_tail, map.data, map.size) && !c.warned_utf8) {
    GST_ELEMENT_WARNING(self, STREAM, DECODE, ("Input is not valid UTF-8"),
                        ("the %s tokenizer reads the bytes as they are", c.tok->name()));
    c.warned_utf8 = true;
  }
  std::vector<uint32_t> ids;
  try {
    c.enc->push(std::string_view(reinterpret_cast<const char*>(map.data), map.size), ids);
  } catch (const std::exception& e) {
    gst_buffer_unmap(buf, &map);
    gst_buffer_unref(buf);
    GST_ELEMENT_ERROR(self, STREAM, ENCODE, ("Could not tokenize the input"), ("%s", e.what()));
    return GST_FLOW_ERROR;
  }
  const gsize size = map.size;
  gst_buffer_unmap(buf, &map);

  const GstClockTime pts = GST_BUFFER_PTS(buf), duration = GST_BUFFER_DURATION(buf);
  const bool discont = GST_BUFFER_IS_DISCONT(buf);
  gst_buffer_unref(buf);
  if (discont) c.discont = true;
  // Remember which buffers the held-back text came from: tokens flushed at EOS start there.
  c.bytes_in += size;
  c.holders.emplace_back(c.bytes_in, pts);
  const guint64 held_from = c.bytes_in - c.enc->pending_bytes();
  while (!c.holders.empty() && c.holders.front().first <= held_from) c.holders.pop_front();
  if (GST_CLOCK_TIME_IS_VALID(pts)) {
    c.last_pts = pts;
    c.last_end = GST_CLOCK_TIME_IS_VALID(duration) ? pts + duration : pts;
  }

  if (!ids.empty()) return push_tokens(self, ids, pts, duration);
  // Nothing final yet: tell downstream this span holds no tokens, so sparse streams move on.
  if (GST_CLOCK_TIME_IS_VALID(pts)) gst_pad_push_event(self->srcpad, gst_event_new_gap(pts, duration));
  return GST_FLOW_OK;
}

// End of stream: the held-back text is encoded as if the text ended here.
static GstFlowReturn drain(GstRwkvTokenize* self) {
  Coder& c = *self->coder;
  if (!c.enc) return GST_FLOW_OK;
  if (!c.utf8_tail.empty() && !c.warned_utf8) {
    GST_ELEMENT_WARNING(self, STREAM, DECODE, ("Input ends inside a UTF-8 character"), (nullptr));
    c.warned_utf8 = true;
  }
  std::vector<uint32_t> ids;
  c.enc->flush(ids);
  c.utf8_tail.clear();
  if (ids.empty()) return GST_FLOW_OK;
  const GstClockTime pts = !c.holders.empty() && GST_CLOCK_TIME_IS_VALID(c.holders.front().second)
                               ? c.holders.front().second
                               : c.last_pts;
  const GstClockTime duration =
      GST_CLOCK_TIME_IS_VALID(pts) && GST_CLOCK_TIME_IS_VALID(c.last_end) && c.last_end >= pts ? c.last_end - pts
                                                                                                : GST_CLOCK_TIME_NONE;
  c.holders.clear();
  gstrwkv::prepare_src_pad(GST_ELEMENT(self), self->srcpad, c.caps, &c.segment);
  return push_tokens(self, ids, pts, duration);
}

static gboolean gst_rwkv_tokenize_sink_event(GstPad* pad, GstObject* parent, GstEvent* event) {
  GstRwkvTokenize* self = GST_RWKV_TOKENIZE(parent);
  Coder& c = *self->coder;
  switch (GST_EVENT_TYPE(event)) {
    case GST_EVENT_CAPS: {
      // Any text caps give the same output caps.
      gst_event_unref(event);
      if (!c.caps) return FALSE;
      gstrwkv::prepare_src_pad(GST_ELEMENT(self), self->srcpad, c.caps, nullptr);
      GstCaps* current = gst_pad_get_current_caps(self->srcpad);
      const bool ok = current && gst_caps_is_equal(current, c.caps);
      if (current) gst_caps_unref(current);
      return ok;
    }
    case GST_EVENT_SEGMENT: {
      const GstSegment* seg;
      gst_event_parse_segment(event, &seg);
      gst_segment_copy_into(seg, &c.segment);
      // Caps go before the segment; this pushes them when upstream sent none.
      if (c.caps) gstrwkv::prepare_src_pad(GST_ELEMENT(self), self->srcpad, c.caps, nullptr);
      return gst_pad_push_event(self->srcpad, event);
    }
    case GST_EVENT_GAP:
      if (c.caps) gstrwkv::prepare_src_pad(GST_ELEMENT(self), self->srcpad, c.caps, &c.segment);
      return gst_pad_push_event(self->srcpad, event);
    case GST_EVENT_FLUSH_STOP:
      // What was held back belonged to the text before the flush.
      c.restart();
      return gst_pad_event_default(pad, parent, event);
    case GST_EVENT_EOS:
      drain(self);
      if (c.caps) gstrwkv::prepare_src_pad(GST_ELEMENT(self), self->srcpad, c.caps, &c.segment);
      return gst_pad_event_default(pad, parent, event);
    default:
      return gst_pad_event_default(pad, parent, event);
  }
}

static gboolean gst_rwkv_tokenize_sink_query(GstPad* pad, GstObject* parent, GstQuery* query) {
  if (GST_QUERY_TYPE(query) == GST_QUERY_CAPS) return gstrwkv::answer_caps_query(pad, query, nullptr);
  return gst_pad_query_default(pad, parent, query);
}

static gboolean gst_rwkv_tokenize_src_query(GstPad* pad, GstObject* parent, GstQuery* query) {
  GstRwkvTokenize* self = GST_RWKV_TOKENIZE(parent);
  if (GST_QUERY_TYPE(query) == GST_QUERY_CAPS) {
    GST_OBJECT_LOCK(self);
    GstCaps* ours = self->coder->caps ? gst_caps_ref(self->coder->caps) : nullptr;
    GST_OBJECT_UNLOCK(self);
    const gboolean ret = gstrwkv::answer_caps_query(pad, query, ours);
    if (ours) gst_caps_unref(ours);
    return ret;
  }
  return gst_pad_query_default(pad, parent, query);
}

// ---- state changes ---------------------------------------------------------------------

static void replace_coder(GstRwkvTokenize* self, Coder* c) {
  GST_OBJECT_LOCK(self);  // the src caps query reads it from other threads
  std::swap(c, self->coder);
  GST_OBJECT_UNLOCK(self);
  delete c;
}

// Loads the tokenizer (again only when the properties changed) and starts a fresh coder. At
// READY->PAUSED, so the properties can change in READY as their flags say.
static bool start(GstRwkvTokenize* self) {
  GST_OBJECT_LOCK(self);
  const Settings s = *self->settings;
  GST_OBJECT_UNLOCK(self);
  std::shared_ptr<const rwkv::Tokenizer> tok = self->coder->tok;
  if (!tok || !(s == self->coder->loaded)) {
    tok = gstrwkv::load_tokenizer_or_post(GST_ELEMENT(self), s);
    if (!tok) return false;
    GST_INFO_OBJECT(self, "tokenizer %s (%s), %u tokens", tok->name(), tok->source.c_str(), tok->n_vocab());
  }
  Coder* c = new Coder();
  c->loaded = s;
  c->tok = tok;
  c->enc = tok->new_encoder();
  c->caps = gst_caps_new_simple(gstrwkv::kTokensMediaType, "vocabulary", G_TYPE_STRING, tok->name(), nullptr);
  replace_coder(self, c);
  return true;
}

static GstStateChangeReturn gst_rwkv_tokenize_change_state(GstElement* element, GstStateChange transition) {
  GstRwkvTokenize* self = GST_RWKV_TOKENIZE(element);
  if (transition == GST_STATE_CHANGE_READY_TO_PAUSED && !start(self)) return GST_STATE_CHANGE_FAILURE;
  const GstStateChangeReturn ret = GST_ELEMENT_CLASS(gst_rwkv_tokenize_parent_class)->change_state(element, transition);
  if (transition == GST_STATE_CHANGE_READY_TO_NULL) replace_coder(self, new Coder());
  return ret;
}

// ---- properties and class --------------------------------------------------------------

static void gst_rwkv_tokenize_set_property(GObject* object, guint id, const GValue* value, GParamSpec* pspec) {
  GstRwkvTokenize* self = GST_RWKV_TOKENIZE(object);
  GST_OBJECT_LOCK(self);
  gstrwkv::set_tokenizer_property(object, *self->settings, id, value, pspec);
  GST_OBJECT_UNLOCK(self);
}

static void gst_rwkv_tokenize_get_property(GObject* object, guint id, GValue* value, GParamSpec* pspec) {
  GstRwkvTokenize* self = GST_RWKV_TOKENIZE(object);
  GST_OBJECT_LOCK(self);
  gstrwkv::get_tokenizer_property(object, *self->settings, id, value, pspec);
  GST_OBJECT_UNLOCK(self);
}

static void gst_rwkv_tokenize_finalize(GObject* object) {
  GstRwkvTokenize* self = GST_RWKV_TOKENIZE(object);
  delete self->coder;
  delete self->settings;
  G_OBJECT_CLASS(gst_rwkv_tokenize_parent_class)->finalize(object);
}

static void gst_rwkv_tokenize_init(GstRwkvTokenize* self) {
  self->settings = new Settings();
  self->coder = new Coder();
  self->sinkpad = gst_pad_new_from_static_template(&sink_template, "sink");
  gst_pad_set_chain_function(self->sinkpad, gst_rwkv_tokenize_chain);
  gst_pad_set_event_function(self->sinkpad, gst_rwkv_tokenize_sink_event);
  gst_pad_set_query_function(self->sinkpad, gst_rwkv_tokenize_sink_query);
  gst_element_add_pad(GST_ELEMENT(self), self->sinkpad);
  self->srcpad = gst_pad_new_from_static_template(&src_template, "src");
  gst_pad_set_query_function(self->srcpad, gst_rwkv_tokenize_src_query);
  gst_element_add_pad(GST_ELEMENT(self), self->srcpad);
}

static void gst_rwkv_tokenize_class_init(GstRwkvTokenizeClass* klass) {
  GObjectClass* gobject_class = G_OBJECT_CLASS(klass);
  GstElementClass* element_class = GST_ELEMENT_CLASS(klass);
  gobject_class->set_property = gst_rwkv_tokenize_set_property;
  gobject_class->get_property = gst_rwkv_tokenize_get_property;
  gobject_class->finalize = gst_rwkv_tokenize_finalize;
  element_class->change_state = gst_rwkv_tokenize_change_state;

  gstrwkv::install_tokenizer_properties(gobject_class,
      "the tokenizer of the `model` (a file beside it, the one inside a GGUF file, or bytes for 256-token models)");

  gst_element_class_add_static_pad_template(element_class, &sink_template);
  gst_element_class_add_static_pad_template(element_class, &src_template);
  gst_element_class_set_static_metadata(element_class, "RWKV tokenizer", "Filter/Text",
      "Turns a UTF-8 text stream into RWKV token ids (uint32 little-endian), independent of how the text is cut "
      "into buffers", "gst-rwkv");
  GST_DEBUG_CATEGORY_INIT(gst_rwkv_tokenize_debug, "rwkvtokenize", 0, "RWKV tokenizer element");
}
