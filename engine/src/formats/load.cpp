// Format detection by the file's first bytes, and the loader dispatch.
#include <cstring>

#include "formats/mapped_file.h"
#include "rwkv/error.h"
#include "rwkv/formats.h"

namespace rwkv {

std::string detect_format(const std::string& path) {
  auto f = MappedFile::open(path);
  const uint8_t* p = f->data();
  const size_t n = f->size();
  if (n >= 4 && p[0] == 'f' && p[1] == 'm' && p[2] == 'g' && p[3] == 'g') return "rwkv.cpp";
  if (n >= 4 && std::memcmp(p, "PK\x03\x04", 4) == 0) return "pth";
  if (n >= 4 && std::memcmp(p, "GGUF", 4) == 0) return "gguf";
  if (n >= 9 && p[8] == '{') return "safetensors";  // u64 header length, then JSON
  throw Error("'" + path + "' is not a model file this engine reads (rwkv.cpp .bin, .pth, " +
              ".safetensors or .gguf)");
}

TensorMap load_checkpoint(const std::string& path) {
  const std::string fmt = detect_format(path);
  TensorMap m;
  if (fmt == "rwkv.cpp") m = load_rwkvcpp(path);
  else if (fmt == "pth") m = load_pth(path);
  else if (fmt == "safetensors") m = load_safetensors(path);
  else m = load_gguf(path);
  canonicalize(m);
  return m;
}

}  // namespace rwkv
