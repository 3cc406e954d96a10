// Files written by torch.save itself (Debian's python3-torch; skipped when it is absent):
//  - a state dict of known values: fp32, fp16 and bf16 tensors, views at offsets into a
//    shared storage, a transposed (non-contiguous) view, an nn.Module state_dict() with its
//    _metadata, saved both as an OrderedDict and as a plain dict; every value is checked;
//  - the v4 tiny model saved by torch in bf16 loads to its canonical tensors and runs.
#include <filesystem>
#include <fstream>

#include "checkpoint_writer.h"
#include "compare.h"
#include "rwkv/error.h"
#include "rwkv/formats.h"

using namespace fmt_test;

namespace {

const char* kPython = "/usr/bin/python3";

// Writes known tensors; then (argv[2], argv[3] given) rebuilds a model from a raw dump:
// the index lists "name dim..." per line, the data file holds the fp32 values in order.
const char* kScript = R"PY(
import collections, sys, torch
out = sys.argv[1]
sd = collections.OrderedDict()
sd['a.f32'] = torch.arange(12, dtype=torch.float32).reshape(3, 4) / 8
sd['b.f16'] = ((torch.arange(10, dtype=torch.float32) - 5) / 4).to(torch.float16)
sd['c.bf16'] = (torch.arange(6, dtype=torch.float32) * 3).to(torch.bfloat16).reshape(1, 1, 6)
base = torch.arange(20, dtype=torch.float32)
sd['d.view'] = base[4:10]
sd['e.view'] = base.reshape(4, 5)
sd['f.transposed'] = torch.arange(6, dtype=torch.float32).reshape(2, 3).t()
lin = torch.nn.Linear(3, 2)
with torch.no_grad():
    lin.weight.copy_(torch.arange(6, dtype=torch.float32).reshape(2, 3))
    lin.bias.copy_(torch.tensor([1.0, 2.0]))
for k, v in lin.state_dict().items():
    sd['lin.' + k] = v
torch.save(sd, out + '/known.pth')
torch.save(dict(sd), out + '/plain.pth')
torch.save(lin.state_dict(), out + '/module.pth')
if len(sys.argv) > 3:
    raw = open(sys.argv[3], 'rb').read()
    model, pos = collections.OrderedDict(), 0
    for line in open(sys.argv[2]):
        name, *dims = line.split()
        dims = [int(d) for d in dims]
        n = 1
        for d in dims:
            n *= d
        t = torch.frombuffer(bytearray(raw[pos:pos + 4 * n]), dtype=torch.float32).reshape(dims)
        model[name] = t.to(torch.bfloat16)
        pos += 4 * n
    torch.save(model, out + '/model.pth')
)PY";

bool torch_available() {
  const std::string cmd = std::string(kPython) + " -c 'import torch' >/dev/null 2>&1";
  return std::system(cmd.c_str()) == 0;
}

void check_values(const rwkv::TensorMap& m, const std::string& name, std::vector<int64_t> shape,
                  std::vector<float> values, const std::string& label) {
  const rwkv::Tensor* t = m.find(name);
  CHECK_MSG(t, "%s: missing '%s'", label.c_str(), name.c_str());
  if (!t) return;
  CHECK_MSG(t->shape == shape, "%s: '%s' has shape %s", label.c_str(), name.c_str(), t->shape_str().c_str());
  if (t->shape != shape) return;
  CHECK_MSG(rwkv::tensor_to_f32(*t) == values, "%s: '%s' has other values", label.c_str(), name.c_str());
}

std::vector<float> range(int n, float scale = 1, float shift = 0) {
  std::vector<float> v;
  for (int i = 0; i < n; i++) v.push_back((float(i) + shift) * scale);
  return v;
}

}  // namespace

int main() {
  const std::string dir = testing::require_testdata() + "/rwkvcpp/";
  if (!torch_available()) {
    std::printf("SKIP: %s cannot import torch (Debian's python3-torch is not installed)\n", kPython);
    return 77;
  }
  const std::string tmp = testing::temp_dir("torch-save");
  const rwkv::TensorMap v4 = rwkv::load_checkpoint(dir + kTinyModels[0].file);
  {  // the raw dump the script rebuilds the model from
    std::ofstream index(tmp + "/index.txt"), data(tmp + "/data.bin", std::ios::binary);
    for (const auto& [name, t] : v4.tensors()) {
      index << name;
      for (int64_t d : t.shape) index << ' ' << d;
      index << '\n';
      const std::vector<float> v = rwkv::tensor_to_f32(t);
      data.write(reinterpret_cast<const char*>(v.data()), std::streamsize(v.size() * 4));
    }
  }
  std::ofstream(tmp + "/save.py") << kScript;
  const std::string cmd = std::string(kPython) + " " + tmp + "/save.py " + tmp + " " + tmp + "/index.txt " + tmp + "/data.bin";
  CHECK_MSG(std::system(cmd.c_str()) == 0, "%s failed", cmd.c_str());

  for (const char* file : {"known.pth", "plain.pth"}) {
    const rwkv::TensorMap m = rwkv::load_pth(tmp + "/" + file);
    CHECK(m.size() == 8);
    check_values(m, "a.f32", {3, 4}, range(12, 0.125f), file);
    std::vector<float> b = range(10, 0.25f, -5);
    check_values(m, "b.f16", {10}, b, file);
    CHECK(m.get("b.f16").dtype == rwkv::DType::F16);
    check_values(m, "c.bf16", {1, 1, 6}, range(6, 3), file);
    CHECK(m.get("c.bf16").dtype == rwkv::DType::BF16);
    check_values(m, "d.view", {6}, range(6, 1, 4), file);
    check_values(m, "e.view", {4, 5}, range(20), file);
    check_values(m, "f.transposed", {3, 2}, {0, 3, 1, 4, 2, 5}, file);
    check_values(m, "lin.weight", {2, 3}, range(6), file);
    check_values(m, "lin.bias", {2}, {1, 2}, file);
    CHECK_MSG(in_mapped_file(m.get("d.view").data, tmp + "/" + file), "%s: d.view was copied", file);
  }
  const rwkv::TensorMap mod = rwkv::load_pth(tmp + "/module.pth");
  check_values(mod, "weight", {2, 3}, range(6), "module.pth");
  check_values(mod, "bias", {2}, {1, 2}, "module.pth");

  const rwkv::TensorMap model = rwkv::load_checkpoint(tmp + "/model.pth");
  compare_maps(v4, model, Precision::BF16, "4v0 torch.save bf16");
  const float d = testing::max_abs_diff(logits_of(rwkv::Model::load(tmp + "/model.pth")),
                                        logits_of(rwkv::Model::load(dir + kTinyModels[0].file)));
  std::printf("4v0 torch.save bf16: logits max |diff| %.3g\n", double(d));
  CHECK(d <= 0.15f);
  std::filesystem::remove_all(tmp);
  return testing::finish();
}
