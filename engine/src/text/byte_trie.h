// A read-only byte trie for longest-prefix matching (the World vocabulary, added tokens).
// Nodes with many children get a direct 256-entry table, the rest a short sorted edge list.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace rwkv::text {

class ByteTrie {
 public:
  ByteTrie();
  // Distinct, non-empty keys with their values.
  explicit ByteTrie(std::vector<std::pair<std::string, uint32_t>> keys);

  struct Match {
    size_t length = 0;    // of the longest key that prefixes the input; 0: none
    uint32_t value = 0;
    bool open = false;    // the input ran out while a longer key was still possible
  };
  Match longest(const uint8_t* s, size_t n) const;
  // Whether some key starts with byte b.
  bool starts_key(uint8_t b) const { return dense_[b] != kNone; }
  bool empty() const { return nodes_.size() <= 1; }

 private:
  static constexpr uint32_t kNone = UINT32_MAX;
  static constexpr uint32_t kDenseFrom = 24;  // children count from which a node goes dense
  static constexpr size_t kMaxKeyBytes = 1024;  // World tokens are at most 128 bytes
  struct Node {
    uint32_t edges = 0, n_edges = 0;  // into edge_bytes_ / edge_child_
    uint32_t dense = kNone;           // into dense_, or kNone
    uint32_t value = kNone;
  };
  using Keys = std::vector<std::pair<std::string, uint32_t>>;
  uint32_t build(const Keys& keys, size_t lo, size_t hi, size_t depth);
  uint32_t child(uint32_t node, uint8_t b) const {
    const Node& nd = nodes_[node];
    if (nd.dense != kNone) return dense_[nd.dense + b];
    const uint8_t* eb = edge_bytes_.data() + nd.edges;
    for (uint32_t i = 0; i < nd.n_edges; i++)
      if (eb[i] >= b) return eb[i] == b ? edge_child_[nd.edges + i] : kNone;
    return kNone;
  }

  std::vector<Node> nodes_;
  std::vector<uint8_t> edge_bytes_;
  std::vector<uint32_t> edge_child_;
  std::vector<uint32_t> dense_;  // the root's table comes first
};

}  // namespace rwkv::text
