// Bad model files are clear errors, never crashes: truncations at every region of an
// rwkv.cpp file, wrong magic, absurd header and tensor dimensions, tensor data past the end,
// a missing tensor, a mis-shaped tensor, an empty file, a directory, a missing path.
#include <cstring>
#include <filesystem>

#include "rwkv/error.h"
#include "rwkv/model.h"
#include "testing.h"

namespace {

std::string dir;

std::string write(const std::string& name, const std::vector<uint8_t>& b) {
  const std::string p = dir + "/" + name;
  testing::write_bytes(p, b);
  return p;
}

void put32(std::vector<uint8_t>& b, size_t off, uint32_t v) { std::memcpy(b.data() + off, &v, 4); }

// Offset of the record of tensor `key` (its dim_count field).
size_t find_record(const std::vector<uint8_t>& b, const std::string& key) {
  size_t off = 24;
  while (off + 12 <= b.size()) {
    int32_t dims, klen, type;
    std::memcpy(&dims, &b[off], 4);
    std::memcpy(&klen, &b[off + 4], 4);
    std::memcpy(&type, &b[off + 8], 4);
    size_t n = 1, p = off + 12;
    for (int i = 0; i < dims; i++, p += 4) {
      int32_t d;
      std::memcpy(&d, &b[p], 4);
      n *= size_t(d);
    }
    if (std::string(reinterpret_cast<const char*>(&b[p]), size_t(klen)) == key) return off;
    off = p + size_t(klen) + n * (type == 0 ? 4 : 2);
  }
  std::fprintf(stderr, "tensor %s not in file\n", key.c_str());
  std::abort();
}

// Truncated anywhere: header, tensor headers, names, data.
void truncated() {
  const std::string src = testing::testdata() + "/rwkvcpp/tiny-rwkv-4v0-660K-FP32.bin";
  const std::vector<uint8_t> good = testing::read_bytes(src);
  int cut_errors = 0, cuts = 0;
  for (size_t len = 0; len < good.size(); len += (len < 4096 ? 7 : 9973)) {
    cuts++;
    const std::string p = write("cut.bin", std::vector<uint8_t>(good.begin(), good.begin() + long(len)));
    try {
      rwkv::Model::load(p);
    } catch (const rwkv::Error& e) {
      cut_errors++;
      const std::string w = e.what();
      if (w.find("cut.bin") == std::string::npos) {
        std::fprintf(stderr, "error for a %zu-byte file does not name the file: %s\n", len, e.what());
        testing::failures()++;
      }
    }
  }
  std::printf("%d/%d truncated files refused with an error\n", cut_errors, cuts);
  CHECK(cut_errors == cuts);

}

// The file header's fields: magic, dimensions, version.
void header_fields() {
  const std::string src = testing::testdata() + "/rwkvcpp/tiny-rwkv-4v0-660K-FP32.bin";
  const std::vector<uint8_t> good = testing::read_bytes(src);
  {
    auto b = good;
    b[0] = 'x';
    CHECK_THROWS(rwkv::Model::load(write("magic.bin", b)), "not a model file");
  }
  {
    auto b = good;
    put32(b, 12, 1u << 30);  // n_embed
    CHECK_THROWS(rwkv::Model::load(write("absurd-header.bin", b)), "absurd header");
  }
  {
    auto b = good;
    put32(b, 4, 7);  // version
    CHECK_THROWS(rwkv::Model::load(write("version.bin", b)), "unsupported version 7");
  }
}

// A tensor record's fields: dimensions past the end, name length, data type, name, shape,
// and bytes after the last record.
void tensor_records() {
  const std::string src = testing::testdata() + "/rwkvcpp/tiny-rwkv-4v0-660K-FP32.bin";
  const std::vector<uint8_t> good = testing::read_bytes(src);
  {
    auto b = good;
    const size_t off = find_record(b, "emb.weight");
    put32(b, off + 12, 1u << 27);  // first dimension: data now runs past the end
    CHECK_THROWS(rwkv::Model::load(write("past-end.bin", b)), "data of tensor 'emb.weight'");
    put32(b, off + 12, 0x7fffffff);
    CHECK_THROWS(rwkv::Model::load(write("absurd-dim.bin", b)), "absurd tensor dimension");
    put32(b, off + 12, 128);
    put32(b, off + 4, 0x7fffffff);  // name length
    CHECK_THROWS(rwkv::Model::load(write("name-len.bin", b)), "tensor name length");
  }
  {
    auto b = good;
    const size_t off = find_record(b, "emb.weight");
    put32(b, off + 8, 42);  // data type
    CHECK_THROWS(rwkv::Model::load(write("dtype.bin", b)), "unknown tensor data type 42");
  }
  {
    auto b = good;
    const std::string key = "blocks.2.att.key.weight";
    const size_t off = find_record(b, key);
    b[off + 12 + 8 + key.size() - 8] = 'z';  // "kez.weight"
    CHECK_THROWS(rwkv::Model::load(write("missing.bin", b)), "missing tensor 'blocks.2.att.key.weight'");
  }
  {
    auto b = good;
    const size_t off = find_record(b, "blocks.1.ffn.key.weight");  // ggml (128, 256)
    put32(b, off + 12, 256);
    put32(b, off + 16, 128);
    CHECK_THROWS(rwkv::Model::load(write("shape.bin", b)), "'blocks.1.ffn.key.weight' has shape [128, 256], expected [256, 128]");
  }
  {
    auto b = good;
    b.insert(b.end(), {1, 0, 0});  // trailing garbage after the last tensor
    CHECK_THROWS(rwkv::Model::load(write("trailing.bin", b)), "truncated");
  }
}

// An empty file, a folder, a missing path, an unknown device.
void paths_and_options() {
  const std::string src = testing::testdata() + "/rwkvcpp/tiny-rwkv-4v0-660K-FP32.bin";
  CHECK_THROWS(rwkv::Model::load(write("empty.bin", {})), "not a model file");
  CHECK_THROWS(rwkv::Model::load(dir), "not a regular file");
  CHECK_THROWS(rwkv::Model::load(dir + "/does-not-exist.bin"), "No such file");
  rwkv::LoadOptions opts;
  opts.device = "tpu";
  CHECK_THROWS(rwkv::Model::load(src, opts), "device 'tpu'");
}

}  // namespace

int main(int argc, char** argv) {
  dir = testing::temp_dir("bad-input");
  const std::vector<testing::Case> cases = {{"truncated", truncated, true},
                                            {"header-fields", header_fields, true},
                                            {"tensor-records", tensor_records, true},
                                            {"paths-and-options", paths_and_options, true}};
  const int status = testing::run_cases(argc, argv, cases, !testing::testdata().empty());
  std::filesystem::remove_all(dir);
  return status;
}
