// .safetensors: u64 LE header length, a JSON header {name: {dtype, shape, data_offsets},
// "__metadata__": {str: str}}, then the byte buffer the offsets point into. Tensors borrow
// the mapped file's bytes. The JSON is parsed with nlohmann/json when the build has it.
#include "formats/mapped_file.h"
#include "rwkv/error.h"
#include "rwkv/formats.h"

#ifdef RWKV_HAVE_JSON
#include <nlohmann/json.hpp>
#endif

namespace rwkv {

#ifdef RWKV_HAVE_JSON

namespace {

constexpr uint64_t kMaxHeader = 100000000;  // the reference implementation's limit
// A header nests 3 deep; far deeper JSON would exhaust the stack when printed in an error.
constexpr int kMaxDepth = 32;

DType safetensors_dtype(const std::string& what, const std::string& name, const std::string& d) {
  if (d == "F32") return DType::F32;
  if (d == "F16") return DType::F16;
  if (d == "BF16") return DType::BF16;
  throw Error(what + ": tensor '" + name + "' has dtype '" + d + "' (supported: F32, F16, BF16)");
}

uint64_t as_u64(const std::string& what, const std::string& name, const nlohmann::json& v, const char* field) {
  if (!v.is_number_unsigned())
    throw Error(what + ": tensor '" + name + "': " + field + " holds " + v.dump() + ", not an unsigned integer");
  return v.get<uint64_t>();
}

}  // namespace

TensorMap load_safetensors(const std::string& path) {
  auto file = MappedFile::open(path);
  const std::string what = "safetensors file '" + path + "'";
  ByteReader r(file->data(), file->size(), what);
  const uint64_t hlen = r.u64("header length");
  if (hlen > kMaxHeader) r.fail("absurd header length " + std::to_string(hlen));
  if (hlen > r.left())
    r.fail("header length " + std::to_string(hlen) + " is past the end of the file (" +
           std::to_string(r.left()) + " bytes left)");
  const char* text = reinterpret_cast<const char*>(r.take(size_t(hlen), "header"));
  const uint8_t* buffer = file->data() + r.pos();
  const uint64_t buffer_size = r.left();

  nlohmann::json header;
  try {
    header = nlohmann::json::parse(text, text + hlen, [&](int depth, nlohmann::json::parse_event_t, nlohmann::json&) {
      if (depth > kMaxDepth) throw Error(what + ": JSON header nested deeper than " + std::to_string(kMaxDepth) + " levels");
      return true;
    });
  } catch (const nlohmann::json::exception& e) {
    throw Error(what + ": invalid JSON header: " + e.what());
  }
  if (!header.is_object()) throw Error(what + ": the JSON header is not an object");

  TensorMap m;
  m.format = "safetensors";
  m.source = path;
  m.keep_alive(file);
  for (const auto& [name, info] : header.items()) {
    if (name == "__metadata__") {
      if (!info.is_object()) throw Error(what + ": __metadata__ is not an object");
      for (const auto& [k, v] : info.items()) {
        if (!v.is_string()) throw Error(what + ": __metadata__ value of '" + k + "' is not a string");
        m.metadata[k] = v.get<std::string>();
      }
      continue;
    }
    if (!info.is_object() || !info.contains("dtype") || !info.contains("shape") || !info.contains("data_offsets"))
      throw Error(what + ": tensor '" + name + "' lacks dtype, shape or data_offsets");
    const auto& dt = info["dtype"];
    const auto& shape = info["shape"];
    const auto& offs = info["data_offsets"];
    if (!dt.is_string()) throw Error(what + ": tensor '" + name + "': dtype is not a string");
    if (!shape.is_array() || shape.size() > 8) throw Error(what + ": tensor '" + name + "': shape is not an array of up to 8 sizes");
    if (!offs.is_array() || offs.size() != 2) throw Error(what + ": tensor '" + name + "': data_offsets is not [begin, end]");
    Tensor t;
    t.name = name;
    t.dtype = safetensors_dtype(what, name, dt.get<std::string>());
    uint64_t n = 1;
    for (const auto& d : shape) {
      const uint64_t v = as_u64(what, name, d, "shape");
      if (v > (uint64_t(1) << 40) || (v != 0 && n > (uint64_t(1) << 40) / v))
        throw Error(what + ": tensor '" + name + "' has an absurd shape " + shape.dump());
      n *= v;
      t.shape.push_back(int64_t(v));
    }
    const uint64_t begin = as_u64(what, name, offs[0], "data_offsets");
    const uint64_t end = as_u64(what, name, offs[1], "data_offsets");
    if (begin > end || end > buffer_size)
      throw Error(what + ": tensor '" + name + "': data_offsets [" + std::to_string(begin) + ", " +
                  std::to_string(end) + "] lie outside the " + std::to_string(buffer_size) + "-byte data buffer");
    t.nbytes = dtype_bytes(t.dtype, n);
    if (end - begin != t.nbytes)
      throw Error(what + ": tensor '" + name + "': " + std::to_string(end - begin) + " bytes for " +
                  dtype_name(t.dtype) + " " + t.shape_str() + ", expected " + std::to_string(t.nbytes));
    t.data = buffer + begin;
    m.add(std::move(t));
  }
  if (m.size() == 0) throw Error(what + ": no tensors");
  return m;
}

#else

TensorMap load_safetensors(const std::string& path) {
  throw Error("safetensors file '" + path + "': this engine was built without JSON support " +
              "(install nlohmann-json3-dev and rebuild)");
}

#endif

}  // namespace rwkv
