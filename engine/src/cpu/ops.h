// Element-wise and normalisation operations of the CPU backend, over rows of C floats.
#pragma once
#include <cmath>
#include <cstddef>

namespace rwkv::cpu {

inline float sigmoid(float x) { return 1.0f / (1.0f + std::exp(-x)); }
inline float silu(float x) { return x / (1.0f + std::exp(-x)); }

// out[t] = LayerNorm(x[t]) for T rows of C (out may alias x).
void layer_norm(const float* x, float* out, int T, int C, const float* w, const float* b,
                float eps = 1e-5f);
// GroupNorm over H groups of C/H channels per row.
void group_norm(const float* x, float* out, int T, int C, int H, const float* w, const float* b,
                float eps);

// Token shift (v4/v5 form): prev = t ? x[t-1] : carry; out_j[t] = x[t]*m_j + prev*(1-m_j);
// then carry := x[T-1] (the state keeps the last normalised input).
void shift_mix(const float* x, float* carry, int T, int C, const float* const* mix, float* const* out,
               int n_out);

}  // namespace rwkv::cpu
