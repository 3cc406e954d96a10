// Output: caps that follow the mode, timestamps in the output segment, GAPs, bus
// messages, and the latency the element reports.
#include "rwkv_mode.h"

namespace gstrwkv::elem {

GstClockTime arrival_running_time(GstRwkv* self) {
  GstClock* clock = gst_element_get_clock(GST_ELEMENT(self));
  if (!clock) return self->rt->last_end;
  const GstClockTime now = gst_clock_get_time(clock);
  gst_object_unref(clock);
  const GstClockTime base = gst_element_get_base_time(GST_ELEMENT(self));
  return now > base ? now - base : 0;
}

GstClockTime output_position(GstRwkv* self, GstClockTime running) {
  const guint64 pos = gst_segment_position_from_running_time(&self->rt->segment, GST_FORMAT_TIME, running);
  return pos == GST_CLOCK_TIME_NONE ? running : pos;
}

void ensure_src_ready(GstRwkv* self, Mode mode) {
  Runtime& rt = *self->rt;
  if (!rt.stream_started) {
    GstEvent* started = gst_pad_get_sticky_event(self->srcpad, GST_EVENT_STREAM_START, 0);
    if (started) {
      gst_event_unref(started);
    } else {  // upstream sent no stream-start: start our own stream
      gchar* id = gst_pad_create_stream_id(self->srcpad, GST_ELEMENT(self), "text");
      gst_pad_push_event(self->srcpad, gst_event_new_stream_start(id));
      g_free(id);
    }
    rt.stream_started = true;
  }
  GstCaps* want = behaviour(mode).output_caps(rt);
  GstCaps* have = gst_pad_get_current_caps(self->srcpad);
  if (!have || !gst_caps_is_equal(have, want)) {
    GST_DEBUG_OBJECT(self, "source caps %" GST_PTR_FORMAT " (mode %d)", want, int(mode));
    gst_pad_push_event(self->srcpad, gst_event_new_caps(want));
    rt.segment_pushed = false;  // a segment follows caps
  }
  if (have) gst_caps_unref(have);
  gst_caps_unref(want);
  if (!rt.segment_pushed) {
    gst_pad_push_event(self->srcpad, gst_event_new_segment(&rt.segment));
    rt.segment_pushed = true;
  }
}

GstFlowReturn push_text(GstRwkv* self, Mode mode, const std::string& text, GstClockTime start,
                               GstClockTime end) {
  GstBuffer* buf = gst_buffer_new_memdup(text.data(), text.size());
  const GstClockTime pts = output_position(self, end);
  GST_BUFFER_PTS(buf) = pts;
  GST_BUFFER_DURATION(buf) = (GST_CLOCK_TIME_IS_VALID(start) && end > start) ? end - start : kDefaultDuration;
  GST_DEBUG_OBJECT(self, "output at %" GST_TIME_FORMAT ": %s", GST_TIME_ARGS(pts), text.c_str());
  return push_out(self, mode, buf);
}

GstFlowReturn push_out(GstRwkv* self, Mode mode, GstBuffer* buf) {
  ensure_src_ready(self, mode);
  self->rt->sent_downstream = true;
  return gst_pad_push(self->srcpad, buf);
}

void push_gap(GstRwkv* self, Mode mode, GstClockTime start, GstClockTime end) {
  if (!GST_CLOCK_TIME_IS_VALID(start)) return;
  ensure_src_ready(self, mode);
  const GstClockTime pos = output_position(self, start);
  self->rt->sent_downstream = true;
  gst_pad_push_event(self->srcpad, gst_event_new_gap(pos, end > start ? end - start : 0));
}

void let_downstream_preroll(GstRwkv* self, Mode mode, GstClockTime start) {
  Runtime& rt = *self->rt;
  if (rt.sent_downstream || rt.liveness_checked || !GST_CLOCK_TIME_IS_VALID(start)) return;
  rt.liveness_checked = true;
  GstQuery* q = gst_query_new_latency();
  gboolean live = FALSE;
  if (gst_pad_peer_query(self->sinkpad, q)) gst_query_parse_latency(q, &live, nullptr, nullptr);
  gst_query_unref(q);
  if (!live) return;
  GST_DEBUG_OBJECT(self, "live: a gap at %" GST_TIME_FORMAT " lets downstream preroll", GST_TIME_ARGS(start));
  push_gap(self, mode, start, start);
}

void post_structure(GstRwkv* self, GstStructure* s) {
  GST_LOG_OBJECT(self, "posting %" GST_PTR_FORMAT, s);
  // One element posts at a time. A bus queues messages in a GstAtomicQueue, whose writers
  // spin until every earlier writer has finished; a pass of the shared model wakes dozens of
  // elements' streaming threads at once, each posting its score, and one of them preempted in
  // that window left the others spinning for its time slice (15% of both cores at 144 live
  // score streams). Waiting here sleeps instead. Recursive: a bus sync handler may make
  // another element post from this thread.
  static GRecMutex posting;
  g_rec_mutex_lock(&posting);
  gst_element_post_message(GST_ELEMENT(self), gst_message_new_element(GST_OBJECT(self), s));
  g_rec_mutex_unlock(&posting);
}

GstClockTime reported_latency(GstRwkv* self) {
  const Settings s = settings_snapshot(self);
  // A mode that holds output by design (punctuate's `hold`) adds that hold.
  return behaviour(s.mode).held_latency(s) + (s.latency != kAutoLatency ? s.latency : self->auto_latency->load());
}

void account_latency(GstRwkv* self, GstClockTime took) {
  Runtime& rt = *self->rt;
  GST_OBJECT_LOCK(self);
  const GstClockTime fixed = self->settings->latency;
  GST_OBJECT_UNLOCK(self);
  if (fixed == kAutoLatency) {
    if (took <= self->auto_latency->load()) return;
    self->auto_latency->store(took + took / 4);
    GST_INFO_OBJECT(self, "output took %" GST_TIME_FORMAT ": latency now %" GST_TIME_FORMAT, GST_TIME_ARGS(took),
                    GST_TIME_ARGS(self->auto_latency->load()));
    gst_element_post_message(GST_ELEMENT(self), gst_message_new_latency(GST_OBJECT(self)));
  } else if (took > fixed && !rt.warned_latency) {
    rt.warned_latency = true;
    GST_ELEMENT_WARNING(self, CORE, CLOCK, ("Reading or answering took longer than the latency property allows"),
                        ("%" GST_TIME_FORMAT " > latency %" GST_TIME_FORMAT "; raise latency (or leave it on auto) or "
                         "lower max-tokens", GST_TIME_ARGS(took), GST_TIME_ARGS(fixed)));
  }
}

}  // namespace gstrwkv::elem
