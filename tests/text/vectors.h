// Tokenizer test vectors (one JSON object a line: "text" or "hex", and "ids").
#pragma once
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "engine/testing.h"

namespace testing {

struct Vector {
  std::string text;  // bytes, possibly invalid UTF-8
  bool from_hex = false;
  std::vector<uint32_t> ids;
};

inline std::string from_hex(const std::string& h) {
  std::string out;
  for (size_t i = 0; i + 1 < h.size(); i += 2) out += char(std::stoi(h.substr(i, 2), nullptr, 16));
  return out;
}

inline std::vector<Vector> read_vectors(const std::string& path) {
  std::ifstream f(path);
  if (!f) {
    std::fprintf(stderr, "cannot read %s\n", path.c_str());
    failures()++;
  }
  std::vector<Vector> v;
  std::string line;
  while (std::getline(f, line)) {
    if (line.empty()) continue;
    const auto j = nlohmann::json::parse(line);
    Vector x;
    if (j.contains("hex")) x.text = from_hex(j["hex"].get<std::string>()), x.from_hex = true;
    else x.text = j["text"].get<std::string>();
    x.ids = j["ids"].get<std::vector<uint32_t>>();
    v.push_back(std::move(x));
  }
  return v;
}

inline std::string ids_str(const std::vector<uint32_t>& ids) {
  std::string s = "[";
  for (size_t i = 0; i < ids.size(); i++) {
    if (i) s += ',';
    s += std::to_string(ids[i]);
  }
  s += ']';
  return s;
}

}  // namespace testing
