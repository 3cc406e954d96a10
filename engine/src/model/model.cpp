#include "rwkv/model.h"

#include <algorithm>
#include <vector>

#include "arch/hparams.h"
#include "tensor/quantize.h"
#include "rwkv/error.h"
#include "rwkv/log.h"
#include "rwkv/formats.h"
#include "model/device_backend.h"
#include "model/runner.h"
#include "model/scheduler.h"

namespace rwkv {

namespace {

// Options of the CPU backend alone, said once where the model runs on the GPU.
void warn_gpu_quantize(const LoadOptions& opts) {
  if (opts.quantize)
    log(LogLevel::Warning, std::string("quantize=") + dtype_name(*opts.quantize) + " applies to the CPU backend; the GPU runs the checkpoint's own weights");
  if (opts.bf16_products)
    log(LogLevel::Warning, "bf16 products apply to the CPU backend; the GPU computes in its own operand type");
}

// The runner for opts.device; `device` receives where it runs ("cpu" or "cuda:N"). The
// CUDA backend is a module loaded only when a device other than the CPU is asked for (or
// auto finds an NVIDIA GPU).
std::unique_ptr<Runner> make_runner(const ModelInfo& info, TensorMap& tensors, const LoadOptions& opts,
                                    std::string& device) {
  const std::string& d = opts.device;
  const bool cuda = d == "cuda" || d.rfind("cuda:", 0) == 0;
  if (d != "cpu" && d != "auto" && !cuda)
    throw Error("unknown device '" + d + "' (expected cpu, cuda, cuda:N or auto)");
  if (cuda || d == "auto") {
    std::string why;
    DeviceBackend* gpu = cuda_backend(&why);
    if (cuda) {
      if (!gpu) throw Error("device '" + d + "' is not available: " + why);
      warn_gpu_quantize(opts);
      return gpu->make_runner(info, tensors, d, &device);
    }
    if (!gpu) {
      log(LogLevel::Info, "device auto: " + why + ", running on the CPU");
    } else if (std::string none; gpu->device_count(&none) == 0) {
      log(none.empty() ? LogLevel::Info : LogLevel::Warning,
          "device auto: no CUDA device found" + (none.empty() ? "" : " (" + none + ")") + ", running on the CPU");
    } else {
      try {
        auto runner = gpu->make_runner(info, tensors, "cuda", &device);
        warn_gpu_quantize(opts);
        return runner;
      } catch (const Error& e) {
        log(LogLevel::Warning, std::string("device auto: cannot run on cuda:0 (") + e.what() + "), running on the CPU");
      }
    }
  }
  device = "cpu";
  return make_cpu_runner(info, tensors, opts);
}

void check_distinct(std::vector<uintptr_t> keys, const char* what) {
  std::sort(keys.begin(), keys.end());
  if (std::adjacent_find(keys.begin(), keys.end()) != keys.end())
    throw Error(std::string("the same ") + what + " appears twice in a batch");
}

}  // namespace

Model::~Model() = default;

std::shared_ptr<Model> Model::load(const std::string& path, const LoadOptions& opts) {
  return from_tensors(load_checkpoint(path), opts);
}

std::shared_ptr<Model> Model::from_tensors(TensorMap tensors, const LoadOptions& opts) {
  std::shared_ptr<Model> m(new Model());
  m->tensors_ = std::move(tensors);
  try {
    m->info_ = detect_model(m->tensors_, opts);
    if (opts.quantize) quantized_type(*opts.quantize);  // a clear error before loading
    m->runner_ = make_runner(m->info_, m->tensors_, opts, m->device_);
    if (opts.batch_streams)
      m->scheduler_ = std::make_unique<Scheduler>(*m->runner_, std::chrono::microseconds(std::max(0, opts.batch_wait_us)));
  } catch (const Error& e) {
    if (m->tensors_.source.empty()) throw;
    throw Error(m->tensors_.source + ": " + e.what());
  }
  return m;
}

int Model::threads() const { return runner_->threads(); }

State Model::new_state() const { return State(info_); }

uint64_t Model::weight_bytes_per_token() const { return runner_->weight_bytes(); }

uint64_t Model::fingerprint() const {
  std::call_once(fingerprint_once_, [this] {
    uint64_t h = 0xcbf29ce484222325ull;  // FNV-1a
    auto mix = [&h](const void* p, size_t n) {
      const auto* b = static_cast<const uint8_t*>(p);
      for (size_t i = 0; i < n; i++) h = (h ^ b[i]) * 0x100000001b3ull;
    };
    for (const auto& [name, t] : tensors_.tensors()) {
      mix(name.data(), name.size());
      mix(&t.dtype, sizeof t.dtype);
      for (int64_t d : t.shape) mix(&d, sizeof d);
      // Small tensors whole; large ones through 64 windows spread over their bytes.
      constexpr size_t kWindow = 256, kWindows = 64;
      if (t.nbytes <= kWindow * kWindows) {
        mix(t.data, t.nbytes);
      } else {
        for (size_t i = 0; i < kWindows; i++) mix(t.data + (t.nbytes - kWindow) / (kWindows - 1) * i, kWindow);
      }
    }
    fingerprint_ = h;
  });
  return fingerprint_;
}

void Model::eval(State& state, std::span<const uint32_t> tokens, float* logits, Logits which) const {
  if (!scheduler_) return runner_->eval(state, tokens, logits, which);
  // Checked here, so that a bad call fails alone and not the pass it would have joined.
  check_state_fits(state, info_);
  check_tokens_fit(tokens, info_);
  if (tokens.empty()) return;
  scheduler_->eval(state, tokens, logits, which);
}

void Model::eval_batch(std::span<State* const> states, std::span<const uint32_t> tokens, float* logits) const {
  if (states.empty()) {
    if (!tokens.empty()) throw Error("tokens given for an empty batch of states");
    return;
  }
  if (tokens.size() % states.size() != 0)
    throw Error(std::to_string(tokens.size()) + " tokens cannot be shared out evenly among " +
                std::to_string(states.size()) + " states");
  std::vector<uintptr_t> keys;
  for (const State* s : states) {
    if (!s) throw Error("null state in a batch");
    keys.push_back(reinterpret_cast<uintptr_t>(s));
  }
  check_distinct(std::move(keys), "state");
  runner_->eval_batch(states, tokens, logits);
}

BatchStats Model::batch_stats() const { return scheduler_ ? scheduler_->stats() : BatchStats{}; }

std::unique_ptr<StateBatch> Model::new_state_batch(size_t n) const { return runner_->new_state_batch(n); }

void Model::eval_batch(StateBatch& batch, std::span<const uint32_t> tokens, float* logits,
                       std::span<const size_t> slots) const {
  const size_t n = slots.empty() ? batch.size() : slots.size();
  if (n == 0) {
    if (!tokens.empty()) throw Error("tokens given for an empty batch of states");
    return;
  }
  if (tokens.size() % n != 0)
    throw Error(std::to_string(tokens.size()) + " tokens cannot be shared out evenly among " + std::to_string(n) +
                " states");
  for (size_t s : slots)
    if (s >= batch.size())
      throw Error("slot " + std::to_string(s) + " is out of range (a batch of " + std::to_string(batch.size()) +
                  " states)");
  check_distinct(std::vector<uintptr_t>(slots.begin(), slots.end()), "slot");
  runner_->eval_batch(batch, tokens, logits, slots);
}

}  // namespace rwkv
