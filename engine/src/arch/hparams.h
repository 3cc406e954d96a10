// Architecture and dimensions of a canonical tensor map, read from its names and shapes.
#pragma once
#include "rwkv/model.h"

namespace rwkv {

ModelInfo detect_model(const TensorMap& m, const LoadOptions& opts);

}  // namespace rwkv
