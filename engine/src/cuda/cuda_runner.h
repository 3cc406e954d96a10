// The GPU backend's runner: weights and scratch in device memory, the embedding (LayerNorm
// ln0 applied to the whole table at load), ln_out + head for the tokens whose logits are
// wanted, between them a version's layers (cuda/layers.cpp), and the
// way work reaches the device:
//  - A State stays in device memory between calls (state/resident.h): its first call copies
//    it into a slot, later calls run the slot where it is (gathered into the working slots and
//    scattered back, device to device), and its host copy is fetched only when it is read
//    (saved, forked, inspected, or fed to another backend). On error the slots are left as
//    they were (a pass works on the gathered copies).
//  - A StateBatch (state_batch.h) keeps its states in device memory: a pass works on its
//    slots in place (all slots, in order) or gathers the listed slots into working slots
//    and scatters them back, device to device. Nothing crosses the bus but tokens and logits.
//  - Step mode (one token for each of B streams) is captured once per (states, B, logits
//    wanted) as a CUDA graph -- slots gathered, every layer, head, slots scattered -- and
//    replayed.
//  - Sequence mode runs chunks of up to kRows rows (tokens x streams) with matrix-matrix
//    products, each recurrence scanned over the chunk in one launch per layer; the next
//    chunk's token ids are queued while one runs (two pinned halves).
// Nothing is allocated per token: scratch is sized for kRows at load, the working slots and
// logits staging for the widest batch seen, the States' slots for the most States held. Calls are serialised on the model's stream.
// RWKV_CUDA_GRAPHS=0 in the environment at load runs step mode with plain launches.
#pragma once
#include <map>
#include <set>
#include <memory>
#include <mutex>
#include <tuple>

#include "arch/ends.h"
#include "cuda/channel_mix.h"
#include "cuda/exec.h"
#include "cuda/pass_buffers.h"
#include "state/resident.h"
#include "cuda/upload.h"
#include "model/runner.h"

namespace rwkv::cuda {

class CudaStateBatch;

class CudaRunner : public Runner {
 public:
  static constexpr int kRows = 1024;       // rows (tokens x streams) per pass
  static constexpr int kMaxStreams = 256;  // streams per pass, and rows per head product

  CudaRunner(const ModelInfo& info, const TensorMap& tensors, const Device& dev);
  ~CudaRunner() override;

  void eval(State& state, std::span<const uint32_t> tokens, float* logits, Logits which) override;
  // One batched pass per group of streams; state batches stay in device memory.
  void eval_batch(std::span<State* const> states, std::span<const uint32_t> tokens, float* logits) override;
  std::unique_ptr<StateBatch> new_state_batch(size_t n) override;
  void eval_batch(StateBatch& batch, std::span<const uint32_t> tokens, float* logits,
                  std::span<const size_t> slots) override;
  int threads() const override { return 1; }
  uint64_t weight_bytes() const override { return up_.bound_bytes(); }
  int pass_rows() const override { return kRows; }

  // A state batch's device memory, under the runner's lock and on its stream, so that a
  // copy is ordered against every pass and never overlaps one running in another thread.
  // Each returns with its copies done.
  void init_slots(float* first, size_t n);      // n initial states from `first` on
  void put_state(float* slot, const State& s);  // checks that s belongs to this model
  void get_state(const float* slot, State& s);

  // Scratch for kRows rows, for the layer sequences' Scratch (arch/layer_ops.h).
  float* floats(size_t per_row, const std::string& what);
  void* operands(size_t per_row, const std::string& what);  // in the operand type
  FGroup floats(int n, size_t per_row, const std::string& what);
  OpGroup operands(int n, size_t per_row, const std::string& what);

  const Device& device() const { return dev_; }
  ElemType operand_type() const { return type_; }
  size_t state_floats() const { return state_floats_; }

 protected:
  // Enqueues every layer over x_ [B*T, C] (rows stream-major); stream b's state is at
  // state_ + b*state_floats_.
  virtual void layers(int B, int T) = 0;

  Exec exec() const { return Exec{&dev_, stream_, blas_.get(), type_}; }
  // What the layers of a pass work on (the residual stream, the states, shared scratch).
  const PassBuffers& pass_buffers() const { return pass_; }

  Device dev_;
  ElemType type_;
  cudaStream_t stream_ = nullptr;
  std::unique_ptr<Blas> blas_;
  DevicePool pool_;
  Uploader up_;  // for the constructors (it refers to the tensor map), then its tally
  float* x_ = nullptr;
  size_t per_layer_ = 0, state_floats_ = 0;
  float* state_ = nullptr;  // the current pass's states
  PassBuffers pass_;

 private:
  // Where a pass finds its B states.
  enum class Source {
    InPlace,   // consecutive slots of a batch, from `batch` on
    Gathered,  // the slots of a batch listed in slots_host_, via the working slots
  };
  struct Pass {
    Source source = Source::Gathered;
    float* batch = nullptr;
    int B = 0;
  };
  // Runs T = tokens.size() / B tokens for each stream; logits as eval_batch, or every token's
  // with Logits::All (B = 1; those go straight to `logits`). Returns whether the last
  // logits wait in logits_host_. When it throws, what it queued has finished.
  bool run(const Pass& p, std::span<const uint32_t> tokens, float* logits, Logits which);
  bool run_queued(const Pass& p, std::span<const uint32_t> tokens, float* logits, Logits which);
  void run_states(std::span<State* const> states, std::span<const uint32_t> tokens, float* logits, Logits which);
  void check_states(std::span<State* const> states) const;
  void reserve(int B, bool work);
  void states_in(const Pass& p);
  void states_out(const Pass& p);
  void enqueue_step(const Pass& p, bool logits);
  void enqueue_forward(int B, int T);
  void enqueue_head(int rows, size_t first, size_t stride);
  using GraphKey = std::tuple<const float*, int, int, bool>;  // slots (unless staged), source, B, logits
  static GraphKey graph_key(const Pass& p, bool logits);
  cudaGraphExec_t step_graph(const Pass& p, bool logits);
  cudaGraphExec_t step_graph_or_null(const Pass& p, bool logits);
  void drop_graphs();
  void load_embedding(const float* ln0_w, const float* ln0_b);  // ln0 on the device

  ElemType emb_type_ = ElemType::F32;
  const void* emb_ = nullptr;  // [V, C], ln0 applied
  arch::Norm<Uploader> ln_out_;
  DeviceMatrix head_;
  uint32_t* tokens_dev_ = nullptr;
  uint32_t* slots_dev_ = nullptr;  // [kMaxStreams]
  void* head_in_ = nullptr;        // [kMaxStreams, C] operand type
  float* logits_dev_ = nullptr;    // [kMaxStreams, V]
  PinnedBuffer tokens_host_;       // [2][kRows]: step mode uses the first half
  cudaEvent_t tokens_copied_[2] = {};  // sequence mode: each half's last copy to the device
  PinnedBuffer slots_host_;        // [kMaxStreams]
  int logits_cap_ = 0, work_cap_ = 0;  // streams each buffer holds
  DeviceBuffer work_;              // working slots
  PinnedBuffer logits_host_;
  // The slots of the States this model ran (state/resident.h), one device buffer.
  class Slots final : public SlotStore {
   public:
    explicit Slots(CudaRunner& r) : r_(r) {}
    void grow(size_t slots) override;
    void copy_in(size_t slot, const float* host) override;
    void copy_out(size_t slot, float* host) override;
    float* base() const { return buf_.as<float>(); }
    void clear() { buf_ = DeviceBuffer(); }

   private:
    CudaRunner& r_;
    DeviceBuffer buf_;
    size_t capacity_ = 0;
  };
  Slots slots_{*this};
  std::unique_ptr<ResidentStates> residents_;
  std::map<GraphKey, cudaGraphExec_t> graphs_;
  std::set<GraphKey> ran_plainly_;  // keys whose first step ran without a graph
  bool use_graphs_ = true;  // false from the start with RWKV_CUDA_GRAPHS=0, or once a capture failed
  bool require_graphs_ = false;  // RWKV_CUDA_GRAPHS=require: a failed capture throws
  std::mutex mu_;
};

// The runner of the model's version (cuda/layers.cpp).
std::unique_ptr<CudaRunner> make_runner(const ModelInfo& info, const TensorMap& tensors, const Device& dev);

}  // namespace rwkv::cuda
