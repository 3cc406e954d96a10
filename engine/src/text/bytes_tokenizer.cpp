// The byte tokenizer of the tiny test models: n_vocab 256, token id = byte value.
#include <array>

#include "rwkv/error.h"
#include "rwkv/tokenizer.h"

namespace rwkv {

namespace {

class BytesEncoder final : public TextEncoder {
 public:
  void push(std::string_view text, std::vector<uint32_t>& out) override {
    out.reserve(out.size() + text.size());
    for (unsigned char c : text) out.push_back(c);
  }
  void flush(std::vector<uint32_t>&) override {}
  void reset() override {}
  std::string pending_text() const override { return {}; }
  std::unique_ptr<TextEncoder> clone() const override { return std::make_unique<BytesEncoder>(); }
};

class BytesTokenizer final : public Tokenizer {
 public:
  BytesTokenizer() {
    for (int i = 0; i < 256; i++) bytes_[size_t(i)] = char(i);
    source = "bytes";
  }
  TokenizerKind kind() const override { return TokenizerKind::Bytes; }
  uint32_t n_vocab() const override { return 256; }
  std::string_view token_bytes(uint32_t id) const override {
    if (id >= 256) throw Error("token id " + std::to_string(id) + " is out of range for the bytes tokenizer (256)");
    return {bytes_.data() + id, 1};
  }
  std::optional<uint32_t> end_of_text() const override { return std::nullopt; }
  std::unique_ptr<TextEncoder> new_encoder() const override { return std::make_unique<BytesEncoder>(); }

 private:
  std::array<char, 256> bytes_;
};

}  // namespace

std::shared_ptr<Tokenizer> make_bytes_tokenizer() { return std::make_shared<BytesTokenizer>(); }

}  // namespace rwkv
