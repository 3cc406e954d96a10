// The `rwkvtokenize` element: UTF-8 text in, RWKV token ids out (application/x-rwkv-tokens:
// buffers of uint32 little-endian ids), through the engine's streaming encoder, so the ids
// do not depend on how the text was cut into buffers.
//
// Also the pieces both token elements share (rwkvdetokenize is the way back).
#pragma once
#include <gst/gst.h>

#include <memory>
#include <string>

namespace rwkv {
class Tokenizer;
}

G_BEGIN_DECLS

#define GST_TYPE_RWKV_TOKENIZE (gst_rwkv_tokenize_get_type())
G_DECLARE_FINAL_TYPE(GstRwkvTokenize, gst_rwkv_tokenize, GST, RWKV_TOKENIZE, GstElement)

GST_ELEMENT_REGISTER_DECLARE(rwkvtokenize);

G_END_DECLS

namespace gstrwkv {

// Media type of token streams; its `vocabulary` field is rwkv::Tokenizer::name().
inline constexpr const char* kTokensMediaType = "application/x-rwkv-tokens";

// The tokenizer a token element uses: `spec` is a tokenizer file, "bytes", or "auto" (or
// empty) for the one `model` goes with (rwkv::tokenizer_for_model; the model is loaded
// through the plugin's model cache, so an rwkv element reading the same file shares it).
// With a file and a model, the file is checked against the model. Throws rwkv::Error.
std::shared_ptr<const rwkv::Tokenizer> resolve_tokenizer(const std::string& spec, const std::string& model);

// Makes `src` ready for output: a stream-start (when upstream sent none), `caps` (when not
// already current) and, unless null, `segment` (when upstream sent none). Upstreams such as pocketsphinx
// send text without caps, so the elements announce their own.
void prepare_src_pad(GstElement* element, GstPad* src, GstCaps* caps, const GstSegment* segment);

// Answers a CAPS query with `ours` (or, when null, the pad template), filtered.
gboolean answer_caps_query(GstPad* pad, GstQuery* query, GstCaps* ours);

}  // namespace gstrwkv
