// Writes the seed corpora under tests/fuzz/seeds/<target>/ (run it, then commit the files):
//   build-fuzz/tests/fuzz/make_fuzz_seeds tests/fuzz/seeds
// Tiny random models in every checkpoint format (RWKV-4, 6 and 7 layouts), a state file of
// the model fuzz_state_file loads, small tokenizer.json files and streaming-encoder inputs.
// World vocabulary seeds are hand-written text files, committed as they are.
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <random>

#include "formats/checkpoint_writer.h"
#include "formats/foreign_layouts.h"
#include "text/random_model.h"
#include "rwkv/state_file.h"
#include "text/byte_level.h"
#include "text/utf8.h"

using rwkv::DType;
using rwkv::TensorMap;

namespace {

std::string g_out;

std::string seed_path(const std::string& target, const std::string& name) {
  std::filesystem::create_directories(g_out + "/" + target);
  return g_out + "/" + target + "/" + name;
}

void put32(std::vector<uint8_t>& b, uint32_t v) {
  for (int i = 0; i < 4; i++) b.push_back(uint8_t(v >> (8 * i)));
}

// Random values for a canonical map, laid out by name and shape.
struct Builder {
  TensorMap m;
  std::mt19937 rng{11};
  void put(const std::string& name, std::vector<int64_t> shape, float lo = -0.5f, float hi = 0.5f) {
    size_t n = 1;
    for (int64_t d : shape) n *= size_t(d);
    std::uniform_real_distribution<float> u(lo, hi);
    std::vector<float> v(n);
    for (float& x : v) x = u(rng);
    m.put_f32(name, std::move(shape), std::move(v));
  }
};

constexpr int64_t V = 16, C = 8, F = 32, H = 2, N = C / H, D = 4;

void common(Builder& b, int L) {
  b.put("emb.weight", {V, C});
  b.put("blocks.0.ln0.weight", {C}, 0.9f, 1.1f);
  b.put("blocks.0.ln0.bias", {C});
  b.put("ln_out.weight", {C}, 0.9f, 1.1f);
  b.put("ln_out.bias", {C});
  b.put("head.weight", {V, C});
  for (int l = 0; l < L; l++) {
    const std::string p = "blocks." + std::to_string(l) + ".";
    for (const char* n : {"ln1", "ln2", "att.ln_x"}) {
      b.put(p + n + ".weight", {C}, 0.9f, 1.1f);
      b.put(p + n + ".bias", {C});
    }
    for (const char* n : {"att.key.weight", "att.value.weight", "att.receptance.weight", "att.output.weight"})
      b.put(p + n, {C, C});
    b.put(p + "ffn.key.weight", {F, C});
    b.put(p + "ffn.value.weight", {C, F});
  }
}

TensorMap random_v7() {
  Builder b;
  const int L = 2;
  common(b, L);
  for (int l = 0; l < L; l++) {
    const std::string p = "blocks." + std::to_string(l) + ".att.";
    for (const char* n : {"x_r", "x_w", "x_k", "x_v", "x_a", "x_g", "w0", "a0", "k_k", "k_a"}) b.put(p + n, {1, 1, C}, 0, 1);
    b.put(p + "r_k", {H, N});
    for (const char* n : {"w", "a", "g"}) {
      b.put(p + n + "1", {C, D});
      b.put(p + n + "2", {D, C});
    }
    if (l > 0) {
      b.put(p + "v0", {1, 1, C}, 0, 1);
      b.put(p + "v1", {C, D});
      b.put(p + "v2", {D, C});
    }
    b.put("blocks." + std::to_string(l) + ".ffn.x_k", {1, 1, C}, 0, 1);
  }
  return std::move(b.m);
}

TensorMap random_v6() {
  Builder b;
  const int L = 1;
  common(b, L);
  const std::string p = "blocks.0.att.";
  for (const char* n : {"time_maa_x", "time_maa_w", "time_maa_k", "time_maa_v", "time_maa_r", "time_maa_g", "time_decay"})
    b.put(p + n, {1, 1, C}, 0, 1);
  b.put(p + "time_faaaa", {H, N});
  b.put(p + "time_maa_w1", {C, 5 * D});
  b.put(p + "time_maa_w2", {5, D, C});
  b.put(p + "time_decay_w1", {C, D});
  b.put(p + "time_decay_w2", {D, C});
  b.put(p + "gate.weight", {C, C});
  b.put("blocks.0.ffn.time_maa_k", {1, 1, C}, 0, 1);
  b.put("blocks.0.ffn.time_maa_r", {1, 1, C}, 0, 1);
  b.put("blocks.0.ffn.receptance.weight", {C, C});
  return std::move(b.m);
}

// rwkv.cpp's layout (docs/REFERENCE.md): ggmf header, then records of dims, name length, type,
// ggml-order dims, name, data. Its converter stores v4 decay as -exp(decay) and keeps
// vectors as [C]; 2-D matrices take `dtype`, everything else stays F32.
void write_rwkvcpp(const TensorMap& m, const std::string& path, DType dtype, uint32_t n_vocab, uint32_t n_embd,
                   uint32_t n_layer) {
  std::vector<uint8_t> b;
  for (uint32_t v : {0x67676d66u, 101u, n_vocab, n_embd, n_layer, 0u}) put32(b, v);
  for (const auto& [name, t] : m.tensors()) {
    const bool matrix = t.shape.size() == 2 && name != "emb.weight";
    const DType d = matrix && (dtype != DType::Q8_0 || t.shape[1] % 32 == 0) ? dtype : DType::F32;
    rwkv::Tensor src = t;
    std::vector<float> decay;
    if (name.find("att.time_decay") != std::string::npos && !m.has("blocks.0.att.r_k")) {
      decay = rwkv::tensor_to_f32(t);
      for (float& x : decay) x = -std::exp(x);
      src.data = reinterpret_cast<const uint8_t*>(decay.data());
    }
    const uint32_t type = d == DType::F32 ? 0 : d == DType::F16 ? 1 : 9;
    put32(b, uint32_t(t.shape.size()));
    put32(b, uint32_t(name.size()));
    put32(b, type);
    for (size_t k = t.shape.size(); k-- > 0;) put32(b, uint32_t(t.shape[k]));
    b.insert(b.end(), name.begin(), name.end());
    const auto bytes = fmt_test::encode(src, d);
    b.insert(b.end(), bytes.begin(), bytes.end());
  }
  fmt_test::write_file(path, b);
}

void rwkvcpp_seeds() {
  const TensorMap v4 = testing::random_v4_tensors(16, 8, 1, 3);
  write_rwkvcpp(v4, seed_path("rwkvcpp", "v4-f32.bin"), DType::F32, 16, 8, 1);
  write_rwkvcpp(v4, seed_path("rwkvcpp", "v4-f16.bin"), DType::F16, 16, 8, 1);
  const TensorMap q = testing::random_v4_tensors(8, 32, 1, 4);
  write_rwkvcpp(q, seed_path("rwkvcpp", "v4-q8_0.bin"), DType::Q8_0, 8, 32, 1);
  // The converter's RWKV-7 leftovers: fused lerps [6, C] and transposed LoRA factors.
  Builder b;
  b.put("blocks.0.ln1.weight", {C});
  b.put("blocks.0.att.r_k", {C});
  b.put("blocks.0.att.x_rwkvag", {6, C});
  b.put("blocks.0.att.w1", {D, C});
  b.put("blocks.0.att.w2", {C, D});
  write_rwkvcpp(b.m, seed_path("rwkvcpp", "v7-parts.bin"), DType::F32, 16, C, 1);
}

void pth_seeds() {
  const TensorMap v4 = testing::random_v4_tensors(16, 8, 1, 5);
  fmt_test::write_pth(v4, seed_path("pth", "v4-f32.pth"), DType::F32);
  fmt_test::PthOptions o;
  o.one_storage = true;
  o.ordered_dict = false;
  o.transposed = {"blocks.0.att.key.weight"};
  fmt_test::write_pth(v4, seed_path("pth", "v4-bf16-shared.pth"), DType::BF16, o);
  fmt_test::PthOptions z;
  z.zip64 = true;
  z.archive = "tiny";
  fmt_test::write_pth(random_v7(), seed_path("pth", "v7-f16-zip64.pth"), DType::F16, z);
}

void safetensors_seeds() {
  fmt_test::write_safetensors(testing::random_v4_tensors(16, 8, 1, 6), seed_path("safetensors", "v4-f32.safetensors"),
                              DType::F32);
  fmt_test::write_safetensors(fmt_test::to_hf(testing::random_v4_tensors(16, 8, 1, 7)),
                              seed_path("safetensors", "v4-hf-bf16.safetensors"), DType::BF16);
  fmt_test::write_safetensors(fmt_test::to_fla(random_v7()), seed_path("safetensors", "v7-fla-f16.safetensors"),
                              DType::F16, {{"format", "pt"}, {"note", "fuzz seed"}});
}

void gguf_seeds() {
  const TensorMap v7 = random_v7(), v6 = random_v6();
  {
    const fmt_test::GgufModel g = fmt_test::to_llamacpp(v7);
    fmt_test::write_gguf(g.tensors, seed_path("gguf", "rwkv7-f16.gguf"), DType::F16, g.meta);
  }
  {
    const fmt_test::GgufModel g = fmt_test::to_llamacpp(v6);
    fmt_test::GgufOptions o;
    o.version = 2;
    o.alignment = 64;
    fmt_test::write_gguf(g.tensors, seed_path("gguf", "rwkv6-v2-f32.gguf"), DType::F32, g.meta, o);
  }
  {  // BlinkDL names in a GGUF file, Q8_0 matrices, and a World vocabulary with escapes.
    fmt_test::GgufMetadata meta;
    meta.str("general.architecture", "rwkv4");
    meta.str("tokenizer.ggml.model", "rwkv");
    std::vector<std::string> tokens = {"<s>"};
    std::vector<int32_t> types = {3};
    for (int c = 0; c < 256; c++) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      tokens.push_back(c >= 0x20 && c < 0x7f && c != '\\' ? std::string(1, char(c)) : buf);
      types.push_back(1);
    }
    tokens.insert(tokens.end(), {"He", "llo", "\\n\\n", "\\'s"});
    types.insert(types.end(), {1, 1, 4, 1});
    meta.str_array("tokenizer.ggml.tokens", tokens);
    meta.i32_array("tokenizer.ggml.token_type", types);
    fmt_test::GgufOptions o;
    o.keep_quantized = true;
    fmt_test::write_gguf(testing::random_v4_tensors(8, 32, 1, 8), seed_path("gguf", "v4-q8_0-vocab.gguf"), DType::Q8_0,
                         meta, o);
  }
}

void state_seeds() {
  auto model = testing::random_v4(16);  // as fuzz_state_file.cpp loads them
  rwkv::State s = model->new_state();
  rwkv::save_state_file(seed_path("state_file", "fresh.rwkvstate"), *model, s);
  std::vector<float> logits(16);
  const std::vector<uint32_t> toks = {1, 5, 9, 2};
  model->eval(s, toks, logits.data());
  rwkv::save_state_file(seed_path("state_file", "after-4-tokens.rwkvstate"), *model, s, "held \xe2\x82", logits);
}

// A GPT-NeoX-style tokenizer.json: all 256 byte tokens (byte-level spelled), a few merges
// and added tokens.
std::string neox_json(bool nfc, bool array_merges, bool ignore_merges) {
  using nlohmann::json;
  auto spell = [](const std::string& bytes) {
    std::string s;
    for (unsigned char c : bytes) rwkv::text::utf8_append(rwkv::text::byte_to_unicode()[c], s);
    return s;
  };
  json vocab = json::object();
  uint32_t id = 0;
  vocab[spell(std::string(1, '\0'))] = id++;
  for (int c = 1; c < 256; c++) vocab[spell(std::string(1, char(c)))] = id++;
  const std::vector<std::pair<std::string, std::string>> merges = {
      {"h", "e"}, {"l", "l"}, {"he", "ll"}, {"hell", "o"}, {" ", "w"}, {" w", "o"}, {"r", "l"}, {"rl", "d"},
      {" wo", "rld"}, {"\xc3", "\xa9"}, {" ", " "}, {"'", "s"}};
  json jm = json::array();
  for (const auto& [l, r] : merges) {
    vocab[spell(l + r)] = id++;
    if (array_merges) jm.push_back(json::array({spell(l), spell(r)}));
    else jm.push_back(spell(l) + " " + spell(r));
  }
  json j;
  j["version"] = "1.0";
  j["added_tokens"] = json::array({
      {{"id", id}, {"content", "<|endoftext|>"}, {"single_word", false}, {"lstrip", false}, {"rstrip", false},
       {"normalized", false}, {"special", true}},
      {{"id", id + 1}, {"content", "  "}, {"normalized", true}},
  });
  j["normalizer"] = nfc ? json({{"type", "NFC"}}) : json();
  j["pre_tokenizer"] = {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"trim_offsets", true}, {"use_regex", true}};
  j["decoder"] = {{"type", "ByteLevel"}};
  j["model"] = {{"type", "BPE"}, {"dropout", nullptr}, {"unk_token", nullptr}, {"continuing_subword_prefix", nullptr},
                {"end_of_word_suffix", nullptr}, {"fuse_unk", false}, {"ignore_merges", ignore_merges},
                {"vocab", vocab}, {"merges", jm}};
  return j.dump();
}

void write_text(const std::string& path, const std::string& s) {
  fmt_test::write_file(path, std::vector<uint8_t>(s.begin(), s.end()));
}

void neox_seeds() {
  write_text(seed_path("neox_json", "bpe-nfc.json"), neox_json(true, false, false));
  write_text(seed_path("neox_json", "bpe-array-merges.json"), neox_json(false, true, true));
}

// Byte 0: tokenizer (0 bytes, 1 World, 2 NeoX), byte 1: cut count, then cuts, then text.
void streaming_seeds() {
  const std::pair<const char*, std::string> texts[] = {
      {"english", "Hello, world! It's a test.\n\nUser: hi\n\nAssistant: ok"},
      {"utf8", "caf\xc3\xa9 \xe2\x82\xac 10 \xf0\x9f\x98\x80 e\xcc\x81 \xe1\x84\x80\xe1\x85\xa1"},
      {"invalid", "ab\xff\xc3(\xe2\x82 \xf0\x9f\x98 \xed\xa0\x80z"},
      {"special", "a<|endoftext|>b    c it'll   \t\n"},
  };
  for (uint8_t tok = 0; tok < 3; tok++)
    for (const auto& [name, text] : texts) {
      std::string s;
      s += char(tok);
      s += char(5);
      for (int c : {20, 60, 61, 130, 200}) s += char(c);
      s += text;
      write_text(seed_path("streaming_encoder", std::string("tok") + char('0' + tok) + "-" + name), s);
    }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s SEED_DIR (tests/fuzz/seeds)\n", argv[0]);
    return 2;
  }
  g_out = argv[1];
  rwkvcpp_seeds();
  pth_seeds();
  safetensors_seeds();
  gguf_seeds();
  state_seeds();
  neox_seeds();
  streaming_seeds();
  std::printf("seeds written under %s\n", g_out.c_str());
  return 0;
}
