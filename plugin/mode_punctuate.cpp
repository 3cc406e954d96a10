// Punctuate mode: each input buffer comes out once its words' marks and capitals are decided
// (rwkv/punctuate.h), the same words with the input's timestamps, flags and metas. A buffer
// waits for `lookahead` words after its last one, or at most `hold` after it arrived (the
// element's thread watches that deadline), or until a GAP, EOS, a drain, the trigger signal
// or trigger=buffer decides it with the words there are.
#include <chrono>
#include <exception>

#include "rwkv_mode.h"

namespace gstrwkv::elem {

namespace {

rwkv::PunctuateOptions punctuate_options(const Settings& s) {
  rwkv::PunctuateOptions o;
  o.lookahead = s.lookahead;
  return o;
}

// Pushes every held buffer whose text is complete, oldest first.
GstFlowReturn push_ready(GstRwkv* self) {
  Runtime& rt = *self->rt;
  GstFlowReturn ret = GST_FLOW_OK;
  std::string text;
  while (!rt.held.empty() && stream_of(self).punctuated(text)) {
    HeldBuffer h = std::move(rt.held.front());
    rt.held.pop_front();
    if (ret != GST_FLOW_OK) continue;  // downstream refused one: the rest is dropped in order
    GstBuffer* out = gst_buffer_new_memdup(text.data(), text.size());
    gst_buffer_copy_into(out, h.buf, GstBufferCopyFlags(GST_BUFFER_COPY_METADATA), 0, -1);
    if (!GST_BUFFER_PTS_IS_VALID(out) || !rt.timed) {
      GST_BUFFER_PTS(out) = output_position(self, h.end);
      if (!GST_BUFFER_DURATION_IS_VALID(out)) GST_BUFFER_DURATION(out) = kDefaultDuration;
    }
    GST_DEBUG_OBJECT(self, "punctuated: %s", text.c_str());
    ret = push_out(self, Mode::Punctuate, out);
  }
  return ret;
}

// Runs what the model does for punctuate mode; false, with the element's error posted, when it throws.
template <class F>
bool model_ran(GstRwkv* self, F&& f) {
  try {
    f();
    return true;
  } catch (const std::exception& e) {
    GST_ELEMENT_ERROR(self, LIBRARY, FAILED, ("The model could not punctuate the input"), ("%s", e.what()));
    return false;
  }
}

GstFlowReturn release(GstRwkv* self, const char* why) {
  Runtime& rt = *self->rt;
  if (rt.held.empty()) return GST_FLOW_OK;
  GST_DEBUG_OBJECT(self, "%zu held buffers decided (%s)", rt.held.size(), why);
  const gint64 t0 = g_get_monotonic_time();
  if (!model_ran(self, [&] { stream_of(self).punctuate_finish(); })) return GST_FLOW_ERROR;
  account_latency(self, since(t0));
  return push_ready(self);
}

class PunctuateMode final : public ModeBehaviour {
 public:
  GstFlowReturn input(GstRwkv* self, const Input& in, const Settings& s) const override {
    Runtime& rt = *self->rt;
    const bool ok = model_ran(self, [&] {
      const std::string ids_text = in.tokens ? stream_of(self).detokenize({in.ids.begin(), in.ids.end()}) : "";
      stream_of(self).punctuate(in.tokens ? std::string_view(ids_text) : in.text, punctuate_options(s));
      if (s.trigger == Trigger::Buffer) stream_of(self).punctuate_finish();
    });
    if (!ok) return GST_FLOW_ERROR;
    rt.held.emplace_back(in.buf, in.end, in.started_us);
    maybe_save_periodically(self, s);
    // Deciding is what the output waits for beyond `hold` (the LATENCY answer adds both).
    account_latency(self, since(in.started_us));
    return push_ready(self);  // (the chain function then wakes the element's thread for the hold)
  }
  // The trigger signal (and trigger=eos/silence/interval) lets what waits out.
  GstFlowReturn trigger(GstRwkv* self, const Settings&, const char* why, GstClockTime) const override {
    return release(self, why);
  }
  GstFlowReturn pause(GstRwkv* self, const char* why) const override { return release(self, why); }
  void drop(GstRwkv* self) const override {
    self->rt->held.clear();
    if (*self->stream) stream_of(self).punctuate_clear();
  }
  // The oldest held buffer leaves `hold` after it arrived.
  gint64 deadline_us(GstRwkv* self, const Settings& s) const override {
    const Runtime& rt = *self->rt;
    return rt.held.empty() ? -1 : rt.held.front().arrived_us + gint64(s.hold / GST_USECOND);
  }
  GstClockTime held_latency(const Settings& s) const override { return s.hold; }
};

}  // namespace

const ModeBehaviour& punctuate_mode() {
  static const PunctuateMode mode;
  return mode;
}

}  // namespace gstrwkv::elem
