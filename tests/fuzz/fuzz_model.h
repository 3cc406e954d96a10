// What the model-format targets do with a file that loads: canonical names, then a Model
// (hyperparameters detected, weights bound on the CPU) and a fresh state.
#pragma once
#include "rwkv/formats.h"
#include "rwkv/model.h"

namespace fuzz {

inline void build_model(rwkv::TensorMap m) {
  rwkv::canonicalize(m);
  rwkv::LoadOptions o;
  o.threads = 1;
  auto model = rwkv::Model::from_tensors(std::move(m), o);
  (void)model->new_state();
  (void)model->fingerprint();
}

}  // namespace fuzz
