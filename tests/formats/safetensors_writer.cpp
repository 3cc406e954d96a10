// .safetensors as the safetensors library writes it: u64 header length, a JSON header padded
// with spaces to a multiple of 8, then the tensors back to back in header order.
#include <cstdio>
#include <stdexcept>

#include "checkpoint_writer.h"

namespace fmt_test {

namespace {

std::string json_str(const std::string& s) {
  std::string o = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') o += std::string("\\") + c;
    else if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      o += buf;
    } else o += c;
  }
  return o + "\"";
}

const char* st_dtype(rwkv::DType d) {
  switch (d) {
    case rwkv::DType::F32: return "F32";
    case rwkv::DType::F16: return "F16";
    case rwkv::DType::BF16: return "BF16";
    default: throw std::runtime_error("safetensors has no such dtype");
  }
}

}  // namespace

void write_safetensors(const rwkv::TensorMap& m, const std::string& path, rwkv::DType dtype,
                       const std::vector<std::pair<std::string, std::string>>& metadata) {
  std::string header = "{";
  if (!metadata.empty()) {
    header += "\"__metadata__\":{";
    for (size_t i = 0; i < metadata.size(); i++) {
      if (i) header += ',';
      header += json_str(metadata[i].first);
      header += ':';
      header += json_str(metadata[i].second);
    }
    header += "}";
  }
  std::vector<uint8_t> data;
  for (const auto& [name, t] : m.tensors()) {
    const std::vector<uint8_t> bytes = encode(t, dtype);
    std::string shape;
    for (size_t d = 0; d < t.shape.size(); d++) {
      if (d) shape += ',';
      shape += std::to_string(t.shape[d]);
    }
    if (header.size() > 1) header += ",";
    header += json_str(name) + ":{\"dtype\":\"" + st_dtype(dtype) + "\",\"shape\":[" + shape +
              "],\"data_offsets\":[" + std::to_string(data.size()) + "," +
              std::to_string(data.size() + bytes.size()) + "]}";
    data.insert(data.end(), bytes.begin(), bytes.end());
  }
  header += "}";
  while (header.size() % 8) header += ' ';
  std::vector<uint8_t> out;
  for (int i = 0; i < 8; i++) out.push_back(uint8_t(uint64_t(header.size()) >> (8 * i)));
  out.insert(out.end(), header.begin(), header.end());
  out.insert(out.end(), data.begin(), data.end());
  write_file(path, out);
}

}  // namespace fmt_test
