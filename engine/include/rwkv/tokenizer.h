// Text <-> token ids: the RWKV World vocabulary, GPT-NeoX-20B byte-level BPE and plain bytes,
// each with a streaming encoder (text arrives in arbitrary pieces) and a streaming decoder.
//
// Streaming invariant: for any split of a text into pieces, the tokens a TextEncoder emits
// over push(piece)... flush() equal Tokenizer::encode(text). An encoder emits a token only
// when no later text can change it and holds back the rest (an unfinished UTF-8 sequence, a
// possibly longer World match, an unfinished NeoX pre-token, special token or space run).
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace rwkv {

class Model;
class TensorMap;
struct ModelInfo;

enum class TokenizerKind { Bytes, World, NeoX };

class TextEncoder {
 public:
  virtual ~TextEncoder() = default;
  // Appends to `out` the tokens that the text so far fixes for good.
  virtual void push(std::string_view text, std::vector<uint32_t>& out) = 0;
  // Ends the current text: what is held back is encoded as if the text ended here. The
  // encoder then starts afresh (the next push begins a new text).
  virtual void flush(std::vector<uint32_t>& out) = 0;
  virtual void reset() = 0;  // drops what is held back
  // What is held back, as text: pushed into a fresh encoder it is held back the same way,
  // so a stream saved mid-word resumes exactly (Session::save).
  virtual std::string pending_text() const = 0;
  size_t pending_bytes() const { return pending_text().size(); }
  virtual std::unique_ptr<TextEncoder> clone() const = 0;
};

class Tokenizer : public std::enable_shared_from_this<Tokenizer> {
 public:
  virtual ~Tokenizer() = default;
  virtual TokenizerKind kind() const = 0;
  const char* name() const;  // "bytes", "world", "neox"
  // One past the largest token id.
  virtual uint32_t n_vocab() const = 0;
  // The bytes a token stands for (empty for ids without text, e.g. World's id 0); throws
  // for id >= n_vocab().
  virtual std::string_view token_bytes(uint32_t id) const = 0;
  // The end-of-text / document-separator token (id 0 for World and NeoX), if any.
  virtual std::optional<uint32_t> end_of_text() const = 0;

  // A streaming encoder; it keeps this tokenizer alive.
  virtual std::unique_ptr<TextEncoder> new_encoder() const = 0;
  // Whole-text encoding: the same as one push and a flush.
  std::vector<uint32_t> encode(std::string_view text) const;
  // Concatenated token bytes, as they are (may be invalid UTF-8).
  std::string decode(std::span<const uint32_t> ids) const;

  std::string source;  // the file it came from, or a description
};

// Tokens -> text, emitting only complete UTF-8 characters. Ill-formed sequences (and, at
// flush, an unfinished one) come out as U+FFFD, one per maximal ill-formed subpart (the
// Unicode / WHATWG rule), so the output is always valid UTF-8 and does not depend on how
// the tokens were grouped into calls.
class TextDecoder {
 public:
  explicit TextDecoder(std::shared_ptr<const Tokenizer> tokenizer);
  std::string push(uint32_t id);
  std::string push(std::span<const uint32_t> ids);
  std::string flush();
  void reset();
  size_t pending_bytes() const { return tail_.size(); }

 private:
  std::shared_ptr<const Tokenizer> tok_;
  std::string tail_;  // an unfinished UTF-8 sequence
};

std::shared_ptr<Tokenizer> make_bytes_tokenizer();                     // n_vocab 256, id = byte
std::shared_ptr<Tokenizer> load_world_tokenizer(const std::string& vocab_path);
// A Hugging Face tokenizer.json of the GPT-NeoX kind (NFC, byte-level BPE); needs GLib and
// nlohmann-json at build time. Invalid UTF-8 input is replaced by U+FFFD (one per maximal
// ill-formed subpart) before encoding, since the reference tokenizer accepts only strings.
std::shared_ptr<Tokenizer> load_neox_tokenizer(const std::string& json_path);
bool neox_tokenizer_available();  // false in a build without GLib or nlohmann-json
// The tokenizer stored in GGUF metadata (tokenizer.ggml.*); nullptr when there is none.
std::shared_ptr<Tokenizer> tokenizer_from_gguf(const TensorMap& tensors);

// "bytes", or a file: a World vocabulary (.txt) or a tokenizer.json.
std::shared_ptr<Tokenizer> load_tokenizer(const std::string& spec);
// spec "" or "auto": a tokenizer file beside the model (rwkv_vocab_v20230424.txt,
// 20B_tokenizer.json, tokenizer.json) whose size fits the model's n_vocab, else the GGUF
// tokenizer, else by n_vocab (256 -> bytes). Anything else is load_tokenizer(spec), checked
// against the model. Throws naming the file to provide when none is found.
std::shared_ptr<Tokenizer> tokenizer_for_model(const Model& model, const std::string& spec = "auto");
// The same for a checkpoint that is only inspected (rwkv::inspect), not loaded.
std::shared_ptr<Tokenizer> tokenizer_for_model(const ModelInfo& info, const TensorMap& tensors,
                                               const std::string& spec = "auto");

}  // namespace rwkv
