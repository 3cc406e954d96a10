#include "text/world_tokenizer.h"

#include <cstdio>

#include "rwkv/error.h"
#include "text/byte_trie.h"

namespace rwkv::text {

namespace {

class WorldTokenizer final : public Tokenizer {
 public:
  WorldTokenizer(std::vector<std::string> bytes, std::string src) : bytes_(std::move(bytes)) {
    source = std::move(src);
    std::vector<std::pair<std::string, uint32_t>> keys;
    for (size_t id = 0; id < bytes_.size(); id++)
      if (!bytes_[id].empty()) keys.emplace_back(bytes_[id], uint32_t(id));
    try {
      trie_ = ByteTrie(std::move(keys));
    } catch (const Error& e) {
      throw Error(source + ": " + e.what());
    }
  }
  TokenizerKind kind() const override { return TokenizerKind::World; }
  uint32_t n_vocab() const override { return uint32_t(bytes_.size()); }
  std::string_view token_bytes(uint32_t id) const override {
    if (id >= bytes_.size())
      throw Error("token id " + std::to_string(id) + " is out of range for the World tokenizer (" +
                  std::to_string(bytes_.size()) + ")");
    return bytes_[id];
  }
  std::optional<uint32_t> end_of_text() const override { return 0; }
  std::unique_ptr<TextEncoder> new_encoder() const override;

  // Encodes s from its start; returns the bytes consumed. Unless `final`, stops before a
  // match that more input could lengthen (at most the longest token minus one byte).
  size_t encode_prefix(std::string_view s, bool final, std::vector<uint32_t>& out) const {
    const auto* p = reinterpret_cast<const uint8_t*>(s.data());
    const size_t n = s.size();
    size_t i = 0;
    while (i < n) {
      const ByteTrie::Match m = trie_.longest(p + i, n - i);
      if (m.open && !final) break;
      if (m.length == 0) {
        char hex[8];
        std::snprintf(hex, sizeof hex, "0x%02x", p[i]);
        throw Error(source + ": no World token for byte " + hex);
      }
      out.push_back(m.value);
      i += m.length;
    }
    return i;
  }

 private:
  std::vector<std::string> bytes_;
  ByteTrie trie_;
};

class WorldEncoder final : public TextEncoder {
 public:
  explicit WorldEncoder(std::shared_ptr<const WorldTokenizer> t) : tok_(std::move(t)) {}
  void push(std::string_view text, std::vector<uint32_t>& out) override {
    if (pending_.empty()) {
      pending_.assign(text.substr(tok_->encode_prefix(text, false, out)));
    } else {
      pending_.append(text);
      pending_.erase(0, tok_->encode_prefix(pending_, false, out));
    }
  }
  void flush(std::vector<uint32_t>& out) override {
    tok_->encode_prefix(pending_, true, out);
    pending_.clear();
  }
  void reset() override { pending_.clear(); }
  std::string pending_text() const override { return pending_; }
  std::unique_ptr<TextEncoder> clone() const override { return std::make_unique<WorldEncoder>(*this); }

 private:
  std::shared_ptr<const WorldTokenizer> tok_;
  std::string pending_;
};

std::unique_ptr<TextEncoder> WorldTokenizer::new_encoder() const {
  return std::make_unique<WorldEncoder>(std::static_pointer_cast<const WorldTokenizer>(shared_from_this()));
}

}  // namespace

std::shared_ptr<Tokenizer> make_world_tokenizer(std::vector<std::string> token_bytes, std::string source) {
  return std::make_shared<WorldTokenizer>(std::move(token_bytes), std::move(source));
}

}  // namespace rwkv::text
