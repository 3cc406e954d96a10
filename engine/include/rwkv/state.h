// The recurrent state of one stream: constant size, copied to fork, serialised to bytes.
#pragma once
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace rwkv {

enum class Arch { V4, V5_1, V5_2, V6, V7 };
const char* arch_name(Arch a);  // "rwkv4", "rwkv5.1", "rwkv5.2", "rwkv6", "rwkv7"

struct ModelInfo {
  Arch arch = Arch::V4;
  int n_vocab = 0, n_embd = 0, n_layer = 0;
  int n_head = 0, head_size = 0;  // 0 for v4
  int n_ffn = 0;
  float groupnorm_eps = 0;        // v5+ GroupNorm epsilon
  std::string weight_dtype;       // dtype of the large matrices in the file
  std::string format;             // checkpoint format
};

// Per layer, floats: v4: att_x, aa, bb, pp, ffn_x (C each);
// v5/v6/v7: att_x (C), ffn_x (C), S (H*N*N): per head an N x N row-major matrix S[h][i][j],
// i the key and j the value channel for v5/v6, i the value and j the key channel for v7 (as
// BlinkDL's inference code holds them; state-tuned time_state tensors are their transpose).
size_t state_floats_per_layer(const ModelInfo& info);

class StateHome;  // where a GPU model keeps a state between calls (engine-internal)

class State {
 public:
  State() = default;
  explicit State(const ModelInfo& info);  // the initial state
  // A copy takes the values (fetched from the GPU if they are there), never the GPU's copy;
  // a move takes both.
  State(const State& other);
  State& operator=(const State& other);
  State(State&&) noexcept = default;
  State& operator=(State&&) noexcept = default;
  ~State();

  State fork() const { return *this; }
  void reset();

  Arch arch() const { return arch_; }
  int n_layer() const { return n_layer_; }
  int n_embd() const { return n_embd_; }
  int n_head() const { return n_head_; }
  size_t per_layer() const { return per_layer_; }
  size_t size() const { return data_.size(); }  // floats
  // The values. A GPU model keeps a state it ran in GPU memory until the next call, so that a
  // stream fed token after token crosses the bus once: reading the values here copies them
  // back (once; they stay current until the next call), writing them through the non-const
  // accessors makes the next call copy them in. The CPU reads them in place.
  std::span<float> layer(int l) { return {host() + l * per_layer_, per_layer_}; }
  std::span<const float> layer(int l) const { return {host() + l * per_layer_, per_layer_}; }
  std::span<float> data() { return {host(), data_.size()}; }
  std::span<const float> data() const { return {host(), data_.size()}; }
  uint64_t tokens_seen = 0;

  // Bytes: magic, version, arch, dimensions, tokens_seen, floats, CRC-32.
  std::vector<uint8_t> serialize() const;
  // Checks the bytes against the model's shape; throws naming the mismatch or corruption.
  static State deserialize(const ModelInfo& info, std::span<const uint8_t> bytes);

 private:
  friend class ResidentStates;
  // The values current on the host; the non-const one also marks the GPU's copy stale.
  float* host() {
    if (home_) leave_home(true);
    return data_.data();
  }
  const float* host() const {
    if (home_) leave_home(false);
    return data_.data();
  }
  void leave_home(bool writing) const;

  Arch arch_ = Arch::V4;
  int n_layer_ = 0, n_embd_ = 0, n_head_ = 0;
  size_t per_layer_ = 0;
  mutable std::vector<float> data_;
  mutable std::shared_ptr<StateHome> home_;
};

}  // namespace rwkv
