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

GST_DEBUG_CATEGORY_STATIC(gst_rwkv_tokenize_debug);
#define GST_CAT_DEFAULT gst_rwkv_tokenize_debug

using gstrwkv::TokenStream;

namespace {

// What rwkvtokenize keeps of its stream beside TokenStream: the streaming thread's, and
// state changes' while stopped.
struct Encoding {
  std::unique_ptr<rwkv::TextEncoder> enc;
  std::string utf8_tail;     // an unfinished UTF-8 character at the end of the last buffer
  bool warned_utf8 = false;
  guint64 tokens_out = 0;    // buffer offsets count tokens
  // Input buffers that still hold held-back text: (byte count after the buffer, its PTS).
  guint64 bytes_in = 0;
  std::deque<std::pair<guint64, GstClockTime>> holders;
};

}  // namespace

struct _GstRwkvTokenize {
  GstRwkvTokenElement parent;
  Encoding* coding;
};

G_DEFINE_TYPE(GstRwkvTokenize, gst_rwkv_tokenize, GST_TYPE_RWKV_TOKEN_ELEMENT);
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
  Encoding& c = *self->coding;
  GstBuffer* buf = gst_buffer_new_allocate(nullptr, ids.size() * 4, nullptr);
  GstMapInfo map;
  gst_buffer_map(buf, &map, GST_MAP_WRITE);
  for (size_t i = 0; i < ids.size(); i++) GST_WRITE_UINT32_LE(map.data + 4 * i, ids[i]);
  gst_buffer_unmap(buf, &map);
  GST_BUFFER_OFFSET(buf) = c.tokens_out;
  c.tokens_out += ids.size();
  GST_BUFFER_OFFSET_END(buf) = c.tokens_out;
  return gstrwkv::push_output(&self->parent, buf, pts, duration);
}

static GstFlowReturn tokenize_chain(GstRwkvTokenElement* base, GstBuffer* buf) {
  GstRwkvTokenize* self = GST_RWKV_TOKENIZE(base);
  Encoding& c = *self->coding;
  if (!c.enc) {
    gst_buffer_unref(buf);
    GST_ELEMENT_ERROR(self, CORE, NEGOTIATION, ("No tokenizer loaded"), (nullptr));
    return GST_FLOW_NOT_NEGOTIATED;
  }
  // No caps from upstream (pocketsphinx sends none): the buffer is read as UTF-8 text.
  gstrwkv::prepare_output(base);

  GstMapInfo map;
  if (!gst_buffer_map(buf, &map, GST_MAP_READ)) {
    gst_buffer_unref(buf);
    GST_ELEMENT_ERROR(self, STREAM, FAILED, ("Could not read an input buffer"), (nullptr));
    return GST_FLOW_ERROR;
  }
  if (!utf8_continues(c.utf8_tail, map.data, map.size) && !c.warned_utf8) {
    GST_ELEMENT_WARNING(self, STREAM, DECODE, ("Input is not valid UTF-8"),
                        ("the %s tokenizer reads the bytes as they are", base->stream->tok->name()));
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
  gstrwkv::note_input(base, buf);
  gst_buffer_unref(buf);
  // Remember which buffers the held-back text came from: tokens flushed at EOS start there.
  c.bytes_in += size;
  c.holders.emplace_back(c.bytes_in, pts);
  const guint64 held_from = c.bytes_in - c.enc->pending_bytes();
  while (!c.holders.empty() && c.holders.front().first <= held_from) c.holders.pop_front();

  if (!ids.empty()) return push_tokens(self, ids, pts, duration);
  gstrwkv::push_nothing(base, pts, duration);  // nothing final yet
  return GST_FLOW_OK;
}

// End of stream: the held-back text is encoded as if the text ended here.
static void tokenize_drain(GstRwkvTokenElement* base) {
  GstRwkvTokenize* self = GST_RWKV_TOKENIZE(base);
  Encoding& c = *self->coding;
  const TokenStream& st = *base->stream;
  if (!c.enc) return;
  if (!c.utf8_tail.empty() && !c.warned_utf8) {
    GST_ELEMENT_WARNING(self, STREAM, DECODE, ("Input ends inside a UTF-8 character"), (nullptr));
    c.warned_utf8 = true;
  }
  std::vector<uint32_t> ids;
  c.enc->flush(ids);
  c.utf8_tail.clear();
  if (ids.empty()) return;
  const GstClockTime pts = !c.holders.empty() && GST_CLOCK_TIME_IS_VALID(c.holders.front().second)
                               ? c.holders.front().second
                               : st.last_pts;
  const GstClockTime duration =
      GST_CLOCK_TIME_IS_VALID(pts) && GST_CLOCK_TIME_IS_VALID(st.last_end) && st.last_end >= pts ? st.last_end - pts
                                                                                                  : GST_CLOCK_TIME_NONE;
  c.holders.clear();
  gstrwkv::prepare_output(base);
  push_tokens(self, ids, pts, duration);
}

// Any text caps give the same output caps.
static gboolean tokenize_set_caps(GstRwkvTokenElement* base, GstCaps*) {
  GstCaps* ours = base->stream->caps;
  if (!ours) return FALSE;
  gstrwkv::prepare_src_pad(GST_ELEMENT(base), base->srcpad, ours, nullptr);
  GstCaps* current = gst_pad_get_current_caps(base->srcpad);
  const bool ok = current && gst_caps_is_equal(current, ours);
  if (current) gst_caps_unref(current);
  return ok;
}

// What was held back belonged to the text before the flush.
static void tokenize_restart(GstRwkvTokenElement* base) {
  Encoding& c = *GST_RWKV_TOKENIZE(base)->coding;
  if (c.enc) c.enc->reset();
  c.utf8_tail.clear();
  c.holders.clear();
}

static void tokenize_begin(GstRwkvTokenElement* base) {
  GstRwkvTokenize* self = GST_RWKV_TOKENIZE(base);
  TokenStream& st = *base->stream;
  auto* c = new Encoding();
  c->enc = st.tok->new_encoder();
  GstCaps* caps = gst_caps_new_simple(gstrwkv::kTokensMediaType, "vocabulary", G_TYPE_STRING, st.tok->name(), nullptr);
  GST_OBJECT_LOCK(self);  // the src caps query reads them
  st.caps = caps;
  GST_OBJECT_UNLOCK(self);
  std::swap(c, self->coding);
  delete c;
}

static void tokenize_end(GstRwkvTokenElement* base) {
  GstRwkvTokenize* self = GST_RWKV_TOKENIZE(base);
  delete self->coding;
  self->coding = new Encoding();
}

static gboolean tokenize_sink_query(GstPad* pad, GstObject* parent, GstQuery* query) {
  if (GST_QUERY_TYPE(query) == GST_QUERY_CAPS) return gstrwkv::answer_caps_query(pad, query, nullptr);
  return gst_pad_query_default(pad, parent, query);
}

static gboolean tokenize_src_query(GstPad* pad, GstObject* parent, GstQuery* query) {
  GstRwkvTokenElement* base = GST_RWKV_TOKEN_ELEMENT(parent);
  if (GST_QUERY_TYPE(query) == GST_QUERY_CAPS) {
    GST_OBJECT_LOCK(base);
    GstCaps* ours = base->stream->caps ? gst_caps_ref(base->stream->caps) : nullptr;
    GST_OBJECT_UNLOCK(base);
    const gboolean ret = gstrwkv::answer_caps_query(pad, query, ours);
    if (ours) gst_caps_unref(ours);
    return ret;
  }
  return gst_pad_query_default(pad, parent, query);
}

static void gst_rwkv_tokenize_finalize(GObject* object) {
  delete GST_RWKV_TOKENIZE(object)->coding;
  G_OBJECT_CLASS(gst_rwkv_tokenize_parent_class)->finalize(object);
}

static void gst_rwkv_tokenize_init(GstRwkvTokenize* self) { self->coding = new Encoding(); }

static void gst_rwkv_tokenize_class_init(GstRwkvTokenizeClass* klass) {
  GObjectClass* gobject_class = G_OBJECT_CLASS(klass);
  GstElementClass* element_class = GST_ELEMENT_CLASS(klass);
  GstRwkvTokenElementClass* token_class = GST_RWKV_TOKEN_ELEMENT_CLASS(klass);
  gobject_class->finalize = gst_rwkv_tokenize_finalize;
  token_class->tokenizer_from_caps = false;
  token_class->begin = tokenize_begin;
  token_class->end = tokenize_end;
  token_class->chain = tokenize_chain;
  token_class->set_caps = tokenize_set_caps;
  token_class->restart = tokenize_restart;
  token_class->drain = tokenize_drain;
  token_class->sink_query = tokenize_sink_query;
  token_class->src_query = tokenize_src_query;

  gstrwkv::install_tokenizer_properties(gobject_class,
      "the tokenizer of the `model` (a file beside it, the one inside a GGUF file, or bytes for 256-token models)");
  gst_element_class_add_static_pad_template(element_class, &sink_template);
  gst_element_class_add_static_pad_template(element_class, &src_template);
  gst_element_class_set_static_metadata(element_class, "RWKV tokenizer", "Filter/Text",
      "Turns a UTF-8 text stream into RWKV token ids (uint32 little-endian), independent of how the text is cut "
      "into buffers", "gst-rwkv");
  GST_DEBUG_CATEGORY_INIT(gst_rwkv_tokenize_debug, "rwkvtokenize", 0, "RWKV tokenizer element");
}
