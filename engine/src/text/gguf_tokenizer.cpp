// The tokenizer inside a GGUF file (tokenizer.ggml.* metadata). RWKV GGUF files carry the
// World vocabulary as model "rwkv": each token's bytes written the way Python's repr()
// writes a bytes literal, without the b'' (\xNN, \t, \n, \r, \\, \'), token 0 a control
// token and the padding up to n_vocab unused ones.
#include "rwkv/error.h"
#include "rwkv/tensor.h"
#include "rwkv/tokenizer.h"
#include "text/world_tokenizer.h"

namespace rwkv {

namespace {

constexpr int64_t kTypeNormal = 1, kTypeUserDefined = 4;

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string unescape_token(const std::string& s, size_t id) {
  std::string out;
  for (size_t i = 0; i < s.size(); i++) {
    if (s[i] != '\\') {
      out += s[i];
      continue;
    }
    if (++i >= s.size()) throw Error("token " + std::to_string(id) + " ends in a lone backslash");
    switch (s[i]) {
      case 't': out += '\t'; break;
      case 'n': out += '\n'; break;
      case 'r': out += '\r'; break;
      case 'x': {
        const int hi = i + 1 < s.size() ? hex_digit(s[i + 1]) : -1;
        const int lo = i + 2 < s.size() ? hex_digit(s[i + 2]) : -1;
        if (hi < 0 || lo < 0) throw Error("token " + std::to_string(id) + " has a bad \\x escape");
        out += char(hi * 16 + lo);
        i += 2;
        break;
      }
      default: out += s[i];  // \\ \' \"
    }
  }
  return out;
}

}  // namespace

std::shared_ptr<Tokenizer> tokenizer_from_gguf(const TensorMap& m) {
  auto model = m.metadata.find("tokenizer.ggml.model");
  if (model == m.metadata.end() || model->second == "no_vocab" || model->second == "none") return nullptr;
  const std::string where = (m.source.empty() ? std::string("GGUF") : m.source) + ": tokenizer.ggml";
  if (model->second != "rwkv") {
    auto pre = m.metadata.find("tokenizer.ggml.pre");
    throw Error(where + ".model '" + model->second + "'" +
                (pre != m.metadata.end() ? " (pre-tokenizer '" + pre->second + "')" : std::string()) +
                " is not supported (only the RWKV World vocabulary, 'rwkv'): pass a tokenizer file");
  }
  auto tokens = m.string_arrays.find("tokenizer.ggml.tokens");
  if (tokens == m.string_arrays.end() || tokens->second.empty()) throw Error(where + ".tokens is missing");
  auto types = m.int_arrays.find("tokenizer.ggml.token_type");
  if (types != m.int_arrays.end() && types->second.size() != tokens->second.size())
    throw Error(where + ".token_type has " + std::to_string(types->second.size()) + " entries for " +
                std::to_string(tokens->second.size()) + " tokens");
  std::vector<std::string> bytes(tokens->second.size());
  try {
    for (size_t id = 0; id < bytes.size(); id++) {
      // Only normal tokens are text; without types, id 0 is the control token.
      const bool text = types != m.int_arrays.end()
                            ? types->second[id] == kTypeNormal || types->second[id] == kTypeUserDefined
                            : id != 0;
      if (text) bytes[id] = unescape_token(tokens->second[id], id);
    }
  } catch (const Error& e) {
    throw Error(where + ".tokens: " + e.what());
  }
  return text::make_world_tokenizer(std::move(bytes), where + ".tokens");
}

}  // namespace rwkv
