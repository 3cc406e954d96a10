#include <algorithm>
#include <type_traits>

#include "device_math.cuh"
#include "elementwise.h"

namespace rwkv::cuda {

namespace {

constexpr int kThreads = 256;

unsigned blocks_for(size_t n) { return unsigned((n + kThreads - 1) / kThreads); }

template <class T>
__global__ void embed_rows_kernel(const T* table, const uint32_t* tokens, int C, float* x) {
  const T* src = table + size_t(tokens[blockIdx.x]) * C;
  float* dst = x + size_t(blockIdx.x) * C;
  for (int c = threadIdx.x; c < C; c += blockDim.x) dst[c] = to_f32(src[c]);
}

template <class T>
__global__ void activate_kernel(const float* in, size_t n, Act act, T* out) {
  const size_t i = size_t(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= n) return;
  float v = in[i];
  switch (act) {
    case Act::None: break;
    case Act::Tanh: v = tanhf(v); break;
    case Act::Sigmoid: v = sigmoid(v); break;
    case Act::ReluSquare: v = fmaxf(v, 0.0f); v *= v; break;
  }
  // relu(k)^2 passes fp16's largest value once k > 256: saturate rather than feed inf (and
  // then NaN) into the next product.
  if constexpr (std::is_same<T, __half>::value) v = fminf(fmaxf(v, -65504.0f), 65504.0f);
  out[i] = from_f32<T>(v);
}

__global__ void add_gated_kernel(float* x, const float* r, const float* v, size_t n) {
  const size_t i = size_t(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i < n) x[i] += sigmoid(r[i]) * v[i];
}

__global__ void scale_kernel(float* x, size_t n, float factor) {
  const size_t i = size_t(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i < n) x[i] *= factor;
}

// blockIdx.y: the state; the x blocks stride over its values.
__global__ void move_states_kernel(const float* src, float* dst, const uint32_t* slots, size_t floats, bool gather) {
  const size_t b = blockIdx.y;
  const size_t from = (gather ? slots[b] : b) * floats, to = (gather ? b : slots[b]) * floats;
  for (size_t i = size_t(blockIdx.x) * blockDim.x + threadIdx.x; i < floats; i += size_t(gridDim.x) * blockDim.x)
    dst[to + i] = src[from + i];
}

cudaError_t move_states(const float* src, float* dst, const uint32_t* slots, int B, size_t floats, bool gather,
                        cudaStream_t s) {
  if (B == 0 || floats == 0) return cudaSuccess;
  const unsigned x = unsigned(std::min<size_t>(blocks_for(floats), 256));
  move_states_kernel<<<dim3(x, unsigned(B)), kThreads, 0, s>>>(src, dst, slots, floats, gather);
  return cudaGetLastError();
}

}  // namespace

cudaError_t gather_states(const float* batch, const uint32_t* slots, int B, size_t floats, float* work,
                          cudaStream_t s) {
  return move_states(batch, work, slots, B, floats, true, s);
}

cudaError_t scatter_states(const float* work, const uint32_t* slots, int B, size_t floats, float* batch,
                           cudaStream_t s) {
  return move_states(work, batch, slots, B, floats, false, s);
}

cudaError_t embed_rows(const void* table, ElemType type, const uint32_t* tokens, int n, int C, float* x,
                       cudaStream_t s) {
  if (n == 0) return cudaSuccess;
  RWKV_DISPATCH_ELEM(type, T,
                     embed_rows_kernel<T><<<n, C >= kThreads ? kThreads : (C + 31) / 32 * 32, 0, s>>>(
                         static_cast<const T*>(table), tokens, C, x));
  return cudaGetLastError();
}

cudaError_t activate(const float* in, size_t n, Act act, void* out, ElemType type, cudaStream_t s) {
  if (n == 0) return cudaSuccess;
  RWKV_DISPATCH_ELEM(type, T, activate_kernel<T><<<blocks_for(n), kThreads, 0, s>>>(in, n, act, static_cast<T*>(out)));
  return cudaGetLastError();
}

cudaError_t add_gated(float* x, const float* r, const float* v, size_t n, cudaStream_t s) {
  if (n == 0) return cudaSuccess;
  add_gated_kernel<<<blocks_for(n), kThreads, 0, s>>>(x, r, v, n);
  return cudaGetLastError();
}

cudaError_t scale(float* x, size_t n, float factor, cudaStream_t s) {
  if (n == 0) return cudaSuccess;
  scale_kernel<<<blocks_for(n), kThreads, 0, s>>>(x, n, factor);
  return cudaGetLastError();
}

}  // namespace rwkv::cuda
