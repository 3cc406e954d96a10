// .safetensors round trips through load_checkpoint, for every tiny test model:
//  - BlinkDL names, F32 / F16 / BF16: the canonical tensors (exact for F32, half an ulp
//    otherwise), bytes borrowed from the mapped file, __metadata__ in TensorMap::metadata;
//  - HF transformers names (rwkv.blocks.N.attention.time_mix_key ...), F32 and BF16;
//  - fla-hub RWKV-7 names for 7v0 (transposed LoRA factors, X0 as lora.2.bias), F32/F16/BF16;
//  - logits equal to the rwkv.cpp file's where this tree runs that version (always for v4,
//    BlinkDL and HF names).
// A build without JSON support must instead refuse with a clear error.
#include <filesystem>

#include "checkpoint_writer.h"
#include "compare.h"
#include "foreign_layouts.h"
#include "rwkv/error.h"
#include "rwkv/formats.h"

using namespace fmt_test;

#ifdef RWKV_HAVE_JSON
namespace {

Precision precision_of(rwkv::DType d) {
  return d == rwkv::DType::F32 ? Precision::Exact : d == rwkv::DType::F16 ? Precision::F16 : Precision::BF16;
}

float logit_bound(rwkv::DType d) {
  return d == rwkv::DType::F32 ? 1e-5f : d == rwkv::DType::F16 ? 0.02f : 0.15f;
}

void round_trip(const rwkv::TensorMap& canon, const rwkv::TensorMap& layout, rwkv::DType dtype,
                const std::string& path, const std::string& label, const Baseline& want) {
  write_safetensors(layout, path, dtype, {{"format", "pt"}, {"origin", label}});
  CHECK(rwkv::detect_format(path) == "safetensors");
  const rwkv::TensorMap got = rwkv::load_checkpoint(path);
  CHECK(got.format == "safetensors");
  compare_maps(canon, got, precision_of(dtype), label);
  CHECK_MSG(got.metadata.count("format") && got.metadata.at("format") == "pt", "%s: metadata 'format' lost",
            label.c_str());
  CHECK_MSG(got.metadata.count("origin") && got.metadata.at("origin") == label, "%s: metadata 'origin' lost",
            label.c_str());
  // Tensors the loader did not have to transform are borrowed, whatever the naming.
  CHECK_MSG(in_mapped_file(got.get("head.weight").data, path), "%s: head.weight was copied", label.c_str());
  check_logits(path, want, logit_bound(dtype), label);
}

}  // namespace
#endif

#ifdef RWKV_HAVE_JSON
namespace {

// BlinkDL names in every storage type, HF names, and fla-hub names for RWKV-7.
void round_trips(const TinyModel& tm) {
  const std::string dir = testing::testdata() + "/rwkvcpp/";
  const std::string tmp = testing::temp_dir("safetensors");
  const rwkv::DType all[] = {rwkv::DType::F32, rwkv::DType::F16, rwkv::DType::BF16};
  const rwkv::TensorMap canon = rwkv::load_checkpoint(dir + tm.file);
  const Baseline want = baseline(dir + tm.file, tm.ver);
  for (rwkv::DType d : all)
    round_trip(canon, canon, d, tmp + "/blink.safetensors",
               std::string(tm.ver) + " safetensors BlinkDL " + rwkv::dtype_name(d), want);
  const rwkv::TensorMap hf = to_hf(canon);
  CHECK(hf.has("rwkv.embeddings.weight") && !hf.has("emb.weight"));
  for (rwkv::DType d : {rwkv::DType::F32, rwkv::DType::BF16})
    round_trip(canon, hf, d, tmp + "/hf.safetensors", std::string(tm.ver) + " safetensors HF " + rwkv::dtype_name(d),
               want);
  if (std::string(tm.ver) == "7v0") {
    const rwkv::TensorMap fla = to_fla(canon);
    CHECK(fla.has("model.layers.1.attn.v_lora.lora.2.bias") && !fla.has("model.layers.0.attn.v_lora.lora.2.bias"));
    for (rwkv::DType d : all)
      round_trip(canon, fla, d, tmp + "/fla.safetensors", std::string("7v0 safetensors fla-hub ") + rwkv::dtype_name(d),
                 want);
  }
  std::filesystem::remove_all(tmp);
}

}  // namespace
#endif

// One case per tiny model (its version: "4v0"); a build without JSON refuses in each.
int main(int argc, char** argv) {
  std::vector<testing::Case> cases;
  for (const TinyModel& tm : kTinyModels)
    cases.push_back({tm.ver, [&tm] {
#ifdef RWKV_HAVE_JSON
                       round_trips(tm);
#else
                       const std::string tmp = testing::temp_dir("safetensors");
                       write_safetensors(rwkv::load_checkpoint(testing::testdata() + "/rwkvcpp/" + tm.file),
                                         tmp + "/m.safetensors", rwkv::DType::F32);
                       CHECK_THROWS(rwkv::load_checkpoint(tmp + "/m.safetensors"), "built without JSON support");
                       std::filesystem::remove_all(tmp);
#endif
                     },
                     true});
  return testing::run_cases(argc, argv, cases, !testing::testdata().empty());
}
