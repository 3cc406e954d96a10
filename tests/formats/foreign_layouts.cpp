#include "foreign_layouts.h"

#include <cmath>
#include <stdexcept>

namespace fmt_test {

namespace {

using rwkv::Tensor;
using rwkv::TensorMap;

bool starts_with(const std::string& s, const std::string& p) { return s.rfind(p, 0) == 0; }

// A borrowed copy of src under another name (and optionally another shape).
void alias(TensorMap& dst, const Tensor& src, const std::string& name, std::vector<int64_t> shape = {}) {
  Tensor t = src;
  t.name = name;
  if (!shape.empty()) t.shape = std::move(shape);
  dst.add(std::move(t));
}

std::vector<float> transposed(const Tensor& t) {
  const std::vector<float> v = rwkv::tensor_to_f32(t);
  const int64_t b = t.shape.back(), a = t.shape[t.shape.size() - 2], batch = t.numel() / (a * b);
  std::vector<float> out(v.size());
  for (int64_t k = 0; k < batch; k++)
    for (int64_t i = 0; i < a; i++)
      for (int64_t j = 0; j < b; j++) out[size_t(k * a * b + j * a + i)] = v[size_t(k * a * b + i * b + j)];
  return out;
}

std::vector<int64_t> swapped_last(std::vector<int64_t> s) {
  std::swap(s[s.size() - 2], s.back());
  return s;
}

int layers(const TensorMap& m) {
  int n = 0;
  while (m.has("blocks." + std::to_string(n) + ".ln1.weight")) n++;
  return n;
}

// The part of a layer tensor's name after "blocks.N.", or "" with layer -1.
std::pair<int, std::string> layer_part(const std::string& name) {
  if (!starts_with(name, "blocks.")) return {-1, ""};
  const size_t dot = name.find('.', 7);
  return {std::stoi(name.substr(7, dot - 7)), name.substr(dot + 1)};
}

}  // namespace

TensorMap to_hf(const TensorMap& c) {
  TensorMap out;
  const std::pair<const char*, const char*> leaves[] = {
      {"time_mix_k", "time_mix_key"}, {"time_mix_v", "time_mix_value"},
      {"time_mix_r", "time_mix_receptance"}, {"time_mix_g", "time_mix_gate"}};
  for (const auto& [name, t] : c.tensors()) {
    std::string to;
    if (name == "emb.weight") to = "rwkv.embeddings.weight";
    else if (starts_with(name, "ln_out.")) to = "rwkv." + name;
    else if (name == "head.weight") to = name;
    else {
      auto [l, rest] = layer_part(name);
      std::string comp = rest.substr(0, rest.find('.')), leaf = rest.substr(rest.find('.') + 1);
      if (comp == "ln0") comp = "pre_ln";
      else if (comp == "att") comp = "attention";
      else if (comp == "ffn") comp = "feed_forward";
      for (const auto& [from, into] : leaves)
        if (leaf == from) leaf = into;
      to = "rwkv.blocks." + std::to_string(l) + "." + comp + "." + leaf;
    }
    alias(out, t, to);
  }
  return out;
}

TensorMap to_fla(const TensorMap& c) {
  TensorMap out;
  const std::pair<const char*, const char*> map[] = {
      {"ln0.weight", "pre_norm.weight"},       {"ln0.bias", "pre_norm.bias"},
      {"ln1.weight", "attn_norm.weight"},      {"ln1.bias", "attn_norm.bias"},
      {"ln2.weight", "ffn_norm.weight"},       {"ln2.bias", "ffn_norm.bias"},
      {"att.receptance.weight", "attn.r_proj.weight"}, {"att.key.weight", "attn.k_proj.weight"},
      {"att.value.weight", "attn.v_proj.weight"},      {"att.output.weight", "attn.o_proj.weight"},
      {"att.ln_x.weight", "attn.g_norm.weight"},       {"att.ln_x.bias", "attn.g_norm.bias"},
      {"ffn.x_k", "ffn.x_k"}, {"ffn.key.weight", "ffn.key.weight"}, {"ffn.value.weight", "ffn.value.weight"},
  };
  for (const auto& [name, t] : c.tensors()) {
    if (name == "emb.weight") { alias(out, t, "model.embeddings.weight"); continue; }
    if (name == "ln_out.weight") { alias(out, t, "model.norm.weight"); continue; }
    if (name == "ln_out.bias") { alias(out, t, "model.norm.bias"); continue; }
    if (name == "head.weight") { alias(out, t, "lm_head.weight"); continue; }
    auto [l, rest] = layer_part(name);
    const std::string p = "model.layers." + std::to_string(l) + ".";
    bool done = false;
    for (const auto& [from, into] : map)
      if (rest == from) {
        alias(out, t, p + into);
        done = true;
      }
    if (done) continue;
    const std::string leaf = rest.substr(4);  // after "att."
    if (leaf.size() == 3 && leaf[0] == 'x' && leaf[1] == '_') alias(out, t, p + "attn." + leaf);
    else if (leaf == "k_k" || leaf == "k_a" || leaf == "r_k") alias(out, t, p + "attn." + leaf);
    else if (leaf.size() == 2 && (leaf[1] == '1' || leaf[1] == '2'))
      out.put_f32(p + "attn." + leaf[0] + "_lora.lora." + (leaf[1] == '1' ? "0" : "2") + ".weight",
                  swapped_last(t.shape), transposed(t));
    else if (leaf.size() == 2 && leaf[1] == '0')
      out.put_f32(p + "attn." + leaf[0] + "_lora.lora.2.bias", {t.numel()}, rwkv::tensor_to_f32(t));
    else throw std::runtime_error("to_fla: no fla-hub name for " + name);
  }
  return out;
}

namespace {

void common_gguf(const TensorMap& c, TensorMap& out, const std::string& name, const Tensor& t) {
  auto [l, rest] = layer_part(name);
  const std::string g = "blk." + std::to_string(l) + ".";
  const std::pair<const char*, const char*> layer_map[] = {
      {"ln1.weight", "attn_norm.weight"},       {"ln1.bias", "attn_norm.bias"},
      {"ln2.weight", "attn_norm_2.weight"},     {"ln2.bias", "attn_norm_2.bias"},
      {"att.key.weight", "time_mix_key.weight"}, {"att.value.weight", "time_mix_value.weight"},
      {"att.receptance.weight", "time_mix_receptance.weight"}, {"att.gate.weight", "time_mix_gate.weight"},
      {"att.ln_x.weight", "time_mix_ln.weight"}, {"att.ln_x.bias", "time_mix_ln.bias"},
      {"ffn.key.weight", "channel_mix_key.weight"}, {"ffn.receptance.weight", "channel_mix_receptance.weight"},
  };
  if (name == "emb.weight") return alias(out, t, "token_embd.weight");
  if (name == "blocks.0.ln0.weight") return alias(out, t, "token_embd_norm.weight");
  if (name == "blocks.0.ln0.bias") return alias(out, t, "token_embd_norm.bias");
  if (name == "ln_out.weight") return alias(out, t, "output_norm.weight");
  if (name == "ln_out.bias") return alias(out, t, "output_norm.bias");
  if (name == "head.weight") return alias(out, t, "output.weight");
  for (const auto& [from, into] : layer_map)
    if (rest == from) return alias(out, t, g + into);
  (void)c;
  throw std::runtime_error("to_llamacpp: no GGUF name for " + name);
}

void fused(const TensorMap& c, TensorMap& out, const std::string& att, const std::string& g,
           std::initializer_list<const char*> parts) {
  std::vector<float> v;
  int64_t C = 0;
  for (const char* p : parts) {
    const std::vector<float> x = rwkv::tensor_to_f32(c.get(att + p));
    C = int64_t(x.size());
    v.insert(v.end(), x.begin(), x.end());
  }
  out.put_f32(g + "time_mix_lerp_fused.weight", {int64_t(parts.size()), 1, 1, C}, std::move(v));
}

void squeezed(TensorMap& out, const Tensor& t, const std::string& name) {
  out.put_f32(name, {t.numel()}, rwkv::tensor_to_f32(t));
}

void add_vocab_and_test_keys(GgufMetadata& meta) {
  std::vector<std::string> tokens;
  std::vector<int32_t> types;
  for (int b = 0; b < 256; b++) {
    tokens.push_back(b >= 0x20 && b < 0x7f ? std::string(1, char(b)) : "<0x" + std::to_string(b) + ">");
    types.push_back(b >= 0x20 && b < 0x7f ? 1 : 6);
  }
  meta.str("tokenizer.ggml.model", "rwkv");
  meta.str_array("tokenizer.ggml.tokens", tokens);
  meta.i32_array("tokenizer.ggml.token_type", types);
  meta.u32("tokenizer.ggml.eos_token_id", 0);
  meta.u8("test.u8", 200);
  meta.i8("test.i8", -100);
  meta.u16("test.u16", 60000);
  meta.i16("test.i16", -30000);
  meta.i64("test.i64", -5000000000LL);
  meta.u64("test.u64", 18000000000000000000ULL);
  meta.f64("test.f64", 0.1);
  meta.boolean("test.bool", true);
  meta.u8_array("test.u8_array", {1, 2, 255});
  meta.f32_array("test.f32_array", {0.5f, -2.25f});
  meta.nested_array("test.nested", {{1, 2}, {3}});
}

}  // namespace

GgufModel to_llamacpp(const TensorMap& c) {
  GgufModel r;
  TensorMap& out = r.tensors;
  const bool v7 = c.has("blocks.0.att.r_k");
  if (!v7 && !c.has("blocks.0.att.time_maa_x")) throw std::runtime_error("to_llamacpp: only RWKV-6 and RWKV-7");
  const int L = layers(c);
  const int64_t C = c.get("emb.weight").shape[1];
  const int rescale_every = 6;
  for (int l = 0; l < L; l++) {
    const std::string b = "blocks." + std::to_string(l) + ".", att = b + "att.", g = "blk." + std::to_string(l) + ".";
    if (v7) fused(c, out, att, g, {"x_r", "x_w", "x_k", "x_v", "x_a", "x_g"});
    else fused(c, out, att, g, {"time_maa_w", "time_maa_k", "time_maa_v", "time_maa_r", "time_maa_g"});
  }
  for (const auto& [name, t] : c.tensors()) {
    auto [l, rest] = layer_part(name);
    const std::string g = "blk." + std::to_string(l) + ".";
    const std::string leaf = starts_with(rest, "att.") ? rest.substr(4) : "";
    if (v7) {
      if (leaf.size() == 3 && leaf[0] == 'x' && leaf[1] == '_') continue;  // fused above
      if (leaf == "w0" || leaf == "a0" || leaf == "v0" || leaf == "k_k" || leaf == "k_a" || leaf == "r_k") {
        squeezed(out, t, g + "time_mix_" + leaf + ".weight");
        if (l == 0 && leaf == "a0") squeezed(out, t, g + "time_mix_v0.weight");
      } else if (leaf.size() == 2 && (leaf[1] == '1' || leaf[1] == '2')) {
        out.put_f32(g + "time_mix_" + leaf + ".weight", swapped_last(t.shape), transposed(t));
        if (l == 0 && leaf[0] == 'a')
          out.put_f32(g + "time_mix_v" + leaf[1] + ".weight", swapped_last(t.shape), transposed(t));
      } else if (rest == "att.output.weight") alias(out, t, g + "time_mix_output.weight");
      else if (rest == "ffn.x_k") squeezed(out, t, g + "channel_mix_lerp_k.weight");
      else if (rest == "ffn.value.weight") alias(out, t, g + "channel_mix_value.weight");
      else common_gguf(c, out, name, t);
      continue;
    }
    if (starts_with(leaf, "time_maa_") && leaf.size() == 10 && leaf != "time_maa_x") continue;  // fused
    if (leaf == "time_maa_x") squeezed(out, t, g + "time_mix_lerp_x.weight");
    else if (leaf == "time_maa_w1" || leaf == "time_decay_w1" || leaf == "time_decay_w2" || leaf == "time_maa_w2")
      out.put_f32(g + (leaf == "time_maa_w1" ? "time_mix_w1" : leaf == "time_maa_w2" ? "time_mix_w2"
                                                             : "time_mix_" + leaf.substr(5)) + ".weight",
                  swapped_last(t.shape), transposed(t));
    else if (leaf == "time_decay") squeezed(out, t, g + "time_mix_decay.weight");
    else if (leaf == "time_faaaa") out.put_f32(g + "time_mix_first.weight", {t.shape[0], t.numel() / t.shape[0]}, rwkv::tensor_to_f32(t));
    else if (rest == "ffn.time_maa_k" || rest == "ffn.time_maa_r")
      squeezed(out, t, g + "channel_mix_lerp_" + rest.back() + ".weight");
    else if (rest == "att.output.weight" || rest == "ffn.value.weight") {
      std::vector<float> v = rwkv::tensor_to_f32(t);
      const float s = std::ldexp(1.0f, -(l / rescale_every));
      for (float& x : v) x *= s;
      out.put_f32(g + (rest == "att.output.weight" ? "time_mix_output.weight" : "channel_mix_value.weight"), t.shape,
                  std::move(v));
    } else common_gguf(c, out, name, t);
  }

  const std::string arch = v7 ? "rwkv7" : "rwkv6";
  GgufMetadata& m = r.meta;
  m.str("general.architecture", arch);
  m.str("general.name", "tiny test model");
  m.u32(arch + ".context_length", 1048576);
  m.u32(arch + ".embedding_length", uint32_t(C));
  m.u32(arch + ".block_count", uint32_t(L));
  m.f32(arch + ".attention.layer_norm_epsilon", 1e-5f);
  m.u32(arch + ".feed_forward_length", uint32_t(c.get("blocks.0.ffn.key.weight").shape[0]));
  m.u32(arch + ".attention.head_count", 0);
  if (v7) {
    const int64_t H = c.get("blocks.0.att.r_k").shape[0];
    m.u32(arch + ".wkv.head_size", uint32_t(C / H));
    m.u32(arch + ".decay_lora_rank", uint32_t(c.get("blocks.0.att.w1").shape[1]));
    m.u32(arch + ".iclr_lora_rank", uint32_t(c.get("blocks.0.att.a1").shape[1]));
    m.u32(arch + ".value_residual_mix_lora_rank", uint32_t(c.get("blocks.1.att.v1").shape[1]));
    m.u32(arch + ".gate_lora_rank", uint32_t(c.get("blocks.0.att.g1").shape[1]));
  } else {
    const int64_t H = c.get("blocks.0.att.time_faaaa").shape[0];
    m.u32(arch + ".wkv.head_size", uint32_t(C / H));
    m.u32(arch + ".rescale_every_n_layers", uint32_t(rescale_every));
    m.u32(arch + ".time_mix_extra_dim", 32);
    m.u32(arch + ".time_decay_extra_dim", 64);
  }
  add_vocab_and_test_keys(m);
  return r;
}

}  // namespace fmt_test
