// How far a model run on quantized weights may be from the same model on its dequantized fp32
// weights. The kernels round the activations to 16 bits per block of 32 (each value within
// 2^-16 of the block's largest), which moves each product by at most that fraction of its
// terms; through the layers (norms and nonlinearities between them) the logits moved at most
// 1.1e-4 of the largest logit on every tiny model and type (test_quantize models-every-type
// prints it); 3e-4 leaves a factor of almost three. Weight quantization itself is checked against
// rwkv.cpp's expected logits, not here.
#pragma once
#include <algorithm>

namespace testing {

inline float quantized_tolerance(float largest_logit) { return 3e-4f * std::max(1.0f, largest_logit); }

}  // namespace testing
