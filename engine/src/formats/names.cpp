// Canonical names: foreign checkpoints (HF transformers RWKV, fla-hub RWKV-7, llama.cpp GGUF)
// are renamed to BlinkDL's names, and fla-hub's transposed LoRA matrices are turned back.
// Value transformations of the GGUF converter are undone earlier, in gguf_rwkv.cpp.
#include <cctype>
#include <utility>
#include <vector>

#include "formats/transform.h"
#include "rwkv/error.h"
#include "rwkv/formats.h"

namespace rwkv {

namespace {

struct Rule {
  const char* from;
  const char* to;
};

// HF transformers (RWKV-4 "rwkv.blocks.N.attention.time_mix_key"; RWKV-5/6 keep BlinkDL's
// leaf names): component renames, then the v4/v5 leaf renames below.
const Rule kHfComponents[] = {
    {"pre_ln.", "ln0."}, {"ln1.", "ln1."}, {"ln2.", "ln2."}, {"attention.", "att."}, {"feed_forward.", "ffn."},
};
const Rule kHfLeaves[] = {
    {"time_mix_key", "time_mix_k"}, {"time_mix_value", "time_mix_v"},
    {"time_mix_receptance", "time_mix_r"}, {"time_mix_gate", "time_mix_g"},
};
const Rule kHfGlobal[] = {
    {"rwkv.embeddings.weight", "emb.weight"}, {"rwkv.ln_out.weight", "ln_out.weight"},
    {"rwkv.ln_out.bias", "ln_out.bias"},      {"head.weight", "head.weight"},
};

// fla-hub RWKV-7 (model.layers.N.*).
const Rule kFlaLayer[] = {
    {"pre_norm.weight", "ln0.weight"},
    {"pre_norm.bias", "ln0.bias"},
    {"attn_norm.weight", "ln1.weight"},
    {"attn_norm.bias", "ln1.bias"},
    {"ffn_norm.weight", "ln2.weight"},
    {"ffn_norm.bias", "ln2.bias"},
    {"attn.x_r", "att.x_r"},
    {"attn.x_w", "att.x_w"},
    {"attn.x_k", "att.x_k"},
    {"attn.x_v", "att.x_v"},
    {"attn.x_a", "att.x_a"},
    {"attn.x_g", "att.x_g"},
    {"attn.r_proj.weight", "att.receptance.weight"},
    {"attn.k_proj.weight", "att.key.weight"},
    {"attn.v_proj.weight", "att.value.weight"},
    {"attn.o_proj.weight", "att.output.weight"},
    {"attn.g_norm.weight", "att.ln_x.weight"},
    {"attn.g_norm.bias", "att.ln_x.bias"},
    {"attn.k_k", "att.k_k"},
    {"attn.k_a", "att.k_a"},
    {"attn.r_k", "att.r_k"},
    {"attn.w_lora.lora.0.weight", "att.w1"},
    {"attn.w_lora.lora.2.weight", "att.w2"},
    {"attn.w_lora.lora.2.bias", "att.w0"},
    {"attn.a_lora.lora.0.weight", "att.a1"},
    {"attn.a_lora.lora.2.weight", "att.a2"},
    {"attn.a_lora.lora.2.bias", "att.a0"},
    {"attn.v_lora.lora.0.weight", "att.v1"},
    {"attn.v_lora.lora.2.weight", "att.v2"},
    {"attn.v_lora.lora.2.bias", "att.v0"},
    {"attn.g_lora.lora.0.weight", "att.g1"},
    {"attn.g_lora.lora.2.weight", "att.g2"},
    {"ffn.x_k", "ffn.x_k"},
    {"ffn.key.weight", "ffn.key.weight"},
    {"ffn.value.weight", "ffn.value.weight"},
};
const Rule kFlaGlobal[] = {
    {"model.embeddings.weight", "emb.weight"}, {"model.norm.weight", "ln_out.weight"},
    {"model.norm.bias", "ln_out.bias"},        {"lm_head.weight", "head.weight"},
};

// llama.cpp GGUF (blk.N.*), shared by rwkv6 and rwkv7.
const Rule kGgufLayer[] = {
    {"attn_norm.weight", "ln1.weight"},
    {"attn_norm.bias", "ln1.bias"},
    {"attn_norm_2.weight", "ln2.weight"},
    {"attn_norm_2.bias", "ln2.bias"},
    {"time_mix_key.weight", "att.key.weight"},
    {"time_mix_value.weight", "att.value.weight"},
    {"time_mix_receptance.weight", "att.receptance.weight"},
    {"time_mix_gate.weight", "att.gate.weight"},
    {"time_mix_output.weight", "att.output.weight"},
    {"time_mix_ln.weight", "att.ln_x.weight"},
    {"time_mix_ln.bias", "att.ln_x.bias"},
    {"channel_mix_key.weight", "ffn.key.weight"},
    {"channel_mix_value.weight", "ffn.value.weight"},
    {"channel_mix_receptance.weight", "ffn.receptance.weight"},
};
const Rule kGguf6Layer[] = {
    {"time_mix_lerp_x.weight", "att.time_maa_x"},
    {"time_mix_lerp_w.weight", "att.time_maa_w"},
    {"time_mix_lerp_k.weight", "att.time_maa_k"},
    {"time_mix_lerp_v.weight", "att.time_maa_v"},
    {"time_mix_lerp_r.weight", "att.time_maa_r"},
    {"time_mix_lerp_g.weight", "att.time_maa_g"},
    {"time_mix_w1.weight", "att.time_maa_w1"},
    {"time_mix_w2.weight", "att.time_maa_w2"},
    {"time_mix_decay.weight", "att.time_decay"},
    {"time_mix_decay_w1.weight", "att.time_decay_w1"},
    {"time_mix_decay_w2.weight", "att.time_decay_w2"},
    {"time_mix_first.weight", "att.time_faaaa"},
    {"channel_mix_lerp_k.weight", "ffn.time_maa_k"},
    {"channel_mix_lerp_r.weight", "ffn.time_maa_r"},
};
const Rule kGguf7Layer[] = {
    {"time_mix_lerp_r.weight", "att.x_r"}, {"time_mix_lerp_w.weight", "att.x_w"},
    {"time_mix_lerp_k.weight", "att.x_k"}, {"time_mix_lerp_v.weight", "att.x_v"},
    {"time_mix_lerp_a.weight", "att.x_a"}, {"time_mix_lerp_g.weight", "att.x_g"},
    {"time_mix_w0.weight", "att.w0"},      {"time_mix_w1.weight", "att.w1"},
    {"time_mix_w2.weight", "att.w2"},      {"time_mix_a0.weight", "att.a0"},
    {"time_mix_a1.weight", "att.a1"},      {"time_mix_a2.weight", "att.a2"},
    {"time_mix_v0.weight", "att.v0"},      {"time_mix_v1.weight", "att.v1"},
    {"time_mix_v2.weight", "att.v2"},      {"time_mix_g1.weight", "att.g1"},
    {"time_mix_g2.weight", "att.g2"},      {"time_mix_k_k.weight", "att.k_k"},
    {"time_mix_k_a.weight", "att.k_a"},    {"time_mix_r_k.weight", "att.r_k"},
    {"channel_mix_lerp_k.weight", "ffn.x_k"},
};
const Rule kGgufGlobal[] = {
    {"token_embd.weight", "emb.weight"},
    {"token_embd_norm.weight", "blocks.0.ln0.weight"},
    {"token_embd_norm.bias", "blocks.0.ln0.bias"},
    {"output_norm.weight", "ln_out.weight"},
    {"output_norm.bias", "ln_out.bias"},
    {"output.weight", "head.weight"},
};

template <size_t N>
const char* lookup(const Rule (&rules)[N], const std::string& name) {
  for (const Rule& r : rules)
    if (name == r.from) return r.to;
  return nullptr;
}

bool starts_with(const std::string& s, const char* p) { return s.rfind(p, 0) == 0; }

// "<prefix><N>.<rest>" -> {N, rest}; N is -1 when the name does not have that form.
std::pair<int, std::string> split_layer(const std::string& name, const std::string& prefix) {
  if (!starts_with(name, prefix.c_str())) return {-1, ""};
  size_t i = prefix.size(), j = i;
  while (j < name.size() && j - i < 6 && std::isdigit(static_cast<unsigned char>(name[j]))) j++;
  if (j == i || j >= name.size() || name[j] != '.') return {-1, ""};
  return {std::stoi(name.substr(i, j - i)), name.substr(j + 1)};
}

enum class Scheme { BlinkDL, HF, Fla, Gguf6, Gguf7 };

const char* scheme_name(Scheme s) {
  switch (s) {
    case Scheme::BlinkDL: return "BlinkDL";
    case Scheme::HF: return "HF transformers RWKV";
    case Scheme::Fla: return "fla-hub RWKV-7";
    case Scheme::Gguf6: return "llama.cpp rwkv6";
    case Scheme::Gguf7: return "llama.cpp rwkv7";
  }
  return "?";
}

Scheme detect_scheme(const TensorMap& m) {
  bool gguf = false, hf = false, fla = false;
  for (const auto& [name, t] : m.tensors()) {
    gguf |= starts_with(name, "blk.") || name == "token_embd.weight";
    hf |= starts_with(name, "rwkv.");
    fla |= starts_with(name, "model.layers.") || name == "model.embeddings.weight";
  }
  if (gguf) {
    auto it = m.metadata.find("general.architecture");
    const std::string arch = it == m.metadata.end() ? "" : it->second;
    if (arch == "rwkv6") return Scheme::Gguf6;
    if (arch == "rwkv7") return Scheme::Gguf7;
    throw Error((m.source.empty() ? std::string("GGUF file") : "'" + m.source + "'") + ": architecture '" + arch +
                "' is not one this engine reads (rwkv6, rwkv7)");
  }
  if (hf) return Scheme::HF;
  if (fla) return Scheme::Fla;
  return Scheme::BlinkDL;
}

// The BlinkDL name of one tensor, or "" when the scheme has no rule for it.
std::string canonical_name(Scheme s, const std::string& name) {
  const char* g = nullptr;
  std::pair<int, std::string> layer{-1, ""};
  switch (s) {
    case Scheme::HF: {
      if ((g = lookup(kHfGlobal, name))) return g;
      layer = split_layer(name, "rwkv.blocks.");
      if (layer.first < 0) return "";
      for (const Rule& c : kHfComponents) {
        if (!starts_with(layer.second, c.from)) continue;
        std::string leaf = layer.second.substr(std::char_traits<char>::length(c.from));
        if (const char* l = lookup(kHfLeaves, leaf)) leaf = l;
        return "blocks." + std::to_string(layer.first) + "." + c.to + leaf;
      }
      return "";
    }
    case Scheme::Fla: {
      if ((g = lookup(kFlaGlobal, name))) return g;
      layer = split_layer(name, "model.layers.");
      if (layer.first >= 0) g = lookup(kFlaLayer, layer.second);
      break;
    }
    case Scheme::Gguf6:
    case Scheme::Gguf7: {
      if ((g = lookup(kGgufGlobal, name))) return g;
      layer = split_layer(name, "blk.");
      if (layer.first < 0) return "";
      g = lookup(kGgufLayer, layer.second);
      if (!g) g = s == Scheme::Gguf6 ? lookup(kGguf6Layer, layer.second) : lookup(kGguf7Layer, layer.second);
      break;
    }
    case Scheme::BlinkDL: return name;
  }
  return g ? "blocks." + std::to_string(layer.first) + "." + g : "";
}

}  // namespace

void canonicalize(TensorMap& m) {
  const Scheme s = detect_scheme(m);
  if (s == Scheme::BlinkDL) return;
  std::vector<std::pair<std::string, std::string>> renames;
  for (const auto& [name, t] : m.tensors()) {
    std::string to = canonical_name(s, name);
    if (to.empty())
      throw Error((m.source.empty() ? std::string("checkpoint") : "'" + m.source + "'") + ": tensor '" + name +
                  "' of a " + scheme_name(s) + " checkpoint has no BlinkDL equivalent");
    renames.emplace_back(name, std::move(to));
  }
  for (const auto& [from, to] : renames) m.rename(from, to);
  if (s == Scheme::Fla) {
    // fla-hub keeps the LoRA factors as nn.Linear weights (lora.0 = X1ᵀ, lora.2 = X2ᵀ) and
    // X0 as the [C] bias of lora.2; BlinkDL's per-channel vectors are [1, 1, C].
    for (const auto& [from, to] : renames) {
      const std::string leaf = to.substr(to.rfind('.') + 1);
      if (leaf.size() == 2 && std::string("wavg").find(leaf[0]) != std::string::npos && (leaf[1] == '1' || leaf[1] == '2'))
        transpose_matrix(m, to);
      else if (leaf == "w0" || leaf == "a0" || leaf == "v0" || leaf == "k_k" || leaf == "k_a" ||
               (leaf.size() == 3 && leaf[0] == 'x' && leaf[1] == '_'))
        squeeze_to(m, to, {1, 1, m.get(to).numel()});
    }
  }
}

}  // namespace rwkv
