// Element-wise and normalisation operations of the CPU backend, over rows of C floats.
// A pass runs B streams, each its own number of tokens: rows are stream-major (stream b's are
// first[b] .. first[b + 1] - 1), and what a stream carries between tokens lives in its State
// (StatePart).
#pragma once
#include <cmath>
#include <cstddef>
#include <span>

#include "rwkv/state.h"

namespace rwkv::cpu {

// One piece of every stream's state in a layer: stream b's is at(b), its rows in the pass
// first[b] .. first[b + 1] - 1.
struct StatePart {
  std::span<State* const> states;
  std::span<const int> first;  // B + 1 entries
  int layer = 0;
  size_t offset = 0;  // floats into the layer
  int B() const { return int(states.size()); }
  int rows() const { return first.back(); }
  float* at(int b) const { return states[size_t(b)]->layer(layer).data() + offset; }
};

inline float sigmoid(float x) { return 1.0f / (1.0f + std::exp(-x)); }
inline float silu(float x) { return x / (1.0f + std::exp(-x)); }

// out[t] = LayerNorm(x[t]) for T rows of C (out may alias x).
void layer_norm(const float* x, float* out, int T, int C, const float* w, const float* b,
                float eps = 1e-5f);
// GroupNorm over H groups of C/H channels per row.
void group_norm(const float* x, float* out, int T, int C, int H, const float* w, const float* b,
                float eps);

// Token shift (v4/v5 form), per stream: prev = t ? x[t-1] : carry; out_j[t] = x[t]*m_j +
// prev*(1-m_j); then carry := the stream's last row (the state keeps the last normalised input).
void shift_mix(const float* x, const StatePart& carry, int C, const float* const* mix, float* const* out, int n_out);

// Token shift (v6/v7 form), step one, per stream: dx[t] = prev - x[t], then carry := its last row.
void shift_delta(const float* x, const StatePart& carry, int C, float* dx);
// Step two, per mix, over any number of rows: out[t] = x[t] + dx[t]*m (m a per-channel vector).
void lerp(const float* x, const float* dx, const float* m, int T, int C, float* out);

// Each group of N floats of x[T, C] scaled to unit L2 norm (norm clamped below by eps).
void l2_normalize_groups(float* x, int T, int C, int N, float eps);

}  // namespace rwkv::cpu
