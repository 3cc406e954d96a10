// Which tokenizer a model uses: an explicit file, one beside the model, the one inside a
// GGUF file, or the byte tokenizer for n_vocab 256.
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <tuple>

#include "support/regular_file.h"
#include "rwkv/error.h"
#include "rwkv/model.h"
#include "rwkv/tokenizer.h"

namespace rwkv {

namespace {

namespace fs = std::filesystem;

// Embedding tables are the vocabulary padded up by less than 256 rows (65530 -> 65536).
bool fits(const Tokenizer& t, const ModelInfo& info) {
  return t.n_vocab() <= uint32_t(info.n_vocab) && uint32_t(info.n_vocab) < t.n_vocab() + 256;
}

// Parses a tokenizer file (World vocabulary or tokenizer.json).
std::shared_ptr<Tokenizer> parse_tokenizer(const std::string& spec) {
  std::ifstream f(spec, std::ios::binary);
  if (!f) throw Error("cannot open tokenizer '" + spec + "'");
  char c = 0;
  while (f.get(c) && (c == ' ' || c == '\n' || c == '\r' || c == '\t')) {}
  if (c == '{') return load_neox_tokenizer(spec);
  if (c >= '0' && c <= '9') return load_world_tokenizer(spec);
  throw Error("'" + spec + "' is not a tokenizer file (an RWKV World vocabulary .txt or a tokenizer.json)");
}

}  // namespace

std::shared_ptr<Tokenizer> load_tokenizer(const std::string& spec) {
  if (spec == "bytes") return make_bytes_tokenizer();
  require_regular_file(spec, "tokenizer");
  // A file is parsed once while it is in use, however many streams name it (64 elements on one
  // tokenizer.json: one parse of 0.1-0.2 s and one copy of its tables, not 64): tokenizers
  // are immutable. Keyed by the file itself, its size and its modification time, so an edited
  // file is parsed again.
  std::error_code e1, e2, e3;
  const fs::path file = fs::canonical(spec, e1);
  const auto size = fs::file_size(spec, e2);
  const auto mtime = fs::last_write_time(spec, e3).time_since_epoch().count();
  if (e1 || e2 || e3) return parse_tokenizer(spec);
  using Key = std::tuple<std::string, uintmax_t, long long>;
  static std::mutex lock;
  static std::map<Key, std::weak_ptr<Tokenizer>> loaded;
  const Key key{file.string(), size, static_cast<long long>(mtime)};
  std::lock_guard<std::mutex> lk(lock);
  if (auto t = loaded[key].lock()) return t;
  for (auto it = loaded.begin(); it != loaded.end();) it = it->second.expired() ? loaded.erase(it) : std::next(it);
  auto t = parse_tokenizer(spec);
  loaded[key] = t;
  return t;
}

std::shared_ptr<Tokenizer> tokenizer_for_model(const Model& model, const std::string& spec) {
  return tokenizer_for_model(model.info(), model.tensors(), spec);
}

std::shared_ptr<Tokenizer> tokenizer_for_model(const ModelInfo& info, const TensorMap& tensors, const std::string& spec) {
  if (!spec.empty() && spec != "auto") {
    auto t = load_tokenizer(spec);
    if (t->n_vocab() > uint32_t(info.n_vocab))
      throw Error("tokenizer '" + spec + "' has " + std::to_string(t->n_vocab()) +
                  " tokens but the model only " + std::to_string(info.n_vocab));
    return t;
  }
  const std::string& source = tensors.source;
  if (!source.empty()) {
    const fs::path dir = fs::path(source).parent_path();
    for (const char* name : {"rwkv_vocab_v20230424.txt", "20B_tokenizer.json", "tokenizer.json"}) {
      const fs::path p = dir / name;
      std::error_code ec;
      if (!fs::is_regular_file(p, ec)) continue;
      if (p.extension() == ".json" && !neox_tokenizer_available()) continue;
      auto t = load_tokenizer(p.string());
      if (fits(*t, info)) return t;
    }
  }
  if (auto t = tokenizer_from_gguf(tensors)) {
    if (!fits(*t, info))
      throw Error(source + ": its GGUF tokenizer has " + std::to_string(t->n_vocab()) +
                  " tokens but the model " + std::to_string(info.n_vocab));
    return t;
  }
  const std::string what = source.empty() ? std::string("the model") : "'" + source + "'";
  switch (info.n_vocab) {
    case 256: return make_bytes_tokenizer();
    case 65536:
      throw Error(what + " uses the RWKV World vocabulary: put rwkv_vocab_v20230424.txt beside it or set tokenizer to its path");
    case 50277:
      if (!neox_tokenizer_available())
        throw Error(what + " uses the GPT-NeoX-20B tokenizer, which this build lacks (built without GLib or nlohmann-json)");
      throw Error(what + " uses the GPT-NeoX-20B tokenizer: put 20B_tokenizer.json beside it or set tokenizer to its path");
    default:
      throw Error("no tokenizer found for " + what + " (n_vocab " + std::to_string(info.n_vocab) +
                  "): set tokenizer to a tokenizer file or \"bytes\"");
  }
}

}  // namespace rwkv
