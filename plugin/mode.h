// The rwkv element's `mode` values; what each does is its ModeBehaviour (rwkv_mode.h), and
// the property's enum names and descriptions are in rwkv_mode.cpp beside behaviour().
#pragma once
#include <glib-object.h>

namespace gstrwkv {

enum class Mode { Score, Continue, Respond, Classify, Punctuate };

// The GEnum type of the `mode` property.
GType mode_enum_type();

}  // namespace gstrwkv
