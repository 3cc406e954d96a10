// A 10,000-token stream on the GPU stays finite and within tolerance of the CPU (argv:
// VERSION fp32|fp16|bf16): step mode token by token (graph replays) with the logits compared
// every 500 tokens, and sequence mode in calls of 1000 tokens. Exits 77 without a GPU.
#include "cuda_testing.h"

using namespace cuda_testing;

int main(int argc, char** argv) {
  require_gpu();
  const std::string dir = testing::require_testdata();
  if (argc < 3) {
    std::fprintf(stderr, "usage: test_cuda_stream VERSION fp32|fp16|bf16\n");
    return 2;
  }
  const std::string ver = argv[1], dtype = argv[2];
  const rwkv::TensorMap tensors = tiny_model(dir, ver, dtype);
  const auto cpu = load(tensors, "cpu");
  const auto gpu = load(tensors, "cuda");
  const Tolerance tol = Tolerance::for_model(ver, dtype);
  const size_t V = size_t(cpu->info().n_vocab);
  constexpr size_t kTokens = 10000, kEvery = 500, kCall = 1000;
  // Byte-level text-like input: mostly letters and spaces, some other bytes.
  std::vector<uint32_t> toks = random_tokens(kTokens, uint32_t(V), 3);
  for (size_t i = 0; i < kTokens; i++)
    if (toks[i] % 4) toks[i] = toks[i] % 5 == 0 ? 32 : 97 + toks[i] % 26;

  {
    rwkv::State sc = cpu->new_state(), sg = gpu->new_state();
    std::vector<float> lc(V), lg(V), got, want;
    bool finite = true;
    for (size_t i = 0; i < kTokens; i++) {
      const std::span<const uint32_t> t(&toks[i], 1);
      cpu->eval(sc, t, lc.data());
      gpu->eval(sg, t, lg.data());
      finite = finite && all_finite(lg);
      if ((i + 1) % kEvery == 0) {
        got.insert(got.end(), lg.begin(), lg.end());
        want.insert(want.end(), lc.begin(), lc.end());
      }
    }
    CHECK_MSG(finite, "non-finite logits in the step-mode stream");
    check_logits("step mode, every 500th of 10000 tokens", got, want, V, tol);
    check_state("step mode, 10000 tokens: state", sg, sc, tol);
  }
  {
    rwkv::State sc = cpu->new_state(), sg = gpu->new_state();
    std::vector<float> lc(V), lg(V), got, want;
    for (size_t i = 0; i < kTokens; i += kCall) {
      const std::span<const uint32_t> t(toks.data() + i, kCall);
      cpu->eval(sc, t, lc.data());
      gpu->eval(sg, t, lg.data());
      got.insert(got.end(), lg.begin(), lg.end());
      want.insert(want.end(), lc.begin(), lc.end());
    }
    check_logits("sequence mode, 10 calls of 1000 tokens", got, want, V, tol);
    check_state("sequence mode, 10000 tokens: state", sg, sc, tol);
  }
  return testing::finish();
}
