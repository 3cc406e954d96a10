// The rwkv element's modes as objects: each owns what it does with an input buffer, what it
// does at a trigger and at a pause, its output caps and its latency. behaviour() is the one
// place that switches on `mode`; the element calls these and knows no mode by name.
// score (mode_score.cpp), continue/respond/classify (mode_answer.cpp), punctuate
// (mode_punctuate.cpp).
#pragma once
#include <span>
#include <string_view>

#include "rwkv_element.h"

namespace gstrwkv::elem {

// One input buffer, read: its span in running time and its text or token ids.
struct Input {
  GstBuffer* buf;
  GstClockTime start, end;
  bool timed;                     // it carried a PTS in a TIME segment
  bool tokens;                    // token ids, not text
  std::string_view text;          // text input (markup stripped); empty for ids
  std::span<const uint32_t> ids;  // token input
  gint64 started_us;              // monotonic: when handling it began
};

class ModeBehaviour {
 public:
  virtual ~ModeBehaviour() = default;
  // Reads the buffer (into the state, or queued) and writes what the mode writes for it.
  virtual GstFlowReturn input(GstRwkv* self, const Input& in, const Settings& s) const = 0;
  // A trigger is due (the signal, silence, an interval, EOS with text waiting). `spent`: what
  // reading the input that made it due took, counted toward the latency.
  virtual GstFlowReturn trigger(GstRwkv*, const Settings&, const char* /*why*/, GstClockTime /*spent*/) const {
    return GST_FLOW_OK;
  }
  // The stream pauses (GAP, EOS, a drain) or the mode is left: what waits goes out.
  virtual GstFlowReturn pause(GstRwkv*, const char* /*why*/) const { return GST_FLOW_OK; }
  // A flush: what waits is dropped (the state keeps what it has read).
  virtual void drop(GstRwkv*) const {}
  // Monotonic µs at which the element's thread must call pause(), or -1.
  virtual gint64 deadline_us(GstRwkv*, const Settings&) const { return -1; }
  // The source caps (default: utf8 text).
  virtual GstCaps* output_caps(const Runtime& rt) const;
  // Added to the measured latency in the LATENCY answer (time the mode holds output by design).
  virtual GstClockTime held_latency(const Settings&) const { return 0; }
  // Tokens whose evaluation latency=auto starts from, at one measured step each.
  virtual int latency_tokens(const Settings& s) const { return s.stream.max_tokens; }
};

const ModeBehaviour& behaviour(Mode mode);

// Reads a text or token buffer into the stream, with the separator after a whole-unit buffer
// (rwkv_input.cpp); false (an error posted, or a flush) when it stopped: *ret says which.
// `separator` receives the separator read.
bool read_into_stream(GstRwkv* self, const Input& in, const Settings& s, gstrwkv::Score& score,
                      std::string& separator, GstFlowReturn* ret);

}  // namespace gstrwkv::elem
