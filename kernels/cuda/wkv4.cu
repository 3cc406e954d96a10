#include "device_math.cuh"
#include "wkv4.h"

namespace rwkv::cuda {

namespace {

template <class OutT>
__global__ void wkv4_kernel(Wkv4Args a) {
  const int idx = blockIdx.x * blockDim.x + threadIdx.x;
  if (idx >= a.B * a.C) return;
  const int b = idx / a.C, c = idx % a.C;
  float* st = a.aa + size_t(b) * a.state_stride + c;
  float aa = st[0], bb = st[a.C], pp = st[2 * a.C];
  const float u = a.first[c], w = a.decay[c];
  OutT* y = static_cast<OutT*>(a.y);
  for (int t = 0; t < a.T; t++) {
    const size_t i = (size_t(b) * a.T + t) * a.C + c;
    const float kt = a.k[i], vt = a.v[i];
    float ww = u + kt, q = fmaxf(pp, ww);
    float e1 = expf(pp - q), e2 = expf(ww - q);
    const float wkv = (e1 * aa + e2 * vt) / (e1 * bb + e2);
    ww = pp + w;
    q = fmaxf(ww, kt);
    e1 = expf(ww - q);
    e2 = expf(kt - q);
    aa = e1 * aa + e2 * vt;
    bb = e1 * bb + e2;
    pp = q;
    y[i] = from_f32<OutT>(sigmoid(a.r[i]) * wkv);
  }
  st[0] = aa;
  st[a.C] = bb;
  st[2 * a.C] = pp;
}

}  // namespace

cudaError_t wkv4(const Wkv4Args& a, ElemType type, cudaStream_t s) {
  const int n = a.B * a.C;
  if (n == 0) return cudaSuccess;
  constexpr int kThreads = 128;
  RWKV_DISPATCH_ELEM(type, T, wkv4_kernel<T><<<(n + kThreads - 1) / kThreads, kThreads, 0, s>>>(a));
  return cudaGetLastError();
}

}  // namespace rwkv::cuda
