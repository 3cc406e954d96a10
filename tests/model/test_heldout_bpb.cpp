// The shipped model's bits per byte on its held-out text, through the engine, must not be
// worse than its model card says (plus a small margin for other CPUs' rounding).
//   test_heldout_bpb MODEL HELDOUT_TEXT MAX_BITS_PER_BYTE [--bf16-products]
// With --bf16-products (LoadOptions::bf16_products) the model also runs exactly beside it, and
// each byte's log-probability may move by at most kBf16MaxNats (what a score-mode stream
// reports), the bits per byte by at most kBf16MaxBpb.
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

namespace {

// Measured on this model's modern held-out text (AVX-512 BF16, Zen 4): at most 0.052 nats,
// mean 0.0022, bits per byte +0.000002; the bounds leave a factor of about 3 and 500.
constexpr double kBf16MaxNats = 0.15, kBf16MaxBpb = 0.001;

// Each byte's log-probability (nats) given the bytes before it, from the initial state.
std::vector<double> logprobs(const rwkv::Model& model, const std::string& text) {
  const size_t V = size_t(model.info().n_vocab);
  rwkv::State state = model.new_state();
  constexpr size_t kChunk = 1024;  // tokens per eval() call; the logits of all of them
  std::vector<float> logits(kChunk * V);
  std::vector<double> out;
  for (size_t at = 0; at + 1 < text.size(); at += kChunk) {
    const size_t n = std::min(kChunk, text.size() - 1 - at);
    std::vector<uint32_t> toks(n);
    for (size_t i = 0; i < n; i++) toks[i] = uint8_t(text[at + i]);
    model.eval(state, toks, logits.data(), rwkv::Logits::All);
    for (size_t i = 0; i < n; i++) {
      const float* l = &logits[i * V];
      double mx = l[0], sum = 0;
      for (size_t j = 1; j < V; j++) mx = std::max(mx, double(l[j]));
      for (size_t j = 0; j < V; j++) sum += std::exp(double(l[j]) - mx);
      out.push_back(double(l[uint8_t(text[at + i + 1])]) - mx - std::log(sum));
    }
  }
  return out;
}

double bits_per_byte(const std::vector<double>& lp) {
  double nats = 0;
  for (double v : lp) nats -= v;
  return nats / std::log(2.0) / double(lp.size());
}

}  // namespace

int main(int argc, char** argv) {
  const bool bf16 = argc == 5 && std::string(argv[4]) == "--bf16-products";
  if (argc != 4 && !bf16) {
    std::fprintf(stderr, "usage: %s MODEL HELDOUT_TEXT MAX_BITS_PER_BYTE [--bf16-products]\n", argv[0]);
    return 2;
  }
  std::ifstream in(argv[2], std::ios::binary);
  const std::string text((std::istreambuf_iterator<char>(in)), {});
  const double max_bpb = std::atof(argv[3]);
  if (text.size() < 2) {
    std::fprintf(stderr, "%s: no text to score\n", argv[2]);
    return 1;
  }
  rwkv::LoadOptions opts;
  opts.bf16_products = bf16;
  const std::vector<double> lp = logprobs(*rwkv::Model::load(argv[1], opts), text);
  const double bpb = bits_per_byte(lp);
  std::printf("%s on %s%s: %.4f bits per byte (%zu bytes scored; at most %.4f allowed)\n", argv[1], argv[2],
              bf16 ? " with bf16 products" : "", bpb, lp.size(), max_bpb);
  bool ok = bpb <= max_bpb;
  if (bf16) {
    const std::vector<double> exact = logprobs(*rwkv::Model::load(argv[1]), text);
    double worst = 0, mean = 0;
    for (size_t i = 0; i < lp.size(); i++) {
      worst = std::max(worst, std::fabs(lp[i] - exact[i]));
      mean += std::fabs(lp[i] - exact[i]) / double(lp.size());
    }
    const double moved = bpb - bits_per_byte(exact);
    std::printf("against the exact run: log-probabilities moved by at most %.4f nats (mean %.5f; at most %.2g "
                "allowed), bits per byte by %+.6f (at most %.3g)\n",
                worst, mean, kBf16MaxNats, moved, kBf16MaxBpb);
    ok = ok && worst <= kBf16MaxNats && std::fabs(moved) <= kBf16MaxBpb;
  }
  return ok ? 0 : 1;
}
