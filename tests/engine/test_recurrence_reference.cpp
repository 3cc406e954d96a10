// The forward pass against a plain float64 implementation of docs/REFERENCE.md's equations
// (reference64.h, no engine code): the logits after every one of a few random tokens, and the
// state after them in the layout state.h documents. Run twice: from the initial state and from
// a random one (which checks the state's orientation as an initial state loader relies on).
// argv[1]: a model file name in ../shared/testdata/rwkvcpp.
#include <cmath>
#include <random>

#include "reference64.h"
#include "rwkv/formats.h"
#include "rwkv/model.h"
#include "testing.h"

namespace {

using reference64::Vec;

double max_rel_diff(const Vec& ref, std::span<const float> got) {
  double m = ref.size() == got.size() ? 0 : INFINITY;
  for (size_t i = 0; i < ref.size() && i < got.size(); i++)
    m = std::max(m, std::fabs(double(got[i]) - ref[i]) / (1 + std::fabs(ref[i])));
  return m;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string dir = testing::require_testdata() + "/rwkvcpp/";
  if (argc < 2) {
    std::fprintf(stderr, "usage: test_recurrence_reference MODEL_FILE\n");
    return 2;
  }
  const std::string path = dir + argv[1];
  // Quantized files as their dequantized values (test_quantize bounds the quantized kernels).
  rwkv::LoadOptions opts;
  opts.dequantize = true;
  auto model = rwkv::Model::load(path, opts);
  const rwkv::ModelInfo& info = model->info();
  const rwkv::TensorMap canonical = rwkv::load_checkpoint(path);
  reference64::Reference ref(canonical, info);

  std::mt19937 rng(1234);
  std::vector<uint32_t> tokens(5);
  for (auto& t : tokens) t = rng() % uint32_t(info.n_vocab);
  const size_t V = size_t(info.n_vocab);

  for (int from_random = 0; from_random < 2; from_random++) {
    rwkv::State s = model->new_state();
    if (from_random) {
      std::uniform_real_distribution<float> u(-1.0f, 1.0f);
      for (float& f : s.data()) f = u(rng);
      if (info.arch == rwkv::Arch::V4)  // bb, a sum of exponentials, is positive
        for (int l = 0; l < info.n_layer; l++)
          for (size_t c = 0; c < size_t(info.n_embd); c++) s.layer(l)[2 * size_t(info.n_embd) + c] += 1.5f;
    }
    reference64::Reference::States rs = ref.from_engine(s);
    std::vector<float> logits(tokens.size() * V);
    model->eval(s, tokens, logits.data(), rwkv::Logits::All);

    double worst_logit = 0;
    for (size_t i = 0; i < tokens.size(); i++) {
      const Vec want = ref.forward(tokens[i], rs);
      worst_logit = std::max(worst_logit, max_rel_diff(want, std::span<const float>(logits.data() + i * V, V)));
    }
    double worst_state = 0;
    for (int l = 0; l < info.n_layer; l++)
      worst_state = std::max(worst_state, max_rel_diff(ref.flat(rs[size_t(l)]), s.layer(l)));
    std::printf("%s from %s state: logits max rel diff %.3g, state %.3g\n", argv[1],
                from_random ? "a random" : "the initial", worst_logit, worst_state);
    CHECK_MSG(worst_logit <= 1e-4, "logits differ from the float64 reference by %g", worst_logit);
    CHECK_MSG(worst_state <= 1e-4, "state differs from the float64 reference by %g", worst_state);
  }
  return testing::finish();
}
