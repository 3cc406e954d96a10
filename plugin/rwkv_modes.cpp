// What each mode writes and posts: score passes each buffer on with its score (message and
// meta); continue, respond and classify answer at a trigger on a fork of the state, classify
// also posting every label's log-probability.
#include "rwkv_element.h"

#include <chrono>
#include <exception>

namespace gstrwkv::elem {

static bool is_blank(const std::string& s) { return s.find_first_not_of(" \t\r\n") == std::string::npos; }

// Why the pending text cannot be answered now, or null when it can.
static const char* nothing_to_answer(GstRwkv* self, const Settings& s) {
  const Runtime& rt = *self->rt;
  switch (s.stream.mode) {
    case Mode::Score: return "score mode";
    case Mode::Punctuate: return "punctuate mode";
    case Mode::Continue: return stream_of(self).can_continue() ? nullptr : "no text read yet";
    case Mode::Respond: return is_blank(rt.pending) ? "no text since the last answer" : nullptr;
    case Mode::Classify:
      if (s.stream.labels.empty()) return "classify mode without labels";
      return is_blank(rt.pending) ? "no text since the last answer" : nullptr;
  }
  return nullptr;
}

static void post_classify(GstRwkv* self, const gstrwkv::Answer& a, GstClockTime end) {
  GstStructure* st = gst_structure_new("rwkv-classify", "running-time", G_TYPE_UINT64, guint64(end), "label",
                                       G_TYPE_STRING, a.text.c_str(), nullptr);
  GValue list = G_VALUE_INIT, item = G_VALUE_INIT;
  gst_value_list_init(&list, guint(a.labels.size()));
  for (const auto& [label, logprob] : a.labels) {
    GstStructure* ls =
        gst_structure_new("label", "name", G_TYPE_STRING, label.c_str(), "logprob", G_TYPE_DOUBLE, logprob, nullptr);
    g_value_init(&item, GST_TYPE_STRUCTURE);
    gst_value_set_structure(&item, ls);
    gst_structure_free(ls);
    gst_value_list_append_and_take_value(&list, &item);
    item = G_VALUE_INIT;
  }
  gst_structure_take_value(st, "scores", &list);
  post_structure(self, st);
}

GstFlowReturn run_trigger(GstRwkv* self, const Settings& s, const char* why, GstClockTime spent) {
  Runtime& rt = *self->rt;
  if (s.stream.mode == Mode::Score) return GST_FLOW_OK;
  if (s.stream.mode == Mode::Punctuate) return punctuate_release(self, why);
  if (self->reconfigured->exchange(false)) rt.warned_labels = false;
  const GstClockTime start = rt.pending_start,
                     end = GST_CLOCK_TIME_IS_VALID(rt.pending_end) ? rt.pending_end : rt.last_end;
  if (const char* nothing = nothing_to_answer(self, s)) {
    GST_DEBUG_OBJECT(self, "trigger (%s): nothing to answer (%s)", why, nothing);
    if (s.stream.mode == Mode::Classify && s.stream.labels.empty() && !rt.warned_labels) {
      rt.warned_labels = true;  // once per configuration: re-armed when mode or labels change
      GST_ELEMENT_WARNING(self, LIBRARY, SETTINGS, ("Classify mode needs the labels property"),
                          ("triggers produce no output until labels are set"));
    }
    push_gap(self, s.stream.mode, start, end);
    return GST_FLOW_OK;
  }
  GST_DEBUG_OBJECT(self, "trigger (%s): answering %zu bytes in mode %d", why, rt.pending.size(), int(s.stream.mode));
  gstrwkv::Settings ss = s.stream;
  const auto t0 = std::chrono::steady_clock::now();
  gstrwkv::Answer a;
  try {
    a = stream_of(self).answer(ss, std::string(newest(rt.pending, s.max_text_bytes)), *self->flushing);
  } catch (const std::exception& e) {
    GST_ELEMENT_ERROR(self, LIBRARY, FAILED, ("Generation failed"), ("%s", e.what()));
    return GST_FLOW_ERROR;
  }
  const auto took = GstClockTime(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() * 1e9);
  GST_DEBUG_OBJECT(self, "answered in %" GST_TIME_FORMAT "%s: %zu bytes", GST_TIME_ARGS(took),
                   a.aborted ? " (aborted by a flush)" : "", a.text.size());
  if (a.aborted) return GST_FLOW_FLUSHING;
  account_latency(self, spent + took);
  rt.pending.clear();
  rt.pending_start = rt.pending_end = GST_CLOCK_TIME_NONE;
  rt.last_trigger = end;
  if (s.stream.mode == Mode::Classify) post_classify(self, a, end);
  if (a.text.empty()) {
    push_gap(self, s.stream.mode, start, end);
    return GST_FLOW_OK;
  }
  return push_text(self, s.stream.mode, a.text, start, end);
}

GstFlowReturn post_score(GstRwkv* self, GstBuffer* buf, const gstrwkv::Score& score, GstClockTime end,
                                Mode mode) {
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
  ensure_src_ready(self, mode);
  return gst_pad_push(self->srcpad, buf);
}

}  // namespace gstrwkv::elem
