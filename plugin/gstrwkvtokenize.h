// The `rwkvtokenize` element: UTF-8 text in, RWKV token ids out (application/x-rwkv-tokens:
// buffers of uint32 little-endian ids), through the engine's streaming encoder, so the ids
// do not depend on how the text was cut into buffers (rwkvdetokenize is the way back).
#pragma once
#include <gst/gst.h>

#include "token_element.h"

G_BEGIN_DECLS

#define GST_TYPE_RWKV_TOKENIZE (gst_rwkv_tokenize_get_type())
G_DECLARE_FINAL_TYPE(GstRwkvTokenize, gst_rwkv_tokenize, GST, RWKV_TOKENIZE, GstRwkvTokenElement)

GST_ELEMENT_REGISTER_DECLARE(rwkvtokenize);

G_END_DECLS
