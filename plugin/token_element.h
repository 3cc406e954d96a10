// GstRwkvTokenElement: the abstract base of rwkvtokenize and rwkvdetokenize (as GStreamer's
// own base classes, e.g. GstBaseTransform, carry what their subclasses share). It owns the
// pads, the `tokenizer` / `model` properties, the tokenizer resolved from them at
// READY->PAUSED (again only when they changed in READY), the output caps, segment and
// timing, and the sink events every token element treats alike; a subclass supplies the
// conversion (chain), its caps handling, and what it holds back (restart, drain).
#pragma once
#include <gst/gst.h>

#include <memory>
#include <optional>
#include <string>

namespace rwkv {
class Tokenizer;
}

namespace gstrwkv {

// Media type of token streams; its `vocabulary` field is rwkv::Tokenizer::name().
inline constexpr const char* kTokensMediaType = "application/x-rwkv-tokens";

// The `tokenizer` and `model` properties (guarded by the element's object lock).
struct TokenizerSettings {
  std::string tokenizer = "auto", model;
  bool operator==(const TokenizerSettings&) const = default;
};

// The tokenizer a token element uses: `spec` is a tokenizer file, "bytes", or "auto" (or
// empty) for the one `model` goes with (rwkv::tokenizer_for_model on rwkv::inspect: the
// checkpoint is read, not loaded). With a file and a model, the file is checked against the
// model. Throws rwkv::Error.
std::shared_ptr<const rwkv::Tokenizer> resolve_tokenizer(const std::string& spec, const std::string& model);

// Makes `src` ready for output: a stream-start (when upstream sent none), `caps` (when not
// already current) and, unless null, `segment` (when upstream sent none). Upstreams such as
// pocketsphinx send text without caps, so the elements announce their own.
void prepare_src_pad(GstElement* element, GstPad* src, GstCaps* caps, const GstSegment* segment);

// Answers a CAPS query with `ours` (or, when null, the pad template), filtered.
gboolean answer_caps_query(GstPad* pad, GstQuery* query, GstCaps* ours);

// What every token element keeps of its stream (the streaming thread's, and state changes'
// while stopped; `tok` and `caps` are read by queries under the object lock).
struct TokenStream {
  std::optional<TokenizerSettings> loaded;    // the properties `tok` was resolved for
  std::shared_ptr<const rwkv::Tokenizer> tok;
  GstCaps* caps = nullptr;                    // ours, on the src pad
  GstSegment segment;
  bool discont = true;
  GstClockTime last_pts = GST_CLOCK_TIME_NONE, last_end = GST_CLOCK_TIME_NONE;

  TokenStream() { gst_segment_init(&segment, GST_FORMAT_TIME); }
  ~TokenStream() {
    if (caps) gst_caps_unref(caps);
  }
  TokenStream(const TokenStream&) = delete;
  TokenStream& operator=(const TokenStream&) = delete;
};

}  // namespace gstrwkv

G_BEGIN_DECLS

#define GST_TYPE_RWKV_TOKEN_ELEMENT (gst_rwkv_token_element_get_type())
#define GST_RWKV_TOKEN_ELEMENT(obj) (G_TYPE_CHECK_INSTANCE_CAST((obj), GST_TYPE_RWKV_TOKEN_ELEMENT, GstRwkvTokenElement))
#define GST_RWKV_TOKEN_ELEMENT_CLASS(klass) \
  (G_TYPE_CHECK_CLASS_CAST((klass), GST_TYPE_RWKV_TOKEN_ELEMENT, GstRwkvTokenElementClass))
#define GST_RWKV_TOKEN_ELEMENT_GET_CLASS(obj) \
  (G_TYPE_INSTANCE_GET_CLASS((obj), GST_TYPE_RWKV_TOKEN_ELEMENT, GstRwkvTokenElementClass))

struct GstRwkvTokenElement {
  GstElement parent;
  GstPad* sinkpad;
  GstPad* srcpad;
  gstrwkv::TokenizerSettings* settings;  // guarded by the object lock
  gstrwkv::TokenStream* stream;
};

struct GstRwkvTokenElementClass {
  GstElementClass parent_class;
  // Without `tokenizer` and `model` set, start without a tokenizer (the caps name one).
  bool tokenizer_from_caps;
  // READY->PAUSED, with the tokenizer resolved (null only with tokenizer_from_caps): a fresh
  // stream of the subclass's own; sets stream->caps.
  void (*begin)(GstRwkvTokenElement* self);
  // READY->NULL: the subclass's stream dropped.
  void (*end)(GstRwkvTokenElement* self);
  GstFlowReturn (*chain)(GstRwkvTokenElement* self, GstBuffer* buf);
  gboolean (*set_caps)(GstRwkvTokenElement* self, GstCaps* caps);
  void (*restart)(GstRwkvTokenElement* self);  // FLUSH_STOP: what is held back belonged before
  void (*drain)(GstRwkvTokenElement* self);    // EOS: what is held back comes out
  GstPadQueryFunction sink_query, src_query;   // optional
};

GType gst_rwkv_token_element_get_type(void);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(GstRwkvTokenElement, gst_object_unref)

G_END_DECLS

namespace gstrwkv {

// For subclasses' class_init: the two properties (and their accessors); `automatic` says what
// tokenizer=auto means.
void install_tokenizer_properties(GObjectClass* klass, const char* automatic);
// Sends what the element has to say before output (stream-start, caps, segment).
void prepare_output(GstRwkvTokenElement* self);
// Records a buffer's span (for EOS output) and pushes `out` with pts, duration and DISCONT
// after a flush or a discontinuity.
GstFlowReturn push_output(GstRwkvTokenElement* self, GstBuffer* out, GstClockTime pts, GstClockTime duration);
// An input span that produced nothing yet: a GAP, so sparse streams move on.
void push_nothing(GstRwkvTokenElement* self, GstClockTime pts, GstClockTime duration);
// An input buffer's pts and duration, remembered as the latest (and its DISCONT flag).
void note_input(GstRwkvTokenElement* self, GstBuffer* buf);

}  // namespace gstrwkv
