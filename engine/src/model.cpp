#include "rwkv/model.h"

#include "arch/hparams.h"
#include "rwkv/error.h"
#include "rwkv/formats.h"
#include "runner.h"

namespace rwkv {

Model::~Model() = default;

std::shared_ptr<Model> Model::load(const std::string& path, const LoadOptions& opts) {
  return from_tensors(load_checkpoint(path), opts);
}

std::shared_ptr<Model> Model::from_tensors(TensorMap tensors, const LoadOptions& opts) {
  std::shared_ptr<Model> m(new Model());
  m->tensors_ = std::move(tensors);
  try {
    m->info_ = detect_model(m->tensors_, opts);
    if (opts.device != "cpu" && opts.device != "auto")
      throw Error("device '" + opts.device + "' is not available in this build (cpu only)");
    m->runner_ = make_cpu_runner(m->info_, m->tensors_, opts);
  } catch (const Error& e) {
    if (m->tensors_.source.empty()) throw;
    throw Error(m->tensors_.source + ": " + e.what());
  }
  return m;
}

int Model::threads() const { return runner_->threads(); }

State Model::new_state() const { return State(info_); }

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
  runner_->eval(state, tokens, logits, which);
}

}  // namespace rwkv
