#include "memory_bandwidth.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <thread>
#include <vector>

namespace rwkv::bench {

namespace {

// Eight independent integer sums: no dependency chain, and integer addition vectorises
// without reordering concerns, so the loop runs at the speed memory delivers.
uint64_t sum_words(const uint64_t* p, size_t n) {
  uint64_t s[8] = {};
  for (size_t i = 0; i + 8 <= n; i += 8)
    for (int k = 0; k < 8; k++) s[k] += p[i + size_t(k)];
  uint64_t t = 0;
  for (uint64_t v : s) t += v;
  return t;
}

}  // namespace

double memory_read_bandwidth(int threads, size_t bytes) {
  threads = std::max(1, threads);
  const size_t per_thread = bytes / size_t(threads) / 64 * 8;  // words, a multiple of 8
  std::vector<uint64_t> buf(per_thread * size_t(threads));
  std::memset(buf.data(), 1, buf.size() * sizeof(uint64_t));  // touch every page first
  volatile uint64_t sink = 0;
  double best = 0;
  for (int pass = 0; pass < 5; pass++) {
    std::vector<uint64_t> sums(static_cast<size_t>(threads));
    const auto t0 = std::chrono::steady_clock::now();
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; t++)
      pool.emplace_back([&, t] { sums[size_t(t)] = sum_words(buf.data() + size_t(t) * per_thread, per_thread); });
    for (auto& th : pool) th.join();
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    for (uint64_t v : sums) sink = sink + v;
    best = std::max(best, double(buf.size() * sizeof(uint64_t)) / s);
  }
  return best;
}

}  // namespace rwkv::bench
