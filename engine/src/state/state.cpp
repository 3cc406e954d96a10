#include "rwkv/state.h"

#include <cstring>

#include "arch/traits.h"
#include "support/crc32.h"
#include "formats/mapped_file.h"
#include "rwkv/error.h"

namespace rwkv {

const char* arch_name(Arch a) {
  return size_t(a) < arch::all_arch_traits().size() ? arch::arch_traits(a).name : "?";
}

size_t state_floats_per_layer(const ModelInfo& info) {
  const arch::ArchTraits& t = arch::arch_traits(info.arch);
  const size_t N = size_t(info.head_size);
  return size_t(t.vectors) * size_t(info.n_embd) + (t.matrix_state ? size_t(info.n_head) * N * N : 0);
}

State::State(const ModelInfo& info)
    : arch_(info.arch), n_layer_(info.n_layer), n_embd_(info.n_embd), n_head_(info.n_head),
      per_layer_(state_floats_per_layer(info)) {
  data_.resize(per_layer_ * size_t(n_layer_));
  reset();
}

State::State(const State& o)
    : tokens_seen(o.tokens_seen), arch_(o.arch_), n_layer_(o.n_layer_), n_embd_(o.n_embd_), n_head_(o.n_head_),
      per_layer_(o.per_layer_), data_(o.data().begin(), o.data().end()) {}

State& State::operator=(const State& o) {
  if (this != &o) *this = State(o);
  return *this;
}

State::~State() = default;

void State::reset() {
  home_.reset();  // the values are replaced: the GPU's copy (if any) is dropped
  std::fill(data_.begin(), data_.end(), 0.0f);
  const arch::ArchTraits& t = arch::arch_traits(arch_);
  if (t.reset_vector >= 0)
    for (int l = 0; l < n_layer_; l++) {
      float* v = layer(l).data() + size_t(t.reset_vector) * size_t(n_embd_);
      std::fill(v, v + n_embd_, t.reset_value);
    }
  tokens_seen = 0;
}

namespace {
constexpr char kMagic[8] = {'R', 'W', 'K', 'V', 'S', 'T', 'A', 'T'};
constexpr uint32_t kVersion = 1;
constexpr size_t kHeader = 8 + 4 * 6 + 8;

void put32(std::vector<uint8_t>& b, uint32_t v) {
  for (int i = 0; i < 4; i++) b.push_back(uint8_t(v >> (8 * i)));
}
}  // namespace

std::vector<uint8_t> State::serialize() const {
  std::vector<uint8_t> b;
  b.reserve(kHeader + data_.size() * 4 + 4);
  for (char c : kMagic) b.push_back(uint8_t(c));  // (insert() trips a GCC 12 false warning)
  put32(b, kVersion);
  put32(b, uint32_t(arch_));
  put32(b, uint32_t(n_layer_));
  put32(b, uint32_t(n_embd_));
  put32(b, uint32_t(n_head_));
  put32(b, uint32_t(per_layer_));
  put32(b, uint32_t(tokens_seen));
  put32(b, uint32_t(tokens_seen >> 32));
  for (float f : data()) {
    uint32_t u;
    std::memcpy(&u, &f, 4);
    put32(b, u);
  }
  put32(b, crc32(b.data(), b.size()));
  return b;
}

State State::deserialize(const ModelInfo& info, std::span<const uint8_t> bytes) {
  ByteReader r(bytes.data(), bytes.size(), "state");
  if (bytes.size() < 8 || std::memcmp(r.take(8, "magic"), kMagic, 8) != 0)
    throw Error("state: wrong magic (not an RWKV state)");
  const uint32_t version = r.u32("version");
  if (version != kVersion) throw Error("state: unsupported format version " + std::to_string(version));
  State s(info);
  const uint32_t arch = r.u32("arch"), layers = r.u32("n_layer"), embd = r.u32("n_embd"),
                 heads = r.u32("n_head"), per_layer = r.u32("floats per layer");
  if (arch != uint32_t(info.arch) || layers != uint32_t(info.n_layer) || embd != uint32_t(info.n_embd) ||
      heads != uint32_t(info.n_head) || per_layer != s.per_layer_)
    throw Error("state belongs to another model (" +
                std::string(arch < arch::all_arch_traits().size() ? arch_name(Arch(arch)) : "unknown arch") +
                ", " + std::to_string(layers) + " layers, n_embd " + std::to_string(embd) +
                "; this model: " + arch_name(info.arch) + ", " + std::to_string(info.n_layer) +
                " layers, n_embd " + std::to_string(info.n_embd) + ")");
  s.tokens_seen = r.u64("tokens seen");
  const size_t want = s.data_.size() * 4 + 4;
  if (r.left() != want)
    throw Error("state: " + std::to_string(r.left()) + " bytes of data, expected " +
                std::to_string(want) + (r.left() < want ? " (truncated)" : ""));
  const uint8_t* p = r.take(s.data_.size() * 4, "state values");
  const uint32_t crc = r.u32("checksum");
  if (crc != crc32(bytes.data(), bytes.size() - 4)) throw Error("state: checksum mismatch (corrupt)");
  std::memcpy(s.data_.data(), p, s.data_.size() * 4);
  return s;
}

}  // namespace rwkv
