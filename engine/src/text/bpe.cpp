#include "text/bpe.h"

#include <queue>

namespace rwkv::text {

Bpe::Bpe(const std::array<uint32_t, 256>& byte_tokens, const std::vector<Merge>& merges)
    : byte_tokens_(byte_tokens) {
  merges_.reserve(merges.size());
  for (size_t r = 0; r < merges.size(); r++)  // a repeated pair keeps its last rank, as the reference does
    merges_[key(merges[r].left, merges[r].right)] = {uint32_t(r), merges[r].result};
}

void Bpe::encode(std::string_view word, std::vector<uint32_t>& out) const {
  const size_t n = word.size();
  if (n == 1) {
    out.push_back(byte_tokens_[uint8_t(word[0])]);
    return;
  }
  // Symbols in a linked list over the byte positions; a merge keeps the left position.
  std::vector<uint32_t> sym(n);
  std::vector<int32_t> next(n), prev(n);
  for (size_t i = 0; i < n; i++) {
    sym[i] = byte_tokens_[uint8_t(word[i])];
    next[i] = i + 1 < n ? int32_t(i + 1) : -1;
    prev[i] = int32_t(i) - 1;
  }
  struct Cand {
    uint32_t rank, pos, left, right, result;
    bool operator>(const Cand& o) const { return rank != o.rank ? rank > o.rank : pos > o.pos; }
  };
  std::priority_queue<Cand, std::vector<Cand>, std::greater<Cand>> queue;
  auto consider = [&](int32_t pos) {
    if (pos < 0 || next[size_t(pos)] < 0) return;
    const uint32_t l = sym[size_t(pos)], r = sym[size_t(next[size_t(pos)])];
    auto it = merges_.find(key(l, r));
    if (it != merges_.end()) queue.push({it->second.first, uint32_t(pos), l, r, it->second.second});
  };
  for (size_t i = 0; i + 1 < n; i++) consider(int32_t(i));
  while (!queue.empty()) {
    const Cand c = queue.top();
    queue.pop();
    const int32_t r = next[c.pos];
    // Stale when either side has changed since the candidate was queued.
    if (sym[c.pos] != c.left || r < 0 || sym[size_t(r)] != c.right || prev[size_t(r)] != int32_t(c.pos)) continue;
    sym[c.pos] = c.result;
    next[c.pos] = next[size_t(r)];
    if (next[size_t(r)] >= 0) prev[size_t(next[size_t(r)])] = int32_t(c.pos);
    prev[size_t(r)] = -2;  // dead
    consider(prev[c.pos]);
    consider(int32_t(c.pos));
  }
  for (int32_t i = 0; i >= 0; i = next[size_t(i)]) out.push_back(sym[size_t(i)]);
}

}  // namespace rwkv::text
