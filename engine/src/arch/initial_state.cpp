// Model::load_initial_state: RWKV state tuning's time_state tensors as a starting State.
#include "arch/binder.h"
#include "arch/traits.h"
#include "rwkv/error.h"
#include "rwkv/formats.h"
#include "rwkv/model.h"

namespace rwkv {

State Model::load_initial_state(const std::string& path) const {
  if (!arch::arch_traits(info_.arch).matrix_state)
    throw Error("'" + path + "': " + arch_name(info_.arch) +
                " has no matrix state; state files (time_state) are for RWKV-5 and later");
  const TensorMap m = load_checkpoint(path);
  const int64_t H = info_.n_head, N = info_.head_size, C = info_.n_embd;
  State s = new_state();
  for (int l = 0; l < info_.n_layer; l++) {
    const std::string name = arch::layer_name(l, "att.time_state");
    const Tensor& t = m.get(name);
    const auto& sh = t.shape;
    const size_t d = sh.size();
    if (d < 3 || t.numel() != H * N * N || sh[d - 3] != H || sh[d - 2] != N || sh[d - 1] != N)
      throw Error("'" + path + "': tensor '" + name + "' has shape " + t.shape_str() + ", expected [" +
                  std::to_string(H) + ", " + std::to_string(N) + ", " + std::to_string(N) + "] for this model");
    const std::vector<float> v = tensor_to_f32(t);
    float* S = s.layer(l).data() + 2 * C;
    for (int64_t h = 0; h < H; h++)
      for (int64_t i = 0; i < N; i++)
        for (int64_t j = 0; j < N; j++) S[(h * N + i) * N + j] = v[size_t((h * N + j) * N + i)];
  }
  if (m.has(arch::layer_name(info_.n_layer, "att.time_state")))
    throw Error("'" + path + "' holds states for more than this model's " + std::to_string(info_.n_layer) +
                " layers");
  return s;
}

}  // namespace rwkv
