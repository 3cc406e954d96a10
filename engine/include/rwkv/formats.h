// Checkpoint formats: each reads a file into a TensorMap; load_checkpoint() detects the
// format from the file's first bytes and renames tensors to the canonical BlinkDL names
// with BlinkDL's values (undoing converters' transformations).
#pragma once
#include <string>

#include "rwkv/tensor.h"

namespace rwkv {

TensorMap load_rwkvcpp(const std::string& path);      // rwkv.cpp .bin (ggmf, v100/v101)
TensorMap load_pth(const std::string& path);          // PyTorch zip checkpoint (BlinkDL .pth)
TensorMap load_safetensors(const std::string& path);  // .safetensors (F32, F16, BF16)
// GGUF v2/v3; for llama.cpp's rwkv6 / rwkv7 files the converter's value transformations are
// undone (names stay GGUF's until canonicalize()). Metadata arrays (tokenizer.ggml.*) land in
// string_arrays / int_arrays.
TensorMap load_gguf(const std::string& path);

// "rwkv.cpp", "pth", "safetensors" or "gguf"; throws for anything else.
std::string detect_format(const std::string& path);

// Detects, loads and canonicalises.
TensorMap load_checkpoint(const std::string& path);

// Renames foreign names (HF, fla-hub, GGUF) to BlinkDL ones and undoes known transformations.
void canonicalize(TensorMap& map);

}  // namespace rwkv
