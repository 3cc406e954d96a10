// rwkv.cpp files quantized record by record (rwkv/formats.h: quantize_rwkvcpp).
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <vector>

#include "formats/rwkvcpp_records.h"
#include "quantize.h"
#include "rwkv/error.h"
#include "rwkv/formats.h"

namespace rwkv {

namespace {

// rwkv.cpp's choice: 2-D fp32/fp16 tensors except the embedding, the head and RWKV-7's
// low-rank matrices (they cost little and lose much); rows must be whole blocks.
bool quantizable(const rwkvcpp::Record& r, bool with_head) {
  if (r.ne.size() != 2 || (r.dtype != DType::F32 && r.dtype != DType::F16)) return false;
  if (size_t(r.ne[0]) % cpu::kQuantBlock != 0) return false;
  if (r.name == "emb.weight" || (r.name == "head.weight" && !with_head)) return false;
  for (const char* low_rank : {"att.v1", "att.v2", "att.g1", "att.g2", "att.a1", "att.a2", "att.w1", "att.w2", "att.r_k"})
    if (r.name.find(low_rank) != std::string::npos) return false;
  return true;
}

class Writer {
 public:
  explicit Writer(const std::string& path) : path_(path), f_(std::fopen(path.c_str(), "wb")) {
    if (!f_) throw Error("cannot write '" + path + "': " + std::strerror(errno));
  }
  ~Writer() {
    if (f_) std::fclose(f_);
  }
  void bytes(const void* p, size_t n) {
    if (n && std::fwrite(p, 1, n, f_) != n) fail();
    written_ += n;
  }
  void i32(int32_t v) { bytes(&v, 4); }  // rwkv.cpp files are little-endian, as is every host we build for
  void close() {
    FILE* f = f_;
    f_ = nullptr;
    if (std::fflush(f) != 0 || std::fclose(f) != 0) fail();
  }
  uint64_t written() const { return written_; }

 private:
  [[noreturn]] void fail() { throw Error("cannot write '" + path_ + "': " + std::strerror(errno)); }
  std::string path_;
  FILE* f_;
  uint64_t written_ = 0;
};

}  // namespace

QuantizeReport quantize_rwkvcpp(const std::string& in, const std::string& out, DType type, bool with_head) {
  const cpu::WeightType to = quantized_type(type);
  if (detect_format(in) != "rwkv.cpp")
    throw Error("quantize reads rwkv.cpp files; '" + in +
                "' is not one (load it with quantize=" + dtype_name(type) + " to quantize it as it loads)");
  auto file = MappedFile::open(in);
  const std::string tmp = out + ".part";
  QuantizeReport rep;
  rep.bytes_in = file->size();
  try {
    Writer w(tmp);
    std::vector<uint8_t> blocks;
    const auto header = [&](const rwkvcpp::Header& h) {
      for (uint32_t v : {rwkvcpp::kMagic, 101u, h.n_vocab, h.n_embd, h.n_layer, uint32_t(rwkvcpp::type_code(type))})
        w.i32(int32_t(v));
    };
    rwkvcpp::read(file->data(), file->size(), "rwkv.cpp file '" + in + "'", header, [&](const rwkvcpp::Record& r) {
      const bool q = quantizable(r, with_head);
      w.i32(int32_t(r.ne.size()));
      w.i32(int32_t(r.name.size()));
      w.i32(q ? rwkvcpp::type_code(type) : r.type);
      for (int32_t d : r.ne) w.i32(d);
      w.bytes(r.name.data(), r.name.size());
      if (!q) {
        w.bytes(r.data, r.nbytes);
        rep.kept++;
        return;
      }
      const size_t cols = size_t(r.ne[0]), rows = size_t(r.ne[1]);  // 2-D (quantizable)
      blocks.resize(rows * cpu::weight_row_bytes(to, cols));
      quantize_rows(rwkvcpp::tensor_view(r), rows, cols, to, blocks.data());
      w.bytes(blocks.data(), blocks.size());
      rep.quantized++;
    });
    w.close();
    rep.bytes_out = w.written();
    if (std::rename(tmp.c_str(), out.c_str()) != 0)
      throw Error("cannot write '" + out + "': " + std::strerror(errno));
  } catch (...) {
    std::remove(tmp.c_str());
    throw;
  }
  return rep;
}

}  // namespace rwkv
