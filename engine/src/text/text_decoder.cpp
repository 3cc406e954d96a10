// Tokens -> complete UTF-8 text, holding back an unfinished character between calls.
#include "rwkv/tokenizer.h"
#include "text/utf8.h"

namespace rwkv {

TextDecoder::TextDecoder(std::shared_ptr<const Tokenizer> tokenizer) : tok_(std::move(tokenizer)) {}

std::string TextDecoder::push(uint32_t id) { return push(std::span<const uint32_t>(&id, 1)); }

std::string TextDecoder::push(std::span<const uint32_t> ids) {
  std::string bytes = std::move(tail_), out;
  tail_.clear();
  for (uint32_t id : ids) bytes.append(tok_->token_bytes(id));
  const size_t used = text::utf8_sanitize(bytes, false, out);
  tail_ = bytes.substr(used);
  return out;
}

std::string TextDecoder::flush() {
  std::string out;
  text::utf8_sanitize(tail_, true, out);
  tail_.clear();
  return out;
}

void TextDecoder::reset() { tail_.clear(); }

}  // namespace rwkv
