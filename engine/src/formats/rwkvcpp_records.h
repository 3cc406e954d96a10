// The record layer of rwkv.cpp model files (docs/REFERENCE.md): a ggmf header, then tensor
// records until EOF, each checked as it is read. The loader and the quantizer share it.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "formats/mapped_file.h"
#include "rwkv/tensor.h"

namespace rwkv::rwkvcpp {

constexpr uint32_t kMagic = 0x67676d66;  // "fmgg" little-endian

struct Header {
  uint32_t version = 0, n_vocab = 0, n_embd = 0, n_layer = 0, data_type = 0;
};

struct Record {
  int32_t type = 0;            // the file's type code
  DType dtype = DType::F32;
  std::vector<int32_t> ne;     // ggml order (PyTorch's reversed)
  std::string name;
  const uint8_t* data = nullptr;
  size_t nbytes = 0;
};

// Reads and checks the header (passed to on_header), then calls `each` for every record;
// errors name `what` and the field.
Header read(const uint8_t* data, size_t size, const std::string& what,
            const std::function<void(const Header&)>& on_header, const std::function<void(const Record&)>& each);

// A record as a Tensor over the file's bytes (shape in PyTorch order).
Tensor tensor_view(const Record& r);

// The file's type code for a dtype (fp32, fp16 and the five quantized types).
int32_t type_code(DType t);

}  // namespace rwkv::rwkvcpp
