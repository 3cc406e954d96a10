// The `rwkvdetokenize` element: RWKV token ids in (application/x-rwkv-tokens: uint32
// little-endian ids), UTF-8 text out, through the engine's streaming decoder, which emits only
// complete characters.
#pragma once
#include <gst/gst.h>

#include "token_element.h"

G_BEGIN_DECLS

#define GST_TYPE_RWKV_DETOKENIZE (gst_rwkv_detokenize_get_type())
G_DECLARE_FINAL_TYPE(GstRwkvDetokenize, gst_rwkv_detokenize, GST, RWKV_DETOKENIZE, GstRwkvTokenElement)

GST_ELEMENT_REGISTER_DECLARE(rwkvdetokenize);

G_END_DECLS
