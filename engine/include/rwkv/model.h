// A loaded RWKV model: read-only weights shared by any number of states. Thread-safe for
// concurrent eval() calls on different states.
#pragma once
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>

#include "rwkv/state.h"
#include "rwkv/tensor.h"

namespace rwkv {

struct LoadOptions {
  int threads = 0;            // CPU worker threads; 0 = all cores
  // "cpu", "cuda" (GPU 0), "cuda:N", or "auto": the first GPU when one is present (and the
  // model runs there), else the CPU, saying so on stderr.
  std::string device = "cpu";
  float groupnorm_eps = 0;    // 0 = the model's default (see ModelInfo::groupnorm_eps)
  // Concurrent eval() calls on different states (sessions, elements on their own threads)
  // run as batched passes: B streams read every weight once per pass. Off: each call runs
  // on its own, as the runner would.
  bool batch_streams = true;
  // How long a pass waits for the streams of the previous pass to come back (µs); a caller
  // alone on the model never waits.
  int batch_wait_us = 2000;
  // Matrices of an fp32/fp16/bf16 checkpoint quantized as it loads, to run in less memory and
  // read fewer bytes per token: Q8_0, Q5_1, Q5_0, Q4_1 or Q4_0 (quantized_type_from_name()
  // reads a name); none keeps them. As
  // rwkv.cpp's quantizer does, the embedding, the head and the low-rank matrices stay as they
  // are; quantize_head includes the head. The CPU backend only (the GPU converts to its type).
  std::optional<DType> quantize;
  bool quantize_head = false;
  // Quantized checkpoints run quantized (the CPU kernels read the blocks); true converts them
  // to fp32 at load instead: the reference the quantized kernels are tested against.
  bool dequantize = false;
  // Opt-in, the CPU backend only: the matrix products in bf16 where the CPU has AVX-512 BF16
  // (vdpbf16ps: twice the fp32 multiply-add rate, for batched streams and prefill, which are
  // bound by arithmetic). fp32, fp16 and bf16 matrices are rounded to bf16 as they load (the
  // head too; quantized ones stay as they are) and each product's activations to bf16, summed
  // in fp32. Results move off the exact path (README: bf16 products gives the measured
  // bound); a CPU without the instructions runs the bf16 weights against fp32 activations.
  bool bf16_products = false;
};

// How eval() calls were batched (LoadOptions::batch_streams): `requests` pieces of work
// (a call, or a slice of a long one) ran in `passes` passes.
struct BatchStats {
  uint64_t passes = 0, requests = 0;
};

// Which logits eval() writes.
enum class Logits { None, Last, All };

class Runner;
class Scheduler;

// The model used when none is named: $RWKV_MODEL when set, else the bundled model installed
// with the engine (share/gst-rwkv/models/rwkv4-tiny-en.pth of its installation); "" if neither.
std::string default_model_path();

// A fixed number of states kept where the model computes (GPU memory for a CUDA model, host
// memory for the CPU), for streams fed token after token: Model::eval_batch on it moves no
// state between host and device, where the State overloads copy each state in and out on
// every call. Slots start as the initial state; load() and store() copy a State in and
// out. Made by Model::new_state_batch; must not outlive the model; one caller at a time.
class StateBatch {
 public:
  virtual ~StateBatch() = default;
  virtual size_t size() const = 0;
  virtual void load(size_t slot, const State& state) = 0;
  virtual void store(size_t slot, State& state) const = 0;  // tokens_seen too
};

// What a checkpoint is, without loading it: the file is mapped and its tensor directory read
// (no weights converted, uploaded or bound, no runner built), so inspecting a model of any
// size takes milliseconds. For its tokenizer: tokenizer_for_model(info, tensors).
struct Checkpoint {
  ModelInfo info;
  TensorMap tensors;  // canonical names, mapped from the file
};
Checkpoint inspect(const std::string& path);

class Model {
 public:
  static std::shared_ptr<Model> load(const std::string& path, const LoadOptions& opts = {});
  // From an already canonical tensor map (takes ownership).
  static std::shared_ptr<Model> from_tensors(TensorMap tensors, const LoadOptions& opts = {});
  ~Model();

  const ModelInfo& info() const { return info_; }
  const TensorMap& tensors() const { return tensors_; }
  int threads() const;
  // Where the model runs: "cpu" or "cuda:N".
  const std::string& device() const { return device_; }

  State new_state() const;
  // The initial state of a state-tuned RWKV-5/6/7 model: reads a state file (a BlinkDL .pth,
  // or any checkpoint format) holding blocks.<l>.att.time_state [H, N, N] for every layer, as
  // RWKV state tuning saves them (each the transpose of the S layout state.h documents); the
  // token-shift vectors start at zero. Keep the result and fork() it for each new stream.
  // Throws naming the file and the tensor that is missing or mis-shaped.
  State load_initial_state(const std::string& path) const;

  // Bytes of weights a token reads, as the backend holds them (after any conversion or
  // quantization at load; the embedding's one row left out): what decode streams from memory.
  uint64_t weight_bytes_per_token() const;

  // A hash of the weights (names, shapes, dtypes and sampled bytes of every tensor), so a
  // saved state can name the model it belongs to. Computed once, on first use.
  uint64_t fingerprint() const;

  // Feeds tokens into the state (updated in place). logits receives n_vocab floats for the
  // last token (Logits::Last) or for every token, token-major (Logits::All). Calls from
  // several threads on different states are batched together (LoadOptions::batch_streams);
  // each state's results are exactly those it would get alone.
  void eval(State& state, std::span<const uint32_t> tokens, float* logits,
            Logits which = Logits::Last) const;

  // Feeds T = tokens.size() / states.size() tokens to each of the states (tokens state-major:
  // T for states[0], then T for states[1], ...); logits, unless null, receives the last
  // token's n_vocab logits for each state. With T = 1 this is step mode for many streams:
  // the GPU runs them as one batch; the CPU feeds them one after another. Each state must
  // appear once.
  void eval_batch(std::span<State* const> states, std::span<const uint32_t> tokens, float* logits) const;

  BatchStats batch_stats() const;

  // n initial states held where the model computes (see StateBatch).
  std::unique_ptr<StateBatch> new_state_batch(size_t n) const;
  // As above for the listed slots of `batch` (every slot, in order, when `slots` is empty):
  // T = tokens.size() / slots tokens each, logits for each slot's last token.
  void eval_batch(StateBatch& batch, std::span<const uint32_t> tokens, float* logits,
                  std::span<const size_t> slots = {}) const;

 private:
  Model() = default;
  ModelInfo info_;
  TensorMap tensors_;
  std::unique_ptr<Runner> runner_;
  std::unique_ptr<Scheduler> scheduler_;  // null with batch_streams off
  std::string device_ = "cpu";
  mutable std::once_flag fingerprint_once_;
  mutable uint64_t fingerprint_ = 0;
};

}  // namespace rwkv
