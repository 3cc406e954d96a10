// Bad checkpoint files: each must fail with an rwkv::Error that names the file and the fault,
// never crash or throw anything else.
//  .pth: truncation, wrong magic, compressed entries, unknown / unsupported pickle opcodes and
//        protocols, foreign globals and storage types, a missing storage record, views past
//        their storage, storage size mismatches, CRC damage, absurd zip directories, entries
//        past the end of the file, hostile nesting, a pickle that is not a state dict;
//  .safetensors: truncation, absurd / oversized header lengths, invalid JSON, unsupported
//        dtypes, offsets past the buffer, size mismatches, absurd shapes;
//  GGUF: truncation, wrong magic and version, absurd counts, dimensions and string lengths,
//        unknown tensor and value types, misaligned or out-of-file tensor data, partial
//        quantization blocks, bad alignment, duplicate keys, a non-RWKV architecture;
//  names: a foreign tensor with no BlinkDL name; a model missing a tensor fails in Model::load.
// Then thousands of random byte mutations of small valid files of each format, and of a
// state-dict pickle: every one loads or fails with rwkv::Error.
#include <cstring>
#include <filesystem>
#include <functional>
#include <random>

#include "checkpoint_writer.h"
#include "compare.h"
#include "rwkv/error.h"
#include "rwkv/formats.h"

using namespace fmt_test;

namespace {

std::string g_tmp;

// fn must throw rwkv::Error mentioning `needle` and the file (when `file` is given).
void expect_error(const std::function<void()>& fn, const std::string& needle, const std::string& label,
                  const std::string& file = "") {
  try {
    fn();
    CHECK_MSG(false, "%s: no error (expected '%s')", label.c_str(), needle.c_str());
  } catch (const rwkv::Error& e) {
    const std::string what = e.what();
    CHECK_MSG(what.find(needle) != std::string::npos, "%s: error '%s' does not mention '%s'", label.c_str(),
              what.c_str(), needle.c_str());
    CHECK_MSG(file.empty() || what.find(file) != std::string::npos, "%s: error '%s' does not name the file",
              label.c_str(), what.c_str());
  } catch (const std::exception& e) {
    CHECK_MSG(false, "%s: %s is not an rwkv::Error", label.c_str(), e.what());
  }
}

// Writes bytes to a scratch file and expects load_checkpoint to fail naming it and the fault.
void bad_file(const std::vector<uint8_t>& bytes, const std::string& needle, const std::string& label) {
  const std::string path = g_tmp + "/bad";
  write_file(path, bytes);
  expect_error([&] { rwkv::load_checkpoint(path); }, needle, label, path);
}

std::vector<uint8_t> slurp(const std::string& path) { return testing::read_bytes(path); }

rwkv::TensorMap small_map(const std::vector<std::string>& names) {
  rwkv::TensorMap m;
  const std::vector<std::vector<int64_t>> shapes = {{8, 32}, {32}, {8, 32}, {32}};
  for (size_t i = 0; i < names.size(); i++) {
    std::vector<float> v;
    int64_t n = 1;
    for (int64_t d : shapes[i % shapes.size()]) n *= d;
    for (int64_t k = 0; k < n; k++) v.push_back(float(k % 17) * 0.25f - 2);
    m.put_f32(names[i], shapes[i % shapes.size()], v);
  }
  return m;
}

void put64_at(std::vector<uint8_t>& b, size_t at, uint64_t v) {
  for (int i = 0; i < 8; i++) b[at + size_t(i)] = uint8_t(v >> (8 * i));
}
void put32_at(std::vector<uint8_t>& b, size_t at, uint32_t v) {
  for (int i = 0; i < 4; i++) b[at + size_t(i)] = uint8_t(v >> (8 * i));
}

// ---- .pth ----

std::vector<ZipRecord> pth_records(const std::vector<PickledTensor>& ts, const std::vector<uint8_t>& storage) {
  return {{"archive/data.pkl", state_dict_pickle(ts)}, {"archive/data/0", storage}};
}

PickledTensor one_tensor(int64_t n) {
  PickledTensor t;
  t.name = "emb.weight";
  t.storage_type = "FloatStorage";
  t.key = "0";
  t.storage_numel = n;
  t.size = {n};
  t.stride = {1};
  return t;
}

std::vector<uint8_t> with_pickle(const std::vector<uint8_t>& pkl) {
  return zip_archive({{"archive/data.pkl", pkl}, {"archive/data/0", std::vector<uint8_t>(40)}});
}

void pth_errors() {
  const std::string good_path = g_tmp + "/good.pth";
  write_pth(small_map({"emb.weight", "blocks.0.ln1.weight", "head.weight"}), good_path, rwkv::DType::F32);
  const std::vector<uint8_t> good = slurp(good_path);
  CHECK(rwkv::load_checkpoint(good_path).size() == 3);

  for (size_t cut : {size_t(0), size_t(3), size_t(30), size_t(100), good.size() / 2, good.size() - 23, good.size() - 1}) {
    const std::vector<uint8_t> b(good.begin(), good.begin() + long(cut));
    bad_file(b, cut < 4 ? "not a model file" : "end-of-central-directory", "pth cut at " + std::to_string(cut));
  }
  std::vector<uint8_t> magic = good;
  std::memcpy(magic.data(), "PQ\x03\x04", 4);
  bad_file(magic, "not a model file", "pth wrong magic");
  expect_error([&] { rwkv::load_pth(g_tmp + "/not-a-zip"); }, "cannot open", "pth missing file", "not-a-zip");

  std::vector<uint8_t> storage(40, 0);
  auto records = pth_records({one_tensor(10)}, storage);
  records[0].method = 8;
  bad_file(zip_archive(records), "compressed (method 8)", "pth deflated data.pkl");
  records = pth_records({one_tensor(10)}, storage);
  records[1].method = 8;
  bad_file(zip_archive(records), "'archive/data/0': compressed", "pth deflated storage");
  bad_file(zip_archive({{"archive/data/0", storage}}), "no <name>/data.pkl", "pth without data.pkl");
  write_file(g_tmp + "/zip64.pth", zip_archive(pth_records({one_tensor(10)}, storage), true));
  CHECK(rwkv::load_checkpoint(g_tmp + "/zip64.pth").get("emb.weight").numel() == 10);

  const std::vector<uint8_t> pkl = state_dict_pickle({one_tensor(10)});
  std::vector<uint8_t> p = pkl;
  p.insert(p.begin() + 2, 0xff);
  bad_file(with_pickle(p), "unknown pickle opcode 0xff", "pth unknown opcode");
  p = pkl;
  p.insert(p.begin() + 2, {0x8c, 1, 'x'});
  bad_file(with_pickle(p), "unsupported pickle opcode SHORT_BINUNICODE", "pth protocol-4 opcode");
  p = pkl;
  p[1] = 4;
  bad_file(with_pickle(p), "pickle protocol 4", "pth protocol 4");
  const std::string os_system = "\x80\x02" "cos\nsystem\n" "X\x02\x00\x00\x00id\x85R.";
  bad_file(with_pickle(std::vector<uint8_t>(os_system.begin(), os_system.end())), "unsupported global 'os.system'",
           "pth foreign global");
  PickledTensor dbl = one_tensor(5);
  dbl.storage_type = "DoubleStorage";
  bad_file(zip_archive(pth_records({dbl}, storage)), "unsupported global 'torch.DoubleStorage'", "pth double storage");
  bad_file(with_pickle({0x80, 2, ']', '.'}), "holds a list, not a state dict", "pth list pickle");
  std::vector<uint8_t> deep = {0x80, 2, ')'};
  for (int i = 0; i < 100; i++) deep.push_back(0x85);
  deep.push_back('.');
  bad_file(with_pickle(deep), "nested deeper than 64", "pth deep nesting");

  PickledTensor missing = one_tensor(10);
  missing.key = "7";
  bad_file(zip_archive(pth_records({missing}, storage)), "storage record 'archive/data/7' is missing",
           "pth missing storage");
  PickledTensor past = one_tensor(10);
  past.offset = 5;
  bad_file(zip_archive(pth_records({past}, storage)), "reach past the end of its storage", "pth view past storage");
  PickledTensor strided = one_tensor(10);
  strided.size = {4, 3};
  strided.stride = {3, 2};
  bad_file(zip_archive(pth_records({strided}, storage)), "reach past the end of its storage", "pth stride past storage");
  PickledTensor big = one_tensor(100);
  bad_file(zip_archive(pth_records({big}, storage)), "holds 40 bytes", "pth storage size mismatch");

  std::vector<uint8_t> crc = zip_archive(pth_records({one_tensor(10)}, storage));
  crc[64 + 5] ^= 0x40;  // inside data.pkl (data starts at 64)
  bad_file(crc, "CRC-32 mismatch", "pth damaged data.pkl");
  std::vector<uint8_t> count = good;
  count[count.size() - 22 + 10] = 0xfe;
  count[count.size() - 22 + 11] = 0xff;
  bad_file(count, "absurd entry count", "pth absurd entry count");
  std::vector<uint8_t> cd = good;
  put32_at(cd, cd.size() - 22 + 16, 0x7ffffff0);
  bad_file(cd, "lies outside the file", "pth central directory past the end");
  // The central header of archive/data/0 claims more bytes than the file has.
  std::vector<uint8_t> long_entry = zip_archive(pth_records({one_tensor(10)}, storage));
  const std::string name = "archive/data/0";
  size_t at = long_entry.size();
  for (size_t i = long_entry.size() - name.size(); i-- > 46;)
    if (std::memcmp(long_entry.data() + i, name.data(), name.size()) == 0 && long_entry[i - 46] == 0x50 &&
        long_entry[i - 45] == 0x4b && long_entry[i - 44] == 1) {
      at = i - 46;
      break;
    }
  CHECK(at < long_entry.size());
  if (at < long_entry.size()) {
    put32_at(long_entry, at + 20, 0x7ffffff0);
    put32_at(long_entry, at + 24, 0x7ffffff0);
    bad_file(long_entry, "runs past the end of the file", "pth entry past the end");
  }
}

// ---- .safetensors ----

#ifdef RWKV_HAVE_JSON
std::vector<uint8_t> safetensors_bytes(const std::string& header, size_t data) {
  std::vector<uint8_t> b(8);
  put64_at(b, 0, header.size());
  b.insert(b.end(), header.begin(), header.end());
  b.resize(b.size() + data, 0);
  return b;
}
#endif

void safetensors_errors() {
  const std::string good_path = g_tmp + "/good.safetensors";
  write_safetensors(small_map({"emb.weight", "blocks.0.ln1.weight", "head.weight"}), good_path, rwkv::DType::F32);
  const std::vector<uint8_t> good = slurp(good_path);
#ifndef RWKV_HAVE_JSON
  bad_file(good, "built without JSON support", "safetensors without JSON");
  return;
#else
  CHECK(rwkv::load_checkpoint(good_path).size() == 3);
  const uint64_t hlen = good[0] | (uint64_t(good[1]) << 8);
  bad_file(std::vector<uint8_t>(good.begin(), good.begin() + 8), "not a model file", "safetensors cut at 8");
  for (size_t cut : {size_t(9), size_t(20), size_t(8 + hlen - 1)})
    bad_file(std::vector<uint8_t>(good.begin(), good.begin() + long(cut)), "past the end of the file",
             "safetensors cut at " + std::to_string(cut));
  for (size_t cut : {size_t(8 + hlen), size_t(8 + hlen + 100), good.size() - 1})
    bad_file(std::vector<uint8_t>(good.begin(), good.begin() + long(cut)), "lie outside the",
             "safetensors cut at " + std::to_string(cut));
  expect_error([&] {
    write_file(g_tmp + "/short", {1, 2, 3});
    rwkv::load_safetensors(g_tmp + "/short");
  }, "truncated", "safetensors 3 bytes", "short");

  std::vector<uint8_t> absurd = good;
  put64_at(absurd, 0, uint64_t(1) << 62);
  bad_file(absurd, "absurd header length", "safetensors absurd header length");
  std::vector<uint8_t> over = good;
  put64_at(over, 0, 1000000);
  bad_file(over, "past the end of the file", "safetensors header longer than the file");
  bad_file(safetensors_bytes("{\"a\": [1,", 0), "invalid JSON header", "safetensors bad JSON");
  bad_file(safetensors_bytes("{\"a\":{\"dtype\":\"I64\",\"shape\":[2],\"data_offsets\":[0,16]}}", 16),
           "tensor 'a' has dtype 'I64'", "safetensors I64");
  bad_file(safetensors_bytes("{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", 8),
           "lie outside the 8-byte data buffer", "safetensors data past the end");
  bad_file(safetensors_bytes("{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,16]}}", 16),
           "16 bytes for fp32 [3], expected 12", "safetensors size mismatch");
  bad_file(safetensors_bytes("{\"a\":{\"dtype\":\"F32\",\"shape\":[1099511627776,1099511627776],"
                             "\"data_offsets\":[0,16]}}", 16),
           "absurd shape", "safetensors absurd shape");
  bad_file(safetensors_bytes("{\"a\":{\"dtype\":\"F32\",\"shape\":[-4],\"data_offsets\":[0,16]}}", 16),
           "not an unsigned integer", "safetensors negative dimension");
  bad_file(safetensors_bytes("{\"a\":{\"dtype\":\"F32\"}}", 0), "lacks dtype, shape or data_offsets",
           "safetensors incomplete entry");
  write_file(g_tmp + "/array", safetensors_bytes("[1, 2]", 0));
  expect_error([&] { rwkv::load_safetensors(g_tmp + "/array"); }, "not an object", "safetensors array header", "array");
#endif
}

// ---- GGUF ----

// A one-tensor GGUF: key/values from meta, then the given tensor info fields.
std::vector<uint8_t> gguf_bytes(const GgufMetadata& meta, uint32_t dims, std::vector<uint64_t> ne, uint32_t type,
                                uint64_t offset, size_t data, uint32_t version = 3) {
  std::vector<uint8_t> b = {'G', 'G', 'U', 'F'};
  auto put = [&](uint64_t v, int n) {
    for (int i = 0; i < n; i++) b.push_back(uint8_t(v >> (8 * i)));
  };
  put(version, 4);
  put(1, 8);
  put(meta.count(), 8);
  b.insert(b.end(), meta.bytes().begin(), meta.bytes().end());
  const std::string name = "token_embd.weight";
  put(name.size(), 8);
  b.insert(b.end(), name.begin(), name.end());
  put(dims, 4);
  for (uint64_t d : ne) put(d, 8);
  put(type, 4);
  put(offset, 8);
  b.resize((b.size() + 31) / 32 * 32 + data, 0);
  return b;
}

GgufMetadata rwkv7_meta() {
  GgufMetadata m;
  m.str("general.architecture", "rwkv7");
  m.u32("rwkv7.wkv.head_size", 8);
  return m;
}

void gguf_errors() {
  const std::string good_path = g_tmp + "/good.gguf";
  write_gguf(small_map({"token_embd.weight", "blk.0.attn_norm.weight", "output.weight", "blk.0.time_mix_r_k.weight"}),
             good_path, rwkv::DType::F16, rwkv7_meta());
  const std::vector<uint8_t> good = slurp(good_path);
  const rwkv::TensorMap ok = rwkv::load_checkpoint(good_path);
  CHECK(ok.size() == 4 && ok.get("blocks.0.att.r_k").shape == (std::vector<int64_t>{4, 8}));
  expect_error([&] { rwkv::Model::load(good_path); }, "missing tensor 'blocks.0.ffn.key.weight'",
               "gguf model without ffn", good_path);

  for (size_t cut = 4; cut < 420 && cut < good.size(); cut += 7)
    bad_file(std::vector<uint8_t>(good.begin(), good.begin() + long(cut)), "GGUF file",
             "gguf cut at " + std::to_string(cut));
  bad_file(std::vector<uint8_t>(good.begin(), good.end() - 1), "runs past the end of the file", "gguf cut data");
  std::vector<uint8_t> magic = good;
  magic[3] = 'X';
  bad_file(magic, "not a model file", "gguf wrong magic");
  write_file(g_tmp + "/magic.gguf", magic);
  expect_error([&] { rwkv::load_gguf(g_tmp + "/magic.gguf"); }, "wrong magic", "gguf wrong magic direct", "magic.gguf");
  std::vector<uint8_t> v1 = good;
  v1[4] = 1;
  bad_file(v1, "unsupported GGUF version 1", "gguf version 1");
  std::vector<uint8_t> tc = good;
  put64_at(tc, 8, uint64_t(1) << 60);
  bad_file(tc, "absurd tensor count", "gguf absurd tensor count");
  std::vector<uint8_t> kc = good;
  put64_at(kc, 16, uint64_t(1) << 60);
  bad_file(kc, "absurd metadata count", "gguf absurd metadata count");
  std::vector<uint8_t> sl = good;
  put64_at(sl, 24, uint64_t(1) << 40);  // length of the first key
  bad_file(sl, "past the end of the file", "gguf absurd string length");

  const GgufMetadata m = rwkv7_meta();
  CHECK(rwkv::load_gguf((write_file(g_tmp + "/one.gguf", gguf_bytes(m, 2, {32, 4}, 0, 0, 512)), g_tmp + "/one.gguf"))
            .has("token_embd.weight"));
  bad_file(gguf_bytes(m, 2, {uint64_t(1) << 50, 4}, 0, 0, 512), "absurd dimension", "gguf absurd dimension");
  bad_file(gguf_bytes(m, 5, {1, 1, 1, 1, 1}, 0, 0, 512), "has 5 dimensions", "gguf 5 dimensions");
  bad_file(gguf_bytes(m, 2, {32, 4}, 12, 0, 512), "ggml type 12", "gguf Q4_K");
  bad_file(gguf_bytes(m, 2, {32, 4}, 0, 3, 512), "not a multiple of the alignment", "gguf misaligned");
  bad_file(gguf_bytes(m, 2, {32, 4}, 0, 1 << 20, 512), "runs past the end of the file", "gguf data past the end");
  bad_file(gguf_bytes(m, 2, {33, 4}, 8, 0, 512), "not whole blocks", "gguf partial Q8_0 block");
  GgufMetadata align = rwkv7_meta();
  align.u32("general.alignment", 24);
  bad_file(gguf_bytes(align, 2, {32, 4}, 0, 0, 512), "not a power of two", "gguf alignment 24");
  GgufMetadata dup = rwkv7_meta();
  dup.u32("rwkv7.wkv.head_size", 8);
  bad_file(gguf_bytes(dup, 2, {32, 4}, 0, 0, 512), "duplicate metadata key 'rwkv7.wkv.head_size'", "gguf duplicate key");
  GgufMetadata llama;
  llama.str("general.architecture", "llama");
  bad_file(gguf_bytes(llama, 2, {32, 4}, 0, 0, 512), "architecture 'llama'", "gguf llama");

  std::vector<uint8_t> vt = gguf_bytes(m, 2, {32, 4}, 0, 0, 512);
  const size_t type_at = 24 + 8 + std::strlen("general.architecture");
  put32_at(vt, type_at, 13);
  bad_file(vt, "unknown value type 13", "gguf value type 13");
  GgufMetadata arr = rwkv7_meta();
  arr.u8_array("tokenizer.ggml.token_type", {1, 2});
  std::vector<uint8_t> ab = gguf_bytes(arr, 2, {32, 4}, 0, 0, 512);
  const std::string key = "tokenizer.ggml.token_type";
  const size_t key_at = size_t(std::search(ab.begin(), ab.end(), key.begin(), key.end()) - ab.begin());
  put64_at(ab, key_at + key.size() + 8, uint64_t(1) << 50);
  bad_file(ab, "absurd array length", "gguf absurd array length");
  GgufMetadata flag = rwkv7_meta();
  flag.boolean("test.flag", true);
  std::vector<uint8_t> fb = gguf_bytes(flag, 2, {32, 4}, 0, 0, 512);
  const std::string fk = "test.flag";
  fb[size_t(std::search(fb.begin(), fb.end(), fk.begin(), fk.end()) - fb.begin()) + fk.size() + 4] = 2;
  bad_file(fb, "bool value 2", "gguf bool 2");
  write_gguf(small_map({"token_embd.weight", "blk.0.attn_norm.weight", "output.weight", "blk.0.time_mix_r_k.weight"}),
             g_tmp + "/hs.gguf", rwkv::DType::F32, [] {
               GgufMetadata x;
               x.str("general.architecture", "rwkv7");
               x.u32("rwkv7.wkv.head_size", 7);
               return x;
             }());
  expect_error([&] { rwkv::load_checkpoint(g_tmp + "/hs.gguf"); }, "does not divide it into heads", "gguf head size 7");
}

// ---- names and missing tensors ----

void name_errors(const std::string& dir) {
  rwkv::TensorMap hf = small_map({"rwkv.embeddings.weight", "rwkv.blocks.0.bogus.weight"});
  write_pth(hf, g_tmp + "/hf.pth", rwkv::DType::F32);
  expect_error([&] { rwkv::load_checkpoint(g_tmp + "/hf.pth"); },
               "tensor 'rwkv.blocks.0.bogus.weight' of a HF transformers RWKV checkpoint has no BlinkDL equivalent",
               "unknown HF name", "hf.pth");
  rwkv::TensorMap v4 = rwkv::load_checkpoint(dir + "/rwkvcpp/tiny-rwkv-4v0-660K-FP32.bin");
  v4.remove("head.weight");
  write_pth(v4, g_tmp + "/nohead.pth", rwkv::DType::F32);
  expect_error([&] { rwkv::Model::load(g_tmp + "/nohead.pth"); }, "missing tensor 'head.weight'", "model without head",
               "nohead.pth");
}

// ---- random mutations ----

void mutate_and_load(const std::vector<uint8_t>& good, const std::string& label, int rounds, std::mt19937& rng) {
  const std::string path = g_tmp + "/fuzz";
  int loaded = 0, failed = 0;
  for (int i = 0; i < rounds; i++) {
    std::vector<uint8_t> b = good;
    const int flips = 1 + int(rng() % 4);
    for (int k = 0; k < flips; k++) {
      const size_t at = rng() % 2 ? rng() % std::min<size_t>(b.size(), 512) : rng() % b.size();
      b[at] = rng() % 3 ? uint8_t(b[at] ^ (1u << (rng() % 8))) : uint8_t(rng());
    }
    if (rng() % 8 == 0) b.resize(rng() % b.size());
    write_file(path, b);
    try {
      rwkv::load_checkpoint(path);
      loaded++;
    } catch (const rwkv::Error&) {
      failed++;
    } catch (const std::exception& e) {
      CHECK_MSG(false, "%s mutation %d: %s is not an rwkv::Error", label.c_str(), i, e.what());
    }
  }
  std::printf("%s: %d mutations loaded, %d failed cleanly\n", label.c_str(), loaded, failed);
}

void fuzz() {
  std::mt19937 rng(12345);
  const rwkv::TensorMap m = small_map({"emb.weight", "blocks.0.ln1.weight", "head.weight"});
  write_pth(m, g_tmp + "/f.pth", rwkv::DType::F16);
  mutate_and_load(slurp(g_tmp + "/f.pth"), "pth", 2000, rng);
  write_safetensors(m, g_tmp + "/f.safetensors", rwkv::DType::BF16);
  mutate_and_load(slurp(g_tmp + "/f.safetensors"), "safetensors", 2000, rng);
  write_gguf(small_map({"token_embd.weight", "blk.0.attn_norm.weight", "output.weight", "blk.0.time_mix_r_k.weight"}),
             g_tmp + "/f.gguf", rwkv::DType::Q8_0, rwkv7_meta());
  mutate_and_load(slurp(g_tmp + "/f.gguf"), "gguf", 2000, rng);

  // The pickle itself (a fresh archive each time, so the CRC does not reject it first).
  const std::vector<uint8_t> pkl = state_dict_pickle({one_tensor(10)});
  const std::string path = g_tmp + "/fuzz.pth";
  int loaded = 0, failed = 0;
  for (int i = 0; i < 2000; i++) {
    std::vector<uint8_t> p = pkl;
    const int flips = 1 + int(rng() % 3);
    for (int k = 0; k < flips; k++) p[rng() % p.size()] = uint8_t(rng());
    if (rng() % 8 == 0) p.resize(rng() % p.size());
    write_file(path, with_pickle(p));
    try {
      rwkv::load_checkpoint(path);
      loaded++;
    } catch (const rwkv::Error&) {
      failed++;
    } catch (const std::exception& e) {
      CHECK_MSG(false, "pickle mutation %d: %s is not an rwkv::Error", i, e.what());
    }
  }
  std::printf("pickle: %d mutations loaded, %d failed cleanly\n", loaded, failed);
}

}  // namespace

// One case per format, "names" (needs ../shared/testdata) and "fuzz"; each in a scratch folder.
int main(int argc, char** argv) {
  auto in_tmp = [](void (*fn)()) {
    return [fn] {
      g_tmp = testing::temp_dir("format-errors");
      fn();
      std::filesystem::remove_all(g_tmp);
    };
  };
  const std::vector<testing::Case> cases = {
      {"pth", in_tmp(pth_errors)},
      {"safetensors", in_tmp(safetensors_errors)},
      {"gguf", in_tmp(gguf_errors)},
      {"names", in_tmp([] { name_errors(testing::testdata()); }), true},
      {"fuzz", in_tmp(fuzz)},
  };
  return testing::run_cases(argc, argv, cases, !testing::testdata().empty());
}
