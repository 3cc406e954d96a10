// When an answer is due (per buffer, sentence, interval of stream time), and the element's
// own thread, which answers the trigger signal and the silence trigger.
#include <algorithm>

#include "rwkv_mode.h"

namespace gstrwkv::elem {

static bool sentence_ended(const std::string& text) {
  for (size_t i = text.size(); i-- > 0;) {
    const char c = text[i];
    if (c == '\n') return true;
    if (c == ' ' || c == '\t' || c == '\r' || c == '"' || c == '\'' || c == ')') continue;
    return c == '.' || c == '!' || c == '?';
  }
  return false;
}

bool trigger_due(GstRwkv* self, const Settings& s) {
  Runtime& rt = *self->rt;
  switch (s.trigger) {
    case Trigger::Buffer: return true;
    case Trigger::Sentence: return sentence_ended(rt.pending);
    case Trigger::Interval: {
      if (!GST_CLOCK_TIME_IS_VALID(rt.last_trigger)) rt.last_trigger = rt.pending_start;
      return GST_CLOCK_TIME_IS_VALID(rt.last_trigger) && rt.last_end >= rt.last_trigger + s.interval;
    }
    default: return false;
  }
}

void wake_worker(GstRwkv* self) {
  g_mutex_lock(&self->worker_lock);
  g_cond_signal(&self->worker_cond);
  g_mutex_unlock(&self->worker_lock);
}

static gpointer worker_loop(gpointer data) {
  GstRwkv* self = GST_RWKV(data);
  g_mutex_lock(&self->worker_lock);
  while (!self->worker_stop) {
    const bool requested = self->trigger_requested;
    self->trigger_requested = false;
    g_mutex_unlock(&self->worker_lock);
    gint64 deadline = -1;  // monotonic µs of the next deadline (a hold, silence); -1: none
    {
      std::lock_guard<std::mutex> lock(*self->work);
      const Settings s = settings_snapshot(self);
      Runtime& rt = *self->rt;
      const ModeBehaviour& mode = behaviour(s.mode);
      if (requested && !self->flushing->load()) mode.trigger(self, s, "action signal", 0);
      const ModeBehaviour& active = behaviour(rt.active_mode);
      if (const gint64 due = active.deadline_us(self, s); due >= 0 && !self->flushing->load()) {
        if (g_get_monotonic_time() >= due) active.pause(self, "hold expired");
        else deadline = due;
      }
      if (s.trigger == Trigger::Silence && !rt.pending.empty() && !self->flushing->load()) {
        const gint64 due = rt.last_arrival_us + gint64(s.interval / GST_USECOND);
        if (g_get_monotonic_time() >= due) mode.trigger(self, s, "silence", 0);
        else deadline = deadline < 0 ? due : std::min(deadline, due);
      }
    }
    g_mutex_lock(&self->worker_lock);
    if (self->worker_stop || self->trigger_requested) continue;
    if (deadline < 0) g_cond_wait(&self->worker_cond, &self->worker_lock);
    else g_cond_wait_until(&self->worker_cond, &self->worker_lock, deadline);
  }
  g_mutex_unlock(&self->worker_lock);
  return nullptr;
}

void start_worker(GstRwkv* self) {
  g_mutex_lock(&self->worker_lock);
  self->worker_stop = false;
  self->trigger_requested = false;
  g_mutex_unlock(&self->worker_lock);
  self->worker = g_thread_new("rwkv-worker", worker_loop, self);
}

void stop_worker(GstRwkv* self) {
  g_mutex_lock(&self->worker_lock);
  self->worker_stop = true;
  g_cond_signal(&self->worker_cond);
  g_mutex_unlock(&self->worker_lock);
  if (self->worker) g_thread_join(self->worker);
  self->worker = nullptr;
}

void action_trigger(GstRwkv* self) {
  g_mutex_lock(&self->worker_lock);
  const bool running = !self->worker_stop;  // the thread runs from READY->PAUSED to PAUSED->READY
  if (running) {
    self->trigger_requested = true;
    g_cond_signal(&self->worker_cond);
  }
  g_mutex_unlock(&self->worker_lock);
  GST_DEBUG_OBJECT(self, running ? "trigger signal" : "trigger signal ignored: not PAUSED or PLAYING");
}

}  // namespace gstrwkv::elem
