// Score mode: each buffer is read into the state and passed on unchanged, with its score as
// a custom meta and an rwkv-score message; the source caps are the input's.
#include "rwkv_mode.h"

namespace gstrwkv::elem {

namespace {

// A buffer in score mode: at most this many tokens, for latency=auto's first estimate.
constexpr int kBufferTokens = 32;

GstFlowReturn post_score(GstRwkv* self, GstBuffer* buf, const gstrwkv::Score& score, GstClockTime end) {
  Runtime& rt = *self->rt;
  // GstStructure strings must be UTF-8; the input (and so the word) may not be.
  gchar* word = g_utf8_make_valid(score.least_likely_word.data(), gssize(score.least_likely_word.size()));
  GstStructure* st = gst_structure_new("rwkv-score", "running-time", G_TYPE_UINT64, guint64(end), "tokens",
                                       G_TYPE_UINT, guint(score.tokens), "bytes", G_TYPE_UINT, guint(score.bytes),
                                       "logprob", G_TYPE_DOUBLE, score.logprob, "bits-per-byte", G_TYPE_DOUBLE,
                                       score.bits_per_byte(), "least-likely-word", G_TYPE_STRING, word,
                                       "least-likely-logprob", G_TYPE_DOUBLE, score.least_likely_logprob, nullptr);
  g_free(word);
  buf = gst_buffer_make_writable(gst_buffer_ref(buf));
  GstCustomMeta* meta = gst_buffer_add_custom_meta(buf, "GstRwkvScoreMeta");
  GstStructure* ms = gst_custom_meta_get_structure(meta);
  // The meta carries what the message carries.
  for (int i = 0; i < gst_structure_n_fields(st); i++) {
    const gchar* name = gst_structure_nth_field_name(st, guint(i));
    gst_structure_set_value(ms, name, gst_structure_get_value(st, name));
  }
  post_structure(self, st);
  if (!GST_BUFFER_PTS_IS_VALID(buf) || !rt.timed) {
    GST_BUFFER_PTS(buf) = output_position(self, end);
    if (!GST_BUFFER_DURATION_IS_VALID(buf)) GST_BUFFER_DURATION(buf) = kDefaultDuration;
  }
  return push_out(self, Mode::Score, buf);
}

class ScoreMode final : public ModeBehaviour {
 public:
  GstFlowReturn input(GstRwkv* self, const Input& in, const Settings& s) const override {
    gstrwkv::Score score;
    std::string separator;
    GstFlowReturn ret;
    if (!read_into_stream(self, in, s, score, separator, &ret)) return ret;
    // What reading took is what the output waits for.
    account_latency(self, since(in.started_us));
    return post_score(self, in.buf, score, in.end);
  }
  GstCaps* output_caps(const Runtime& rt) const override {
    if (rt.format == INPUT_TOKENS && !rt.input_caps.empty()) return gst_caps_from_string(rt.input_caps.c_str());
    const char* fmt = rt.format == INPUT_MARKUP ? "pango-markup" : "utf8";
    return gst_caps_new_simple("text/x-raw", "format", G_TYPE_STRING, fmt, nullptr);
  }
  int latency_tokens(const Settings&) const override { return kBufferTokens; }
};

}  // namespace

const ModeBehaviour& score_mode() {
  static const ScoreMode mode;
  return mode;
}

}  // namespace gstrwkv::elem
