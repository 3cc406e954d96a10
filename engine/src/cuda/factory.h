// The CUDA runner of each architecture (one file each), and the choice between them.
#pragma once
#include <memory>

#include "cuda/cuda_runner.h"

namespace rwkv::cuda {

std::unique_ptr<CudaRunner> make_v4(const ModelInfo& info, const TensorMap& tensors, const Device& dev);
std::unique_ptr<CudaRunner> make_v5(const ModelInfo& info, const TensorMap& tensors, const Device& dev);  // 5.1, 5.2
std::unique_ptr<CudaRunner> make_v6(const ModelInfo& info, const TensorMap& tensors, const Device& dev);
std::unique_ptr<CudaRunner> make_v7(const ModelInfo& info, const TensorMap& tensors, const Device& dev);

// Head sizes the matrix-state kernels support; throws naming the model's otherwise.
void require_head_size(const ModelInfo& info);

}  // namespace rwkv::cuda
