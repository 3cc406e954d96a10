// The stream's state file: where it may be written, saves (at EOS, periodically, on
// save-state) and restores (load-state).
#include "rwkv_element.h"

#include <glib/gstdio.h>

namespace gstrwkv::elem {

void post_state_message(GstRwkv* self, const char* name, const std::string& path) {
  const gstrwkv::Stream& st = stream_of(self);
  post_structure(self, gst_structure_new(name, "path", G_TYPE_STRING, path.c_str(), "tokens", G_TYPE_UINT64,
                                         guint64(st.tokens_read()), "bytes", G_TYPE_UINT64, guint64(st.bytes_read()),
                                         nullptr));
}

std::string state_path_problem(const std::string& path) {
  gchar* dir = g_path_get_dirname(path.c_str());
  std::string problem;
  if (!g_file_test(dir, G_FILE_TEST_IS_DIR)) problem = std::string("directory ") + dir + " does not exist";
  else if (g_access(dir, W_OK) != 0) problem = std::string("directory ") + dir + " is not writable";
  else if (g_file_test(path.c_str(), G_FILE_TEST_IS_DIR)) problem = "it is a directory";
  g_free(dir);
  return problem;
}

bool state_path_usable(GstRwkv* self, const std::string& path) {
  if (path.empty()) return true;
  const std::string problem = state_path_problem(path);
  if (problem.empty()) return true;
  GST_ELEMENT_ERROR(self, RESOURCE, OPEN_WRITE, ("Cannot write the state file \"%s\"", path.c_str()),
                    ("%s", problem.c_str()));
  return false;
}

bool save_state(GstRwkv* self, const std::string& path) {
  try {
    stream_of(self).save(path);
    self->rt->last_save_us = g_get_monotonic_time();
    GST_INFO_OBJECT(self, "state saved to %s", path.c_str());
    post_state_message(self, "rwkv-state-saved", path);
    return true;
  } catch (const std::exception& e) {
    GST_ELEMENT_WARNING(self, RESOURCE, WRITE, ("Could not save the state to %s", path.c_str()), ("%s", e.what()));
    return false;
  }
}

void maybe_save_periodically(GstRwkv* self, const Settings& s) {
  if (s.state_file.empty() || s.save_interval == 0) return;
  if (g_get_monotonic_time() - self->rt->last_save_us >= gint64(s.save_interval) * G_USEC_PER_SEC)
    save_state(self, s.state_file);
}

gboolean action_save(GstRwkv* self, const gchar* path) {
  std::lock_guard<std::mutex> lock(*self->work);
  if (!*self->stream) return FALSE;
  std::string p = path ? path : "";
  if (p.empty()) {
    GST_OBJECT_LOCK(self);
    p = self->settings->state_file;
    GST_OBJECT_UNLOCK(self);
  }
  return !p.empty() && save_state(self, p);
}

gboolean action_load(GstRwkv* self, const gchar* path) {
  std::lock_guard<std::mutex> lock(*self->work);
  if (!*self->stream || !path) return FALSE;
  try {
    stream_of(self).load(path);
    post_state_message(self, "rwkv-state-restored", path);
    return TRUE;
  } catch (const std::exception& e) {
    GST_ELEMENT_WARNING(self, RESOURCE, READ, ("Could not load the state from %s", path), ("%s", e.what()));
    return FALSE;
  }
}

}  // namespace gstrwkv::elem
