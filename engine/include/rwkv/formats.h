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

// The writers below produce rwkv.cpp model files (version 101) that rwkv.cpp and this engine
// both read, written beside `out` and renamed into place, so that a failure (a full disk)
// leaves no partial file. Quantized types are Q8_0, Q5_1, Q5_0, Q4_1 and Q4_0; the matrices
// quantized are those rwkv.cpp's own quantizer chooses: 2-D, not the embedding, not the head
// (unless with_head), not RWKV-7's low-rank matrices.
struct QuantizeReport {
  uint64_t bytes_in = 0, bytes_out = 0;
  int quantized = 0, kept = 0;  // tensors
};
// `in` with its matrices quantized to `type`. An rwkv.cpp file is quantized record by record,
// as rwkv.cpp's quantizer does it (byte for byte); any other checkpoint is converted
// (convert_to_rwkvcpp).
QuantizeReport quantize_rwkvcpp(const std::string& in, const std::string& out, DType type, bool with_head = false);
// Any checkpoint this engine reads (.pth, safetensors, GGUF, rwkv.cpp; RWKV-4 to 7) laid out
// as rwkv.cpp's converter lays out a BlinkDL state dict (its names, shapes and transformed
// values). type F32 or F16: the converter's file of that type (fp16 keeps vectors and the
// small mixing tensors in fp32, as it does); a quantized type: that of the fp32 file quantized.
QuantizeReport convert_to_rwkvcpp(const std::string& in, const std::string& out, DType type, bool with_head = false);
// The same from a canonical tensor map (load_checkpoint's); bytes_in is 0.
QuantizeReport write_rwkvcpp(const TensorMap& m, const std::string& out, DType type, bool with_head = false);

// Renames foreign names (HF, fla-hub, GGUF) to BlinkDL ones and undoes known transformations.
void canonicalize(TensorMap& map);

}  // namespace rwkv
