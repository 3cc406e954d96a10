#include "arch/hparams.h"

#include "rwkv/error.h"

namespace rwkv {

ModelInfo detect_model(const TensorMap& m, const LoadOptions& opts) {
  ModelInfo info;
  info.format = m.format;
  if (m.has("blocks.0.att.r_k")) info.arch = Arch::V7;
  else if (m.has("blocks.0.att.time_maa_x")) info.arch = Arch::V6;
  else if (m.has("blocks.0.att.ln_x.weight"))
    info.arch = m.has("blocks.0.att.gate.weight") ? Arch::V5_2 : Arch::V5_1;
  else info.arch = Arch::V4;

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
  switch (info.arch) {
    case Arch::V4: break;
    case Arch::V5_1: heads_from("blocks.0.att.time_decay", false); break;
    case Arch::V5_2:
      // Gated with one decay and bonus per head (ChatRWKV's "5.1"): [H] tensors.
      if (m.get("blocks.0.att.time_faaaa").numel() == C) heads_from("blocks.0.att.time_faaaa", true);
      else heads_from("blocks.0.att.time_decay", false);
      break;
    case Arch::V6: heads_from("blocks.0.att.time_faaaa", true); break;
    case Arch::V7: heads_from("blocks.0.att.r_k", true); break;
  }
  // rwkv.cpp's v5 graph uses 1e-5 (its tiny v5 files only match with it); its v6 and v7
  // graphs use 64e-5, as BlinkDL does for every version.
  info.groupnorm_eps = (info.arch == Arch::V5_1 || info.arch == Arch::V5_2) && m.format == "rwkv.cpp" ? 1e-5f : 64e-5f;
  if (opts.groupnorm_eps > 0) info.groupnorm_eps = opts.groupnorm_eps;
  return info;
}

}  // namespace rwkv
