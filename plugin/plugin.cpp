// The gst-rwkv plugin: registers its elements.
#include <gst/gst.h>

#include "gstrwkv.h"
#include "gstrwkvdetokenize.h"
#include "gstrwkvtokenize.h"

static gboolean plugin_init(GstPlugin* plugin) {
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
