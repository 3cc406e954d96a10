// The gst-rwkv plugin: registers its elements, and routes the engine's notices into the
// GStreamer debug log (category rwkv-engine) instead of standard error.
#include <gst/gst.h>

#include "gstrwkv.h"
#include "gstrwkvdetokenize.h"
#include "gstrwkvtokenize.h"
#include "rwkv/log.h"

GST_DEBUG_CATEGORY_STATIC(rwkv_engine_debug);

static void log_to_gst(rwkv::LogLevel level, const std::string& message) {
  const GstDebugLevel l = level == rwkv::LogLevel::Warning ? GST_LEVEL_WARNING
                          : level == rwkv::LogLevel::Info  ? GST_LEVEL_INFO
                                                           : GST_LEVEL_DEBUG;
  GST_CAT_LEVEL_LOG(rwkv_engine_debug, l, nullptr, "%s", message.c_str());
}

static gboolean plugin_init(GstPlugin* plugin) {
  GST_DEBUG_CATEGORY_INIT(rwkv_engine_debug, "rwkv-engine", 0, "RWKV engine notices (device choice, fallbacks)");
  rwkv::set_log_handler(log_to_gst);
  // Score results ride on buffers as a custom meta (a GstStructure named GstRwkvScoreMeta).
  static const gchar* tags[] = {nullptr};
  gst_meta_register_custom("GstRwkvScoreMeta", tags, nullptr, nullptr, nullptr);
  gboolean ok = GST_ELEMENT_REGISTER(rwkv, plugin);
  ok &= GST_ELEMENT_REGISTER(rwkvtokenize, plugin);
  ok &= GST_ELEMENT_REGISTER(rwkvdetokenize, plugin);
  return ok;
}

#define PACKAGE "gst-rwkv"
GST_PLUGIN_DEFINE(GST_VERSION_MAJOR, GST_VERSION_MINOR, rwkv, "RWKV language models as live text elements",
                  plugin_init, "0.1.0", "MIT", "gst-rwkv", "gst-rwkv")
