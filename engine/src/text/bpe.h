// Byte-pair encoding of one pre-token: start from one symbol per byte and apply merges
// lowest rank first (leftmost on ties), as the reference BPE model does.
#pragma once
#include <array>
#include <cstdint>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace rwkv::text {

class Bpe {
 public:
  struct Merge {
    uint32_t left, right, result;  // token ids; rank = position in the list
  };
  Bpe() = default;
  Bpe(const std::array<uint32_t, 256>& byte_tokens, const std::vector<Merge>& merges);
  void encode(std::string_view word, std::vector<uint32_t>& out) const;

 private:
  static uint64_t key(uint32_t l, uint32_t r) { return uint64_t(l) << 32 | r; }
  std::array<uint32_t, 256> byte_tokens_{};
  std::unordered_map<uint64_t, std::pair<uint32_t, uint32_t>> merges_;  // -> (rank, result)
};

}  // namespace rwkv::text
