// rwkv-bench: tokens/s of step mode (one token per call: decode) and sequence mode (T tokens
// per call: prompt and transcript ingestion) on randomly initialised models of real shapes.
// On the CPU: the achieved weight traffic (GB/s) and arithmetic rate (GFLOP/s). On a GPU
// (--device cuda): decode at B = 1 as a fraction of the memory bandwidth, prefill of T tokens
// as a fraction of the dense fp16 rate, and aggregate decode over batches of streams.
// --model FILE times a checkpoint instead of a random shape (rwkv-bench-rwkvcpp times
// rwkv.cpp on the same file, for side-by-side runs); --quantize TYPE quantizes it as it loads;
// --write-rwkvcpp FILE writes the random model of --shape/--dtype as an rwkv.cpp file (with
// --quantize, quantized as rwkv.cpp quantizes).
// --streams N,...: N concurrent sessions on one model (one thread each), with the engine's
// batching and without it in the same run: aggregate decode and prefill, step p50/p99.
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <thread>

#include "kernels/cpu/matmul_kernels.h"
#include "args.h"
#include "concurrent.h"
#include "memory_bandwidth.h"
#include "random_model.h"
#include "rwkv/error.h"
#include "rwkv/formats.h"
#include "rwkv/model.h"
#include "model/device_backend.h"

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

std::vector<int> parse_list(const std::string& s) {
  std::vector<int> v;
  std::stringstream in(s);
  std::string item;
  while (std::getline(in, item, ',')) {
    const int n = std::atoi(item.c_str());
    if (n <= 0 || n > 65536) throw rwkv::Error("--batches wants positive sizes, got '" + item + "'");
    v.push_back(n);
  }
  return v;
}

double peak_rss_mb() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return double(ru.ru_maxrss) / 1024.0;
}

// Multiply-adds per token of the layers' matrices (2 flops each); the head runs once per
// prefill call and is left out.
double layer_flops_per_token(const rwkv::Model& m) {
  double n = 0;
  for (const auto& [name, t] : m.tensors().tensors())
    if (t.shape.size() >= 2 && name.rfind("blocks.", 0) == 0) n += double(t.numel());
  return 2 * n;
}

struct Rng {
  uint32_t s = 1;
  uint32_t next(uint32_t vocab) { return (s = s * 1103515245u + 12345u) % vocab; }
};

// Step mode: tokens/s over `steps` single-token calls with logits (after 8 to warm up).
double decode_rate(const rwkv::Model& m, int steps, Rng& rng) {
  const uint32_t V = uint32_t(m.info().n_vocab);
  std::vector<float> logits(V);
  rwkv::State state = m.new_state();
  for (int i = 0; i < 8 + steps; i++) {
    if (i == 8) {
      const auto t0 = Clock::now();
      for (int j = 0; j < steps; j++) {
        const uint32_t tok = rng.next(V);
        m.eval(state, std::span<const uint32_t>(&tok, 1), logits.data());
      }
      return steps / seconds_since(t0);
    }
    const uint32_t tok = rng.next(V);
    m.eval(state, std::span<const uint32_t>(&tok, 1), logits.data());
  }
  return 0;
}

// Sequence mode: tokens/s of `runs` calls of T tokens from the initial state, last logits
// only (after `warmup` untimed calls).
double prefill_rate(const rwkv::Model& m, int T, int runs, int warmup, Rng& rng) {
  const uint32_t V = uint32_t(m.info().n_vocab);
  std::vector<uint32_t> toks(static_cast<size_t>(T));
  std::vector<float> logits(V);
  double total = 0;
  for (int r = 0; r < warmup + runs; r++) {
    for (auto& t : toks) t = rng.next(V);
    rwkv::State state = m.new_state();
    const auto t0 = Clock::now();
    m.eval(state, toks, logits.data(), rwkv::Logits::Last);
    if (r >= warmup) total += seconds_since(t0);
  }
  return double(T) * runs / total;
}

// Batched step mode: aggregate tokens/s of B streams fed one token each per call, with
// logits, the states held in a StateBatch (in device memory on a GPU), `steps` timed calls.
double batch_rate(const rwkv::Model& m, int B, int steps, Rng& rng) {
  const uint32_t V = uint32_t(m.info().n_vocab);
  auto batch = m.new_state_batch(size_t(B));
  std::vector<uint32_t> toks(static_cast<size_t>(B));
  std::vector<float> logits(size_t(B) * V);
  double secs = 0;
  for (int i = 0; i < 1 + steps; i++) {  // the first captures the batch's graph
    for (auto& t : toks) t = rng.next(V);
    const auto t0 = Clock::now();
    m.eval_batch(*batch, toks, logits.data());
    if (i > 0) secs += seconds_since(t0);
  }
  return double(B) * steps / secs;
}

int run(const std::vector<std::string>& argv) {
  rwkv::cli::Args a(argv, {"shape", "model", "dtype", "threads", "tokens", "seq", "device", "batches", "streams", "quantize",
                                "quantize-head", "write-rwkvcpp", "batch-wait", "bf16-products"},
                     {"quantize-head", "bf16-products"});
  const std::string device = a.get("device", "cpu");
  const bool gpu = device != "cpu";
  const rwkv::bench::Shape shape = rwkv::bench::shape_by_name(a.get("shape", "rwkv4-169m"));
  const std::string dtype_name = a.get("dtype", gpu ? "fp16" : "fp32");
  const rwkv::DType dtype = parse_dtype(dtype_name);
  const int steps = int(a.get_int("tokens", gpu ? 256 : 32, 1, 1 << 20));
  const int seq = int(a.get_int("seq", gpu ? 1024 : 128, 1, 1 << 20));
  const std::vector<int> batches = parse_list(a.get("batches", gpu ? "1,8,64,256" : ""));
  const std::vector<int> streams = parse_list(a.get("streams", ""));
  rwkv::LoadOptions opts;
  opts.device = device;
  opts.threads = int(a.get_int("threads", 0, 0, 1024));
  if (a.has("quantize")) opts.quantize = rwkv::quantized_type_from_name(a.get("quantize"));
  opts.quantize_head = a.has("quantize-head");
  opts.bf16_products = a.has("bf16-products");
  opts.batch_wait_us = int(a.get_int("batch-wait", opts.batch_wait_us, 0, 1000000));

  if (a.has("write-rwkvcpp")) {
    // The random model as an rwkv.cpp file (quantized with --quantize), to time it in both
    // engines (rwkv-bench-rwkvcpp).
    const rwkv::DType type = opts.quantize.value_or(dtype);
    rwkv::write_rwkvcpp(rwkv::bench::random_model(shape, dtype), a.get("write-rwkvcpp"), type, opts.quantize_head);
    std::printf("wrote %s (%s, %s)\n", a.get("write-rwkvcpp").c_str(), shape.name.c_str(), rwkv::dtype_name(type));
    return 0;
  }
  auto t0 = Clock::now();
  // A checkpoint file (timed as it is, e.g. beside another engine on the same file), or a
  // random model of a real shape.
  const std::string file = a.get("model", "");
  auto make_tensors = [&] { return file.empty() ? rwkv::bench::random_model(shape, dtype) : rwkv::load_checkpoint(file); };
  rwkv::TensorMap tensors = make_tensors();
  const double build_s = seconds_since(t0);
  t0 = Clock::now();
  auto model = rwkv::Model::from_tensors(std::move(tensors), opts);
  const double load_s = seconds_since(t0);
  const rwkv::Model& m = *model;
  const rwkv::ModelInfo& info = m.info();
  const double wbytes = double(m.weight_bytes_per_token()), flops = layer_flops_per_token(m);
  Rng rng;

  double bandwidth = 0, peak = 0;
  // On the CPU the model is timed first, so that the peak RSS is the model's and not the
  // bandwidth probe's buffer.
  double step_tps = 0, seq_tps = 0, rss = 0;
  if (m.device() == "cpu") {
    step_tps = decode_rate(m, steps, rng);
    seq_tps = prefill_rate(m, seq, 1, 0, rng);
    rss = peak_rss_mb();
    bandwidth = rwkv::bench::memory_read_bandwidth(m.threads());
    std::printf("machine: %s, %u hardware threads, %d used, kernels %s, memory read %.1f GB/s (measured, %d threads)\n",
                cpu_model().c_str(), std::thread::hardware_concurrency(), m.threads(),
                rwkv::cpu::matmul_kernels().isa, bandwidth / 1e9, m.threads());
  }
  if (m.device() != "cpu") {
    const rwkv::DeviceInfo g = rwkv::cuda_backend()->device_info(std::atoi(m.device().c_str() + 5));
    bandwidth = g.bandwidth;
    peak = g.fp16_flops;
    std::printf("device: %s %s, %d SMs, memory %.0f GB/s (%s), dense fp16 %.1f TFLOP/s (%s)\n", m.device().c_str(),
                g.name.c_str(), g.sms, bandwidth / 1e9, g.bandwidth_source.c_str(), peak / 1e12,
                g.flops_source.c_str());
  }
  std::printf("model: %s (C %d, L %d, V %d), weights %s%s%s%s, %.1f MB read per token, built in %.1f s, loaded in %.1f s\n",
              file.empty() ? shape.name.c_str() : file.c_str(), info.n_embd, info.n_layer, info.n_vocab,
              file.empty() ? dtype_name.c_str() : info.weight_dtype.c_str(), opts.quantize ? " quantized at load to " : "",
              opts.quantize ? rwkv::dtype_name(*opts.quantize) : "",
              !opts.bf16_products                          ? ""
              : rwkv::cpu::matmul_kernels().bf16_products ? ", bf16 products"
                                                           : ", bf16 products (bf16 weights, fp32 activations: no AVX-512 BF16)",
              wbytes / 1e6, build_s, load_s);

  if (m.device() == "cpu") {
    std::printf("step:     %8.2f tokens/s  %6.2f GB/s of weights = %5.1f%% of memory bandwidth  (%d tokens)\n", step_tps,
                step_tps * wbytes / 1e9, 100 * step_tps * wbytes / bandwidth, steps);
    std::printf("sequence: %8.2f tokens/s  %6.1f GFLOP/s             (T = %d)\n", seq_tps, seq_tps * flops / 1e9, seq);
    std::printf("peak RSS: %.0f MB\n", rss);
  } else {
    // Decode: weight bytes per token over the bandwidth; a State is copied in and out on
    // every call, a StateBatch stays on the device.
    auto decode_line = [&](const char* how, double tps) {
      std::printf("decode  B=1 %-11s %10.1f tokens/s  %7.1f GB/s of weights = %5.1f%% of memory bandwidth\n", how, tps,
                  tps * wbytes / 1e9, bandwidth > 0 ? 100 * tps * wbytes / bandwidth : 0.0);
    };
    decode_line("(StateBatch)", batch_rate(m, 1, steps, rng));
    decode_line("(State)", decode_rate(m, steps, rng));
    const double seq_tps = prefill_rate(m, seq, 3, 1, rng);
    std::printf("prefill T=%-5d %16.1f tokens/s  %7.1f TFLOP/s = %5.1f%% of dense fp16\n", seq, seq_tps,
                seq_tps * flops / 1e12, peak > 0 ? 100 * seq_tps * flops / peak : 0.0);
  }
  for (int B : batches) {
    const double tps = batch_rate(m, B, std::max(3, std::min(64, 512 / B)), rng);
    std::printf("batch   B=%-4d (StateBatch) %10.1f tokens/s aggregate, %8.1f per stream\n", B, tps, tps / B);
  }
  if (!streams.empty()) {
    // The same model without batching, for the comparison in the same run.
    rwkv::LoadOptions solo_opts = opts;
    solo_opts.batch_streams = false;
    auto unbatched = rwkv::Model::from_tensors(make_tensors(), solo_opts);
    double base_tps = 0, base_p50 = 0;
    for (int n : streams) {
      for (const rwkv::Model* which : {&m, static_cast<const rwkv::Model*>(unbatched.get())}) {
        const rwkv::bench::ConcurrentResult r = rwkv::bench::concurrent_decode(*which, n, steps);
        const bool batched = which == &m;
        if (batched && base_tps == 0) base_tps = r.tokens_per_s, base_p50 = r.p50_ms;
        const double prefill = rwkv::bench::concurrent_prefill(*which, n, seq);
        std::printf("streams N=%-3d %-9s decode %8.1f tokens/s aggregate (%4.2fx N=1), step p50 %7.1f ms p99 %7.1f ms "
                    "(%4.2fx / %4.2fx solo p50); prefill T=%d %8.1f tokens/s aggregate%s\n",
                    n, batched ? "batched" : "unbatched", r.tokens_per_s, r.tokens_per_s / base_tps, r.p50_ms, r.p99_ms,
                    r.p50_ms / base_p50, r.p99_ms / base_p50, seq, prefill,
                    batched ? (", " + std::to_string(r.streams_per_pass).substr(0, 4) + " streams per pass").c_str()
                            : "");
      }
    }
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) { return rwkv::cli::run_tool("rwkv-bench", argc, argv, run); }
