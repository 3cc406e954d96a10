// Element-wise kernels of the CUDA backend: the embedding gather, activations that turn an
// fp32 product into the next product's operand, and the residual updates.
#pragma once
#include <cuda_runtime_api.h>

#include <cstddef>
#include <cstdint>

#include "elem_type.h"

namespace rwkv::cuda {

// x[i] = table[tokens[i]] (rows of C, the table in `type`, x in fp32).
cudaError_t embed_rows(const void* table, ElemType type, const uint32_t* tokens, int n, int C, float* x,
                       cudaStream_t s);

// out = f(in) for n values, in fp32, out in the operand type.
enum class Act { None, Tanh, Sigmoid, ReluSquare };
cudaError_t activate(const float* in, size_t n, Act act, void* out, ElemType type, cudaStream_t s);

// x += sigmoid(r) * v (the receptance-gated channel mix of v4/v5/v6).
cudaError_t add_gated(float* x, const float* r, const float* v, size_t n, cudaStream_t s);

// x *= factor (RWKV-4's fp16 rescaling after every sixth layer).
cudaError_t scale(float* x, size_t n, float factor, cudaStream_t s);

// Moves B states of `floats` values between a batch's slots and B consecutive working
// slots: gather: work[b] = batch[slots[b]]; scatter: batch[slots[b]] = work[b].
cudaError_t gather_states(const float* batch, const uint32_t* slots, int B, size_t floats, float* work,
                          cudaStream_t s);
cudaError_t scatter_states(const float* work, const uint32_t* slots, int B, size_t floats, float* batch,
                           cudaStream_t s);

}  // namespace rwkv::cuda
