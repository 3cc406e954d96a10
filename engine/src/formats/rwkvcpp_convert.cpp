// Any checkpoint the engine reads, written as an rwkv.cpp file (rwkv/formats.h:
// convert_to_rwkvcpp): the layout rwkv.cpp's converter gives a BlinkDL state dict (docs/REFERENCE.md,
// rwkv.cpp model files), the inverse of what load_rwkvcpp undoes.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>

#include "arch/hparams.h"
#include "formats/rwkvcpp_writer.h"
#include "kernels/half.h"
#include "rwkv/error.h"
#include "rwkv/formats.h"

namespace rwkv {

namespace {

bool contains(const std::string& s, const char* part) { return s.find(part) != std::string::npos; }

// One record as the converter lays it out: PyTorch-order shape, fp32 values.
struct Out {
  std::string name;
  std::vector<int64_t> shape;
  std::vector<float> values;
};

// The last two dimensions swapped (a matrix, or each matrix of a stack).
void transpose_last(Out& o) {
  const size_t n = o.shape.size(), a = size_t(o.shape[n - 2]), b = size_t(o.shape[n - 1]), mat = a * b;
  std::vector<float> v(o.values.size());
  for (size_t s = 0; s < v.size(); s += mat)
    for (size_t i = 0; i < a; i++)
      for (size_t j = 0; j < b; j++) v[s + j * a + i] = o.values[s + i * b + j];
  o.values = std::move(v);
  std::swap(o.shape[n - 2], o.shape[n - 1]);
}

void squeeze(Out& o) {
  std::vector<int64_t> s;
  for (int64_t d : o.shape)
    if (d != 1) s.push_back(d);
  o.shape = s;
}

// The converter's records for a canonical (BlinkDL) map of the model `info` describes.
std::vector<Out> converter_layout(const TensorMap& m, const ModelInfo& info) {
  const Arch arch = info.arch;
  const int64_t heads = info.n_head;
  std::vector<Out> outs;
  // RWKV-7's att.x_r .. x_g of each layer, joined as att.x_rwkvag; by layer number, with the
  // slots filled.
  std::map<int, std::pair<Out, int>> joined;
  for (const auto& [name, t] : m.tensors()) {
    Out o{name, t.shape, tensor_to_f32(t)};
    if (contains(name, ".time_")) squeeze(o);
    switch (arch) {
      case Arch::V7:
        for (const char* lora : {".w1", ".w2", ".a1", ".a2", ".v1", ".v2", ".g1", ".g2"})
          if (contains(name, lora) && o.shape.size() == 2) transpose_last(o);
        break;
      case Arch::V6:
        if (contains(name, ".time_faaaa")) o.shape.push_back(1);
        if (contains(name, ".time_maa_w1") || contains(name, ".time_decay_w") || contains(name, ".time_maa_w2"))
          transpose_last(o);
        if (contains(name, ".time_decay") && !contains(name, "_w")) o.shape = {heads, int64_t(o.values.size()) / heads, 1};
        break;
      case Arch::V5_1:
      case Arch::V5_2:
        if (contains(name, ".time_decay")) {
          for (float& x : o.values) x = std::exp(-std::exp(x));
          if (arch == Arch::V5_2) o.shape.push_back(1);
          else o.shape = {int64_t(o.values.size()), 1, 1};
        }
        if (contains(name, ".time_first")) {
          for (float& x : o.values) x = std::exp(x);
          o.shape = {int64_t(o.values.size()), 1, 1};
        }
        if (contains(name, ".time_faaaa")) o.shape.push_back(1);
        break;
      case Arch::V4:
        if (contains(name, ".time_decay"))
          for (float& x : o.values) x = -std::exp(x);
        break;
    }
    if (arch == Arch::V7 && contains(name, "att.x_")) {
      // BlinkDL's order r, w, k, v, a, g: each [1, 1, C], stacked as [6, 1, C].
      static const char* kOrder[] = {"x_r", "x_w", "x_k", "x_v", "x_a", "x_g"};
      const size_t at = name.rfind("att.x_") + 4;
      const std::string prefix = name.substr(0, at);  // blocks.N.att.
      auto& [j, filled] = joined.try_emplace(std::stoi(name.substr(7)), Out{prefix + "x_rwkvag", {6, 1, t.shape.back()}, {}}, 0)
                              .first->second;
      j.values.resize(6 * size_t(t.shape.back()));
      int slot = 0;
      while (slot < 6 && name.compare(at, std::string::npos, kOrder[slot]) != 0) slot++;
      if (slot == 6 || o.values.size() != size_t(t.shape.back()))
        throw Error("unexpected RWKV-7 tensor '" + name + "' " + t.shape_str());
      std::copy(o.values.begin(), o.values.end(), j.values.begin() + ptrdiff_t(size_t(slot) * size_t(t.shape.back())));
      filled |= 1 << slot;
      continue;
    }
    outs.push_back(std::move(o));
  }
  for (auto& [layer, jf] : joined) {
    if (jf.second != 0x3f) throw Error("layer " + std::to_string(layer) + " lacks some of att.x_r .. att.x_g");
    outs.push_back(std::move(jf.first));
  }
  return outs;
}

// The converter keeps vectors, and the small mixing and decay tensors, in fp32.
bool half_in_fp16_file(const Out& o) {
  if (o.shape.size() < 2) return false;
  for (const char* keep : {".time_", ".k_k", ".k_a", ".r_k", ".x_rwkvag", ".x_k", ".w0", ".a0", ".v0"})
    if (contains(o.name, keep)) return false;
  return true;
}

}  // namespace

QuantizeReport write_rwkvcpp(const TensorMap& m, const std::string& out, DType type, bool with_head) {
  const bool quantize = dtype_is_quantized(type);
  if (!quantize && type != DType::F32 && type != DType::F16)
    throw Error(std::string("rwkv.cpp files are fp32, fp16, q8_0, q5_1, q5_0, q4_1 or q4_0, not ") + dtype_name(type));
  if (with_head && !quantize) throw Error("with_head quantizes the head: it needs a quantized type");
  const ModelInfo info = detect_model(m, {});

  QuantizeReport rep;
  rwkvcpp::FileWriter w(out);
  w.header(uint32_t(info.n_vocab), uint32_t(info.n_embd), uint32_t(info.n_layer), type);
  std::vector<uint16_t> half;
  for (const Out& o : converter_layout(m, info)) {
    const std::vector<int32_t> ne(o.shape.rbegin(), o.shape.rend());
    // A quantized file is rwkv.cpp's quantizer applied to the fp32 file.
    if (quantize && rwkvcpp::quantizable(o.name, ne, DType::F32, with_head)) {
      Tensor t;  // a view of the values
      t.name = o.name;
      t.shape = o.shape;
      t.data = reinterpret_cast<const uint8_t*>(o.values.data());
      t.nbytes = o.values.size() * sizeof(float);
      w.quantized_record(t, ne, type);
      rep.quantized++;
    } else if (type == DType::F16 && half_in_fp16_file(o)) {
      half.resize(o.values.size());
      for (size_t i = 0; i < half.size(); i++) half[i] = float_to_half(o.values[i]);
      w.record(o.name, ne, DType::F16, half.data(), half.size() * 2);
      rep.kept++;
    } else {
      w.record(o.name, ne, DType::F32, o.values.data(), o.values.size() * sizeof(float));
      rep.kept++;
    }
  }
  rep.bytes_out = w.commit();
  return rep;
}

QuantizeReport convert_to_rwkvcpp(const std::string& in, const std::string& out, DType type, bool with_head) {
  QuantizeReport rep = write_rwkvcpp(load_checkpoint(in), out, type, with_head);
  rep.bytes_in = std::filesystem::file_size(in);  // it loaded, so it is there
  return rep;
}

}  // namespace rwkv
