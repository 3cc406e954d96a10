// Reads a Hugging Face tokenizer.json of the GPT-NeoX kind: BPE model, ByteLevel
// pre-tokenizer without prefix space, NFC or no normaliser. Anything else is refused by
// name rather than encoded differently from the reference.
#include <fstream>

#include <nlohmann/json.hpp>

#include "support/regular_file.h"
#include "rwkv/error.h"
#include "rwkv/tokenizer.h"
#include "text/byte_level.h"
#include "text/neox_tokenizer.h"

namespace rwkv {

namespace {

using nlohmann::json;

// Real files nest 5 deep; far deeper input would exhaust the stack when copied or printed.
constexpr int kMaxDepth = 32;

bool limit_depth(int depth, json::parse_event_t, json&) {
  if (depth > kMaxDepth) throw Error("JSON nested deeper than " + std::to_string(kMaxDepth) + " levels");
  return true;
}

// A token id: a non-negative integer (get<uint32_t>() would wrap a negative one).
uint32_t token_id(const json& v, const std::string& token) {
  if (!v.is_number_unsigned()) throw Error("token '" + token + "' has id " + v.dump() + ", not a non-negative integer");
  return v.get<uint32_t>();
}

bool is_null_or(const json& j, const char* key, const json& allowed) {
  return !j.contains(key) || j[key].is_null() || j[key] == allowed;
}

void check_pre_tokenizer(const json& pre) {
  if (!pre.is_object() || pre.value("type", "") != "ByteLevel")
    throw Error("pre_tokenizer " + pre.dump() + " is not supported (only ByteLevel)");
  if (pre.value("add_prefix_space", false)) throw Error("ByteLevel add_prefix_space is not supported");
  if (!pre.value("use_regex", true)) throw Error("ByteLevel without use_regex is not supported");
}

bool nfc_normalizer(const json& n) {
  if (n.is_null()) return false;
  if (n.value("type", "") == "NFC") return true;
  if (n.value("type", "") == "Sequence" && n.contains("normalizers") && n["normalizers"].size() == 1 &&
      n["normalizers"][0].value("type", "") == "NFC")
    return true;
  throw Error("normalizer " + n.dump() + " is not supported (only NFC or none)");
}

}  // namespace

bool neox_tokenizer_available() { return true; }

std::shared_ptr<Tokenizer> load_neox_tokenizer(const std::string& path) {
  require_regular_file(path, "tokenizer");
  std::ifstream f(path, std::ios::binary);
  if (!f) throw Error("cannot open tokenizer '" + path + "'");
  text::NeoxSpec spec;
  spec.source = path;
  try {
    json j;
    try {
      j = json::parse(f, limit_depth);
    } catch (const json::exception& e) {
      throw Error(std::string("not valid JSON: ") + e.what());
    }
    if (!j.is_object() || !j.contains("model")) throw Error("no \"model\" (not a tokenizer.json)");
    const json& model = j["model"];
    if (model.value("type", "BPE") != "BPE") throw Error("model type " + model.at("type").dump() + " is not supported (only BPE)");
    if (!is_null_or(model, "dropout", nullptr) || model.value("byte_fallback", false) ||
        !is_null_or(model, "continuing_subword_prefix", "") || !is_null_or(model, "end_of_word_suffix", ""))
      throw Error("BPE options (dropout, byte_fallback, subword prefix/suffix) are not supported");
    spec.ignore_merges = model.value("ignore_merges", false);
    spec.nfc = nfc_normalizer(j.value("normalizer", json()));
    check_pre_tokenizer(j.value("pre_tokenizer", json()));
    for (const auto& [spelled, id] : model.at("vocab").items())
      spec.vocab.emplace_back(text::byte_level_decode(spelled), token_id(id, spelled));
    for (const json& m : model.at("merges")) {
      std::string l, r;
      if (m.is_string()) {
        const std::string s = m.get<std::string>();
        const size_t sp = s.find(' ');
        if (sp == std::string::npos || s.find(' ', sp + 1) != std::string::npos) throw Error("bad merge '" + s + "'");
        l = s.substr(0, sp), r = s.substr(sp + 1);
      } else if (m.is_array() && m.size() == 2) {
        l = m[0].get<std::string>(), r = m[1].get<std::string>();
      } else {
        throw Error("bad merge " + m.dump());
      }
      spec.merges.emplace_back(text::byte_level_decode(l), text::byte_level_decode(r));
    }
    for (const json& a : j.value("added_tokens", json::array())) {
      if (a.value("lstrip", false) || a.value("rstrip", false) || a.value("single_word", false))
        throw Error("added token " + a.dump() + ": lstrip/rstrip/single_word are not supported");
      const std::string content = a.at("content").get<std::string>();
      spec.added.push_back({content, token_id(a.at("id"), content), a.value("normalized", false)});
    }
  } catch (const json::exception& e) {
    throw Error(path + ": " + e.what());
  } catch (const Error& e) {
    throw Error(path + ": " + e.what());
  }
  return text::make_neox_tokenizer(std::move(spec));
}

}  // namespace rwkv
