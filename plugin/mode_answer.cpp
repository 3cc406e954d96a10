// Continue, respond and classify mode: input is read into the state and kept as the text
// since the last answer; at a trigger a fork of the state answers (continues the stream,
// answers the prompt, or ranks the labels, posting rwkv-classify), or, with nothing to
// answer, a GAP goes out.
#include <chrono>
#include <exception>

#include "rwkv_mode.h"

namespace gstrwkv::elem {

namespace {

bool is_blank(const std::string& s) { return s.find_first_not_of(" \t\r\n") == std::string::npos; }

// Text since the last trigger, which respond and classify put into their prompt: its newest
// `limit` bytes are kept (the state has read all of it anyway).
void append_pending(Runtime& rt, std::string_view text, size_t limit) {
  rt.pending += text;
  if (rt.pending.size() > 2 * limit) rt.pending = std::string(newest(rt.pending, limit));
}

class AnswerMode : public ModeBehaviour {
 public:
  explicit AnswerMode(Mode mode) : mode_(mode) {}

  GstFlowReturn input(GstRwkv* self, const Input& in, const Settings& s) const override {
    Runtime& rt = *self->rt;
    gstrwkv::Score score;
    std::string separator;
    GstFlowReturn ret;
    if (!read_into_stream(self, in, s, score, separator, &ret)) return ret;
    const GstClockTime reading = since(in.started_us);
    if (!in.tokens) {
      append_pending(rt, in.text, s.max_text_bytes);
      append_pending(rt, separator, s.max_text_bytes);
    } else {
      const auto tail = in.ids.last(std::min<size_t>(in.ids.size(), s.max_text_bytes));  // ids are a byte or more
      append_pending(rt, stream_of(self).detokenize(std::vector<uint32_t>(tail.begin(), tail.end())),
                     s.max_text_bytes);
    }
    if (!GST_CLOCK_TIME_IS_VALID(rt.pending_start)) rt.pending_start = in.start;
    rt.pending_end = in.end;
    if (trigger_due(self, s)) return trigger(self, s, "input", reading);
    push_gap(self, mode_, in.start, in.end);
    return GST_FLOW_OK;
  }

  GstFlowReturn trigger(GstRwkv* self, const Settings& s, const char* why, GstClockTime spent) const override {
    Runtime& rt = *self->rt;
    if (self->reconfigured->exchange(false)) rt.warned_labels = false;
    const GstClockTime start = rt.pending_start,
                       end = GST_CLOCK_TIME_IS_VALID(rt.pending_end) ? rt.pending_end : rt.last_end;
    if (const char* nothing = nothing_to_answer(self, s)) {
      GST_DEBUG_OBJECT(self, "trigger (%s): nothing to answer (%s)", why, nothing);
      push_gap(self, mode_, start, end);
      return GST_FLOW_OK;
    }
    GST_DEBUG_OBJECT(self, "trigger (%s): answering %zu bytes in mode %d", why, rt.pending.size(), int(mode_));
    const auto t0 = std::chrono::steady_clock::now();
    gstrwkv::Answer a;
    try {
      a = answer(stream_of(self), s.stream, std::string(newest(rt.pending, s.max_text_bytes)), *self->flushing);
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
    posted(self, a, end);
    if (a.text.empty()) {
      push_gap(self, mode_, start, end);
      return GST_FLOW_OK;
    }
    return push_text(self, mode_, a.text, start, end);
  }

 protected:
  // Why the pending text cannot be answered now, or null when it can.
  virtual const char* nothing_to_answer(GstRwkv* self, const Settings&) const {
    return is_blank(self->rt->pending) ? "no text since the last answer" : nullptr;
  }
  virtual gstrwkv::Answer answer(Stream& st, const gstrwkv::Settings& s, const std::string& pending,
                                 const std::atomic<bool>& abort) const = 0;
  // The mode's message about an answer, if it has one.
  virtual void posted(GstRwkv*, const gstrwkv::Answer&, GstClockTime) const {}

 private:
  Mode mode_;
};

class ContinueMode final : public AnswerMode {
 public:
  ContinueMode() : AnswerMode(Mode::Continue) {}

 protected:
  const char* nothing_to_answer(GstRwkv* self, const Settings&) const override {
    return stream_of(self).can_continue() ? nullptr : "no text read yet";
  }
  gstrwkv::Answer answer(Stream& st, const gstrwkv::Settings& s, const std::string&,
                         const std::atomic<bool>& abort) const override {
    return st.continue_text(s, abort);
  }
};

class RespondMode final : public AnswerMode {
 public:
  RespondMode() : AnswerMode(Mode::Respond) {}

 protected:
  gstrwkv::Answer answer(Stream& st, const gstrwkv::Settings& s, const std::string& pending,
                         const std::atomic<bool>& abort) const override {
    return st.respond(s, pending, abort);
  }
};

class ClassifyMode final : public AnswerMode {
 public:
  ClassifyMode() : AnswerMode(Mode::Classify) {}

 protected:
  const char* nothing_to_answer(GstRwkv* self, const Settings& s) const override {
    if (s.stream.labels.empty()) {
      if (!self->rt->warned_labels) {
        self->rt->warned_labels = true;  // once per configuration: re-armed when mode or labels change
        GST_ELEMENT_WARNING(self, LIBRARY, SETTINGS, ("Classify mode needs the labels property"),
                            ("triggers produce no output until labels are set"));
      }
      return "classify mode without labels";
    }
    return AnswerMode::nothing_to_answer(self, s);
  }
  gstrwkv::Answer answer(Stream& st, const gstrwkv::Settings& s, const std::string& pending,
                         const std::atomic<bool>&) const override {
    return st.classify(s, pending);
  }
  // rwkv-classify: the label chosen and every label's log-probability.
  void posted(GstRwkv* self, const gstrwkv::Answer& a, GstClockTime end) const override {
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
};

}  // namespace

const ModeBehaviour& answer_mode(Mode mode) {
  static const ContinueMode continue_mode;
  static const RespondMode respond_mode;
  static const ClassifyMode classify_mode;
  return mode == Mode::Respond ? static_cast<const ModeBehaviour&>(respond_mode)
         : mode == Mode::Classify ? static_cast<const ModeBehaviour&>(classify_mode)
                                  : continue_mode;
}

}  // namespace gstrwkv::elem
