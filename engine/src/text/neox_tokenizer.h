// The GPT-NeoX-20B tokenizer (Hugging Face tokenizers' byte-level BPE): special tokens
// split off the raw text, NFC, normalised added tokens (NeoX's runs of spaces), the GPT-2
// pre-tokenizer pattern, byte-level BPE.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "rwkv/tokenizer.h"

namespace rwkv::text {

struct NeoxSpec {
  struct Added {
    std::string content;
    uint32_t id = 0;
    bool normalized = false;  // matched in the normalised text, else in the raw text
  };
  std::vector<std::pair<std::string, uint32_t>> vocab;      // token bytes -> id
  std::vector<std::pair<std::string, std::string>> merges;  // token bytes, by rank
  std::vector<Added> added;
  bool nfc = true;
  bool ignore_merges = false;  // a pre-token that is a whole vocabulary entry skips BPE
  std::string source;
};

std::shared_ptr<Tokenizer> make_neox_tokenizer(NeoxSpec spec);

}  // namespace rwkv::text
