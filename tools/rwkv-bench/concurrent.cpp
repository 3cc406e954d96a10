#include "concurrent.h"

#include <algorithm>
#include <barrier>
#include <chrono>
#include <thread>
#include <vector>

namespace rwkv::bench {

ConcurrentResult concurrent_decode(const Model& m, int streams, int steps) {
  using Clock = std::chrono::steady_clock;
  const uint32_t V = uint32_t(m.info().n_vocab);
  std::vector<std::vector<double>> latency(static_cast<size_t>(streams));
  std::barrier start{std::ptrdiff_t(streams) + 1}, warmed{std::ptrdiff_t(streams) + 1};
  std::vector<std::thread> threads;
  for (int s = 0; s < streams; s++)
    threads.emplace_back([&, s] {
      State state = m.new_state();
      std::vector<float> logits(V);
      uint32_t tok = uint32_t(s) * 7919u % V;
      auto step = [&] {
        m.eval(state, std::span<const uint32_t>(&tok, 1), logits.data());
        tok = (tok * 1103515245u + 12345u) % V;
      };
      start.arrive_and_wait();
      for (int i = 0; i < 2; i++) step();  // warm-up, untimed
      warmed.arrive_and_wait();
      for (int i = 0; i < steps; i++) {
        const auto t0 = Clock::now();
        step();
        latency[size_t(s)].push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
      }
    });
  start.arrive_and_wait();
  warmed.arrive_and_wait();
  const BatchStats before = m.batch_stats();
  const auto t0 = Clock::now();
  for (auto& t : threads) t.join();
  const double wall = std::chrono::duration<double>(Clock::now() - t0).count();
  const BatchStats after = m.batch_stats();

  std::vector<double> all;
  for (const auto& l : latency) all.insert(all.end(), l.begin(), l.end());
  std::sort(all.begin(), all.end());
  ConcurrentResult r;
  r.tokens_per_s = double(streams) * steps / wall;
  r.p50_ms = all[all.size() / 2];
  r.p99_ms = all[std::min(all.size() - 1, all.size() * 99 / 100)];
  const uint64_t passes = after.passes - before.passes;
  r.streams_per_pass = passes ? double(after.requests - before.requests) / double(passes) : 0;
  return r;
}

}  // namespace rwkv::bench

namespace rwkv::bench {

double concurrent_prefill(const Model& m, int streams, int T) {
  const uint32_t V = uint32_t(m.info().n_vocab);
  std::barrier start{std::ptrdiff_t(streams) + 1};
  std::vector<std::thread> threads;
  for (int s = 0; s < streams; s++)
    threads.emplace_back([&, s] {
      State state = m.new_state();
      std::vector<uint32_t> toks(static_cast<size_t>(T));
      for (size_t i = 0; i < toks.size(); i++) toks[i] = uint32_t(s * 131 + int(i) * 7919) % V;
      std::vector<float> logits(V);
      start.arrive_and_wait();
      m.eval(state, toks, logits.data(), Logits::Last);
    });
  start.arrive_and_wait();
  const auto t0 = std::chrono::steady_clock::now();
  for (auto& t : threads) t.join();
  return double(streams) * T / std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace rwkv::bench
