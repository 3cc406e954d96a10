// GGUF (v2 and v3, little-endian), as llama.cpp writes it: header, metadata key/values,
// tensor infos, then the data section at the next multiple of general.alignment (default
// 32). Scalar metadata goes into TensorMap::metadata as strings; string arrays into
// string_arrays, integer and bool arrays into int_arrays, float arrays into string_arrays
// (as decimal text, "%.9g"; uint64 elements above INT64_MAX wrap in int_arrays); arrays
// of arrays are checked and skipped. Dimensions are stored ne0-first, so the PyTorch shape
// is their reverse. Tensors borrow the mapped file.
#include <cstdio>

#include "formats/gguf_rwkv.h"
#include "formats/mapped_file.h"
#include "rwkv/error.h"
#include "rwkv/formats.h"

namespace rwkv {

namespace {

enum ValueType : uint32_t {
  U8 = 0, I8 = 1, U16 = 2, I16 = 3, U32 = 4, I32 = 5, F32 = 6, BOOL = 7, STRING = 8, ARRAY = 9,
  U64 = 10, I64 = 11, F64 = 12,
};

constexpr uint32_t kDefaultAlignment = 32;
constexpr int kMaxDims = 4;

std::string format_double(double v, const char* fmt) {
  char buf[40];
  std::snprintf(buf, sizeof buf, fmt, v);
  return buf;
}

// Fixed bytes a value of the type occupies (strings: their length prefix at least).
size_t min_size(uint32_t type) {
  switch (type) {
    case U8: case I8: case BOOL: return 1;
    case U16: case I16: return 2;
    case U32: case I32: case F32: return 4;
    case U64: case I64: case F64: case STRING: return 8;
    case ARRAY: return 12;
    default: return 0;
  }
}

std::string read_string(ByteReader& r, const char* field) {
  const uint64_t n = r.u64(field);
  if (n > r.left()) r.fail(std::string(field) + " of " + std::to_string(n) + " bytes is past the end of the file");
  return std::string(reinterpret_cast<const char*>(r.take(size_t(n), field)), size_t(n));
}

struct Scalar {
  bool is_int = false, is_float = false;
  int64_t i = 0;
  double f = 0;
  std::string s;  // the text form
};

Scalar read_scalar(ByteReader& r, uint32_t type, const std::string& key) {
  Scalar v;
  v.is_int = true;
  switch (type) {
    case U8: v.i = r.u8("u8"); break;
    case I8: v.i = int8_t(r.u8("i8")); break;
    case U16: v.i = r.u16("u16"); break;
    case I16: v.i = int16_t(r.u16("i16")); break;
    case U32: v.i = r.u32("u32"); break;
    case I32: v.i = r.i32("i32"); break;
    case BOOL: {
      const uint8_t b = r.u8("bool");
      if (b > 1) r.fail("metadata '" + key + "': bool value " + std::to_string(b));
      v.i = b;
      v.s = b ? "true" : "false";
      return v;
    }
    case U64: {
      const uint64_t u = r.u64("u64");
      v.i = int64_t(u);
      v.s = std::to_string(u);
      return v;
    }
    case I64: v.i = r.i64("i64"); break;
    case F32:
      v.is_int = false;
      v.is_float = true;
      v.f = r.f32("f32");
      v.s = format_double(v.f, "%.9g");
      return v;
    case F64:
      v.is_int = false;
      v.is_float = true;
      v.f = r.f64("f64");
      v.s = format_double(v.f, "%.17g");
      return v;
    case STRING:
      v.is_int = false;
      v.s = read_string(r, "string");
      return v;
    default: r.fail("metadata '" + key + "' has unknown value type " + std::to_string(type));
  }
  v.s = std::to_string(v.i);
  return v;
}

void read_array(ByteReader& r, const std::string& key, TensorMap* m, int depth) {
  const uint32_t type = r.u32("array type");
  const uint64_t count = r.u64("array length");
  if (min_size(type) == 0) r.fail("metadata '" + key + "': array of unknown type " + std::to_string(type));
  if (count > r.left() / min_size(type))
    r.fail("metadata '" + key + "': absurd array length " + std::to_string(count));
  if (type == ARRAY) {
    if (depth >= 4) r.fail("metadata '" + key + "': arrays nested too deeply");
    for (uint64_t k = 0; k < count; k++) read_array(r, key, nullptr, depth + 1);
    return;
  }
  std::vector<std::string> strings;
  std::vector<int64_t> ints;
  for (uint64_t k = 0; k < count; k++) {
    Scalar v = read_scalar(r, type, key);
    if (!m) continue;
    if (v.is_int) ints.push_back(v.i);
    else strings.push_back(std::move(v.s));
  }
  if (!m) return;
  if (type == STRING || type == F32 || type == F64) m->string_arrays[key] = std::move(strings);
  else m->int_arrays[key] = std::move(ints);
}

DType ggml_dtype(ByteReader& r, uint32_t t, const std::string& name) {
  // Block types are laid out as in rwkv.cpp files (both are ggml's).
  for (const DTypeInfo& d : kDTypes)
    if (d.gguf_code >= 0 && uint32_t(d.gguf_code) == t) return d.type;
  r.fail("tensor '" + name + "' has ggml type " + std::to_string(t) + " (supported: " + dtype_names() + ")");
}

}  // namespace

TensorMap load_gguf(const std::string& path) {
  auto file = MappedFile::open(path);
  ByteReader r(file->data(), file->size(), "GGUF file '" + path + "'");
  const uint8_t* magic = r.take(4, "magic");
  if (magic[0] != 'G' || magic[1] != 'G' || magic[2] != 'U' || magic[3] != 'F') r.fail("wrong magic (not a GGUF file)");
  const uint32_t version = r.u32("version");
  if (version > 0xffff && (version & 0xffff) == 0) r.fail("big-endian GGUF files are not supported");
  if (version != 2 && version != 3) r.fail("unsupported GGUF version " + std::to_string(version) + " (2 and 3 are read)");
  const uint64_t n_tensors = r.u64("tensor count"), n_kv = r.u64("metadata count");
  // Each key/value needs at least 13 bytes and each tensor info 24: bound the counts by the file.
  if (n_kv > r.left() / 13) r.fail("absurd metadata count " + std::to_string(n_kv));
  if (n_tensors > r.left() / 24) r.fail("absurd tensor count " + std::to_string(n_tensors));

  TensorMap m;
  m.format = "gguf";
  m.source = path;
  m.keep_alive(file);
  m.metadata["gguf.version"] = std::to_string(version);
  uint64_t alignment = kDefaultAlignment;
  for (uint64_t k = 0; k < n_kv; k++) {
    const std::string key = read_string(r, "metadata key");
    const uint32_t type = r.u32("metadata value type");
    if (m.metadata.count(key) || m.string_arrays.count(key) || m.int_arrays.count(key))
      r.fail("duplicate metadata key '" + key + "'");
    if (type == ARRAY) {
      read_array(r, key, &m, 0);
      continue;
    }
    const Scalar v = read_scalar(r, type, key);
    if (key == "general.alignment") {
      if (!v.is_int || v.i <= 0 || v.i > (1 << 20) || (v.i & (v.i - 1)))
        r.fail("general.alignment " + v.s + " is not a power of two up to 1 MiB");
      alignment = uint64_t(v.i);
    }
    m.metadata[key] = v.s;
  }

  struct Info {
    Tensor t;
    uint64_t offset;
  };
  std::vector<Info> infos;
  infos.reserve(size_t(n_tensors));
  for (uint64_t k = 0; k < n_tensors; k++) {
    Info info;
    Tensor& t = info.t;
    t.name = read_string(r, "tensor name");
    if (t.name.empty() || t.name.size() > 256) r.fail("tensor name of " + std::to_string(t.name.size()) + " bytes");
    const uint32_t dims = r.u32("dimension count");
    if (dims < 1 || dims > kMaxDims)
      r.fail("tensor '" + t.name + "' has " + std::to_string(dims) + " dimensions (1 to 4 allowed)");
    uint64_t n = 1;
    std::vector<int64_t> ne(dims);
    for (auto& d : ne) {
      const uint64_t v = r.u64("dimension");
      if (v == 0 || v > (uint64_t(1) << 40) || n > (uint64_t(1) << 40) / v)
        r.fail("tensor '" + t.name + "' has an absurd dimension " + std::to_string(v));
      n *= v;
      d = int64_t(v);
    }
    t.shape.assign(ne.rbegin(), ne.rend());
    t.dtype = ggml_dtype(r, r.u32("tensor type"), t.name);
    if (dtype_is_quantized(t.dtype) && ne[0] % int64_t(dtype_block_size(t.dtype)) != 0)
      r.fail("tensor '" + t.name + "': " + dtype_name(t.dtype) + " rows of " + std::to_string(ne[0]) +
             " values are not whole blocks");
    t.nbytes = dtype_bytes(t.dtype, n);
    info.offset = r.u64("tensor offset");
    if (info.offset % alignment)
      r.fail("tensor '" + t.name + "' offset " + std::to_string(info.offset) + " is not a multiple of the alignment " +
             std::to_string(alignment));
    infos.push_back(std::move(info));
  }

  const uint64_t data_start = (uint64_t(r.pos()) + alignment - 1) / alignment * alignment;
  if (!infos.empty() && data_start > file->size()) r.fail("data section starts past the end of the file");
  const uint64_t data_size = data_start > file->size() ? 0 : file->size() - data_start;
  for (Info& info : infos) {
    if (info.offset > data_size || info.t.nbytes > data_size - info.offset)
      throw Error("GGUF file '" + path + "': data of tensor '" + info.t.name + "' (offset " +
                  std::to_string(info.offset) + ", " + std::to_string(info.t.nbytes) +
                  " bytes) runs past the end of the file");
    info.t.data = file->data() + data_start + info.offset;
    m.add(std::move(info.t));
  }
  undo_llamacpp_converter(m);
  return m;
}

}  // namespace rwkv
