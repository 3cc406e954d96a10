// The `rwkv` element: reads a continuous text (or token) stream into an RWKV model's state,
// for as long as the stream runs, and writes what its mode asks for (scores, continuations,
// responses, labels).
#pragma once
#include <gst/gst.h>

G_BEGIN_DECLS

#define GST_TYPE_RWKV (gst_rwkv_get_type())
G_DECLARE_FINAL_TYPE(GstRwkv, gst_rwkv, GST, RWKV, GstElement)

GST_ELEMENT_REGISTER_DECLARE(rwkv);

G_END_DECLS
