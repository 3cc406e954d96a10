// GGUF round trips for the RWKV-6 and RWKV-7 tiny models. Each is laid out as llama.cpp's
// converter lays it out (GGUF names, fused lerps, transposed LoRA matrices, squeezed and
// flattened vectors, v6 output matrices divided by 2^(layer/6), v7 dummy layer-0 v0/v1/v2),
// written with F32, F16, BF16 and Q8_0 matrices, and read back with load_checkpoint:
//  - exactly the canonical tensors (dummy tensors gone), values exact for F32 and within the
//    storage precision otherwise; Q8_0 matrices stay Q8_0 and are borrowed from the file;
//  - metadata: every GGUF value type as text, string / integer / float arrays, the vocabulary;
//  - logits equal to the rwkv.cpp file's where this tree runs that version;
//  - GGUF v2 with general.alignment 64; Q5_0 / Q5_1 blocks passed through unchanged.
#include <filesystem>

#include "checkpoint_writer.h"
#include "compare.h"
#include "foreign_layouts.h"
#include "rwkv/error.h"
#include "rwkv/formats.h"

using namespace fmt_test;

namespace {

struct Store {
  rwkv::DType dtype;
  Precision precision;
  float logit_bound;
};
const Store kStores[] = {
    {rwkv::DType::F32, Precision::Exact, 1e-5f},
    {rwkv::DType::F16, Precision::F16, 0.02f},
    {rwkv::DType::BF16, Precision::BF16, 0.15f},
    {rwkv::DType::Q8_0, Precision::Q8_0, 0.25f},
};

std::string meta(const rwkv::TensorMap& m, const std::string& k) {
  auto it = m.metadata.find(k);
  return it == m.metadata.end() ? "<absent>" : it->second;
}

void check_metadata(const rwkv::TensorMap& got, const std::string& arch) {
  const std::pair<std::string, std::string> want[] = {
      {"general.architecture", arch},
      {"gguf.version", "3"},
      {arch + ".block_count", "12"},
      {arch + ".attention.layer_norm_epsilon", "9.99999975e-06"},
      {"tokenizer.ggml.model", "rwkv"},
      {"test.u8", "200"},
      {"test.i8", "-100"},
      {"test.u16", "60000"},
      {"test.i16", "-30000"},
      {"test.i64", "-5000000000"},
      {"test.u64", "18000000000000000000"},
      {"test.f64", "0.10000000000000001"},
      {"test.bool", "true"},
  };
  for (const auto& [k, v] : want)
    CHECK_MSG(meta(got, k) == v, "metadata '%s' is '%s', expected '%s'", k.c_str(), meta(got, k).c_str(), v.c_str());
  if (arch == "rwkv6") CHECK(meta(got, "rwkv6.rescale_every_n_layers") == "6");
  const auto& tokens = got.string_arrays.at("tokenizer.ggml.tokens");
  CHECK(tokens.size() == 256 && tokens[65] == "A" && tokens[0] == "<0x0>");
  const auto& types = got.int_arrays.at("tokenizer.ggml.token_type");
  CHECK(types.size() == 256 && types[65] == 1 && types[0] == 6);
  CHECK((got.int_arrays.at("test.u8_array") == std::vector<int64_t>{1, 2, 255}));
  CHECK((got.string_arrays.at("test.f32_array") == std::vector<std::string>{"0.5", "-2.25"}));
  CHECK(!got.int_arrays.count("test.nested") && !got.string_arrays.count("test.nested") &&
        !got.metadata.count("test.nested"));
}

// One model: every storage type, metadata, GGUF v2, quantized blocks passed through.
void round_trips(const TinyModel& tm) {
  const std::string dir = testing::testdata() + "/rwkvcpp/";
  const std::string tmp = testing::temp_dir("gguf");
  const std::string ver = tm.ver;
  const std::string arch = ver == "6v0" ? "rwkv6" : "rwkv7";
  const rwkv::TensorMap canon = rwkv::load_checkpoint(dir + tm.file);
  const Baseline want = baseline(dir + tm.file, tm.ver);
  const GgufModel g = to_llamacpp(canon);
  const int64_t C = canon.get("emb.weight").shape[1];
  CHECK((g.tensors.get("blk.3.time_mix_lerp_fused.weight").shape ==
         std::vector<int64_t>{ver == "6v0" ? 5 : 6, 1, 1, C}));
  if (ver == "7v0") CHECK(g.tensors.has("blk.0.time_mix_v1.weight") && !canon.has("blocks.0.att.v1"));

  for (const Store& s : kStores) {
    const std::string label = ver + " gguf " + rwkv::dtype_name(s.dtype);
    const std::string path = tmp + "/" + ver + "-" + rwkv::dtype_name(s.dtype) + ".gguf";
    write_gguf(g.tensors, path, s.dtype, g.meta);
    CHECK(rwkv::detect_format(path) == "gguf");
    const rwkv::TensorMap got = rwkv::load_checkpoint(path);
    CHECK(got.format == "gguf");
    compare_maps(canon, got, s.precision, label);
    const rwkv::Tensor& key = got.get("blocks.2.att.key.weight");
    CHECK_MSG(key.dtype == s.dtype, "%s: att.key.weight is %s", label.c_str(), rwkv::dtype_name(key.dtype));
    CHECK_MSG(in_mapped_file(key.data, path), "%s: att.key.weight was copied", label.c_str());
    if (s.dtype == rwkv::DType::F32) check_metadata(got, arch);
    check_logits(path, want, s.logit_bound, label);
  }

  GgufOptions v2;
  v2.version = 2;
  v2.alignment = 64;
  write_gguf(g.tensors, tmp + "/v2.gguf", rwkv::DType::F16, g.meta, v2);
  const rwkv::TensorMap got = rwkv::load_checkpoint(tmp + "/v2.gguf");
  CHECK(meta(got, "gguf.version") == "2" && meta(got, "general.alignment") == "64");
  compare_maps(canon, got, Precision::F16, ver + " gguf v2 align 64");

  // Quantized blocks written as they are must come back bit for bit.
  for (const char* q : {"Q5_0", "Q5_1"}) {
    const std::string file = dir + "tiny-rwkv-" + ver + (ver == "6v0" ? "-3m-" : "-834K-") + q + ".bin";
    const rwkv::TensorMap qcanon = rwkv::load_checkpoint(file);
    GgufOptions keep;
    keep.keep_quantized = true;
    const GgufModel qg = to_llamacpp(qcanon);
    write_gguf(qg.tensors, tmp + "/q.gguf", rwkv::DType::F32, qg.meta, keep);
    const rwkv::TensorMap qgot = rwkv::load_checkpoint(tmp + "/q.gguf");
    compare_maps(qcanon, qgot, Precision::Exact, ver + " gguf " + q + " blocks");
    const rwkv::Tensor& k = qgot.get("blocks.1.ffn.key.weight");
    CHECK_MSG(k.dtype == qcanon.get("blocks.1.ffn.key.weight").dtype, "%s: ffn.key.weight is %s", q,
              rwkv::dtype_name(k.dtype));
  }
  std::filesystem::remove_all(tmp);
}

}  // namespace

// One case per version llama.cpp writes as GGUF ("6v0", "7v0").
int main(int argc, char** argv) {
  std::vector<testing::Case> cases;
  for (const TinyModel& tm : kTinyModels)
    if (std::string(tm.ver) == "6v0" || std::string(tm.ver) == "7v0")
      cases.push_back({tm.ver, [&tm] { round_trips(tm); }, true});
  return testing::run_cases(argc, argv, cases, !testing::testdata().empty());
}
