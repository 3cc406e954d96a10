// rwkv.cpp model files: a ggmf header, then tensor records until EOF (docs/REFERENCE.md).
// The converter transformed some tensors; they are turned back into BlinkDL's values and
// shapes here.
#include <cmath>
#include <cstring>

#include "formats/mapped_file.h"
#include "formats/rwkvcpp_records.h"
#include "formats/transform.h"
#include "arch/traits.h"
#include "rwkv/error.h"
#include "rwkv/formats.h"

namespace rwkv {

namespace rwkvcpp {

namespace {

DType dtype_of(int32_t t, ByteReader& r) {
  for (const DTypeInfo& d : kDTypes)
    if (d.rwkvcpp_code >= 0 && d.rwkvcpp_code == t) return d.type;
  r.fail("unknown tensor data type " + std::to_string(t));
}

}  // namespace

Tensor tensor_view(const Record& r) {
  Tensor t;
  t.dtype = r.dtype;
  t.shape.assign(r.ne.rbegin(), r.ne.rend());  // ggml order is PyTorch order reversed
  t.name = r.name;
  t.nbytes = r.nbytes;
  t.data = r.data;
  return t;
}

int32_t type_code(DType t) {
  if (dtype_info(t).rwkvcpp_code < 0) throw Error(std::string("rwkv.cpp files have no ") + dtype_name(t) + " tensors");
  return dtype_info(t).rwkvcpp_code;
}

Header read(const uint8_t* data, size_t size, const std::string& what,
            const std::function<void(const Header&)>& on_header, const std::function<void(const Record&)>& each) {
  ByteReader r(data, size, what);
  if (r.u32("magic") != kMagic) r.fail("wrong magic (not an rwkv.cpp model file)");
  Header h;
  h.version = r.u32("version");
  if (h.version != 100 && h.version != 101) r.fail("unsupported version " + std::to_string(h.version));
  h.n_vocab = r.u32("n_vocab");
  h.n_embd = r.u32("n_embed");
  h.n_layer = r.u32("n_layer");
  h.data_type = r.u32("data_type");
  if (h.n_vocab == 0 || h.n_vocab > (1u << 24) || h.n_embd == 0 || h.n_embd > (1u << 16) || h.n_layer == 0 ||
      h.n_layer > 4096)
    r.fail("absurd header: n_vocab " + std::to_string(h.n_vocab) + ", n_embed " + std::to_string(h.n_embd) +
           ", n_layer " + std::to_string(h.n_layer));
  on_header(h);
  while (!r.at_end()) {
    const int32_t dims = r.i32("dim_count"), key_len = r.i32("key_len");
    Record rec;
    rec.type = r.i32("data_type");
    if (dims < 1 || dims > 3) r.fail("tensor with " + std::to_string(dims) + " dimensions");
    if (key_len <= 0 || key_len > 1024) r.fail("tensor name length " + std::to_string(key_len));
    rec.dtype = dtype_of(rec.type, r);
    if (dtype_is_quantized(rec.dtype) && h.version < 101)
      r.fail("quantized tensors need file version 101, this file is version 100");
    rec.ne.resize(static_cast<size_t>(dims));
    uint64_t n = 1;
    for (auto& d : rec.ne) {
      d = r.i32("shape");
      if (d <= 0 || d > (1 << 28)) r.fail("absurd tensor dimension " + std::to_string(d));
      n *= uint64_t(d);
      if (n > (uint64_t(1) << 40)) r.fail("absurd tensor size");
    }
    rec.name.assign(reinterpret_cast<const char*>(r.take(size_t(key_len), "tensor name")), size_t(key_len));
    rec.nbytes = dtype_bytes(rec.dtype, n);
    rec.data = r.take(rec.nbytes, ("data of tensor '" + rec.name + "'").c_str());
    each(rec);
  }
  return h;
}

}  // namespace rwkvcpp

namespace {

// Gives a tensor the converter squeezed its BlinkDL shape back (the values are unchanged).
void reshape(TensorMap& m, const std::string& name, std::vector<int64_t> shape) {
  if (m.has(name)) squeeze_to(m, name, std::move(shape));
}

void undo_converter(TensorMap& m, int64_t C) {
  // rwkv.cpp's converter knows RWKV-4 to 7; the names it keeps tell the version.
  const Arch a = arch::detect_arch(m);
  const bool v7 = a == Arch::V7, v6 = a == Arch::V6, v5 = a == Arch::V5_1 || a == Arch::V5_2, v51 = a == Arch::V5_1;
  // Heads from the converter's [H, N, 1] / [H, 1, 1] decay.
  const Tensor* td = m.find("blocks.0.att.time_decay");
  const int64_t H = (v5 || v6) && td && td->shape.size() == 3 ? td->shape[0] : 0;
  for (int l = 0;; l++) {
    const std::string b = "blocks." + std::to_string(l) + ".", p = b + "att.";
    if (!m.has(b + "ln1.weight")) break;
    for (const char* n : {"att.time_mix_k", "att.time_mix_v", "att.time_mix_r", "att.time_mix_g",
                          "ffn.time_mix_k", "ffn.time_mix_r", "att.time_maa_x", "att.time_maa_w",
                          "att.time_maa_k", "att.time_maa_v", "att.time_maa_r", "att.time_maa_g",
                          "ffn.time_maa_k", "ffn.time_maa_r"})
      reshape(m, b + n, {1, 1, C});
    if (v7) {
      for (const char* n : {"w1", "w2", "a1", "a2", "v1", "v2", "g1", "g2"})
        if (m.has(p + n)) transpose_matrix(m, p + n);
      if (m.has(p + "x_rwkvag")) split_rows(m, p + "x_rwkvag", {"x_r", "x_w", "x_k", "x_v", "x_a", "x_g"}, p);
    } else if (v6) {
      for (const char* n : {"time_maa_w1", "time_decay_w1", "time_decay_w2"})
        if (m.has(p + n)) transpose_matrix(m, p + n);
      if (m.has(p + "time_maa_w2")) transpose_matrix(m, p + "time_maa_w2");
      reshape(m, p + "time_decay", {1, 1, C});
      if (H > 0) reshape(m, p + "time_faaaa", {H, C / H});
    } else if (v5) {
      if (m.has(p + "time_decay"))
        map_values(m, p + "time_decay", [](float x) { return std::log(-std::log(x)); });
      if (v51 && m.has(p + "time_first"))
        map_values(m, p + "time_first", [](float x) { return std::log(x); });
      if (H > 0 && v51) {
        reshape(m, p + "time_decay", {H});
        reshape(m, p + "time_first", {H});
      } else if (H > 0) {
        reshape(m, p + "time_decay", {H, C / H});
        reshape(m, p + "time_faaaa", {H, C / H});
      }
    } else if (m.has(p + "time_decay")) {
      map_values(m, p + "time_decay", [](float x) { return std::log(-x); });
    }
  }
}

}  // namespace

TensorMap load_rwkvcpp(const std::string& path) {
  auto file = MappedFile::open(path);
  TensorMap m;
  m.format = "rwkv.cpp";
  m.source = path;
  m.keep_alive(file);
  const rwkvcpp::Header h =
      rwkvcpp::read(file->data(), file->size(), "rwkv.cpp file '" + path + "'", [](const rwkvcpp::Header&) {},
                    [&](const rwkvcpp::Record& rec) { m.add(rwkvcpp::tensor_view(rec)); });
  m.metadata["rwkvcpp.version"] = std::to_string(h.version);
  m.metadata["n_vocab"] = std::to_string(h.n_vocab);
  m.metadata["n_embd"] = std::to_string(h.n_embd);
  m.metadata["n_layer"] = std::to_string(h.n_layer);
  undo_converter(m, int64_t(h.n_embd));
  return m;
}

}  // namespace rwkv
