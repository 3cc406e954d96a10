// What the plugin tests drive: a GstHarness around a parsed bin, with its messages on a bus of
// our own, and readers for what comes out.
#pragma once
#include <gst/check/gstharness.h>
#include <gst/gst.h>

#include <cmath>
#include <string>
#include <vector>

#include "engine/testing.h"

namespace testing {

struct Harness {
  GstHarness* h;
  GstBus* bus;

  // caps: the input caps, or null for none (stream-start and a segment only, as from pocketsphinx).
  Harness(const std::string& line, const char* caps) {
    h = gst_harness_new_parse(line.c_str());
    bus = gst_bus_new();
    gst_element_set_bus(h->element, bus);
    gst_harness_play(h);
    if (caps) {
      gst_harness_set_src_caps_str(h, caps);
    } else {
      gst_harness_push_event(h, gst_event_new_stream_start("text"));
      GstSegment seg;
      gst_segment_init(&seg, GST_FORMAT_TIME);
      gst_harness_push_event(h, gst_event_new_segment(&seg));
    }
  }
  ~Harness() {
    gst_harness_teardown(h);
    gst_object_unref(bus);
  }

  GstFlowReturn push_bytes(const void* data, size_t size, GstClockTime pts = GST_CLOCK_TIME_NONE,
                           GstClockTime duration = GST_CLOCK_TIME_NONE) {
    GstBuffer* b = size ? gst_buffer_new_memdup(data, size) : gst_buffer_new();
    GST_BUFFER_PTS(b) = pts;
    GST_BUFFER_DURATION(b) = duration;
    return gst_harness_push(h, b);
  }
  GstFlowReturn push(const std::string& s, GstClockTime pts = GST_CLOCK_TIME_NONE,
                     GstClockTime duration = GST_CLOCK_TIME_NONE) {
    return push_bytes(s.data(), s.size(), pts, duration);
  }
  void push_split(const std::string& s, size_t piece) {
    for (size_t i = 0; i < s.size(); i += piece) push(s.substr(i, piece));
  }
  void eos() { gst_harness_push_event(h, gst_event_new_eos()); }

  // Every output buffer's bytes so far.
  std::vector<std::string> pull_all(std::vector<GstBuffer*>* keep = nullptr) {
    std::vector<std::string> out;
    while (GstBuffer* b = gst_harness_try_pull(h)) {
      GstMapInfo m;
      gst_buffer_map(b, &m, GST_MAP_READ);
      out.emplace_back(reinterpret_cast<const char*>(m.data), m.size);
      gst_buffer_unmap(b, &m);
      if (keep) keep->push_back(b);
      else gst_buffer_unref(b);
    }
    return out;
  }
  std::string pull_text() {
    std::string s;
    for (const auto& piece : pull_all()) s += piece;
    return s;
  }
  std::vector<uint32_t> pull_ids() {
    std::vector<uint32_t> ids;
    for (const auto& piece : pull_all()) {
      CHECK(piece.size() % 4 == 0);
      for (size_t i = 0; i + 4 <= piece.size(); i += 4) ids.push_back(GST_READ_UINT32_LE(piece.data() + i));
    }
    return ids;
  }
  // Downstream events of one type so far (others are dropped).
  std::vector<GstEvent*> events(GstEventType type) {
    std::vector<GstEvent*> out;
    while (GstEvent* e = gst_harness_try_pull_event(h)) {
      if (GST_EVENT_TYPE(e) == type) out.push_back(e);
      else gst_event_unref(e);
    }
    return out;
  }
  // The first bus message of a type; its text and debug string.
  bool message(GstMessageType type, std::string* text = nullptr, std::string* debug = nullptr) {
    GstMessage* m = gst_bus_pop_filtered(bus, type);
    if (!m) return false;
    GError* err = nullptr;
    gchar* dbg = nullptr;
    if (type == GST_MESSAGE_ERROR) gst_message_parse_error(m, &err, &dbg);
    else if (type == GST_MESSAGE_WARNING) gst_message_parse_warning(m, &err, &dbg);
    if (text && err) *text = err->message;
    if (debug && dbg) *debug = dbg;
    if (err) g_error_free(err);
    g_free(dbg);
    gst_message_unref(m);
    return true;
  }
  double summary_logprob() {
    double lp = NAN;
    while (GstMessage* m = gst_bus_pop_filtered(bus, GST_MESSAGE_ELEMENT)) {
      const GstStructure* s = gst_message_get_structure(m);
      if (s && gst_structure_has_name(s, "rwkv-summary")) gst_structure_get_double(s, "logprob", &lp);
      gst_message_unref(m);
    }
    return lp;
  }
  // The LATENCY query as a sink downstream asks it: the minimum, or NONE when not live.
  GstClockTime live_latency() {
    GstQuery* q = gst_query_new_latency();
    gboolean live = FALSE;
    GstClockTime min = GST_CLOCK_TIME_NONE, max = 0;
    if (gst_pad_peer_query(h->sinkpad, q)) gst_query_parse_latency(q, &live, &min, &max);
    gst_query_unref(q);
    return live ? min : GST_CLOCK_TIME_NONE;
  }
  // Sets a property and says whether it posted a LATENCY message (earlier messages dropped).
  bool posts_latency(GstElement* e, const char* property, guint64 value) {
    while (GstMessage* m = gst_bus_pop(bus)) gst_message_unref(m);
    g_object_set(e, property, value, nullptr);
    GstMessage* m = gst_bus_pop_filtered(bus, GST_MESSAGE_LATENCY);
    if (m) gst_message_unref(m);
    return m != nullptr;
  }
  std::string src_caps_of_output() {
    GstCaps* caps = gst_pad_get_current_caps(h->sinkpad);
    gchar* s = caps ? gst_caps_to_string(caps) : nullptr;
    std::string out = s ? s : "";
    g_free(s);
    if (caps) gst_caps_unref(caps);
    return out;
  }
};

// The error an element posts when a state change it must refuse fails.
struct StartError {
  bool refused = false;  // the state change returned FAILURE
  bool posted = false;   // an ERROR message came with it
  GQuark domain = 0;
  int code = 0;
  std::string message, debug;
};

// Takes `e` (on a bus of its own) to `to`, expecting the change to fail; back to NULL and
// unreferenced afterwards.
inline StartError start_error(GstElement* e, GstState to) {
  StartError r;
  GstBus* bus = gst_bus_new();
  gst_element_set_bus(e, bus);
  r.refused = gst_element_set_state(e, to) == GST_STATE_CHANGE_FAILURE;
  if (GstMessage* m = gst_bus_pop_filtered(bus, GST_MESSAGE_ERROR)) {
    GError* err = nullptr;
    gchar* dbg = nullptr;
    gst_message_parse_error(m, &err, &dbg);
    r.posted = true;
    r.domain = err->domain;
    r.code = err->code;
    r.message = err->message;
    r.debug = dbg ? dbg : "";
    g_error_free(err);
    g_free(dbg);
    gst_message_unref(m);
  }
  gst_element_set_state(e, GST_STATE_NULL);
  gst_object_unref(e);
  gst_object_unref(bus);
  return r;
}

}  // namespace testing
