// Model::load_initial_state: a state-tuning .pth (blocks.<l>.att.time_state [H, N, N], written
// as torch.save lays it out) becomes a State whose S is its transpose (state.h), with zero
// token-shift vectors; a file for another model, or without every layer, is refused by name.
#include <filesystem>
#include <random>

#include "formats/checkpoint_writer.h"
#include "rwkv/error.h"
#include "rwkv/model.h"
#include "testing.h"

namespace {

// time_state tensors for `layers` layers of shape `shape`, random values; returns them too.
rwkv::TensorMap time_states(int layers, std::vector<int64_t> shape, std::vector<std::vector<float>>* values,
                            uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(-2.0f, 2.0f);
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  rwkv::TensorMap m;
  for (int l = 0; l < layers; l++) {
    std::vector<float> v(static_cast<size_t>(n));
    for (float& f : v) f = u(rng);
    if (values) values->push_back(v);
    m.put_f32("blocks." + std::to_string(l) + ".att.time_state", shape, std::move(v));
  }
  return m;
}

void check_model(const std::string& dir, const std::string& tmp, const char* file) {
  auto model = rwkv::Model::load(dir + file);
  const rwkv::ModelInfo& info = model->info();
  const int L = info.n_layer;
  const int64_t H = info.n_head, N = info.head_size, C = info.n_embd;
  const std::string path = tmp + "/state.pth";

  std::vector<std::vector<float>> ts;
  fmt_test::write_pth(time_states(L, {H, N, N}, &ts, 5), path, rwkv::DType::F32);
  rwkv::State s = model->load_initial_state(path);
  size_t misplaced = 0, nonzero_shift = 0;
  for (int l = 0; l < L; l++) {
    auto p = s.layer(l);
    for (int64_t c = 0; c < 2 * C; c++) nonzero_shift += p[size_t(c)] != 0.0f;
    for (int64_t h = 0; h < H; h++)
      for (int64_t i = 0; i < N; i++)
        for (int64_t j = 0; j < N; j++)
          misplaced += p[size_t(2 * C + (h * N + i) * N + j)] != ts[size_t(l)][size_t((h * N + j) * N + i)];
  }
  std::printf("%s: %d layers of [%lld, %lld, %lld] loaded, %zu misplaced values\n", file, L, (long long)H,
              (long long)N, (long long)N, misplaced);
  CHECK_MSG(misplaced == 0, "%s: %zu values not at S[h][i][j] = time_state[h][j][i]", file, misplaced);
  CHECK(nonzero_shift == 0);
  CHECK(s.tokens_seen == 0);

  // The loaded state is what the model starts from: feeding it equals feeding a state built by hand.
  rwkv::State by_hand = model->new_state();
  std::copy(s.data().begin(), s.data().end(), by_hand.data().begin());
  const std::vector<uint32_t> toks = {10, 200, 33};
  std::vector<float> a(size_t(info.n_vocab)), b(a.size()), z(a.size());
  model->eval(s, toks, a.data());
  model->eval(by_hand, toks, b.data());
  rwkv::State zero = model->new_state();
  model->eval(zero, toks, z.data());
  CHECK(testing::max_abs_diff(a, b) == 0.0f);
  CHECK_MSG(testing::max_abs_diff(a, z) > 1e-3f, "%s: the tuned state changed nothing", file);

  // bf16, as released state files are: the values are bf16-rounded, still transposed.
  fmt_test::write_pth(time_states(L, {H, N, N}, nullptr, 5), path, rwkv::DType::BF16);
  const rwkv::State sb = model->load_initial_state(path);
  const float got = sb.layer(0)[size_t(2 * C + 1)], want = ts[0][size_t(N)];
  CHECK_MSG(std::fabs(got - want) <= std::fabs(want) / 128, "%s bf16: %g vs %g", file, got, want);

  // Refusals name the tensor at fault.
  fmt_test::write_pth(time_states(L - 1, {H, N, N}, nullptr, 5), path, rwkv::DType::F32);
  const std::string last = "blocks." + std::to_string(L - 1) + ".att.time_state";
  CHECK_THROWS(model->load_initial_state(path), last.c_str());
  fmt_test::write_pth(time_states(L, {H, N, N + 1}, nullptr, 5), path, rwkv::DType::F32);
  CHECK_THROWS(model->load_initial_state(path), "blocks.0.att.time_state");
  fmt_test::write_pth(time_states(L + 1, {H, N, N}, nullptr, 5), path, rwkv::DType::F32);
  CHECK_THROWS(model->load_initial_state(path), "more than");
}

// A state file of RWKV-5 shape offered to RWKV-4, which has no such state.
void rwkv4_refused() {
  const std::string dir = testing::testdata() + "/rwkvcpp/";
  const std::string tmp = testing::temp_dir("initial-state");
  fmt_test::write_pth(time_states(2, {2, 4, 4}, nullptr, 5), tmp + "/state.pth", rwkv::DType::F32);
  auto v4 = rwkv::Model::load(dir + "tiny-rwkv-4v0-660K-FP32.bin");
  CHECK_THROWS(v4->load_initial_state(tmp + "/state.pth"), "rwkv4 has no matrix state");
  std::filesystem::remove_all(tmp);
}

}  // namespace

// One case per version with a state (its file's version: "5v2"), and "rwkv4-refused".
int main(int argc, char** argv) {
  std::vector<testing::Case> cases;
  for (const char* file : {"tiny-rwkv-5v2-730K-FP32.bin", "tiny-rwkv-6v0-3m-Q5_1.bin", "tiny-rwkv-7v0-834K-FP32.bin"})
    cases.push_back({std::string(file).substr(10, 3), [file] {
                       const std::string tmp = testing::temp_dir("initial-state");
                       check_model(testing::testdata() + "/rwkvcpp/", tmp, file);
                       std::filesystem::remove_all(tmp);
                     },
                     true});
  cases.push_back({"rwkv4-refused", rwkv4_refused, true});
  return testing::run_cases(argc, argv, cases, !testing::testdata().empty());
}
