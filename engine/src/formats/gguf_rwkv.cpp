// What llama.cpp's converter does, and what is undone here (per layer, blk.N.*):
//  rwkv6: time_maa_{w,k,v,r,g} squeezed and stacked into time_mix_lerp_fused [5,1,1,C]
//         (order w,k,v,r,g); time_maa_w1, time_decay_w1, time_decay_w2 transposed;
//         time_maa_w2 [5,32,C] permuted to [5,C,32]; time_mix_output and
//         channel_mix_value divided by 2^(N / rescale_every_n_layers); vectors squeezed.
//  rwkv7: x_{r,w,k,v,a,g} stacked into time_mix_lerp_fused [6,1,1,C]; the LoRA matrices
//         w1 w2 a1 a2 v1 v2 g1 g2 stored transposed; r_k flattened to [C]; layer 0's
//         time_mix_v0/v1/v2 are copies of a0/a1/a2 (layer 0 has no value-residual LoRA);
//         vectors squeezed.
// Squeezed vectors get BlinkDL's [1, 1, C] back.
// The split lerps keep GGUF-style names (time_mix_lerp_a exists only here) until renamed.
#include "formats/gguf_rwkv.h"

#include "formats/transform.h"
#include "rwkv/error.h"

namespace rwkv {

namespace {

int64_t metadata_int(const TensorMap& m, const std::string& key, int64_t fallback) {
  auto it = m.metadata.find(key);
  if (it == m.metadata.end()) return fallback;
  try {
    size_t used = 0;
    const int64_t v = std::stoll(it->second, &used);
    if (used == it->second.size()) return v;
  } catch (const std::exception&) {
  }
  throw Error("GGUF metadata '" + key + "' is '" + it->second + "', not an integer");
}

void transpose_if_present(TensorMap& m, const std::string& name) {
  if (m.has(name)) transpose_matrix(m, name);
}

// BlinkDL keeps these per-channel vectors as [1, 1, C]; the converter squeezed them.
void unsqueeze(TensorMap& m, const std::string& prefix, std::initializer_list<const char*> names) {
  for (const char* n : names)
    if (const Tensor* t = m.find(prefix + n)) squeeze_to(m, prefix + n, {1, 1, t->numel()});
}

void undo_rwkv6(TensorMap& m, int layer, int64_t rescale_every) {
  const std::string p = "blk." + std::to_string(layer) + ".";
  if (m.has(p + "time_mix_lerp_fused.weight"))
    split_rows(m, p + "time_mix_lerp_fused.weight",
               {"time_mix_lerp_w.weight", "time_mix_lerp_k.weight", "time_mix_lerp_v.weight",
                "time_mix_lerp_r.weight", "time_mix_lerp_g.weight"},
               p);
  for (const char* n : {"time_mix_w1", "time_mix_w2", "time_mix_decay_w1", "time_mix_decay_w2"})
    transpose_if_present(m, p + n + ".weight");
  unsqueeze(m, p, {"time_mix_lerp_x.weight", "time_mix_decay.weight", "channel_mix_lerp_k.weight",
                  "channel_mix_lerp_r.weight"});
  if (rescale_every > 0) {
    const int e = int(layer / rescale_every);
    for (const char* n : {"time_mix_output.weight", "channel_mix_value.weight"})
      if (m.has(p + n)) scale_pow2(m, p + n, e);
  }
}

void undo_rwkv7(TensorMap& m, int layer, int64_t head_size) {
  const std::string p = "blk." + std::to_string(layer) + ".";
  if (m.has(p + "time_mix_lerp_fused.weight"))
    split_rows(m, p + "time_mix_lerp_fused.weight",
               {"time_mix_lerp_r.weight", "time_mix_lerp_w.weight", "time_mix_lerp_k.weight",
                "time_mix_lerp_v.weight", "time_mix_lerp_a.weight", "time_mix_lerp_g.weight"},
               p);
  for (const char* n : {"w1", "w2", "a1", "a2", "v1", "v2", "g1", "g2"})
    transpose_if_present(m, p + "time_mix_" + n + ".weight");
  if (layer == 0)
    for (const char* n : {"time_mix_v0.weight", "time_mix_v1.weight", "time_mix_v2.weight"}) m.remove(p + n);
  unsqueeze(m, p, {"time_mix_w0.weight", "time_mix_a0.weight", "time_mix_v0.weight", "time_mix_k_k.weight",
                   "time_mix_k_a.weight", "channel_mix_lerp_k.weight"});
  const std::string rk = p + "time_mix_r_k.weight";
  if (const Tensor* t = m.find(rk)) {
    if (head_size <= 0 || t->numel() % head_size != 0)
      throw Error("GGUF tensor '" + rk + "' " + t->shape_str() + ": rwkv7.wkv.head_size " +
                  std::to_string(head_size) + " does not divide it into heads");
    squeeze_to(m, rk, {t->numel() / head_size, head_size});
  }
}

}  // namespace

void undo_llamacpp_converter(TensorMap& m) {
  auto it = m.metadata.find("general.architecture");
  if (it == m.metadata.end()) return;
  const std::string arch = it->second;
  if (arch != "rwkv6" && arch != "rwkv7") return;
  const int64_t rescale = metadata_int(m, "rwkv6.rescale_every_n_layers", 0);
  const int64_t head_size = metadata_int(m, "rwkv7.wkv.head_size", 0);
  for (int l = 0; m.has("blk." + std::to_string(l) + ".attn_norm.weight"); l++) {
    if (arch == "rwkv6") undo_rwkv6(m, l, rescale);
    else undo_rwkv7(m, l, head_size);
  }
}

}  // namespace rwkv
