// Undoes what llama.cpp's converter (convert_hf_to_gguf.py, Rwkv6Model / Rwkv7Model) did to
// RWKV tensors, leaving GGUF names but BlinkDL values and shapes; canonicalize() renames.
#pragma once
#include "rwkv/tensor.h"

namespace rwkv {

// Acts on maps whose general.architecture is rwkv6 or rwkv7; leaves others alone.
void undo_llamacpp_converter(TensorMap& m);

}  // namespace rwkv
