// PyTorch checkpoints as torch.save writes them: a zip archive of stored records and a
// protocol-2 pickle of the state dict, emitted opcode by opcode the way CPython's pickler
// does (memoised globals and strings, batched SETITEMS, BINPERSID storage references).
#include <cstring>
#include <map>
#include <stdexcept>

#include "checkpoint_writer.h"
#include "support/crc32.h"

namespace fmt_test {

namespace {

void put16(std::vector<uint8_t>& o, uint16_t v) {
  for (int i = 0; i < 2; i++) o.push_back(uint8_t(v >> (8 * i)));
}
void put32(std::vector<uint8_t>& o, uint32_t v) {
  for (int i = 0; i < 4; i++) o.push_back(uint8_t(v >> (8 * i)));
}
void put64(std::vector<uint8_t>& o, uint64_t v) {
  for (int i = 0; i < 8; i++) o.push_back(uint8_t(v >> (8 * i)));
}
void append(std::vector<uint8_t>& o, const std::string& s) { o.insert(o.end(), s.begin(), s.end()); }

class Pickler {
 public:
  std::vector<uint8_t> out;

  void op(uint8_t c) { out.push_back(c); }
  void memoize() {
    const uint32_t idx = next_++;
    if (idx < 256) {
      op('q');
      op(uint8_t(idx));
    } else {
      op('r');
      put32(out, idx);
    }
  }
  bool get(const std::string& key) {
    auto it = memo_.find(key);
    if (it == memo_.end()) return false;
    if (it->second < 256) {
      op('h');
      op(uint8_t(it->second));
    } else {
      op('j');
      put32(out, it->second);
    }
    return true;
  }
  void remember(const std::string& key) {
    memo_[key] = next_;
    memoize();
  }
  void global(const std::string& module, const std::string& name) {
    if (get("global:" + module + "." + name)) return;
    op('c');
    append(out, module + "\n" + name + "\n");
    remember("global:" + module + "." + name);
  }
  void str(const std::string& s) {
    if (get("str:" + s)) return;
    op('X');
    put32(out, uint32_t(s.size()));
    append(out, s);
    remember("str:" + s);
  }
  void integer(int64_t v) {
    if (v >= 0 && v < 256) {
      op('K');
      op(uint8_t(v));
    } else if (v >= 0 && v < 65536) {
      op('M');
      put16(out, uint16_t(v));
    } else if (v >= INT32_MIN && v <= INT32_MAX) {
      op('J');
      put32(out, uint32_t(int32_t(v)));
    } else {  // LONG1: minimal two's complement
      std::vector<uint8_t> b;
      for (int i = 0; i < 8; i++) b.push_back(uint8_t(uint64_t(v) >> (8 * i)));
      while (b.size() > 1 && ((b.back() == 0 && !(b[b.size() - 2] & 0x80)) ||
                              (b.back() == 0xff && (b[b.size() - 2] & 0x80))))
        b.pop_back();
      op(0x8a);
      op(uint8_t(b.size()));
      out.insert(out.end(), b.begin(), b.end());
    }
  }
  void int_tuple(const std::vector<int64_t>& v) {
    if (v.empty()) {
      op(')');
      return;
    }
    if (v.size() > 3) op('(');
    for (int64_t x : v) integer(x);
    op(v.size() > 3 ? uint8_t('t') : uint8_t(0x84 + v.size()));
    memoize();
  }
  void empty_ordered_dict() {
    global("collections", "OrderedDict");
    op(')');
    op('R');
    memoize();
  }

 private:
  std::map<std::string, uint32_t> memo_;
  uint32_t next_ = 0;
};

void tensor_value(Pickler& p, const PickledTensor& t) {
  p.global("torch._utils", "_rebuild_tensor_v2");
  p.op('(');
  p.op('(');  // persistent id ('storage', type, key, location, numel)
  p.str("storage");
  p.global("torch", t.storage_type);
  p.str(t.key);
  p.str("cpu");
  p.integer(t.storage_numel);
  p.op('t');
  p.memoize();
  p.op('Q');
  p.integer(t.offset);
  p.int_tuple(t.size);
  p.int_tuple(t.stride);
  p.op(0x89);  // requires_grad False
  p.empty_ordered_dict();  // backward_hooks
  p.op('t');
  p.memoize();
  p.op('R');
  p.memoize();
}

const char* storage_type(rwkv::DType d) {
  switch (d) {
    case rwkv::DType::F32: return "FloatStorage";
    case rwkv::DType::F16: return "HalfStorage";
    case rwkv::DType::BF16: return "BFloat16Storage";
    default: throw std::runtime_error("no torch storage for this dtype");
  }
}

}  // namespace

std::vector<uint8_t> state_dict_pickle(const std::vector<PickledTensor>& tensors, bool ordered_dict) {
  Pickler p;
  p.op(0x80);
  p.op(2);
  if (ordered_dict) p.empty_ordered_dict();
  else {
    p.op('}');
    p.memoize();
  }
  for (size_t i = 0; i < tensors.size(); i += 1000) {  // CPython batches SETITEMS by 1000
    const size_t n = std::min<size_t>(1000, tensors.size() - i);
    if (n > 1) p.op('(');
    for (size_t k = i; k < i + n; k++) {
      p.str(tensors[k].name);
      tensor_value(p, tensors[k]);
    }
    p.op(n > 1 ? 'u' : 's');
  }
  if (ordered_dict) {  // state_dict()._metadata = OrderedDict({'': {'version': 1}})
    p.op('}');
    p.memoize();
    p.str("_metadata");
    p.empty_ordered_dict();
    p.str("");
    p.op('}');
    p.memoize();
    p.str("version");
    p.integer(1);
    p.op('s');
    p.op('s');
    p.op('s');
    p.op('b');
  }
  p.op('.');
  return p.out;
}

std::vector<uint8_t> zip_archive(const std::vector<ZipRecord>& records, bool zip64) {
  std::vector<uint8_t> out, central;
  for (const ZipRecord& r : records) {
    const uint64_t offset = out.size();
    const uint32_t crc = rwkv::crc32(r.bytes.data(), r.bytes.size());
    std::vector<uint8_t> extra;
    if (zip64) {
      put16(extra, 1);
      put16(extra, 16);
      put64(extra, r.bytes.size());
      put64(extra, r.bytes.size());
    }
    // PyTorch pads with an "FB" extra field so that the data starts on a 64-byte boundary.
    const size_t before = offset + 30 + r.name.size() + extra.size() + 4;
    const size_t pad = (64 - before % 64) % 64;
    put16(extra, 0x4246);
    put16(extra, uint16_t(pad));
    extra.insert(extra.end(), pad, 'Z');

    put32(out, 0x04034b50);
    put16(out, zip64 ? 45 : 20);
    put16(out, 0);
    put16(out, r.method);
    put32(out, 0);  // time, date
    put32(out, crc);
    put32(out, zip64 ? 0xffffffffu : uint32_t(r.bytes.size()));
    put32(out, zip64 ? 0xffffffffu : uint32_t(r.bytes.size()));
    put16(out, uint16_t(r.name.size()));
    put16(out, uint16_t(extra.size()));
    append(out, r.name);
    out.insert(out.end(), extra.begin(), extra.end());
    out.insert(out.end(), r.bytes.begin(), r.bytes.end());

    std::vector<uint8_t> cextra;
    if (zip64) {
      put16(cextra, 1);
      put16(cextra, 24);
      put64(cextra, r.bytes.size());
      put64(cextra, r.bytes.size());
      put64(cextra, offset);
    }
    put32(central, 0x02014b50);
    put16(central, zip64 ? 45 : 20);
    put16(central, zip64 ? 45 : 20);
    put16(central, 0);
    put16(central, r.method);
    put32(central, 0);
    put32(central, crc);
    put32(central, zip64 ? 0xffffffffu : uint32_t(r.bytes.size()));
    put32(central, zip64 ? 0xffffffffu : uint32_t(r.bytes.size()));
    put16(central, uint16_t(r.name.size()));
    put16(central, uint16_t(cextra.size()));
    put16(central, 0);  // comment
    put16(central, 0);  // disk
    put16(central, 0);  // internal attributes
    put32(central, 0);  // external attributes
    put32(central, zip64 ? 0xffffffffu : uint32_t(offset));
    append(central, r.name);
    central.insert(central.end(), cextra.begin(), cextra.end());
  }
  const uint64_t cd_offset = out.size();
  out.insert(out.end(), central.begin(), central.end());
  if (zip64) {
    const uint64_t end64 = out.size();
    put32(out, 0x06064b50);
    put64(out, 44);
    put16(out, 45);
    put16(out, 45);
    put32(out, 0);
    put32(out, 0);
    put64(out, records.size());
    put64(out, records.size());
    put64(out, central.size());
    put64(out, cd_offset);
    put32(out, 0x07064b50);
    put32(out, 0);
    put64(out, end64);
    put32(out, 1);
  }
  put32(out, 0x06054b50);
  put16(out, 0);
  put16(out, 0);
  put16(out, zip64 ? 0xffff : uint16_t(records.size()));
  put16(out, zip64 ? 0xffff : uint16_t(records.size()));
  put32(out, zip64 ? 0xffffffffu : uint32_t(central.size()));
  put32(out, zip64 ? 0xffffffffu : uint32_t(cd_offset));
  put16(out, 0);
  return out;
}

void write_pth(const rwkv::TensorMap& m, const std::string& path, rwkv::DType dtype, const PthOptions& opts) {
  const std::string prefix = opts.archive + "/";
  std::vector<PickledTensor> pickled;
  std::vector<ZipRecord> storages;
  std::vector<uint8_t> shared;
  const size_t el = rwkv::dtype_block_bytes(dtype);
  for (const auto& [name, t] : m.tensors()) {
    rwkv::Tensor src = t;
    std::vector<float> values;
    const bool transposed = opts.transposed.count(name) && t.shape.size() == 2;
    if (transposed) {  // lay the values out column-major: the storage holds the transpose
      const std::vector<float> v = rwkv::tensor_to_f32(t);
      const int64_t a = t.shape[0], b = t.shape[1];
      values.resize(v.size());
      for (int64_t i = 0; i < a; i++)
        for (int64_t j = 0; j < b; j++) values[size_t(j * a + i)] = v[size_t(i * b + j)];
      src.dtype = rwkv::DType::F32;
      src.data = reinterpret_cast<const uint8_t*>(values.data());
      src.nbytes = values.size() * 4;
    }
    const std::vector<uint8_t> bytes = encode(src, dtype);
    PickledTensor p;
    p.name = name;
    p.storage_type = storage_type(dtype);
    p.size = t.shape;
    p.stride.assign(t.shape.size(), 1);
    for (size_t d = t.shape.size(); d-- > 1;) p.stride[d - 1] = p.stride[d] * t.shape[d];
    if (transposed) p.stride = {1, t.shape[0]};
    if (opts.one_storage) {
      p.key = std::to_string(0);
      p.offset = int64_t(shared.size() / el);
      shared.insert(shared.end(), bytes.begin(), bytes.end());
    } else {
      p.key = std::to_string(storages.size());
      p.storage_numel = int64_t(bytes.size() / el);
      storages.push_back({prefix + "data/" + p.key, bytes});
    }
    pickled.push_back(std::move(p));
  }
  if (opts.one_storage) {
    for (auto& p : pickled) p.storage_numel = int64_t(shared.size() / el);
    storages.push_back({prefix + "data/0", shared});
  }
  std::vector<ZipRecord> records;
  records.push_back({prefix + "data.pkl", state_dict_pickle(pickled, opts.ordered_dict)});
  records.push_back({prefix + "byteorder", {'l', 'i', 't', 't', 'l', 'e'}});
  records.insert(records.end(), storages.begin(), storages.end());
  records.push_back({prefix + "version", {'3', '\n'}});
  records.push_back({prefix + ".data/serialization_id", {'0', '1', '2', '3'}});
  write_file(path, zip_archive(records, opts.zip64));
}

}  // namespace fmt_test
