// What every tokenizer shares: whole-text encoding through its streaming encoder, decoding.
#include "rwkv/tokenizer.h"

namespace rwkv {

const char* Tokenizer::name() const {
  switch (kind()) {
    case TokenizerKind::Bytes: return "bytes";
    case TokenizerKind::World: return "world";
    case TokenizerKind::NeoX: return "neox";
  }
  return "?";
}

std::vector<uint32_t> Tokenizer::encode(std::string_view text) const {
  std::vector<uint32_t> ids;
  auto enc = new_encoder();
  enc->push(text, ids);
  enc->flush(ids);
  return ids;
}

std::string Tokenizer::decode(std::span<const uint32_t> ids) const {
  std::string out;
  for (uint32_t id : ids) out.append(token_bytes(id));
  return out;
}

}  // namespace rwkv
