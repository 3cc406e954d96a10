// The pieces rwkvtokenize and rwkvdetokenize share: the media type of token streams, the
// `tokenizer` / `model` properties and loading what they name, and src pad preparation.
#pragma once
#include <gst/gst.h>

#include <memory>
#include <string>

namespace rwkv {
class Tokenizer;
}

namespace gstrwkv {

// Media type of token streams; its `vocabulary` field is rwkv::Tokenizer::name().
inline constexpr const char* kTokensMediaType = "application/x-rwkv-tokens";

// The tokenizer a token element uses: `spec` is a tokenizer file, "bytes", or "auto" (or
// empty) for the one `model` goes with (rwkv::tokenizer_for_model on rwkv::inspect: the
// checkpoint is read, not loaded).
// With a file and a model, the file is checked against the model. Throws rwkv::Error.
std::shared_ptr<const rwkv::Tokenizer> resolve_tokenizer(const std::string& spec, const std::string& model);

// Makes `src` ready for output: a stream-start (when upstream sent none), `caps` (when not
// already current) and, unless null, `segment` (when upstream sent none). Upstreams such as pocketsphinx
// send text without caps, so the elements announce their own.
void prepare_src_pad(GstElement* element, GstPad* src, GstCaps* caps, const GstSegment* segment);

// Answers a CAPS query with `ours` (or, when null, the pad template), filtered.
gboolean answer_caps_query(GstPad* pad, GstQuery* query, GstCaps* ours);

// The `tokenizer` and `model` properties (guarded by the element's object lock).
struct TokenizerSettings {
  std::string tokenizer = "auto", model;
  bool operator==(const TokenizerSettings&) const = default;
};
enum { PROP_TOKENIZER = 1, PROP_MODEL };
// Installs both; `automatic` says what tokenizer=auto means for the element.
void install_tokenizer_properties(GObjectClass* klass, const char* automatic);
void set_tokenizer_property(GObject* object, TokenizerSettings& s, guint id, const GValue* value, GParamSpec* pspec);
void get_tokenizer_property(GObject* object, const TokenizerSettings& s, guint id, GValue* value, GParamSpec* pspec);
// resolve_tokenizer() for `s`; on failure, an element error naming both and null.
std::shared_ptr<const rwkv::Tokenizer> load_tokenizer_or_post(GstElement* element, const TokenizerSettings& s);

}  // namespace gstrwkv
