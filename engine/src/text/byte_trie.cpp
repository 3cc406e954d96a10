#include "text/byte_trie.h"

#include <algorithm>

#include "rwkv/error.h"

namespace rwkv::text {

ByteTrie::ByteTrie() : nodes_(1), dense_(256, kNone) { nodes_[0].dense = 0; }

ByteTrie::ByteTrie(Keys keys) {
  std::sort(keys.begin(), keys.end());
  for (size_t i = 0; i < keys.size(); i++) {
    if (keys[i].first.empty()) throw Error("tokenizer: empty token text");
    // build() recurses once per byte: a bound keeps a corrupt file from exhausting the stack.
    if (keys[i].first.size() > kMaxKeyBytes)
      throw Error("tokenizer: token " + std::to_string(keys[i].second) + " is " + std::to_string(keys[i].first.size()) +
                  " bytes long (at most " + std::to_string(kMaxKeyBytes) + ")");
    if (i && keys[i].first == keys[i - 1].first)
      throw Error("tokenizer: two tokens (" + std::to_string(keys[i - 1].second) + ", " +
                  std::to_string(keys[i].second) + ") have the same text");
  }
  dense_.assign(256, kNone);  // the root's direct table, at offset 0
  build(keys, 0, keys.size(), 0);
}

// Keys [lo, hi) share their first `depth` bytes; returns the node for that prefix.
uint32_t ByteTrie::build(const Keys& keys, size_t lo, size_t hi, size_t depth) {
  const uint32_t id = uint32_t(nodes_.size());
  nodes_.emplace_back();
  if (lo < hi && keys[lo].first.size() == depth) nodes_[id].value = keys[lo++].second;
  // Children: runs of keys with the same byte at `depth` (the keys are sorted).
  std::vector<std::pair<uint8_t, std::pair<size_t, size_t>>> groups;
  for (size_t i = lo; i < hi;) {
    const uint8_t b = uint8_t(keys[i].first[depth]);
    size_t j = i + 1;
    while (j < hi && uint8_t(keys[j].first[depth]) == b) j++;
    groups.push_back({b, {i, j}});
    i = j;
  }
  const uint32_t first = uint32_t(edge_bytes_.size());
  nodes_[id].edges = first;
  nodes_[id].n_edges = uint32_t(groups.size());
  edge_bytes_.resize(first + groups.size());
  edge_child_.resize(first + groups.size());
  for (size_t g = 0; g < groups.size(); g++) {
    edge_bytes_[first + g] = groups[g].first;
    const uint32_t c = build(keys, groups[g].second.first, groups[g].second.second, depth + 1);
    edge_child_[first + g] = c;
  }
  if (depth == 0 || groups.size() >= kDenseFrom) {
    if (depth == 0) {
      nodes_[id].dense = 0;
    } else {
      nodes_[id].dense = uint32_t(dense_.size());
      dense_.resize(dense_.size() + 256, kNone);
    }
    for (size_t g = 0; g < groups.size(); g++)
      dense_[nodes_[id].dense + groups[g].first] = edge_child_[first + g];
  }
  return id;
}

ByteTrie::Match ByteTrie::longest(const uint8_t* s, size_t n) const {
  Match m;
  uint32_t node = 0;
  size_t i = 0;
  while (i < n) {
    const uint32_t c = child(node, s[i]);
    if (c == kNone) return m;
    node = c;
    i++;
    if (nodes_[node].value != kNone) {
      m.length = i;
      m.value = nodes_[node].value;
    }
  }
  m.open = nodes_[node].n_edges > 0;
  return m;
}

}  // namespace rwkv::text
