#include "device_math.cuh"
#include "v7_prepare.h"

namespace rwkv::cuda {

namespace {

constexpr float kDecayScale = 0.6065306597f;  // e^-0.5
constexpr float kNormEps = 1e-12f;

__global__ void v7_prepare_kernel(V7PrepareArgs p) {
  const int H = p.C / p.N, N = p.N;
  const int group = blockIdx.x * (blockDim.x / 32) + threadIdx.x / 32, lane = threadIdx.x & 31;
  if (group >= p.rows * H) return;  // whole warps leave together
  const int h = group % H;
  const size_t base = size_t(group / H) * p.C + size_t(h) * N;

  float ss = 0;
  for (int i = lane; i < N; i += 32) {
    const float kk = p.k[base + i] * p.k_k[h * N + i];
    ss += kk * kk;
  }
  const float norm = 1.0f / fmaxf(sqrtf(warp_sum(ss)), kNormEps);
  for (int i = lane; i < N; i += 32) {
    const int c = h * N + i;
    const size_t e = base + i;
    p.w[e] = expf(-kDecayScale * sigmoid(p.w0[c] + p.w[e]));
    const float a = sigmoid(p.a0[c] + p.a[e]);
    const float kk = p.k[e] * p.k_k[c] * norm;
    p.k[e] *= 1.0f + (a - 1.0f) * p.k_a[c];
    p.a[e] = kk * a;
    p.neg_kk[e] = -kk;
    if (p.v_lora) p.v[e] += (p.v_first[e] - p.v[e]) * sigmoid(p.v0[c] + p.v_lora[e]);
    else p.v_first[e] = p.v[e];
  }
}

}  // namespace

cudaError_t v7_prepare(const V7PrepareArgs& a, cudaStream_t s) {
  const int groups = a.rows * (a.C / a.N);
  if (groups == 0) return cudaSuccess;
  constexpr int kWarps = 8;
  v7_prepare_kernel<<<(groups + kWarps - 1) / kWarps, kWarps * 32, 0, s>>>(a);
  return cudaGetLastError();
}

}  // namespace rwkv::cuda
