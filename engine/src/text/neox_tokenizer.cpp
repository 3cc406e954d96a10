#include "text/neox_tokenizer.h"

#include <array>
#include <unordered_map>

#include "rwkv/error.h"
#include "text/added_tokens.h"
#include "text/bpe.h"
#include "text/byte_trie.h"
#include "text/pretokenizer.h"
#include "text/unicode.h"
#include "text/utf8.h"

namespace rwkv::text {

namespace {

class NeoxTokenizer final : public Tokenizer {
 public:
  explicit NeoxTokenizer(NeoxSpec spec);
  TokenizerKind kind() const override { return TokenizerKind::NeoX; }
  uint32_t n_vocab() const override { return uint32_t(bytes_.size()); }
  std::string_view token_bytes(uint32_t id) const override {
    if (id >= bytes_.size())
      throw Error("token id " + std::to_string(id) + " is out of range for the NeoX tokenizer (" +
                  std::to_string(bytes_.size()) + ")");
    return bytes_[id];
  }
  std::optional<uint32_t> end_of_text() const override { return eot_; }
  std::unique_ptr<TextEncoder> new_encoder() const override;

  const ByteTrie& raw_added() const { return raw_added_; }
  const ByteTrie& normalized_added() const { return norm_added_; }
  bool nfc() const { return nfc_; }
  // BPE of one pre-token, without a cache.
  void encode_word(std::string_view word, std::vector<uint32_t>& out) const {
    if (ignore_merges_) {
      auto it = whole_.find(std::string(word));
      if (it != whole_.end()) {
        out.push_back(it->second);
        return;
      }
    }
    bpe_.encode(word, out);
  }

 private:
  std::vector<std::string> bytes_;
  Bpe bpe_;
  ByteTrie raw_added_, norm_added_;
  std::optional<uint32_t> eot_;
  bool nfc_, ignore_merges_;
  std::unordered_map<std::string, uint32_t> whole_;  // only with ignore_merges
};

NeoxTokenizer::NeoxTokenizer(NeoxSpec spec) : nfc_(spec.nfc), ignore_merges_(spec.ignore_merges) {
  source = spec.source;
  std::unordered_map<std::string, uint32_t> ids;
  ids.reserve(spec.vocab.size());
  uint32_t n = 0;
  auto count_id = [&](uint32_t id) {  // checked before id + 1, which could wrap
    if (id >= (1u << 24)) throw Error(source + ": token id " + std::to_string(id) + " is implausible");
    n = std::max(n, id + 1);
  };
  for (auto& [b, id] : spec.vocab) {
    if (!ids.emplace(b, id).second) throw Error(source + ": two vocabulary entries spell the same bytes");
    count_id(id);
  }
  for (const auto& a : spec.added) count_id(a.id);
  bytes_.resize(n);
  for (const auto& [b, id] : spec.vocab) bytes_[id] = b;
  std::vector<std::pair<std::string, uint32_t>> raw, norm;
  for (const auto& a : spec.added) {
    if (a.content.empty()) throw Error(source + ": added token " + std::to_string(a.id) + " is empty");
    bytes_[a.id] = a.content;
    (a.normalized ? norm : raw).emplace_back(a.content, a.id);
    if (a.content == "<|endoftext|>") eot_ = a.id;
  }
  try {
    raw_added_ = ByteTrie(std::move(raw));
    norm_added_ = ByteTrie(std::move(norm));
  } catch (const Error& e) {
    throw Error(source + ": added tokens: " + e.what());
  }
  // Bytes that never occur in UTF-8 (0xC0, 0xC1, 0xF5..0xFF) may lack a token: the
  // encoder only ever sees well-formed UTF-8.
  std::array<uint32_t, 256> byte_tokens{};
  for (int b = 0; b < 256; b++) {
    auto it = ids.find(std::string(1, char(b)));
    const bool in_utf8 = b < 0xC0 || (b >= 0xC2 && b <= 0xF4);
    if (it == ids.end() && in_utf8) throw Error(source + ": the vocabulary has no token for byte " + std::to_string(b));
    byte_tokens[size_t(b)] = it == ids.end() ? UINT32_MAX : it->second;
  }
  std::vector<Bpe::Merge> merges;
  merges.reserve(spec.merges.size());
  for (size_t r = 0; r < spec.merges.size(); r++) {
    const auto& [l, rt] = spec.merges[r];
    auto li = ids.find(l), ri = ids.find(rt), mi = ids.find(l + rt);
    if (li == ids.end() || ri == ids.end() || mi == ids.end())
      throw Error(source + ": merge " + std::to_string(r) + " uses or makes a token missing from the vocabulary");
    merges.push_back({li->second, ri->second, mi->second});
  }
  bpe_ = Bpe(byte_tokens, merges);
  if (ignore_merges_) whole_ = std::move(ids);
}

// Transparent lookup, so the cache is searched with a string_view.
struct WordHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>()(s); }
};

// Stages, each streaming and each holding back only what later text could change:
//   bytes -> well-formed UTF-8 (U+FFFD for ill-formed) -> raw added tokens split off
//   -> NFC up to the last stable boundary -> normalised added tokens and pre-tokens -> BPE.
// A piece (the text between raw added tokens) ends at such a token or at flush.
class NeoxEncoder final : public TextEncoder {
 public:
  explicit NeoxEncoder(std::shared_ptr<const NeoxTokenizer> t) : tok_(std::move(t)) {}
  NeoxEncoder(const NeoxEncoder& o)
      : tok_(o.tok_), utf8_(o.utf8_), raw_(o.raw_), unnorm_(o.unnorm_), norm_(o.norm_) {}

  void push(std::string_view text, std::vector<uint32_t>& out) override {
    std::string valid;
    utf8_.push(text, valid);
    split_raw(valid, false, out);
  }
  void flush(std::vector<uint32_t>& out) override {
    std::string valid;
    utf8_.flush(valid);
    split_raw(valid, true, out);
  }
  void reset() override {
    utf8_.reset();
    raw_.clear();
    unnorm_.clear();
    norm_.clear();
  }
  // In the order the text came: normalised, not yet normalised, undecided for raw added
  // tokens, an unfinished UTF-8 character. NFC is idempotent and norm_ ends at a stable
  // boundary, so pushing this again holds it back the same way.
  std::string pending_text() const override { return norm_ + unnorm_ + raw_ + utf8_.pending_bytes(); }
  std::unique_ptr<TextEncoder> clone() const override { return std::make_unique<NeoxEncoder>(*this); }

 private:
  void split_raw(const std::string& valid, bool final, std::vector<uint32_t>& out) {
    if (!raw_.empty()) raw_ += valid;
    const std::string_view s = raw_.empty() ? std::string_view(valid) : std::string_view(raw_);
    size_t start = 0;
    for (;;) {
      const AddedMatch m = find_added(tok_->raw_added(), s, start, final);
      if (m.length) {  // the piece ends here
        normalize(s.substr(start, m.pos - start), true, out);
        out.push_back(m.id);
        start = m.pos + m.length;
        continue;
      }
      normalize(s.substr(start, m.pos - start), final, out);
      std::string rest(s.substr(m.pos));
      raw_ = std::move(rest);
      return;
    }
  }

  void normalize(std::string_view text, bool piece_end, std::vector<uint32_t>& out) {
    if (!tok_->nfc()) {
      norm_.append(text);
    } else {
      unnorm_.append(text);
      const size_t b = piece_end ? unnorm_.size() : last_nfc_boundary(unnorm_, 0);
      nfc_append(std::string_view(unnorm_).substr(0, b), norm_);
      unnorm_.erase(0, b);
    }
    pretokenize(piece_end, out);
  }

  void pretokenize(bool piece_end, std::vector<uint32_t>& out) {
    const std::string_view s = norm_;
    const auto* p = reinterpret_cast<const uint8_t*>(s.data());
    size_t pos = 0;
    for (;;) {
      const AddedMatch m = find_added(tok_->normalized_added(), s, pos, piece_end);
      const bool closed = m.length > 0 || piece_end;  // does the text before m.pos end there?
      while (pos < m.pos) {
        const size_t len = pretoken_at(p, m.pos, pos, closed);
        if (!len) break;
        word(s.substr(pos, len), out);
        pos += len;
      }
      if (!closed || !m.length) break;
      out.push_back(m.id);
      pos = m.pos + m.length;
    }
    norm_.erase(0, pos);
  }

  void word(std::string_view w, std::vector<uint32_t>& out) {
    auto it = cache_.find(w);
    if (it != cache_.end()) {
      out.insert(out.end(), it->second.begin(), it->second.end());
      return;
    }
    const size_t first = out.size();
    tok_->encode_word(w, out);
    if (cache_.size() >= kCacheWords) cache_.clear();
    cache_.emplace(std::string(w), std::vector<uint32_t>(out.begin() + std::ptrdiff_t(first), out.end()));
  }

  static constexpr size_t kCacheWords = 1 << 16;
  std::shared_ptr<const NeoxTokenizer> tok_;
  Utf8Sanitizer utf8_;
  std::string raw_;     // valid text whose raw added tokens are undecided
  std::string unnorm_;  // text of the current piece not yet normalised
  std::string norm_;    // normalised text not yet pre-tokenized
  std::unordered_map<std::string, std::vector<uint32_t>, WordHash, std::equal_to<>> cache_;  // per encoder: no locking
};

std::unique_ptr<TextEncoder> NeoxTokenizer::new_encoder() const {
  return std::make_unique<NeoxEncoder>(std::static_pointer_cast<const NeoxTokenizer>(shared_from_this()));
}

}  // namespace

std::shared_ptr<Tokenizer> make_neox_tokenizer(NeoxSpec spec) {
  return std::make_shared<NeoxTokenizer>(std::move(spec));
}

}  // namespace rwkv::text
