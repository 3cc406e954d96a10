// Foreign layouts of a canonical (BlinkDL) tensor map, as other tools write them, so tests
// can write them out and check that loading undoes every difference.
#pragma once
#include "checkpoint_writer.h"
#include "rwkv/tensor.h"

namespace fmt_test {

// HF transformers RWKV names (rwkv.blocks.N.attention.time_mix_key ...), values unchanged.
rwkv::TensorMap to_hf(const rwkv::TensorMap& canonical);

// fla-hub RWKV-7 names; LoRA factors as nn.Linear weights (X1ᵀ, X2ᵀ) and X0 as lora.2.bias.
rwkv::TensorMap to_fla(const rwkv::TensorMap& canonical);

// What llama.cpp's convert_hf_to_gguf.py makes of an RWKV-6 or RWKV-7 model: GGUF names,
// fused lerps, transposed / permuted LoRA matrices, squeezed vectors, v6 rescaled output
// matrices, v7 dummy layer-0 v0/v1/v2 — and the metadata it writes, with a byte-level
// vocabulary and a few keys of every remaining GGUF value type under "test.".
// Tensors the converter leaves alone are borrowed from `canonical`, which must outlive it.
struct GgufModel {
  rwkv::TensorMap tensors;
  GgufMetadata meta;
};
GgufModel to_llamacpp(const rwkv::TensorMap& canonical);

}  // namespace fmt_test
