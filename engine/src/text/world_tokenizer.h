// The RWKV World tokenizer: greedy longest match over bytes (no normalisation, no special
// tokens), so any byte string encodes. Built from a vocabulary file or GGUF metadata.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "rwkv/tokenizer.h"

namespace rwkv::text {

// token_bytes[id]; ids with empty bytes (id 0, padding) are never produced by encoding.
std::shared_ptr<Tokenizer> make_world_tokenizer(std::vector<std::string> token_bytes, std::string source);

}  // namespace rwkv::text
