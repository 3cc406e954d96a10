// The shipped model's bits per byte on its held-out text, through the engine, must not be
// worse than its model card says (plus a small margin for other CPUs' rounding).
//   test_heldout_bpb MODEL HELDOUT_TEXT MAX_BITS_PER_BYTE
// Scored as `rwkv-cli score` scores bytes: the first byte is context, every later byte is
// predicted from all the bytes before it, one stream from the initial state.
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "rwkv/model.h"

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: %s MODEL HELDOUT_TEXT MAX_BITS_PER_BYTE\n", argv[0]);
    return 2;
  }
  std::ifstream in(argv[2], std::ios::binary);
  const std::string text((std::istreambuf_iterator<char>(in)), {});
  const double max_bpb = std::atof(argv[3]);
  if (text.size() < 2) {
    std::fprintf(stderr, "%s: no text to score\n", argv[2]);
    return 1;
  }
  auto model = rwkv::Model::load(argv[1]);
  const size_t V = size_t(model->info().n_vocab);
  rwkv::State state = model->new_state();

  constexpr size_t kChunk = 1024;  // tokens per eval() call; the logits of all of them
  std::vector<float> logits(kChunk * V);
  double nats = 0;
  for (size_t at = 0; at + 1 < text.size(); at += kChunk) {
    const size_t n = std::min(kChunk, text.size() - 1 - at);
    std::vector<uint32_t> toks(n);
    for (size_t i = 0; i < n; i++) toks[i] = uint8_t(text[at + i]);
    model->eval(state, toks, logits.data(), rwkv::Logits::All);
    for (size_t i = 0; i < n; i++) {
      const float* l = &logits[i * V];
      double mx = l[0], sum = 0;
      for (size_t j = 1; j < V; j++) mx = std::max(mx, double(l[j]));
      for (size_t j = 0; j < V; j++) sum += std::exp(double(l[j]) - mx);
      nats -= double(l[uint8_t(text[at + i + 1])]) - mx - std::log(sum);
    }
  }
  const double bpb = nats / std::log(2.0) / double(text.size() - 1);
  std::printf("%s on %s: %.4f bits per byte (%zu bytes scored; at most %.4f allowed)\n", argv[1], argv[2], bpb,
              text.size() - 1, max_bpb);
  return bpb <= max_bpb ? 0 : 1;
}
