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
#include <string>
#include <utility>
#include <vector>

#include "rwkv/tokenizer.h"

GST_DEBUG_CATEGORY_STATIC(gst_rwkv_detokenize_debug);
#define GST_CAT_DEFAULT gst_rwkv_detokenize_debug

using gstrwkv::TokenStream;

namespace {

// What rwkvdetokenize keeps of its stream beside TokenStream: the streaming thread's, and
// state changes' while stopped.
struct Decoding {
  std::unique_ptr<rwkv::TextDecoder> dec;
  std::string id_tail;        // the bytes of an id cut off at the end of the last buffer
  bool caps_refused = false;  // a refused caps event is offered again with every buffer: one error
};

}  // namespace

struct _GstRwkvDetokenize {
  GstRwkvTokenElement parent;
  Decoding* coding;
};

G_DEFINE_TYPE(GstRwkvDetokenize, gst_rwkv_detokenize, GST_TYPE_RWKV_TOKEN_ELEMENT);
GST_ELEMENT_REGISTER_DEFINE(rwkvdetokenize, "rwkvdetokenize", GST_RANK_NONE, GST_TYPE_RWKV_DETOKENIZE);

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE(
    "sink", GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS("application/x-rwkv-tokens"));
static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE(
    "src", GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS("text/x-raw, format = (string) utf8"));

static GstFlowReturn push_text(GstRwkvDetokenize* self, const std::string& text, GstClockTime pts,
                               GstClockTime duration) {
  return gstrwkv::push_output(&self->parent, gst_buffer_new_memdup(text.data(), text.size()), pts, duration);
}

static GstFlowReturn detokenize_chain(GstRwkvTokenElement* base, GstBuffer* buf) {
  GstRwkvDetokenize* self = GST_RWKV_DETOKENIZE(base);
  Decoding& c = *self->coding;
  const std::shared_ptr<const rwkv::Tokenizer> tok = base->stream->tok;
  if (!tok) {
    gst_buffer_unref(buf);
    GST_ELEMENT_ERROR(self, CORE, NEGOTIATION, ("Token stream without a vocabulary"),
                      ("no caps arrived and neither `tokenizer` nor `model` is set"));
    return GST_FLOW_NOT_NEGOTIATED;
  }
  // No caps from upstream: the ids are read in the configured tokenizer's vocabulary.
  if (!c.dec) c.dec = std::make_unique<rwkv::TextDecoder>(tok);
  gstrwkv::prepare_output(base);

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
    if (ids[i] >= tok->n_vocab()) {
      gst_buffer_unref(buf);
      GST_ELEMENT_ERROR(self, STREAM, DECODE, ("Token id %u is out of range", ids[i]),
                        ("the %s vocabulary has %u tokens", tok->name(), tok->n_vocab()));
      return GST_FLOW_ERROR;
    }
  }
  const std::string text = c.dec->push(ids);

  const GstClockTime pts = GST_BUFFER_PTS(buf), duration = GST_BUFFER_DURATION(buf);
  gstrwkv::note_input(base, buf);
  gst_buffer_unref(buf);
  if (!text.empty()) return push_text(self, text, pts, duration);
  gstrwkv::push_nothing(base, pts, duration);  // only part of a character so far
  return GST_FLOW_OK;
}

// End of stream: an unfinished character comes out as U+FFFD.
static void detokenize_drain(GstRwkvTokenElement* base) {
  GstRwkvDetokenize* self = GST_RWKV_DETOKENIZE(base);
  Decoding& c = *self->coding;
  const TokenStream& st = *base->stream;
  if (!c.id_tail.empty())
    GST_ELEMENT_WARNING(self, STREAM, DECODE, ("Token stream ends inside a token id"),
                        ("%zu stray bytes dropped", c.id_tail.size()));
  c.id_tail.clear();
  if (!c.dec) return;
  const std::string text = c.dec->flush();
  if (text.empty()) return;
  const GstClockTime duration = GST_CLOCK_TIME_IS_VALID(st.last_pts) ? st.last_end - st.last_pts : GST_CLOCK_TIME_NONE;
  gstrwkv::prepare_output(base);
  push_text(self, text, st.last_pts, duration);
}

// Takes the vocabulary from the caps: it must be the tokenizer's, and with neither `tokenizer`
// nor `model` set, a bytes stream needs no file.
static gboolean detokenize_set_caps(GstRwkvTokenElement* base, GstCaps* caps) {
  GstRwkvDetokenize* self = GST_RWKV_DETOKENIZE(base);
  Decoding& c = *self->coding;
  TokenStream& st = *base->stream;
  const gchar* vocab = gst_structure_get_string(gst_caps_get_structure(caps, 0), "vocabulary");
  if (!st.tok) {
    if (!vocab || !g_str_equal(vocab, "bytes")) {
      if (!std::exchange(c.caps_refused, true))
        GST_ELEMENT_ERROR(self, CORE, NEGOTIATION, ("Token stream of vocabulary '%s' needs a tokenizer", vocab ? vocab : "unknown"),
                          ("set the `tokenizer` property to its file, or `model` to the model it belongs to"));
      return FALSE;
    }
    std::shared_ptr<const rwkv::Tokenizer> bytes = rwkv::make_bytes_tokenizer();
    GST_OBJECT_LOCK(self);  // the sink caps query reads it
    st.tok = bytes;
    GST_OBJECT_UNLOCK(self);
  } else if (vocab && !g_str_equal(vocab, st.tok->name())) {
    if (!std::exchange(c.caps_refused, true))
      GST_ELEMENT_ERROR(self, STREAM, WRONG_TYPE,
                        ("Token stream of vocabulary '%s', but the tokenizer is '%s'", vocab, st.tok->name()),
                        ("tokenizer %s", st.tok->source.c_str()));
    return FALSE;
  }
  c.caps_refused = false;
  if (!c.dec) c.dec = std::make_unique<rwkv::TextDecoder>(st.tok);
  gstrwkv::prepare_src_pad(GST_ELEMENT(self), base->srcpad, st.caps, nullptr);
  return TRUE;
}

// An unfinished character belonged to the tokens before the flush.
static void detokenize_restart(GstRwkvTokenElement* base) {
  Decoding& c = *GST_RWKV_DETOKENIZE(base)->coding;
  if (c.dec) c.dec->reset();
  c.id_tail.clear();
}

static void detokenize_begin(GstRwkvTokenElement* base) {
  GstRwkvDetokenize* self = GST_RWKV_DETOKENIZE(base);
  GstCaps* caps = gst_caps_new_simple("text/x-raw", "format", G_TYPE_STRING, "utf8", nullptr);
  GST_OBJECT_LOCK(self);
  base->stream->caps = caps;
  GST_OBJECT_UNLOCK(self);
  delete self->coding;
  self->coding = new Decoding();
}

static void detokenize_end(GstRwkvTokenElement* base) {
  GstRwkvDetokenize* self = GST_RWKV_DETOKENIZE(base);
  delete self->coding;
  self->coding = new Decoding();
}

static gboolean detokenize_sink_query(GstPad* pad, GstObject* parent, GstQuery* query) {
  GstRwkvTokenElement* base = GST_RWKV_TOKEN_ELEMENT(parent);
  if (GST_QUERY_TYPE(query) == GST_QUERY_CAPS) {
    // Once the tokenizer is known, only its vocabulary.
    GstCaps* ours = nullptr;
    GST_OBJECT_LOCK(base);
    if (base->stream->tok)
      ours = gst_caps_new_simple(gstrwkv::kTokensMediaType, "vocabulary", G_TYPE_STRING, base->stream->tok->name(),
                                 nullptr);
    GST_OBJECT_UNLOCK(base);
    const gboolean ret = gstrwkv::answer_caps_query(pad, query, ours);
    if (ours) gst_caps_unref(ours);
    return ret;
  }
  return gst_pad_query_default(pad, parent, query);
}

static void gst_rwkv_detokenize_finalize(GObject* object) {
  delete GST_RWKV_DETOKENIZE(object)->coding;
  G_OBJECT_CLASS(gst_rwkv_detokenize_parent_class)->finalize(object);
}

static void gst_rwkv_detokenize_init(GstRwkvDetokenize* self) { self->coding = new Decoding(); }

static void gst_rwkv_detokenize_class_init(GstRwkvDetokenizeClass* klass) {
  GObjectClass* gobject_class = G_OBJECT_CLASS(klass);
  GstElementClass* element_class = GST_ELEMENT_CLASS(klass);
  GstRwkvTokenElementClass* token_class = GST_RWKV_TOKEN_ELEMENT_CLASS(klass);
  gobject_class->finalize = gst_rwkv_detokenize_finalize;
  token_class->tokenizer_from_caps = true;
  token_class->begin = detokenize_begin;
  token_class->end = detokenize_end;
  token_class->chain = detokenize_chain;
  token_class->set_caps = detokenize_set_caps;
  token_class->restart = detokenize_restart;
  token_class->drain = detokenize_drain;
  token_class->sink_query = detokenize_sink_query;

  gstrwkv::install_tokenizer_properties(gobject_class,
      "the tokenizer of the `model`, or without a model the one the caps name (only a bytes stream needs no file)");
  gst_element_class_add_static_pad_template(element_class, &sink_template);
  gst_element_class_add_static_pad_template(element_class, &src_template);
  gst_element_class_set_static_metadata(element_class, "RWKV detokenizer", "Filter/Text",
      "Turns RWKV token ids (uint32 little-endian) back into UTF-8 text, emitting only complete characters",
      "gst-rwkv");
  GST_DEBUG_CATEGORY_INIT(gst_rwkv_detokenize_debug, "rwkvdetokenize", 0, "RWKV detokenizer element");
}
