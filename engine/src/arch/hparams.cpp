#include "arch/hparams.h"

#include <string>

#include "arch/traits.h"
#include "rwkv/error.h"

namespace rwkv {

ModelInfo detect_model(const TensorMap& m, const LoadOptions& opts) {
  ModelInfo info;
  info.format = m.format;
  info.arch = arch::detect_arch(m);
  const arch::ArchTraits& traits = arch::arch_traits(info.arch);

  const Tensor& emb = m.get("emb.weight");
  if (emb.shape.size() != 2) throw Error("tensor 'emb.weight' " + emb.shape_str() + " is not [n_vocab, n_embd]");
  info.n_vocab = int(emb.shape[0]);
  info.n_embd = int(emb.shape[1]);
  while (m.has("blocks." + std::to_string(info.n_layer) + ".ln1.weight")) info.n_layer++;
  if (info.n_layer == 0) throw Error("missing tensor 'blocks.0.ln1.weight' (no layers found)");
  const Tensor& fk = m.get("blocks.0.ffn.key.weight");
  if (fk.shape.size() != 2) throw Error("tensor 'blocks.0.ffn.key.weight' " + fk.shape_str() + " is not a matrix");
  info.n_ffn = int(fk.shape[0]);
  info.weight_dtype = dtype_name(m.get("blocks.0.att.key.weight").dtype);

  const int C = info.n_embd;
  auto heads_from = [&](const std::string& name, bool per_channel) {
    const Tensor& t = m.get(name);
    const int64_t n = t.numel();
    if (per_channel ? (n != C || t.shape.empty()) : (n <= 0 || C % n != 0))
      throw Error("tensor '" + name + "' " + t.shape_str() + " does not give the head count");
    const int64_t H = per_channel ? t.shape[0] : n;
    if (H <= 0 || C % H != 0) throw Error("tensor '" + name + "' " + t.shape_str() + ": bad head count");
    info.n_head = int(H);
    info.head_size = int(C / H);
  };
  const auto& candidates = traits.heads;
  for (size_t i = 0; i < std::size(candidates) && candidates[i].tensor; i++) {
    const auto& c = candidates[i];
    const std::string name = std::string("blocks.0.") + c.tensor;
    const bool last = i + 1 == std::size(candidates) || !candidates[i + 1].tensor;
    if (c.per_channel && m.get(name).numel() != C && !last) continue;
    heads_from(name, c.per_channel);
    break;
  }
  // rwkv.cpp's graphs use their own epsilon for some versions (its tiny v5 files only match
  // with 1e-5); BlinkDL's code uses 64e-5 for every version.
  info.groupnorm_eps = m.format == "rwkv.cpp" ? traits.rwkvcpp_groupnorm_eps : traits.groupnorm_eps;
  if (opts.groupnorm_eps > 0) info.groupnorm_eps = opts.groupnorm_eps;
  return info;
}

}  // namespace rwkv
