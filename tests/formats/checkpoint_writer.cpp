// Value encoding shared by the writers.
#include "checkpoint_writer.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <stdexcept>

#include "kernels/half.h"

namespace fmt_test {

namespace {

void put16(std::vector<uint8_t>& out, uint16_t v) {
  out.push_back(uint8_t(v));
  out.push_back(uint8_t(v >> 8));
}

// ggml's Q8_0: d = amax / 127 stored as fp16, q = round(x / d).
void quantize_q8_0(const float* x, std::vector<uint8_t>& out) {
  float amax = 0;
  for (int j = 0; j < 32; j++) amax = std::max(amax, std::fabs(x[j]));
  const float d = amax / 127.0f, id = d != 0 ? 1.0f / d : 0.0f;
  put16(out, rwkv::float_to_half(d));
  for (int j = 0; j < 32; j++) out.push_back(uint8_t(int8_t(std::lround(x[j] * id))));
}

}  // namespace

std::vector<uint8_t> encode(const rwkv::Tensor& t, rwkv::DType dtype) {
  const std::vector<float> v = rwkv::tensor_to_f32(t);
  std::vector<uint8_t> out;
  switch (dtype) {
    case rwkv::DType::F32:
      out.resize(v.size() * 4);
      std::memcpy(out.data(), v.data(), out.size());
      break;
    case rwkv::DType::F16:
      for (float x : v) put16(out, rwkv::float_to_half(x));
      break;
    case rwkv::DType::BF16:
      for (float x : v) put16(out, rwkv::float_to_bf16(x));
      break;
    case rwkv::DType::Q8_0:
      if (v.size() % 32) throw std::runtime_error("Q8_0 needs whole blocks: " + t.name);
      for (size_t i = 0; i < v.size(); i += 32) quantize_q8_0(v.data() + i, out);
      break;
    default: throw std::runtime_error(std::string("cannot encode ") + rwkv::dtype_name(dtype));
  }
  return out;
}

void write_file(const std::string& path, const std::vector<uint8_t>& bytes) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f.write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
  if (!f) throw std::runtime_error("cannot write " + path);
}

}  // namespace fmt_test
