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

void Model::eval(State& state, std::span<const uint32_t> tokens, float* logits, Logits which) const {
  runner_->eval(state, tokens, logits, which);
}

}  // namespace rwkv
