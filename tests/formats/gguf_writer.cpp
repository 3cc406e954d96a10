// GGUF as llama.cpp's gguf-py writes it: header, key/values, tensor infos (dims ne0-first),
// padding to the alignment, then each tensor's data padded to the alignment.
#include <cstring>
#include <stdexcept>

#include "checkpoint_writer.h"

namespace fmt_test {

namespace {

enum : uint32_t { U8 = 0, I8, U16, I16, U32, I32, F32, BOOL, STRING, ARRAY, U64, I64, F64 };

template <typename T>
void put(std::vector<uint8_t>& o, T v) {
  uint8_t b[sizeof(T)];
  std::memcpy(b, &v, sizeof(T));
  o.insert(o.end(), b, b + sizeof(T));
}
void put_str(std::vector<uint8_t>& o, const std::string& s) {
  put<uint64_t>(o, s.size());
  o.insert(o.end(), s.begin(), s.end());
}

uint32_t ggml_type(rwkv::DType d) {
  switch (d) {
    case rwkv::DType::F32: return 0;
    case rwkv::DType::F16: return 1;
    case rwkv::DType::Q4_0: return 2;
    case rwkv::DType::Q4_1: return 3;
    case rwkv::DType::Q5_0: return 6;
    case rwkv::DType::Q5_1: return 7;
    case rwkv::DType::Q8_0: return 8;
    case rwkv::DType::BF16: return 30;
  }
  return 0;
}

bool contains(const std::string& s, const char* part) { return s.find(part) != std::string::npos; }

}  // namespace

void GgufMetadata::key(const std::string& k, uint32_t type) {
  put_str(bytes_, k);
  put<uint32_t>(bytes_, type);
  count_++;
}
void GgufMetadata::u8(const std::string& k, uint8_t v) { key(k, U8); put(bytes_, v); }
void GgufMetadata::i8(const std::string& k, int8_t v) { key(k, I8); put(bytes_, v); }
void GgufMetadata::u16(const std::string& k, uint16_t v) { key(k, U16); put(bytes_, v); }
void GgufMetadata::i16(const std::string& k, int16_t v) { key(k, I16); put(bytes_, v); }
void GgufMetadata::u32(const std::string& k, uint32_t v) { key(k, U32); put(bytes_, v); }
void GgufMetadata::i32(const std::string& k, int32_t v) { key(k, I32); put(bytes_, v); }
void GgufMetadata::f32(const std::string& k, float v) { key(k, F32); put(bytes_, v); }
void GgufMetadata::boolean(const std::string& k, bool v) { key(k, BOOL); put<uint8_t>(bytes_, v); }
void GgufMetadata::str(const std::string& k, const std::string& v) { key(k, STRING); put_str(bytes_, v); }
void GgufMetadata::u64(const std::string& k, uint64_t v) { key(k, U64); put(bytes_, v); }
void GgufMetadata::i64(const std::string& k, int64_t v) { key(k, I64); put(bytes_, v); }
void GgufMetadata::f64(const std::string& k, double v) { key(k, F64); put(bytes_, v); }

void GgufMetadata::str_array(const std::string& k, const std::vector<std::string>& v) {
  key(k, ARRAY);
  put<uint32_t>(bytes_, STRING);
  put<uint64_t>(bytes_, v.size());
  for (const auto& s : v) put_str(bytes_, s);
}
void GgufMetadata::i32_array(const std::string& k, const std::vector<int32_t>& v) {
  key(k, ARRAY);
  put<uint32_t>(bytes_, I32);
  put<uint64_t>(bytes_, v.size());
  for (int32_t x : v) put(bytes_, x);
}
void GgufMetadata::u8_array(const std::string& k, const std::vector<uint8_t>& v) {
  key(k, ARRAY);
  put<uint32_t>(bytes_, U8);
  put<uint64_t>(bytes_, v.size());
  for (uint8_t x : v) put(bytes_, x);
}
void GgufMetadata::f32_array(const std::string& k, const std::vector<float>& v) {
  key(k, ARRAY);
  put<uint32_t>(bytes_, F32);
  put<uint64_t>(bytes_, v.size());
  for (float x : v) put(bytes_, x);
}
void GgufMetadata::nested_array(const std::string& k, const std::vector<std::vector<int32_t>>& v) {
  key(k, ARRAY);
  put<uint32_t>(bytes_, ARRAY);
  put<uint64_t>(bytes_, v.size());
  for (const auto& inner : v) {
    put<uint32_t>(bytes_, I32);
    put<uint64_t>(bytes_, inner.size());
    for (int32_t x : inner) put(bytes_, x);
  }
}

rwkv::DType gguf_storage_dtype(const rwkv::Tensor& t, rwkv::DType dtype, bool keep_quantized) {
  if (keep_quantized && rwkv::dtype_is_quantized(t.dtype)) return t.dtype;
  if (dtype == rwkv::DType::F32 || t.shape.size() <= 1) return rwkv::DType::F32;
  for (const char* small : {"time_mix_first", "time_mix_lerp_fused", "time_mix_w1", "time_mix_w2",
                            "time_mix_decay_w1", "time_mix_decay_w2"})
    if (contains(t.name, small)) return rwkv::DType::F32;
  if (dtype == rwkv::DType::Q8_0 && t.shape.back() % 32 != 0) return rwkv::DType::F16;
  return dtype;
}

void write_gguf(const rwkv::TensorMap& m, const std::string& path, rwkv::DType dtype, const GgufMetadata& meta,
                const GgufOptions& opts) {
  const uint64_t align = opts.alignment;
  std::vector<uint8_t> out, infos, data;
  for (const auto& [name, t] : m.tensors()) {
    const rwkv::DType d = gguf_storage_dtype(t, dtype, opts.keep_quantized);
    const std::vector<uint8_t> bytes =
        d == t.dtype && rwkv::dtype_is_quantized(d) ? std::vector<uint8_t>(t.data, t.data + t.nbytes) : encode(t, d);
    put_str(infos, name);
    put<uint32_t>(infos, uint32_t(t.shape.size()));
    for (size_t k = t.shape.size(); k-- > 0;) put<uint64_t>(infos, uint64_t(t.shape[k]));
    put<uint32_t>(infos, ggml_type(d));
    put<uint64_t>(infos, data.size());
    data.insert(data.end(), bytes.begin(), bytes.end());
    data.resize((data.size() + align - 1) / align * align, 0);
  }
  out.insert(out.end(), {'G', 'G', 'U', 'F'});
  put<uint32_t>(out, opts.version);
  put<uint64_t>(out, m.size());
  put<uint64_t>(out, meta.count() + (align != 32 ? 1 : 0));
  if (align != 32) {
    put_str(out, "general.alignment");
    put<uint32_t>(out, U32);
    put<uint32_t>(out, uint32_t(align));
  }
  out.insert(out.end(), meta.bytes().begin(), meta.bytes().end());
  out.insert(out.end(), infos.begin(), infos.end());
  out.resize((out.size() + align - 1) / align * align, 0);
  out.insert(out.end(), data.begin(), data.end());
  write_file(path, out);
}

}  // namespace fmt_test
