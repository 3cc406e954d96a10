// The CPU thread pool under concurrent callers whose loops alternate long and short: every
// index runs exactly once, inside its own loop's range. A worker woken late for a finished
// loop once read the next loop's function with the previous loop's length (and raced on it,
// which ThreadSanitizer reports in build-tsan).
#include <atomic>
#include <thread>
#include <vector>

#include "cpu/thread_pool.h"
#include "testing.h"

int main() {
  rwkv::cpu::ThreadPool pool(3);
  constexpr int kCallers = 3, kLoops = 4000;
  std::atomic<int> out_of_range{0}, miscounted{0};
  std::vector<std::thread> callers;
  for (int c = 0; c < kCallers; c++)
    callers.emplace_back([&, c] {
      for (int loop = 0; loop < kLoops; loop++) {
        // Long then short loops, so a stale length would reach past the short one.
        const int n = (loop + c) % 2 ? 64 : 2;
        std::vector<std::atomic<int>> hits(n);
        pool.parallel_for(n, [&](int i) {
          if (i < 0 || i >= n) {
            out_of_range++;
            return;
          }
          hits[i]++;
        });
        for (int i = 0; i < n; i++)
          if (hits[i].load() != 1) miscounted++;
      }
    });
  for (auto& t : callers) t.join();
  CHECK_MSG(out_of_range.load() == 0, "%d items ran outside their loop", out_of_range.load());
  CHECK_MSG(miscounted.load() == 0, "%d items ran other than once", miscounted.load());
  return testing::finish();
}
