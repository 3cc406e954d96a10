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

// Writes `out`, an rwkv.cpp model file (version 101) that rwkv.cpp and this engine both read:
// `in` (an rwkv.cpp file) with its 2-D fp32/fp16 matrices quantized to `type` (Q8_0, Q5_1,
// Q5_0, Q4_1 or Q4_0), chosen as rwkv.cpp's own quantizer chooses them: not the embedding,
// the head (unless with_head) or the low-rank matrices of RWKV-7. Written beside `out` and
// renamed into place, so a failure (a full disk) leaves no partial file.
struct QuantizeReport {
  uint64_t bytes_in = 0, bytes_out = 0;
  int quantized = 0, kept = 0;  // tensors
};
QuantizeReport quantize_rwkvcpp(const std::string& in, const std::string& out, DType type, bool with_head = false);

// Renames foreign names (HF, fla-hub, GGUF) to BlinkDL ones and undoes known transformations.
void canonicalize(TensorMap& map);

}  // namespace rwkv
