// PyTorch .pth round trips. Every tiny test model (canonical tensors from its rwkv.cpp file)
// is written as torch.save writes a state dict, with fp32, fp16 and bf16 storages, and read
// back with load_checkpoint:
//  - the same tensor names and shapes; values exact for fp32, within half an ulp otherwise;
//  - contiguous tensors borrow the mapped file (no copy);
//  - where the rwkv.cpp file runs (Model::load), the same logits: fp32 within 1e-5, fp16 and
//    bf16 within a bound of the weights' rounding (always checked for v4).
// Archive variants on the v4 model: zip64 records, a plain dict instead of an OrderedDict with
// _metadata, all tensors as views at offsets into one storage, transposed (non-contiguous)
// views, and an archive name other than "archive".
#include <filesystem>

#include "checkpoint_writer.h"
#include "compare.h"
#include "rwkv/error.h"
#include "rwkv/formats.h"

using namespace fmt_test;

namespace {

struct Store {
  rwkv::DType dtype;
  Precision precision;
  float logit_bound;  // max |logit - rwkv.cpp file's logit|
};
const Store kStores[] = {
    {rwkv::DType::F32, Precision::Exact, 1e-5f},
    {rwkv::DType::F16, Precision::F16, 0.02f},
    {rwkv::DType::BF16, Precision::BF16, 0.15f},
};

// Every storage type of one tiny model.
void round_trips(const TinyModel& tm) {
  const std::string dir = testing::testdata() + "/rwkvcpp/";
  const std::string tmp = testing::temp_dir("pth");
  const rwkv::TensorMap canon = rwkv::load_checkpoint(dir + tm.file);
  const Baseline want = baseline(dir + tm.file, tm.ver);
  for (const Store& s : kStores) {
    const std::string label = std::string(tm.ver) + " pth " + rwkv::dtype_name(s.dtype);
    const std::string path = tmp + "/" + tm.ver + "-" + rwkv::dtype_name(s.dtype) + ".pth";
    write_pth(canon, path, s.dtype);
    CHECK(rwkv::detect_format(path) == "pth");
    const rwkv::TensorMap got = rwkv::load_checkpoint(path);
    CHECK(got.format == "pth");
    compare_maps(canon, got, s.precision, label);
    const rwkv::Tensor& emb = got.get("emb.weight");
    CHECK_MSG(emb.dtype == s.dtype, "%s: emb.weight is %s", label.c_str(), rwkv::dtype_name(emb.dtype));
    CHECK_MSG(in_mapped_file(emb.data, path), "%s: emb.weight was copied, not borrowed", label.c_str());
    check_logits(path, want, s.logit_bound, label);
  }
  std::filesystem::remove_all(tmp);
}

// The archive variants, on the v4 model.
void variants() {
  const std::string dir = testing::testdata() + "/rwkvcpp/";
  const std::string tmp = testing::temp_dir("pth-variants");
  const rwkv::TensorMap v4 = rwkv::load_checkpoint(dir + kTinyModels[0].file);
  const Baseline v4_logits = baseline(dir + kTinyModels[0].file, "4v0");
  struct Variant {
    const char* name;
    PthOptions opts;
  };
  PthOptions zip64, plain, shared, strided, named;
  zip64.zip64 = true;
  plain.ordered_dict = false;
  shared.one_storage = true;
  strided.transposed = {"blocks.0.att.key.weight", "blocks.1.ffn.value.weight", "emb.weight", "head.weight"};
  named.archive = "RWKV-4-tiny";
  for (const Variant& v : {Variant{"zip64", zip64}, Variant{"plain dict", plain}, Variant{"one storage", shared},
                           Variant{"transposed views", strided}, Variant{"archive name", named}}) {
    const std::string label = std::string("4v0 pth ") + v.name;
    const std::string path = tmp + "/variant.pth";
    write_pth(v4, path, rwkv::DType::F32, v.opts);
    const rwkv::TensorMap got = rwkv::load_checkpoint(path);
    compare_maps(v4, got, Precision::Exact, label);
    const bool copied = !v.opts.transposed.empty();
    CHECK_MSG(in_mapped_file(got.get("emb.weight").data, path) != copied, "%s: emb.weight %s", label.c_str(),
              copied ? "should be a copy (non-contiguous)" : "should be borrowed");
    CHECK_MSG(in_mapped_file(got.get("blocks.0.ln1.weight").data, path), "%s: ln1 was copied", label.c_str());
    check_logits(path, v4_logits, 1e-5f, label);
  }
  std::filesystem::remove_all(tmp);
}

}  // namespace

// One case per tiny model (its version: "4v0"), and "variants".
int main(int argc, char** argv) {
  std::vector<testing::Case> cases;
  for (const TinyModel& tm : kTinyModels) cases.push_back({tm.ver, [&tm] { round_trips(tm); }, true});
  cases.push_back({"variants", variants, true});
  return testing::run_cases(argc, argv, cases, !testing::testdata().empty());
}
