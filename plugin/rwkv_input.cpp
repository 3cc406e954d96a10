// Reading input buffers (text, pango markup or token ids) into the stream, with the
// separator between whole-unit buffers and the text kept for the next prompt.
#include "rwkv_element.h"

#include <algorithm>
#include <exception>
#include <vector>

#include "markup.h"
#include "rwkv_mode.h"

namespace gstrwkv::elem {

namespace {

// Whether the input so far is valid UTF-8, allowing a character split across buffers.
bool utf8_ok(Runtime& rt, std::string_view text) {
  if (!rt.utf8_carry.empty()) {  // finish the character the last buffer began
    const size_t carried = rt.utf8_carry.size();
    const std::string head = rt.utf8_carry + std::string(text.substr(0, 4));
    const gunichar c = g_utf8_get_char_validated(head.data(), gssize(head.size()));
    rt.utf8_carry.clear();
    if (c == gunichar(-2)) {  // still unfinished: this buffer is shorter than the character
      rt.utf8_carry = head;
      return true;
    }
    if (c == gunichar(-1)) return false;
    text.remove_prefix(size_t(g_utf8_next_char(head.data()) - head.data()) - carried);
  }
  const gchar* end = nullptr;
  if (g_utf8_validate(text.data(), gssize(text.size()), &end)) return true;
  const size_t valid = size_t(end - text.data()), rest = text.size() - valid;
  // A tail that may still become a character: a lead byte and fewer continuation bytes than it needs.
  const auto lead = static_cast<unsigned char>(text[valid]);
  const size_t need = lead >= 0xf0 && lead <= 0xf4 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc2 ? 2 : 0;
  bool partial = need > rest;
  for (size_t i = valid + 1; partial && i < text.size(); i++) partial = (static_cast<unsigned char>(text[i]) & 0xc0) == 0x80;
  if (partial) rt.utf8_carry = std::string(text.substr(valid));
  return partial;
}

}  // namespace

std::string_view newest(std::string_view s, size_t limit) {
  if (s.size() <= limit) return s;
  size_t cut = s.size() - limit;
  while (cut < s.size() && (static_cast<unsigned char>(s[cut]) & 0xc0) == 0x80) cut++;
  return s.substr(cut);
}

// The separator read after a buffer: "auto" keeps timed buffers (subtitle cues, transcript
// lines) apart with a space and reads untimed ones (bytes from a file or socket) as one text.
static std::string separator_for(const Settings& s, bool timed_buffer) {
  if (s.separator == kAutoSeparator) return timed_buffer ? " " : "";
  return s.separator;
}

GstFlowReturn handle_input(GstRwkv* self, GstBuffer* buf) {
  Runtime& rt = *self->rt;
  if (self->flushing->load()) return GST_FLOW_FLUSHING;
  const gint64 started_us = g_get_monotonic_time();
  const Settings s = settings_snapshot(self);  // one snapshot per buffer

  // Time span of this buffer, in running time.
  GstClockTime start, end;
  const bool timed_buffer = rt.timed && GST_BUFFER_PTS_IS_VALID(buf);
  if (timed_buffer) {
    start = gst_segment_to_running_time(&rt.segment, GST_FORMAT_TIME, GST_BUFFER_PTS(buf));
    end = GST_BUFFER_DURATION_IS_VALID(buf)
              ? gst_segment_to_running_time(&rt.segment, GST_FORMAT_TIME, GST_BUFFER_PTS(buf) + GST_BUFFER_DURATION(buf))
              : start;
    if (!GST_CLOCK_TIME_IS_VALID(end)) end = start;
  } else {
    start = end = arrival_running_time(self);
  }
  if (GST_CLOCK_TIME_IS_VALID(end)) rt.last_end = end;
  rt.last_arrival_us = g_get_monotonic_time();
  GST_LOG_OBJECT(self, "buffer of %zu bytes, %" GST_TIME_FORMAT " - %" GST_TIME_FORMAT, gst_buffer_get_size(buf),
                 GST_TIME_ARGS(start), GST_TIME_ARGS(end));

  GstMapInfo map;
  if (!gst_buffer_map(buf, &map, GST_MAP_READ)) {
    GST_ELEMENT_ERROR(self, STREAM, FAILED, ("Could not read an input buffer"), (nullptr));
    return GST_FLOW_ERROR;
  }
  // Read from the mapped buffer in place: a large buffer is not copied (Stream reads it in slices).
  struct Unmap {
    GstBuffer* b;
    GstMapInfo* m;
    ~Unmap() { gst_buffer_unmap(b, m); }
  } unmap{buf, &map};
  std::string_view text(reinterpret_cast<const char*>(map.data), map.size);
  std::string plain;
  if (rt.format == INPUT_TOKENS && map.size % 4 != 0) {
    GST_ELEMENT_ERROR(self, STREAM, DECODE, ("Token buffer of %zu bytes is not a whole number of uint32 ids", map.size), (nullptr));
    return GST_FLOW_ERROR;
  }
  if (rt.format == INPUT_MARKUP) {
    if (!gstrwkv::strip_markup(text, plain)) {
      GST_ELEMENT_WARNING(self, STREAM, DECODE, ("Malformed pango markup; reading it as plain text"), (nullptr));
      plain = text;
    }
    text = plain;
  }

  if (rt.format != INPUT_TOKENS && !utf8_ok(rt, text) && !rt.warned_utf8) {
    // The bytes still go to the model as they are: the World and bytes tokenizers read any
    // bytes, the NeoX one replaces ill-formed sequences by U+FFFD. Warned once.
    GST_ELEMENT_WARNING(self, STREAM, DECODE, ("Input is not valid UTF-8"), (nullptr));
    rt.warned_utf8 = true;
  }
  std::vector<uint32_t> ids;
  if (rt.format == INPUT_TOKENS) {
    ids.resize(map.size / 4);
    for (size_t i = 0; i < ids.size(); i++) ids[i] = GST_READ_UINT32_LE(map.data + 4 * i);
    text = {};
  }
  const Input in{buf, start, end, timed_buffer, rt.format == INPUT_TOKENS, text, ids, started_us};
  if (timed_buffer && (text.size() >= kLongBufferBytes || ids.size() >= kLongBufferBytes / 4))
    let_downstream_preroll(self, s.mode, start);
  if (rt.active_mode != s.mode) {  // the mode changed: what the last one held goes out first
    const GstFlowReturn ret = behaviour(rt.active_mode).pause(self, "mode changed");
    rt.active_mode = s.mode;
    if (ret != GST_FLOW_OK) return ret;
  }
  return behaviour(s.mode).input(self, in, s);
}

bool read_into_stream(GstRwkv* self, const Input& in, const Settings& s, gstrwkv::Score& score,
                      std::string& separator, GstFlowReturn* ret) {
  // Buffers that are whole units (subtitle cues) are kept apart: the separator is read after
  // one that does not end in white space, so words of adjacent cues do not run together.
  separator = separator_for(s, in.timed);
  if (in.tokens || in.text.empty() || g_ascii_isspace(in.text.back())) separator.clear();
  // Between slices of a long buffer: periodic saves go on, and a flush stops the reading.
  const auto between = [self, &s] {
    maybe_save_periodically(self, s);
    return !self->flushing->load();
  };
  try {
    if (in.tokens) {
      score = stream_of(self).ingest_tokens(in.ids, between);
    } else {
      score = stream_of(self).ingest(in.text, between);
      if (!score.aborted) score += stream_of(self).ingest(separator);
    }
  } catch (const std::exception& e) {
    GST_ELEMENT_ERROR(self, LIBRARY, FAILED, ("The model could not read the input"), ("%s", e.what()));
    *ret = GST_FLOW_ERROR;
    return false;
  }
  if (score.aborted) {
    *ret = GST_FLOW_FLUSHING;
    return false;
  }
  maybe_save_periodically(self, s);
  return true;
}

bool set_input_caps(GstRwkv* self, GstCaps* caps) {
  Runtime& rt = *self->rt;
  GST_DEBUG_OBJECT(self, "input caps %" GST_PTR_FORMAT, caps);
  const GstStructure* st = gst_caps_get_structure(caps, 0);
  const gchar* name = gst_structure_get_name(st);
  if (g_str_equal(name, "application/x-rwkv-tokens")) {
    const gchar* vocab = gst_structure_get_string(st, "vocabulary");
    const std::string ours = stream_of(self).vocabulary();
    if (vocab && ours != vocab) {
      if (!rt.vocab_error) {  // upstream may offer the same caps again: one error
        rt.vocab_error = true;
        GST_ELEMENT_ERROR(self, STREAM, WRONG_TYPE,
                          ("Token stream of vocabulary '%s', but the model's tokenizer is '%s'", vocab, ours.c_str()),
                          (nullptr));
      }
      return false;
    }
    rt.format = INPUT_TOKENS;
    gchar* str = gst_caps_to_string(caps);
    rt.input_caps = str;
    g_free(str);
  } else {
    const gchar* fmt = gst_structure_get_string(st, "format");
    rt.format = fmt && g_str_equal(fmt, "pango-markup") ? INPUT_MARKUP : INPUT_UTF8;
  }
  GST_OBJECT_LOCK(self);
  const Mode mode = self->settings->mode;
  GST_OBJECT_UNLOCK(self);
  ensure_src_ready(self, mode);  // downstream may not be linked yet (harness); caps stay sticky
  return true;
}

bool handle_gap(GstRwkv* self, GstEvent* event) {
  Runtime& rt = *self->rt;
  const Settings s = settings_snapshot(self);
  GstClockTime ts, duration;
  gst_event_parse_gap(event, &ts, &duration);
  if (rt.timed && GST_CLOCK_TIME_IS_VALID(ts)) {
    GstClockTime end = gst_segment_to_running_time(&rt.segment, GST_FORMAT_TIME,
                                                   GST_CLOCK_TIME_IS_VALID(duration) ? ts + duration : ts);
    if (GST_CLOCK_TIME_IS_VALID(end) && end > rt.last_end) rt.last_end = end;
  }
  GST_LOG_OBJECT(self, "gap, stream time now %" GST_TIME_FORMAT, GST_TIME_ARGS(rt.last_end));
  behaviour(rt.active_mode).pause(self, "gap");  // a pause upstream: what waits goes out
  if (s.trigger == Trigger::Interval && !rt.pending.empty() && trigger_due(self, s))
    behaviour(s.mode).trigger(self, s, "interval reached by a gap", 0);
  ensure_src_ready(self, s.mode);
  rt.sent_downstream = true;
  return gst_pad_push_event(self->srcpad, event);
}

}  // namespace gstrwkv::elem
