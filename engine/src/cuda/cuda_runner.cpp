#include "cuda/cuda_runner.h"

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "kernels/cuda/elementwise.h"
#include "kernels/cuda/norm.h"
#include "cuda/state_batch.h"
#include "rwkv/error.h"
#include "rwkv/log.h"

namespace rwkv::cuda {

namespace {

// The products run in the checkpoint's own precision: fp32 stays fp32 (the reference),
// bf16 stays bf16, fp16 and quantized weights run in fp16.
ElemType operand_type_for(const TensorMap& m) {
  switch (m.get("blocks.0.att.key.weight").dtype) {
    case DType::F32: return ElemType::F32;
    case DType::BF16: return ElemType::BF16;
    default: return ElemType::F16;
  }
}

// RWKV_CUDA_GRAPHS: "0" plain launches only; "require" (the tests) a capture that fails is an
// error instead of a fallback to plain launches; anything else, graphs where they capture.
bool graphs_from_env() {
  const char* v = std::getenv("RWKV_CUDA_GRAPHS");
  return !(v && std::strcmp(v, "0") == 0);
}

bool graphs_required_by_env() {
  const char* v = std::getenv("RWKV_CUDA_GRAPHS");
  return v && std::strcmp(v, "require") == 0;
}

cudaStream_t new_stream(const Device& dev) {
  cudaStream_t s = nullptr;
  check(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking), dev, "cudaStreamCreate");
  return s;
}

}  // namespace

CudaRunner::CudaRunner(const ModelInfo& info, const TensorMap& tensors, const Device& dev)
    : Runner(info), dev_(dev), type_(operand_type_for(tensors)), stream_(new_stream(dev)), pool_(dev),
      up_(tensors, type_, pool_), per_layer_(state_floats_per_layer(info)),
      state_floats_(per_layer_ * size_t(info.n_layer)), use_graphs_(graphs_from_env()),
      require_graphs_(graphs_required_by_env()) {
  try {
    blas_ = std::make_unique<Blas>(dev_, stream_);
    const int C = info.n_embd, V = info.n_vocab;
    const arch::Ends<Uploader> ends = arch::bind_ends(up_, info);
    load_embedding(ends.ln0.w, ends.ln0.b);
    ln_out_ = ends.ln_out;
    head_ = ends.head;
    x_ = floats(size_t(C), "the residual stream");
    const size_t F = size_t(info.n_ffn), Cs = size_t(C);
    pass_.info = &info_;
    pass_.x = x_;
    pass_.per_layer = per_layer_;
    pass_.state_floats = state_floats_;
    pass_.y_op = operands(Cs, "the time mix's output");
    pass_.ffn.xk = operands(Cs, "the channel mix's inputs");
    pass_.ffn.xr = operands(Cs, "the channel mix's inputs");
    pass_.ffn.hidden = floats(F, "the channel mix's hidden layer");
    pass_.ffn.hidden_op = operands(F, "the channel mix's hidden layer");
    pass_.ffn.out = floats(Cs, "the channel mix's output");
    pass_.ffn.r = floats(Cs, "the channel mix's receptance");
    tokens_dev_ = pool_.alloc_n<uint32_t>(kRows, "token ids");
    slots_dev_ = pool_.alloc_n<uint32_t>(kMaxStreams, "slot numbers");
    head_in_ = pool_.alloc(size_t(kMaxStreams) * size_t(C) * elem_bytes(type_), "the head's input");
    logits_dev_ = pool_.alloc_n<float>(size_t(kMaxStreams) * size_t(V), "logits");
    tokens_host_ = PinnedBuffer(dev_, 2 * kRows * sizeof(uint32_t), "token ids");
    for (cudaEvent_t& e : tokens_copied_)
      check(cudaEventCreateWithFlags(&e, cudaEventDisableTiming), dev_, "cudaEventCreate");
    slots_host_ = PinnedBuffer(dev_, kMaxStreams * sizeof(uint32_t), "slot numbers");
    residents_ = std::make_unique<ResidentStates>(slots_, state_floats_);
  } catch (...) {
    for (cudaEvent_t e : tokens_copied_)
      if (e) cudaEventDestroy(e);
    blas_.reset();
    pool_.clear();
    cudaStreamDestroy(stream_);
    throw;
  }
}

CudaRunner::~CudaRunner() {
  int previous = -1;
  if (cudaGetDevice(&previous) != cudaSuccess) previous = -1;
  cudaSetDevice(dev_.index);
  cudaStreamSynchronize(stream_);
  residents_.reset();  // fetches every State still here, while the stream and slots exist
  slots_.clear();
  drop_graphs();
  blas_.reset();
  pool_.clear();
  work_ = DeviceBuffer();
  logits_host_ = PinnedBuffer();
  tokens_host_ = PinnedBuffer();
  for (cudaEvent_t e : tokens_copied_)
    if (e) cudaEventDestroy(e);
  slots_host_ = PinnedBuffer();
  cudaStreamDestroy(stream_);
  if (previous >= 0) cudaSetDevice(previous);
  cudaGetLastError();
}

float* CudaRunner::floats(size_t per_row, const std::string& what) {
  return pool_.alloc_n<float>(size_t(kRows) * per_row, what);
}

void* CudaRunner::operands(size_t per_row, const std::string& what) {
  return pool_.alloc(size_t(kRows) * per_row * elem_bytes(type_), what);
}

FGroup CudaRunner::floats(int n, size_t per_row, const std::string& what) {
  return {floats(size_t(n) * per_row, what), size_t(kRows) * per_row};
}

OpGroup CudaRunner::operands(int n, size_t per_row, const std::string& what) {
  return {operands(size_t(n) * per_row, what), size_t(kRows) * per_row, elem_bytes(type_)};
}

// ln0 is applied to the whole table once: a slice of rows at a time is converted to fp32 on
// the host, normalised on the device and stored in fp16 for 16-bit models (the values are
// LayerNorm outputs, well inside fp16's range), fp32 otherwise.
void CudaRunner::load_embedding(const float* w, const float* b) {
  const int C = info_.n_embd, V = info_.n_vocab;
  const Tensor& emb = up_.matrix_tensor("emb.weight", V, C);
  // ln0's vectors came up by plain cudaMemcpy, which may return before the copy from
  // pageable memory lands; the kernel below runs on a non-blocking stream.
  check(cudaDeviceSynchronize(), dev_, "uploading ln0");
  emb_type_ = type_ == ElemType::F32 ? ElemType::F32 : ElemType::F16;
  void* table = pool_.alloc(size_t(V) * size_t(C) * elem_bytes(emb_type_), "the embedding table");
  const int slice = std::max(1, std::min(V, (1 << 22) / C));
  std::vector<float> host(size_t(slice) * size_t(C));
  DeviceBuffer raw(dev_, host.size() * sizeof(float), "the embedding table (staging)");
  for (int r0 = 0; r0 < V; r0 += slice) {
    const int n = std::min(slice, V - r0);
    tensor_to_f32(emb, host.data(), uint64_t(r0) * uint64_t(C), uint64_t(n) * uint64_t(C));
    // On the model's stream, so the LayerNorm below reads the whole slice (a plain cudaMemcpy
    // is not ordered against a non-blocking stream). From pageable memory
    // the copy has taken the data when it returns; the sync below frees `raw` and `host`.
    check(cudaMemcpyAsync(raw.get(), host.data(), size_t(n) * size_t(C) * sizeof(float), cudaMemcpyHostToDevice,
                          stream_),
          dev_, "uploading tensor 'emb.weight'");
    check(layer_norm_rows(raw.as<float>(), 0, 1, n, C, w, b,
                          static_cast<uint8_t*>(table) + size_t(r0) * size_t(C) * elem_bytes(emb_type_), emb_type_,
                          stream_),
          dev_, "layer_norm_rows (ln0)");
    check(cudaStreamSynchronize(stream_), dev_, "applying ln0 to the embedding");
  }
  emb_ = table;
}

void CudaRunner::check_states(std::span<State* const> states) const {
  for (const State* s : states) {
    if (!s) throw Error("null state in a batch");
    check_state_fits(*s, info_);
  }
  if (states.size() > 1) {
    std::vector<const State*> sorted(states.begin(), states.end());
    std::sort(sorted.begin(), sorted.end());
    if (std::adjacent_find(sorted.begin(), sorted.end()) != sorted.end())
      throw Error("the same state appears twice in a batch");
  }
}

void CudaRunner::init_slots(float* first, size_t n) {
  if (n == 0) return;
  const State initial(info_);
  const size_t bytes = state_floats_ * sizeof(float);
  std::lock_guard<std::mutex> lock(mu_);
  DeviceGuard guard(dev_.index);
  // The initial state into the first slot, then doubled: slots [k, 2k) from [0, k).
  check(cudaMemcpyAsync(first, initial.data().data(), bytes, cudaMemcpyHostToDevice, stream_), dev_,
        "initialising a batch of states");
  for (size_t done = 1; done < n; done *= 2)
    check(cudaMemcpyAsync(first + done * state_floats_, first, std::min(done, n - done) * bytes,
                          cudaMemcpyDeviceToDevice, stream_),
          dev_, "initialising a batch of states");
  check(cudaStreamSynchronize(stream_), dev_, "initialising a batch of states");
}

// The State's values are read (fetched, if this GPU holds them) before the lock is taken.
void CudaRunner::put_state(float* slot, const State& s) {
  check_state_fits(s, info_);
  const float* host = s.data().data();
  std::lock_guard<std::mutex> lock(mu_);
  DeviceGuard guard(dev_.index);
  check(cudaMemcpyAsync(slot, host, state_floats_ * sizeof(float), cudaMemcpyHostToDevice, stream_), dev_,
        "copying a state into a batch");
  check(cudaStreamSynchronize(stream_), dev_, "copying a state into a batch");
}

void CudaRunner::get_state(const float* slot, State& s) {
  check_state_fits(s, info_);
  float* host = s.data().data();  // written here: any GPU copy of s is stale from now on
  std::lock_guard<std::mutex> lock(mu_);
  DeviceGuard guard(dev_.index);
  check(cudaMemcpyAsync(host, slot, state_floats_ * sizeof(float), cudaMemcpyDeviceToHost, stream_), dev_,
        "copying a state out of a batch");
  check(cudaStreamSynchronize(stream_), dev_, "copying a state out of a batch");
}

namespace {

// Streams per pass for T tokens each: as many as kRows rows hold, at most kMaxStreams.
size_t group_size(size_t T) {
  return std::min<size_t>(CudaRunner::kMaxStreams,
                          std::max<size_t>(1, CudaRunner::kRows / std::min<size_t>(T, CudaRunner::kRows)));
}

}  // namespace

void CudaRunner::eval(State& state, std::span<const uint32_t> tokens, float* logits, Logits which) {
  State* one = &state;
  check_states({&one, 1});
  check_tokens_fit(tokens, info_);
  if (tokens.empty()) return;
  residents_->adopt(state);
  std::lock_guard<std::mutex> lock(mu_);
  DeviceGuard guard(dev_.index);
  run_states({&one, 1}, tokens, logits, which);
}

void CudaRunner::eval_batch(std::span<State* const> states, std::span<const uint32_t> tokens, float* logits) {
  if (states.empty()) return;
  check_states(states);
  check_tokens_fit(tokens, info_);
  if (tokens.empty()) return;
  for (State* s : states) residents_->adopt(*s);
  const size_t T = tokens.size() / states.size(), V = size_t(info_.n_vocab), group = group_size(T);
  std::lock_guard<std::mutex> lock(mu_);
  DeviceGuard guard(dev_.index);
  for (size_t b0 = 0; b0 < states.size(); b0 += group) {
    const size_t n = std::min(group, states.size() - b0);
    run_states(states.subspan(b0, n), tokens.subspan(b0 * T, n * T), logits ? logits + b0 * V : nullptr,
               logits ? Logits::Last : Logits::None);
  }
}

std::unique_ptr<StateBatch> CudaRunner::new_state_batch(size_t n) {
  return std::make_unique<CudaStateBatch>(*this, n);
}

void CudaRunner::eval_batch(StateBatch& any, std::span<const uint32_t> tokens, float* logits,
                            std::span<const size_t> slots) {
  auto* b = dynamic_cast<CudaStateBatch*>(&any);
  if (!b || b->owner() != this) throw Error("the state batch belongs to another model");
  CudaStateBatch& batch = *b;
  const size_t n = slots.empty() ? batch.size() : slots.size();
  check_tokens_fit(tokens, info_);
  if (n == 0 || tokens.empty()) return;
  const size_t T = tokens.size() / n, V = size_t(info_.n_vocab), group = group_size(T);
  auto slot = [&](size_t i) { return slots.empty() ? i : slots[i]; };
  std::lock_guard<std::mutex> lock(mu_);
  DeviceGuard guard(dev_.index);
  for (size_t b0 = 0; b0 < n; b0 += group) {
    const int B = int(std::min(group, n - b0));
    bool consecutive = true;
    for (int b = 1; b < B; b++) consecutive = consecutive && slot(b0 + size_t(b)) == slot(b0) + size_t(b);
    Pass p;
    p.B = B;
    if (consecutive) {
      p.source = Source::InPlace;
      p.batch = batch.slot(slot(b0));
    } else {
      p.source = Source::Gathered;
      p.batch = batch.slot(0);
      for (int b = 0; b < B; b++) slots_host_.as<uint32_t>()[b] = uint32_t(slot(b0 + size_t(b)));
    }
    float* out = logits ? logits + b0 * V : nullptr;
    if (run(p, tokens.subspan(b0 * T, size_t(B) * T), out, logits ? Logits::Last : Logits::None))
      std::memcpy(out, logits_host_.get(), size_t(B) * V * sizeof(float));
    for (int b = 0; b < B; b++) batch.tokens_seen[slot(b0 + size_t(b))] += T;
  }
}

// Grows what a pass of B streams needs, to a power of two (so a scheduler whose batch
// wanders does not reallocate each time): the logits staging always, the working slots
// unless the states are used in place. Graphs refer to these buffers and are dropped when
// one moves.
void CudaRunner::reserve(int B, bool work) {
  int cap = 1;
  while (cap < B) cap *= 2;
  cap = std::min(cap, kMaxStreams);
  const std::string n = std::to_string(cap);
  const size_t state_bytes = size_t(cap) * state_floats_ * sizeof(float);
  if (B > logits_cap_) {
    drop_graphs();
    logits_host_ = PinnedBuffer();
    logits_cap_ = 0;
    logits_host_ = PinnedBuffer(dev_, size_t(cap) * size_t(info_.n_vocab) * sizeof(float),
                                "staging the logits of " + n + " streams");
    logits_cap_ = cap;
  }
  if (work && B > work_cap_) {
    drop_graphs();
    work_ = DeviceBuffer();
    work_cap_ = 0;
    work_ = DeviceBuffer(dev_, state_bytes, "the states of " + n + " streams");
    work_cap_ = cap;
  }
}

void CudaRunner::states_in(const Pass& p) {
  if (p.source == Source::Gathered) {
    check(cudaMemcpyAsync(slots_dev_, slots_host_.get(), size_t(p.B) * sizeof(uint32_t), cudaMemcpyHostToDevice,
                          stream_),
          dev_, "copying slot numbers to the device");
    check(gather_states(p.batch, slots_dev_, p.B, state_floats_, work_.as<float>(), stream_), dev_, "gather_states");
  }
}

void CudaRunner::states_out(const Pass& p) {
  if (p.source == Source::Gathered) {
    check(scatter_states(work_.as<float>(), slots_dev_, p.B, state_floats_, p.batch, stream_), dev_, "scatter_states");
  }
}

void CudaRunner::enqueue_forward(int B, int T) {
  const Exec e = exec();
  e.ok(embed_rows(emb_, emb_type_, tokens_dev_, B * T, info_.n_embd, x_, stream_), "embed_rows");
  layers(B, T);
}

// ln_out and the head for `rows` rows of x_ (first, first + stride, ...) into logits_dev_.
void CudaRunner::enqueue_head(int rows, size_t first, size_t stride) {
  const int C = info_.n_embd;
  exec().ok(layer_norm_rows(x_, first, stride, rows, C, ln_out_.w, ln_out_.b, head_in_, type_, stream_),
            "layer_norm_rows (ln_out)");
  blas_->gemm(head_, head_in_, size_t(C), rows, logits_dev_, size_t(info_.n_vocab));
}

void CudaRunner::enqueue_step(const Pass& p, bool logits) {
  check(cudaMemcpyAsync(tokens_dev_, tokens_host_.get(), size_t(p.B) * sizeof(uint32_t), cudaMemcpyHostToDevice,
                        stream_),
        dev_, "copying token ids to the device");
  states_in(p);
  enqueue_forward(p.B, 1);
  if (logits) {
    enqueue_head(p.B, 0, 1);
    check(cudaMemcpyAsync(logits_host_.get(), logits_dev_, size_t(p.B) * size_t(info_.n_vocab) * sizeof(float),
                          cudaMemcpyDeviceToHost, stream_),
          dev_, "copying logits from the device");
  }
  states_out(p);
}

CudaRunner::GraphKey CudaRunner::graph_key(const Pass& p, bool logits) {
  return std::make_tuple(p.batch, int(p.source), p.B, logits);
}

cudaGraphExec_t CudaRunner::step_graph(const Pass& p, bool logits) {
  const GraphKey key = graph_key(p, logits);
  if (auto it = graphs_.find(key); it != graphs_.end()) return it->second;
  // A bound on the graphs kept (a scheduler may step many different runs of slots).
  constexpr size_t kMaxGraphs = 64;
  if (graphs_.size() >= kMaxGraphs) drop_graphs();
  check(cudaStreamBeginCapture(stream_, cudaStreamCaptureModeThreadLocal), dev_, "cudaStreamBeginCapture");
  cudaGraph_t graph = nullptr;
  try {
    enqueue_step(p, logits);
  } catch (...) {
    if (cudaStreamEndCapture(stream_, &graph) == cudaSuccess && graph) cudaGraphDestroy(graph);
    cudaGetLastError();
    throw;
  }
  check(cudaStreamEndCapture(stream_, &graph), dev_, "cudaStreamEndCapture");
  cudaGraphExec_t exec = nullptr;
  const cudaError_t e = cudaGraphInstantiate(&exec, graph, 0);
  cudaGraphDestroy(graph);
  check(e, dev_, "cudaGraphInstantiate");
  graphs_.emplace(key, exec);
  return exec;
}

// The step graph, or null (and plain launches from now on, said once) when capturing or
// instantiating it fails: a driver or library that cannot capture costs speed, not the
// stream. An error that is not the capture's shows again in the plain launch. A step of a
// new shape runs plainly once before it is captured, so that nothing is first launched (and
// lazily loaded) inside a capture. With RWKV_CUDA_GRAPHS=require a failed capture throws.
cudaGraphExec_t CudaRunner::step_graph_or_null(const Pass& p, bool logits) {
  const GraphKey key = graph_key(p, logits);
  if (!graphs_.count(key) && ran_plainly_.insert(key).second) return nullptr;
  try {
    return step_graph(p, logits);
  } catch (const Error& e) {
    if (require_graphs_) throw;
    cudaStreamCaptureStatus status = cudaStreamCaptureStatusNone;
    if (cudaStreamIsCapturing(stream_, &status) == cudaSuccess && status != cudaStreamCaptureStatusNone) {
      cudaGraph_t graph = nullptr;
      if (cudaStreamEndCapture(stream_, &graph) == cudaSuccess && graph) cudaGraphDestroy(graph);
    }
    cudaGetLastError();  // clears a non-sticky error; a sticky one fails the plain launch too
    log(LogLevel::Warning, dev_.label() + ": CUDA graph capture failed (" + e.what() +
                               "); step mode runs with plain launches");
    use_graphs_ = false;
    return nullptr;
  }
}

void CudaRunner::drop_graphs() {
  for (auto& [key, g] : graphs_) cudaGraphExecDestroy(g);
  graphs_.clear();
  ran_plainly_.clear();
}

bool CudaRunner::run(const Pass& p, std::span<const uint32_t> tokens, float* logits, Logits which) {
  try {
    return run_queued(p, tokens, logits, which);
  } catch (...) {
    // Work queued before the failure may still read the pinned staging and the states: it
    // finishes before the caller reuses either (its own errors are the first one's echo).
    cudaStreamSynchronize(stream_);
    cudaGetLastError();
    throw;
  }
}

bool CudaRunner::run_queued(const Pass& p, std::span<const uint32_t> tokens, float* logits, Logits which) {
  const int B = p.B;
  const size_t T = tokens.size() / size_t(B), V = size_t(info_.n_vocab);
  const bool want = logits && which != Logits::None;
  reserve(B, p.source != Source::InPlace);
  state_ = p.source == Source::InPlace ? p.batch : work_.as<float>();
  pass_.state = state_;
  uint32_t* tok = tokens_host_.as<uint32_t>();

  bool staged = want;  // else the logits went straight to `logits`
  if (T == 1) {
    std::copy(tokens.begin(), tokens.end(), tok);
    cudaGraphExec_t graph = use_graphs_ ? step_graph_or_null(p, want) : nullptr;
    if (graph) check(cudaGraphLaunch(graph, stream_), dev_, "cudaGraphLaunch");
    else enqueue_step(p, want);
  } else {
    states_in(p);
    const int chunk = int(std::min<size_t>(T, size_t(std::max(1, kRows / B))));
    for (size_t t0 = 0, k = 0; t0 < T; t0 += size_t(chunk), k++) {
      const int n = int(std::min<size_t>(size_t(chunk), T - t0));
      // The token ids alternate between the two halves of the pinned buffer, so the next
      // chunk is filled and queued while this one runs; a half is refilled once the copy
      // from it two chunks ago has been made.
      const size_t half = k % 2;
      uint32_t* ids = tok + half * size_t(kRows);
      if (k >= 2) check(cudaEventSynchronize(tokens_copied_[half]), dev_, "running a chunk");
      for (int b = 0; b < B; b++)
        for (int t = 0; t < n; t++) ids[b * n + t] = tokens[size_t(b) * T + t0 + size_t(t)];
      check(cudaMemcpyAsync(tokens_dev_, ids, size_t(B) * size_t(n) * sizeof(uint32_t), cudaMemcpyHostToDevice,
                            stream_),
            dev_, "copying token ids to the device");
      check(cudaEventRecord(tokens_copied_[half], stream_), dev_, "cudaEventRecord");
      enqueue_forward(B, n);
      if (want && which == Logits::All) {  // B == 1 (batches ask for the last only)
        staged = false;
        for (int r0 = 0; r0 < n; r0 += kMaxStreams) {
          const int rows = std::min(kMaxStreams, n - r0);
          enqueue_head(rows, size_t(r0), 1);
          // To pageable memory: returns once copied, so logits_dev_ is free for the next rows.
          check(cudaMemcpyAsync(logits + (t0 + size_t(r0)) * V, logits_dev_, size_t(rows) * V * sizeof(float),
                                cudaMemcpyDeviceToHost, stream_),
                dev_, "copying logits from the device");
        }
      } else if (want && t0 + size_t(n) == T) {
        enqueue_head(B, size_t(n - 1), size_t(n));
        check(cudaMemcpyAsync(logits_host_.get(), logits_dev_, size_t(B) * V * sizeof(float), cudaMemcpyDeviceToHost,
                              stream_),
              dev_, "copying logits from the device");
      }
    }
    states_out(p);
  }
  check(cudaStreamSynchronize(stream_), dev_, "running the model");
  return staged;
}

// States in their slots (state/resident.h): each is copied in only when it has none or its
// host values changed; the pass gathers the slots and scatters them back.
void CudaRunner::run_states(std::span<State* const> states, std::span<const uint32_t> tokens, float* logits,
                            Logits which) {
  const int B = int(states.size());
  const size_t T = tokens.size() / states.size();
  const size_t capacity = residents_->capacity();
  uint32_t* slots = slots_host_.as<uint32_t>();
  for (int b = 0; b < B; b++) slots[b] = uint32_t(residents_->slot_of(*states[size_t(b)]));
  if (residents_->capacity() != capacity) drop_graphs();  // the slots moved
  Pass p;
  p.B = B;
  p.source = Source::Gathered;
  p.batch = slots_.base();
  if (run(p, tokens, logits, which))
    std::memcpy(logits, logits_host_.get(), size_t(B) * size_t(info_.n_vocab) * sizeof(float));
  for (int b = 0; b < B; b++) {
    residents_->wrote(*states[size_t(b)]);
    states[size_t(b)]->tokens_seen += T;
  }
}

void CudaRunner::Slots::grow(size_t slots) {
  const size_t bytes = r_.state_floats_ * sizeof(float);
  DeviceBuffer bigger(r_.dev_, slots * bytes, "the states of " + std::to_string(slots) + " streams");
  if (capacity_ > 0)
    check(cudaMemcpyAsync(bigger.get(), buf_.get(), capacity_ * bytes, cudaMemcpyDeviceToDevice, r_.stream_), r_.dev_,
          "moving the states to a larger buffer");
  check(cudaStreamSynchronize(r_.stream_), r_.dev_, "moving the states to a larger buffer");
  buf_ = std::move(bigger);
  capacity_ = slots;
}

// Under the runner's lock (slot_of runs in a pass's preparation).
void CudaRunner::Slots::copy_in(size_t slot, const float* host) {
  const size_t bytes = r_.state_floats_ * sizeof(float);
  check(cudaMemcpyAsync(base() + slot * r_.state_floats_, host, bytes, cudaMemcpyHostToDevice, r_.stream_), r_.dev_,
        "copying a state to the device");
  check(cudaStreamSynchronize(r_.stream_), r_.dev_, "copying a state to the device");
}

// From the thread reading a State: ordered against passes by the runner's lock.
void CudaRunner::Slots::copy_out(size_t slot, float* host) {
  std::lock_guard<std::mutex> lock(r_.mu_);
  DeviceGuard guard(r_.dev_.index);
  check(cudaMemcpyAsync(host, base() + slot * r_.state_floats_, r_.state_floats_ * sizeof(float),
                        cudaMemcpyDeviceToHost, r_.stream_),
        r_.dev_, "copying a state from the device");
  check(cudaStreamSynchronize(r_.stream_), r_.dev_, "copying a state from the device");
}

}  // namespace rwkv::cuda
