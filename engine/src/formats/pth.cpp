// BlinkDL .pth checkpoints: a PyTorch zip archive (<prefix>/data.pkl, <prefix>/data/<key>)
// whose pickle is a state dict of name -> torch._utils._rebuild_tensor_v2(storage, offset,
// size, stride, requires_grad, backward_hooks[, metadata]). Storages are FloatStorage,
// HalfStorage or BFloat16Storage (torch 1.x and 2.x both pickle tensors with these typed
// names). Contiguous tensors borrow the mapped file's bytes; other strides are gathered
// into a copy the map owns.
#include <cstring>

#include "formats/mapped_file.h"
#include "formats/pickle.h"
#include "formats/zip_reader.h"
#include "rwkv/error.h"
#include "rwkv/formats.h"

namespace rwkv {

namespace {

using pickle::Value;
using pickle::ValuePtr;
using Kind = Value::Kind;

const std::vector<std::string> kGlobals = {
    "collections.OrderedDict", "torch._utils._rebuild_tensor_v2", "torch.FloatStorage",
    "torch.HalfStorage",       "torch.BFloat16Storage",
};

struct Context {
  const ZipReader& zip;
  std::string prefix;  // "archive/" or the checkpoint's own archive name
  std::string what;
};

[[noreturn]] void fail(const Context& c, const std::string& tensor, const std::string& msg) {
  throw Error(c.what + ": tensor '" + tensor + "': " + msg);
}

const Value& expect(const Context& c, const std::string& tensor, const ValuePtr& v, Kind k, const char* field) {
  if (v->kind != k)
    fail(c, tensor, std::string(field) + " is a " + pickle::kind_name(v->kind) + ", expected a " + pickle::kind_name(k));
  return *v;
}

std::vector<int64_t> int_tuple(const Context& c, const std::string& tensor, const ValuePtr& v, const char* field) {
  std::vector<int64_t> out;
  for (const auto& e : expect(c, tensor, v, Kind::Tuple, field).items) {
    out.push_back(expect(c, tensor, e, Kind::Int, field).i);
    if (out.back() < 0 || out.back() > (int64_t(1) << 40))
      fail(c, tensor, std::string("absurd ") + field + " " + std::to_string(out.back()));
  }
  return out;
}

DType storage_dtype(const Context& c, const std::string& tensor, const std::string& type) {
  if (type == "torch.FloatStorage") return DType::F32;
  if (type == "torch.HalfStorage") return DType::F16;
  if (type == "torch.BFloat16Storage") return DType::BF16;
  fail(c, tensor, "unsupported storage type '" + type + "'");
}

// The tensor behind one state-dict value.
void add_tensor(TensorMap& m, const Context& c, const std::string& name, const ValuePtr& v) {
  const Value& call = expect(c, name, v, Kind::Reduce, "value");
  if (call.items[0]->s != "torch._utils._rebuild_tensor_v2")
    fail(c, name, "built by '" + call.items[0]->s + "', expected torch._utils._rebuild_tensor_v2");
  const auto& args = call.items[1]->items;
  if (args.size() != 6 && args.size() != 7)
    fail(c, name, "_rebuild_tensor_v2 with " + std::to_string(args.size()) + " arguments (expected 6 or 7)");

  // ('storage', storage_type, key, location, numel)
  const auto& pid = expect(c, name, expect(c, name, args[0], Kind::PersistentId, "storage").items[0],
                           Kind::Tuple, "persistent id").items;
  if (pid.size() != 5 || pid[0]->kind != Kind::String || pid[0]->s != "storage")
    fail(c, name, "persistent id is not ('storage', type, key, location, numel)");
  const DType dtype = storage_dtype(c, name, expect(c, name, pid[1], Kind::Global, "storage type").s);
  const std::string key = expect(c, name, pid[2], Kind::String, "storage key").s;
  const int64_t storage_numel = expect(c, name, pid[4], Kind::Int, "storage size").i;
  const int64_t offset = expect(c, name, args[1], Kind::Int, "storage offset").i;
  const std::vector<int64_t> size = int_tuple(c, name, args[2], "size");
  const std::vector<int64_t> stride = int_tuple(c, name, args[3], "stride");
  if (size.size() != stride.size())
    fail(c, name, std::to_string(size.size()) + " sizes but " + std::to_string(stride.size()) + " strides");

  const std::string record = c.prefix + "data/" + key;
  const ZipEntry* entry = c.zip.find(record);
  if (!entry) fail(c, name, "storage record '" + record + "' is missing from the archive");
  const auto bytes = c.zip.read(*entry);
  const size_t el = dtype_block_bytes(dtype);
  if (storage_numel < 0 || uint64_t(storage_numel) != bytes.size() / el || bytes.size() % el)
    fail(c, name, "storage '" + record + "' holds " + std::to_string(bytes.size()) + " bytes, the pickle says " +
                      std::to_string(storage_numel) + " " + dtype_name(dtype) + " values");

  Tensor t;
  t.name = name;
  t.dtype = dtype;
  t.shape = size;
  uint64_t n = 1;
  for (int64_t d : size) {
    if (d != 0 && n > (uint64_t(1) << 40) / uint64_t(d)) fail(c, name, "absurd shape " + t.shape_str());
    n *= uint64_t(d);
  }
  if (size.size() > 8) fail(c, name, "absurd shape " + t.shape_str());
  t.nbytes = n * el;
  if (n == 0) {
    m.add(std::move(t));
    return;
  }
  // The last element's index must lie inside the storage (128-bit: strides are unchecked input).
  unsigned __int128 last = uint64_t(offset < 0 ? 0 : offset);
  bool contiguous = true;
  uint64_t expected = 1;
  for (size_t d = size.size(); d-- > 0;) {
    last += (unsigned __int128)(uint64_t(size[d] - 1)) * uint64_t(stride[d]);
    if (size[d] != 1 && uint64_t(stride[d]) != expected) contiguous = false;
    expected *= uint64_t(size[d]);
  }
  if (offset < 0 || last >= (unsigned __int128)uint64_t(storage_numel))
    fail(c, name, "offset " + std::to_string(offset) + ", size " + t.shape_str() +
                      " and its strides reach past the end of its storage of " + std::to_string(storage_numel) + " values");
  if (contiguous) {
    t.data = bytes.data() + uint64_t(offset) * el;
  } else {
    // Gathering may not make more values than the storage holds: overlapping strides (an
    // expand()ed view) would let a tiny file claim terabytes.
    if (n > uint64_t(storage_numel))
      fail(c, name, "size " + t.shape_str() + " and its strides gather " + std::to_string(n) + " values from a storage of " +
                        std::to_string(storage_numel) + " (overlapping strides)");
    uint8_t* dst = m.allocate(t.nbytes);
    std::vector<int64_t> idx(size.size(), 0);
    for (uint64_t i = 0; i < n; i++) {
      uint64_t src = uint64_t(offset);
      for (size_t d = 0; d < size.size(); d++) src += uint64_t(idx[d]) * uint64_t(stride[d]);
      std::memcpy(dst + i * el, bytes.data() + src * el, el);
      for (size_t d = size.size(); d-- > 0;) {
        if (++idx[d] < size[d]) break;
        idx[d] = 0;
      }
    }
    t.data = dst;
  }
  m.add(std::move(t));
}

// The record prefix: the directory holding data.pkl ("archive/" in current torch).
std::string find_prefix(const ZipReader& zip, const std::string& what) {
  std::string found;
  for (const ZipEntry& e : zip.entries()) {
    const size_t slash = e.name.find('/');
    if (slash == std::string::npos || e.name.compare(slash, std::string::npos, "/data.pkl") != 0) continue;
    if (!found.empty()) throw Error(what + ": several data.pkl records ('" + found + "data.pkl', '" + e.name + "')");
    found = e.name.substr(0, slash + 1);
  }
  if (found.empty()) throw Error(what + ": no <name>/data.pkl record (not a PyTorch checkpoint)");
  return found;
}

}  // namespace

TensorMap load_pth(const std::string& path) {
  auto file = MappedFile::open(path);
  const std::string what = "PyTorch checkpoint '" + path + "'";
  ZipReader zip(file->data(), file->size(), what);
  Context c{zip, find_prefix(zip, what), what};

  TensorMap m;
  m.format = "pth";
  m.source = path;
  m.keep_alive(file);
  if (const ZipEntry* bo = zip.find(c.prefix + "byteorder")) {
    const auto b = zip.read_checked(*bo);
    const std::string order(reinterpret_cast<const char*>(b.data()), b.size());
    if (order != "little") throw Error(what + ": byte order '" + order + "' (only little-endian is supported)");
  }
  if (const ZipEntry* ver = zip.find(c.prefix + "version")) {
    const auto b = zip.read_checked(*ver);
    std::string v(reinterpret_cast<const char*>(b.data()), b.size());
    while (!v.empty() && (v.back() == '\n' || v.back() == '\r')) v.pop_back();
    m.metadata["pth.version"] = v;
  }

  const ZipEntry* pkl = zip.find(c.prefix + "data.pkl");
  const ValuePtr root = pickle::unpickle(zip.read_checked(*pkl), kGlobals, what + ", '" + pkl->name + "'");
  if (root->kind != Kind::Dict)
    throw Error(what + ": the pickle holds a " + pickle::kind_name(root->kind) + ", not a state dict");
  for (const auto& [k, v] : root->dict) {
    if (k->kind != Kind::String)
      throw Error(what + ": state dict key is a " + std::string(pickle::kind_name(k->kind)) + ", not a name");
    add_tensor(m, c, k->s, v);
  }
  if (m.size() == 0) throw Error(what + ": the state dict holds no tensors");
  return m;
}

}  // namespace rwkv
