// rwkv-bench: tokens/s of step mode (one token per call: decode) and sequence mode (T tokens
// per call: prompt and transcript ingestion) on randomly initialised models of real shapes,
// with the achieved weight traffic (GB/s) and arithmetic rate (GFLOP/s).
#include <chrono>
#include <cstdio>
#include <fstream>
#include <thread>

#include "../../kernels/cpu/matmul_kernels.h"
#include "../rwkv-cli/args.h"
#include "random_model.h"
#include "rwkv/error.h"
#include "rwkv/model.h"

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

std::string cpu_model() {
  std::ifstream f("/proc/cpuinfo");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind("model name", 0) == 0) return line.substr(line.find(':') + 2);
  return "unknown";
}

rwkv::DType parse_dtype(const std::string& s) {
  if (s == "fp32") return rwkv::DType::F32;
  if (s == "fp16") return rwkv::DType::F16;
  if (s == "bf16") return rwkv::DType::BF16;
  throw rwkv::Error("--dtype must be fp32, fp16 or bf16, got '" + s + "'");
}

// Bytes of weights read per token in step mode: every layer matrix and the head (the
// embedding contributes one row).
double weight_bytes_per_token(const rwkv::Model& m) {
  double b = 0;
  for (const auto& [name, t] : m.tensors().tensors())
    if (name != "emb.weight") b += double(t.nbytes);
  return b;
}

int run(const std::vector<std::string>& argv) {
  rwkv::cli::Args a(argv, {"shape", "dtype", "threads", "tokens", "seq", "device"});
  const std::string device = a.get("device", "cpu");
  const rwkv::bench::Shape shape = rwkv::bench::shape_by_name(a.get("shape", "rwkv4-169m"));
  const std::string dtype_name = a.get("dtype", "fp32");
  const rwkv::DType dtype = parse_dtype(dtype_name);
  const int steps = int(a.get_int("tokens", 32, 1, 1 << 20));
  const int seq = int(a.get_int("seq", 128, 1, 1 << 20));
  rwkv::LoadOptions opts;
  opts.device = device;
  opts.threads = int(a.get_int("threads", 0, 0, 1024));

  auto t0 = Clock::now();
  auto model = rwkv::Model::from_tensors(rwkv::bench::random_model(shape, dtype), opts);
  const double build_s = seconds_since(t0);
  const rwkv::ModelInfo& info = model->info();
  const double wbytes = weight_bytes_per_token(*model);
  // Multiply-adds per token: every matrix except the embedding (2 flops each).
  const double flops_per_token = 2.0 * wbytes / (dtype == rwkv::DType::F32 ? 4 : 2);

  std::printf("machine: %s, %u hardware threads, %d used, kernels %s\n", cpu_model().c_str(),
              std::thread::hardware_concurrency(), model->threads(), rwkv::cpu::matmul_kernels().isa);
  std::printf("model: %s (C %d, L %d, V %d), weights %s, %.1f MB read per token, built in %.1f s\n",
              shape.name.c_str(), info.n_embd, info.n_layer, info.n_vocab, dtype_name.c_str(), wbytes / 1e6,
              build_s);

  std::vector<float> logits(size_t(info.n_vocab) * size_t(seq));
  rwkv::State state = model->new_state();
  // Step mode (decode): one token per call, logits every token.
  uint32_t tok = 1;
  model->eval(state, std::span<const uint32_t>(&tok, 1), logits.data());  // warm-up
  t0 = Clock::now();
  for (int i = 0; i < steps; i++) {
    tok = (tok * 1103515245u + 12345u) % uint32_t(info.n_vocab);
    model->eval(state, std::span<const uint32_t>(&tok, 1), logits.data());
  }
  const double step_s = seconds_since(t0);
  const double step_tps = steps / step_s;
  std::printf("step:     %8.2f tokens/s  %6.2f GB/s of weights  (%d tokens)\n", step_tps,
              step_tps * wbytes / 1e9, steps);

  // Sequence mode (prefill): seq tokens per call, logits for the last only.
  std::vector<uint32_t> toks(static_cast<size_t>(seq));
  for (auto& t : toks) t = (tok = (tok * 1103515245u + 12345u) % uint32_t(info.n_vocab));
  state = model->new_state();
  t0 = Clock::now();
  model->eval(state, toks, logits.data(), rwkv::Logits::Last);
  const double seq_s = seconds_since(t0);
  const double seq_tps = seq / seq_s;
  std::printf("sequence: %8.2f tokens/s  %6.1f GFLOP/s             (T = %d)\n", seq_tps,
              seq_tps * flops_per_token / 1e9, seq);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(std::vector<std::string>(argv + 1, argv + argc));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "rwkv-bench: %s\n", e.what());
    return 1;
  }
}
