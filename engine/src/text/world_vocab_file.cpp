// Reads rwkv_vocab_v20230424.txt: one token a line, `<id> <Python str or bytes literal>
// <byte length>`.
#include <fstream>
#include <iterator>

#include "support/regular_file.h"
#include "rwkv/error.h"
#include "rwkv/tokenizer.h"
#include "text/python_literal.h"
#include "text/world_tokenizer.h"

namespace rwkv {

namespace {

uint64_t read_number(std::string_view line, size_t& i) {
  const size_t start = i;
  uint64_t v = 0;
  while (i < line.size() && line[i] >= '0' && line[i] <= '9' && i - start < 10) v = v * 10 + uint64_t(line[i++] - '0');
  if (i == start) throw Error("expected a number");
  return v;
}

}  // namespace

std::shared_ptr<Tokenizer> load_world_tokenizer(const std::string& path) {
  require_regular_file(path, "World vocabulary");
  std::ifstream f(path, std::ios::binary);
  if (!f) throw Error("cannot open World vocabulary '" + path + "'");
  const std::string data((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  std::vector<std::string> tokens;
  size_t line_no = 0;
  for (size_t pos = 0; pos < data.size();) {
    size_t end = data.find('\n', pos);
    if (end == std::string::npos) end = data.size();
    std::string_view line(data.data() + pos, end - pos);
    pos = end + 1;
    line_no++;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) continue;
    try {
      size_t i = 0;
      const uint64_t id = read_number(line, i);
      if (i >= line.size() || line[i] != ' ') throw Error("expected a space after the id");
      i++;
      std::string bytes = text::parse_python_literal(line, i);
      if (i >= line.size() || line[i] != ' ') throw Error("expected a space after the token");
      i++;
      const uint64_t len = read_number(line, i);
      if (i != line.size()) throw Error("unexpected text after the length");
      if (len != bytes.size())
        throw Error("token is " + std::to_string(bytes.size()) + " bytes, the line says " + std::to_string(len));
      if (bytes.empty()) throw Error("empty token");
      if (id == 0 || id > 1000000) throw Error("token id " + std::to_string(id) + " out of range");
      if (id >= tokens.size()) tokens.resize(id + 1);
      if (!tokens[id].empty()) throw Error("token id " + std::to_string(id) + " appears twice");
      tokens[id] = std::move(bytes);
    } catch (const Error& e) {
      throw Error(path + " line " + std::to_string(line_no) + ": " + e.what());
    }
  }
  if (tokens.empty()) throw Error(path + ": no tokens (not an RWKV World vocabulary)");
  return text::make_world_tokenizer(std::move(tokens), path);
}

}  // namespace rwkv
