// rwkv.cpp files written from other checkpoints (convert_to_rwkvcpp, and quantize_rwkvcpp
// given a checkpoint that is not an rwkv.cpp file). Each tiny test model is written as a
// .pth (as torch.save writes it) and converted; the result is compared record by record with
// the rwkv.cpp file of the same model, which rwkv.cpp's own converter (and quantizer) made:
// the same header (but for its version), names, shapes and types; fp16 and quantized data byte for byte; fp32 data
// equal up to the rounding of the converter's value transformations (time_decay and
// time_first go through exp and back), within 2^-20 relative. The bundled .pth converts and
// runs as it does loaded directly.
#include <cmath>
#include <cstring>
#include <fstream>
#include <map>

#include "checkpoint_writer.h"
#include "compare.h"
#include "formats/mapped_file.h"
#include "formats/rwkvcpp_records.h"
#include "rwkv/error.h"
#include "rwkv/formats.h"

using namespace fmt_test;

namespace {

struct File {
  rwkv::rwkvcpp::Header header;
  struct Rec {
    int32_t type;
    std::vector<int32_t> ne;
    std::vector<uint8_t> bytes;
  };
  std::map<std::string, Rec> records;
};

File read_file(const std::string& path) {
  auto f = rwkv::MappedFile::open(path);
  File out;
  out.header = rwkv::rwkvcpp::read(
      f->data(), f->size(), path, [](const rwkv::rwkvcpp::Header&) {},
      [&](const rwkv::rwkvcpp::Record& r) {
        out.records[r.name] = {r.type, r.ne, std::vector<uint8_t>(r.data, r.data + r.nbytes)};
      });
  return out;
}

// `got` against rwkv.cpp's file `want`, as the header comment says.
void compare_files(const std::string& got_path, const std::string& want_path, const std::string& label) {
  const File got = read_file(got_path), want = read_file(want_path);
  // rwkv.cpp's converter writes version 101 now; some test files predate it (100).
  const auto& g = got.header;
  const auto& w = want.header;
  CHECK_MSG(g.version == 101 && g.n_vocab == w.n_vocab && g.n_embd == w.n_embd && g.n_layer == w.n_layer &&
                g.data_type == w.data_type,
            "%s: header v%u %u/%u/%u type %u, rwkv.cpp's v%u %u/%u/%u type %u", label.c_str(), g.version, g.n_vocab,
            g.n_embd, g.n_layer, g.data_type, w.version, w.n_vocab, w.n_embd, w.n_layer, w.data_type);
  CHECK_MSG(got.records.size() == want.records.size(), "%s: %zu records, rwkv.cpp's file has %zu", label.c_str(),
            got.records.size(), want.records.size());
  for (const auto& [name, w] : want.records) {
    const auto it = got.records.find(name);
    CHECK_MSG(it != got.records.end(), "%s: no record '%s'", label.c_str(), name.c_str());
    if (it == got.records.end()) continue;
    const File::Rec& g = it->second;
    CHECK_MSG(g.type == w.type && g.ne == w.ne && g.bytes.size() == w.bytes.size(),
              "%s: '%s' has type %d and %zu dims, rwkv.cpp's %d and %zu", label.c_str(), name.c_str(), g.type,
              g.ne.size(), w.type, w.ne.size());
    if (g.type != w.type || g.bytes.size() != w.bytes.size()) continue;
    if (w.type != 0) {
      CHECK_MSG(g.bytes == w.bytes, "%s: '%s' data differs", label.c_str(), name.c_str());
      continue;
    }
    std::vector<float> a(w.bytes.size() / 4), b(a.size());
    std::memcpy(a.data(), w.bytes.data(), w.bytes.size());
    std::memcpy(b.data(), g.bytes.data(), g.bytes.size());
    size_t bad = 0;
    for (size_t i = 0; i < a.size(); i++) bad += !(std::fabs(a[i] - b[i]) <= std::fabs(a[i]) * 0x1p-20f);
    CHECK_MSG(bad == 0, "%s: '%s': %zu values differ", label.c_str(), name.c_str(), bad);
  }
}

std::string dir() { return testing::testdata() + "/rwkvcpp/"; }

// Each tiny model with an FP32 file, as a .pth in tmp.
struct Source {
  std::string ver, stem, pth;
};
std::vector<Source> sources(const std::string& tmp) {
  std::vector<Source> s;
  for (const char* stem : {"4v0-660K", "5v1-730K", "5v2-730K", "7v0-834K"}) {
    const std::string pth = tmp + "/" + stem + ".pth";
    write_pth(rwkv::load_checkpoint(dir() + "tiny-rwkv-" + stem + "-FP32.bin"), pth, rwkv::DType::F32);
    s.push_back({std::string(stem, 3), stem, pth});
  }
  return s;
}

void as_rwkvcpp(const char* type) {
  const std::string tmp = testing::temp_dir("convert");
  for (const Source& s : sources(tmp)) {
    const std::string want = dir() + "tiny-rwkv-" + s.stem + "-" + type + ".bin", out = tmp + "/out.bin";
    const rwkv::QuantizeReport r = rwkv::convert_to_rwkvcpp(s.pth, out, rwkv::dtype_from_name(type));
    std::printf("%s %s: %d records quantized, %d kept, %llu bytes\n", s.ver.c_str(), type, r.quantized, r.kept,
                static_cast<unsigned long long>(r.bytes_out));
    compare_files(out, want, s.ver + " " + type);
    Baseline b = baseline(want, s.ver);
    b.opts.dequantize = true;  // as the baseline runs rwkv.cpp's file
    check_logits(out, b, 1e-5f, s.ver + " " + type + " against rwkv.cpp's file");
  }
  std::system(("rm -rf '" + tmp + "'").c_str());
}

// RWKV-6 has quantized files only: its dequantized weights convert and run as they do there.
void v6() {
  const std::string tmp = testing::temp_dir("convert-v6"), src = dir() + "tiny-rwkv-6v0-3m-Q5_0.bin";
  write_pth(rwkv::load_checkpoint(src), tmp + "/6v0.pth", rwkv::DType::F32);
  rwkv::convert_to_rwkvcpp(tmp + "/6v0.pth", tmp + "/6v0.bin", rwkv::DType::F32);
  const File got = read_file(tmp + "/6v0.bin"), want = read_file(src);
  for (const auto& [name, w] : want.records) {
    const auto it = got.records.find(name);
    CHECK_MSG(it != got.records.end() && it->second.ne == w.ne, "6v0: record '%s' missing or shaped otherwise",
              name.c_str());
  }
  CHECK(got.records.size() == want.records.size());
  const Baseline b = baseline(src, "6v0");
  check_logits(tmp + "/6v0.bin", b, 1e-5f, "6v0 F32 against its dequantized weights");
  std::system(("rm -rf '" + tmp + "'").c_str());
}

// The bundled model (a BlinkDL .pth): fp32 runs as the .pth; rwkv-cli quantize's path
// (quantize_rwkvcpp on a .pth) runs as the .pth quantized at load.
void bundled() {
  const std::string tmp = testing::temp_dir("convert-bundled"), pth = testing::bundled_model();
  const auto logits = [](const std::string& path, const rwkv::LoadOptions& o) {
    return logits_of(rwkv::Model::load(path, o));
  };
  rwkv::convert_to_rwkvcpp(pth, tmp + "/f32.bin", rwkv::DType::F32);
  CHECK(rwkv::detect_format(tmp + "/f32.bin") == "rwkv.cpp");
  const std::vector<float> ref = logits(pth, {});
  const float d32 = testing::max_abs_diff(logits(tmp + "/f32.bin", {}), ref);
  rwkv::quantize_rwkvcpp(pth, tmp + "/q8.bin", rwkv::DType::Q8_0);
  rwkv::LoadOptions at_load;
  at_load.quantize = rwkv::DType::Q8_0;
  const float dq = testing::max_abs_diff(logits(tmp + "/q8.bin", {}), logits(pth, at_load));
  std::printf("bundled: fp32 file vs .pth %.3g, q8_0 file vs quantized at load %.3g (largest logit %.3g)\n",
              double(d32), double(dq), double(testing::max_abs(ref)));
  CHECK(d32 <= 1e-5f);
  CHECK(dq <= 1e-5f);
  std::system(("rm -rf '" + tmp + "'").c_str());
}

void errors() {
  const std::string tmp = testing::temp_dir("convert-errors"), pth = testing::bundled_model();
  CHECK_THROWS(rwkv::convert_to_rwkvcpp(pth, tmp + "/x.bin", rwkv::DType::BF16), "not bf16");
  CHECK_THROWS(rwkv::convert_to_rwkvcpp(pth, tmp + "/x.bin", rwkv::DType::F16, true), "needs a quantized type");
  CHECK_THROWS(rwkv::convert_to_rwkvcpp(pth, tmp + "/no/such/dir/x.bin", rwkv::DType::F16), "cannot write");
  CHECK_THROWS(rwkv::convert_to_rwkvcpp(tmp + "/absent.pth", tmp + "/x.bin", rwkv::DType::F16), "absent.pth");
  // A truncated checkpoint fails, leaving neither output nor partial file.
  std::vector<uint8_t> cut = testing::read_bytes(pth);
  cut.resize(cut.size() / 2);
  testing::write_bytes(tmp + "/cut.pth", cut);
  CHECK_THROWS(rwkv::convert_to_rwkvcpp(tmp + "/cut.pth", tmp + "/out.bin", rwkv::DType::F16), "cut.pth");
  CHECK(!std::ifstream(tmp + "/out.bin").good());
  CHECK(!std::ifstream(tmp + "/out.bin.part").good());
  std::system(("rm -rf '" + tmp + "'").c_str());
}

// A model missing one of RWKV-7's six mixes fails naming it, instead of writing zeros.
void incomplete() {
  const std::string tmp = testing::temp_dir("convert-incomplete");
  rwkv::TensorMap m = rwkv::load_checkpoint(dir() + "tiny-rwkv-7v0-834K-FP32.bin");
  m.remove("blocks.1.att.x_a");
  CHECK_THROWS(rwkv::write_rwkvcpp(m, tmp + "/x.bin", rwkv::DType::F32), "layer 1 lacks");
  CHECK(!std::ifstream(tmp + "/x.bin").good());
  std::system(("rm -rf '" + tmp + "'").c_str());
}

}  // namespace

int main(int argc, char** argv) {
  return testing::run_cases(argc, argv,
                            {{"fp32", [] { as_rwkvcpp("FP32"); }, true},
                             {"fp16", [] { as_rwkvcpp("FP16"); }, true},
                             {"q5-0", [] { as_rwkvcpp("Q5_0"); }, true},
                             {"q5-1", [] { as_rwkvcpp("Q5_1"); }, true},
                             {"v6", v6, true},
                             {"incomplete", incomplete, true},
                             {"bundled", bundled, false},
                             {"errors", errors, false}},
                            !testing::testdata().empty());
}
