#include "device_math.cuh"
#include "norm.h"

namespace rwkv::cuda {

namespace {

constexpr float kLayerNormEps = 1e-5f;

int block_for(int C) { return C >= 256 ? 256 : (C + 31) / 32 * 32; }

// One block per row. Up to three rows are normalised: this one, the previous token's (the
// shift input, recomputed rather than shared so that no block waits for another) and, in
// the block of a stream's first token, the stream's last (the new carry). Only that block
// touches the carry, and each thread reads its channels' old values before writing them.
template <class OutT>
__global__ void ln_shift_mix_kernel(ShiftMixArgs a) {
  const int row = blockIdx.x, t = row % a.T, C = a.C;
  const float* xr = a.x + size_t(row) * C;
  const float* xp = t > 0 ? xr - C : nullptr;
  const float* xl = t == 0 && a.T > 1 ? xr + size_t(a.T - 1) * C : nullptr;
  float* carry = a.carry + size_t(row / a.T) * a.carry_stride;

  float s[3] = {0, 0, 0};
  for (int c = threadIdx.x; c < C; c += blockDim.x) {
    s[0] += xr[c];
    if (xp) s[1] += xp[c];
    if (xl) s[2] += xl[c];
  }
  block_sum(s);
  const float mean[3] = {s[0] / C, s[1] / C, s[2] / C};
  float q[3] = {0, 0, 0};
  for (int c = threadIdx.x; c < C; c += blockDim.x) {
    const float d0 = xr[c] - mean[0];
    q[0] += d0 * d0;
    if (xp) {
      const float d = xp[c] - mean[1];
      q[1] += d * d;
    }
    if (xl) {
      const float d = xl[c] - mean[2];
      q[2] += d * d;
    }
  }
  block_sum(q);
  float inv[3];
  for (int k = 0; k < 3; k++) inv[k] = 1.0f / sqrtf(q[k] / C + kLayerNormEps);

  for (int c = threadIdx.x; c < C; c += blockDim.x) {
    const float w = a.ln_w[c], b = a.ln_b[c];
    const float xx = (xr[c] - mean[0]) * inv[0] * w + b;
    const float prev = xp ? (xp[c] - mean[1]) * inv[1] * w + b : carry[c];
    if (t == 0) carry[c] = xl ? (xl[c] - mean[2]) * inv[2] * w + b : xx;
    const size_t i = size_t(row) * C + c;
    for (int j = 0; j < a.n_out; j++) {
      const float m = a.mix[j][c];
      const float v = a.delta ? xx + (prev - xx) * m : xx * m + prev * (1.0f - m);
      static_cast<OutT*>(a.out[j])[i] = from_f32<OutT>(v);
    }
    if (a.xx_out) a.xx_out[i] = xx;
    if (a.dx_out) a.dx_out[i] = prev - xx;
  }
}

template <class OutT>
__global__ void layer_norm_rows_kernel(const float* x, size_t first, size_t stride, int C, const float* w,
                                       const float* b, OutT* out) {
  const float* xr = x + (first + blockIdx.x * stride) * C;
  float s[1] = {0};
  for (int c = threadIdx.x; c < C; c += blockDim.x) s[0] += xr[c];
  block_sum(s);
  const float mean = s[0] / C;
  float q[1] = {0};
  for (int c = threadIdx.x; c < C; c += blockDim.x) {
    const float d = xr[c] - mean;
    q[0] += d * d;
  }
  block_sum(q);
  const float inv = 1.0f / sqrtf(q[0] / C + kLayerNormEps);
  OutT* o = out + size_t(blockIdx.x) * C;
  for (int c = threadIdx.x; c < C; c += blockDim.x) o[c] = from_f32<OutT>((xr[c] - mean) * inv * w[c] + b[c]);
}

// One warp per (row, head); the lanes stride over the head's N channels.
template <class OutT>
__global__ void wkv_output_kernel(WkvOutArgs a) {
  const int H = a.C / a.N, N = a.N;
  const int group = blockIdx.x * (blockDim.x / 32) + threadIdx.x / 32, lane = threadIdx.x & 31;
  if (group >= a.rows * H) return;  // whole warps leave together
  const int h = group % H;
  const size_t base = size_t(group / H) * a.C + size_t(h) * N;
  const float* y = a.y + base;

  float sum = 0;
  for (int i = lane; i < N; i += 32) sum += y[i];
  const float mean = warp_sum(sum) / N;
  float sq = 0, bonus = 0;
  for (int i = lane; i < N; i += 32) {
    const float d = y[i] - mean;
    sq += d * d;
    if (a.r_k) bonus += a.r[base + i] * a.k[base + i] * a.r_k[h * N + i];
  }
  const float inv = 1.0f / sqrtf(warp_sum(sq) / N + a.eps);
  if (a.r_k) bonus = warp_sum(bonus);
  OutT* out = static_cast<OutT*>(a.out) + base;
  for (int i = lane; i < N; i += 32) {
    const int c = h * N + i;
    float v = (y[i] - mean) * inv * a.ln_w[c] + a.ln_b[c];
    if (a.r_k) v += bonus * a.v[base + i];
    if (a.gate == Gate::Silu) v *= silu(a.g[base + i]);
    else if (a.gate == Gate::Plain) v *= a.g[base + i];
    out[i] = from_f32<OutT>(v);
  }
}

}  // namespace

cudaError_t ln_shift_mix(const ShiftMixArgs& a, ElemType type, cudaStream_t s) {
  if (a.rows == 0) return cudaSuccess;
  RWKV_DISPATCH_ELEM(type, T, ln_shift_mix_kernel<T><<<a.rows, block_for(a.C), 0, s>>>(a));
  return cudaGetLastError();
}

cudaError_t layer_norm_rows(const float* x, size_t first, size_t stride, int n, int C, const float* w,
                            const float* b, void* out, ElemType type, cudaStream_t s) {
  if (n == 0) return cudaSuccess;
  RWKV_DISPATCH_ELEM(type, T,
                     layer_norm_rows_kernel<T><<<n, block_for(C), 0, s>>>(x, first, stride, C, w, b,
                                                                           static_cast<T*>(out)));
  return cudaGetLastError();
}

cudaError_t wkv_output(const WkvOutArgs& a, ElemType type, cudaStream_t s) {
  const int groups = a.rows * (a.C / a.N);
  if (groups == 0) return cudaSuccess;
  constexpr int kWarps = 8;
  RWKV_DISPATCH_ELEM(type, T,
                     wkv_output_kernel<T><<<(groups + kWarps - 1) / kWarps, kWarps * 32, 0, s>>>(a));
  return cudaGetLastError();
}

}  // namespace rwkv::cuda
