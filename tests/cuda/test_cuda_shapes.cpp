// The CUDA backend on real shapes (argv: SHAPE [LAYERS [fp32|fp16]]), random weights against
// the CPU reference: what the tiny test models cannot reach -- head size 64
// with many heads (wkv5<64> for v5/v6, v7 heads past the first), LayerNorm rows longer than
// a block, a vocabulary that is no multiple of 8 (50277), an embedding table of several
// upload slices (A1) -- and the batch paths: a state batch evaluated straight after it is
// made (A2), a slot loaded and evaluated at once (A3), one cached step graph replayed with
// different slot lists (B3). Needs no test data; exits 77 without a GPU.
#include <cstdlib>

#include "cuda_testing.h"
#include "random_model.h"

using namespace cuda_testing;

namespace {

// fp32 weights: logits within 1e-3, states 1e-3 relative; fp16: Tolerance::fp16_shape().
Tolerance tol;

std::vector<rwkv::State*> ptrs(std::vector<rwkv::State>& v) {
  std::vector<rwkv::State*> p;
  for (auto& s : v) p.push_back(&s);
  return p;
}

std::vector<const rwkv::State*> cptrs(const std::vector<rwkv::State>& v) {
  std::vector<const rwkv::State*> p;
  for (const auto& s : v) p.push_back(&s);
  return p;
}

// Each token from a fresh state, one state per token, on `m` one by one.
std::vector<float> fresh_logits(const rwkv::Model& m, const std::vector<uint32_t>& toks) {
  const size_t V = size_t(m.info().n_vocab);
  std::vector<float> out(toks.size() * V);
  for (size_t i = 0; i < toks.size(); i++) {
    rwkv::State s = m.new_state();
    m.eval(s, std::span<const uint32_t>(&toks[i], 1), out.data() + i * V);
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  require_gpu();
  if (argc < 2) {
    std::fprintf(stderr, "usage: test_cuda_shapes SHAPE [LAYERS [fp32|fp16]]\n");
    return 2;
  }
  rwkv::bench::Shape shape = rwkv::bench::shape_by_name(argv[1]);
  if (argc > 2) shape.n_layer = std::atoi(argv[2]);  // fewer layers keep the CPU side short
  const bool fp16 = argc > 3 && std::string(argv[3]) == "fp16";
  if (fp16) tol = Tolerance::fp16_shape();
  // fp16: the CPU runs the same fp16 weights (activations in fp32), the GPU rounds its
  // activations to fp16 too.
  const rwkv::TensorMap tensors = rwkv::bench::random_model(shape, fp16 ? rwkv::DType::F16 : rwkv::DType::F32, 7);
  const auto cpu = load(tensors, "cpu");
  const auto gpu = load(tensors, "cuda");
  const rwkv::ModelInfo& info = cpu->info();
  const size_t V = size_t(info.n_vocab), C = size_t(info.n_embd);
  std::printf("%s (%d layers): %s, C %d, H %d, N %d, V %d on %s\n", shape.name.c_str(), info.n_layer,
              rwkv::arch_name(info.arch), info.n_embd, info.n_head, info.head_size, info.n_vocab,
              gpu->device().c_str());
  const auto toks = random_tokens(64, uint32_t(V), 11);

  // Step mode, 4 tokens: every step's logits and the state after.
  {
    rwkv::State a = cpu->new_state(), b = gpu->new_state();
    std::vector<float> la(4 * V), lb(4 * V);
    for (size_t i = 0; i < 4; i++) {
      cpu->eval(a, std::span<const uint32_t>(&toks[i], 1), la.data() + i * V);
      gpu->eval(b, std::span<const uint32_t>(&toks[i], 1), lb.data() + i * V);
    }
    check_logits("4 steps", lb, la, V, tol);
    check_state("4 steps: state", b, a, tol);
  }

  // One 40-token sequence, every token's logits.
  {
    rwkv::State a = cpu->new_state(), b = gpu->new_state();
    const std::span<const uint32_t> seq(toks.data(), 40);
    std::vector<float> la(40 * V), lb(40 * V);
    cpu->eval(a, seq, la.data(), rwkv::Logits::All);
    gpu->eval(b, seq, lb.data(), rwkv::Logits::All);
    check_logits("sequence of 40", lb, la, V, tol);
    check_state("sequence of 40: state", b, a, tol);
  }

  // A batch of 3 States x 2 tokens.
  {
    std::vector<rwkv::State> a(3, cpu->new_state()), b(3, gpu->new_state());
    const std::span<const uint32_t> in(toks.data() + 40, 6);
    std::vector<float> la(3 * V), lb(3 * V);
    cpu->eval_batch(ptrs(a), in, la.data());
    gpu->eval_batch(ptrs(b), in, lb.data());
    check_logits("batch of 3 x 2", lb, la, V, tol);
    check_states("batch of 3 x 2: states", cptrs(b), cptrs(a), tol);
  }

  // The embedding rows at the ends of its upload slices (2^22 floats each), the first and
  // the last id (A1): a stale row would give that token another embedding.
  {
    const size_t slice = std::max<size_t>(1, (size_t(1) << 22) / C);
    std::vector<uint32_t> ids = {0, uint32_t(V - 1)};
    for (size_t k = 1; k * slice - 1 < V; k++) ids.push_back(uint32_t(k * slice - 1));
    for (size_t k = 1; k * slice < V; k++) ids.push_back(uint32_t(k * slice));
    check_logits(("embedding slice ends (" + std::to_string(ids.size()) + " ids)").c_str(), fresh_logits(*gpu, ids),
                 fresh_logits(*cpu, ids), V, tol);
  }

  // A state batch evaluated straight after it is made (A2): the last slot against a fresh
  // State. Then slots loaded and evaluated at once, repeatedly (A3).
  {
    const size_t n = 256;
    auto batch = gpu->new_state_batch(n);
    std::vector<uint32_t> in(n);
    for (size_t i = 0; i < n; i++) in[i] = toks[i % toks.size()];
    std::vector<float> lb(n * V);
    gpu->eval_batch(*batch, in, lb.data());
    rwkv::State fresh = cpu->new_state();
    std::vector<float> want(V);
    cpu->eval(fresh, std::span<const uint32_t>(&in[n - 1], 1), want.data());
    check_logits("new batch of 256, at once: slot 255", std::vector<float>(lb.end() - long(V), lb.end()), want, V,
                 tol);
    rwkv::State out = gpu->new_state();
    batch->store(n - 1, out);
    check_state("new batch of 256, at once: slot 255 state", out, fresh, tol);

    rwkv::State hist = cpu->new_state();
    cpu->eval(hist, std::span<const uint32_t>(toks.data(), 9), nullptr, rwkv::Logits::None);
    for (int round = 0; round < 5; round++) {
      const size_t slot = (size_t(round) * 97 + 13) % n;
      batch->load(slot, hist);
      const std::vector<size_t> slots = {slot};
      std::vector<float> got(V), ref(V);
      gpu->eval_batch(*batch, std::span<const uint32_t>(&toks[20 + size_t(round)], 1), got.data(), slots);
      rwkv::State h = hist;
      cpu->eval(h, std::span<const uint32_t>(&toks[20 + size_t(round)], 1), ref.data());
      check_logits(("load then eval at once, slot " + std::to_string(slot)).c_str(), got, ref, V, tol);
    }
  }

  // One step graph (3 gathered slots) replayed with other slot lists (B3), against States.
  {
    std::vector<rwkv::State> ref;
    auto batch = gpu->new_state_batch(8);
    for (size_t i = 0; i < 8; i++) {
      ref.push_back(cpu->new_state());
      cpu->eval(ref.back(), std::span<const uint32_t>(toks.data() + i, 1 + i % 3), nullptr, rwkv::Logits::None);
      batch->load(i, ref.back());
    }
    const std::vector<std::vector<size_t>> lists = {{5, 1, 6}, {0, 2, 4}, {6, 5, 1}};
    for (size_t k = 0; k < lists.size(); k++) {
      const auto& slots = lists[k];
      const std::span<const uint32_t> in(toks.data() + 50 + 3 * k, 3);
      std::vector<float> got(3 * V), want(3 * V);
      gpu->eval_batch(*batch, in, got.data(), slots);
      std::vector<rwkv::State*> states;
      for (size_t s : slots) states.push_back(&ref[s]);
      cpu->eval_batch(states, in, want.data());
      const std::string what =
          "graph replay, slots {" + std::to_string(slots[0]) + "," + std::to_string(slots[1]) + "," +
          std::to_string(slots[2]) + "}";
      check_logits(what.c_str(), got, want, V, tol);
    }
    std::vector<rwkv::State> out(8, gpu->new_state());
    for (size_t i = 0; i < 8; i++) batch->store(i, out[i]);
    check_states("graph replay: all slots", cptrs(out), cptrs(ref), tol);
  }
  return testing::finish();
}
