// Small tensor rewrites shared by the format loaders (results are fp32, owned by the map).
#pragma once
#include <functional>
#include <initializer_list>
#include <string>

#include "rwkv/tensor.h"

namespace rwkv {

// Swaps the last two dimensions ([.., a, b] -> [.., b, a]).
void transpose_matrix(TensorMap& m, const std::string& name);
// Applies f to every value.
void map_values(TensorMap& m, const std::string& name, const std::function<float(float)>& f);
// Splits a [k, ...] tensor into k tensors prefix+parts[i] with shape [1, 1, rest].
void split_rows(TensorMap& m, const std::string& name, std::initializer_list<const char*> parts,
                const std::string& prefix);
// Gives a tensor another shape with the same element count (no data change).
void squeeze_to(TensorMap& m, const std::string& name, std::vector<int64_t> shape);
// Multiplies every value by 2^exponent, keeping the dtype (quantized blocks scale their
// d and m), so large matrices are not widened to fp32. Exact unless the result overflows,
// which is an error.
void scale_pow2(TensorMap& m, const std::string& name, int exponent);

}  // namespace rwkv
