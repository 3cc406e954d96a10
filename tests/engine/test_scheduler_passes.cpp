// How the scheduler forms passes, on a runner that only records them (a pass takes 20 ms):
// "rejoin": four streams in step, each with 1-4 ms of its own work between steps (as a
//   client samples and renders), one of which pauses once for longer than the scheduler's
//   wait; once it is back every pass has all four again (counting the previous pass's
//   requests instead of its streams kept one stream missing each pass from then on);
// "alone": a single stream never waits for others;
// "leaver": when a stream stops, the others pay the wait once, not every pass.
// Real models and every stream's exact results: test_scheduler.
#include <algorithm>
#include <atomic>
#include <functional>
#include <chrono>
#include <mutex>
#include <thread>

#include "model/scheduler.h"
#include "testing.h"

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

rwkv::ModelInfo tiny_info() {
  rwkv::ModelInfo info;
  info.n_vocab = 4;
  info.n_embd = 1;
  info.n_layer = 1;
  return info;
}

class PassRecorder final : public rwkv::Runner {
 public:
  PassRecorder() : Runner(tiny_info()) {}
  void eval(rwkv::State&, std::span<const uint32_t>, float*, rwkv::Logits) override { record(1); }
  void eval_batch(std::span<rwkv::State* const> states, std::span<const uint32_t>, float*) override {
    record(states.size());
  }
  int threads() const override { return 1; }
  uint64_t weight_bytes() const override { return 0; }
  std::vector<size_t> passes() {
    std::lock_guard<std::mutex> lk(m_);
    return passes_;
  }

 private:
  void record(size_t streams) {
    std::this_thread::sleep_for(milliseconds(20));
    std::lock_guard<std::mutex> lk(m_);
    passes_.push_back(streams);
  }
  std::mutex m_;
  std::vector<size_t> passes_;
};

// n streams of `steps` single-token steps, stream i working i + 1 ms after each when `work`;
// stream `pauser` sleeps `pause` before step 5 and stream `leaver` stops after `leave_after`
// steps. Returns the wall time in seconds.
double run_streams(rwkv::Scheduler& s, int n, int steps, bool work, int pauser, milliseconds pause, int leaver = -1,
                   int leave_after = 0) {
  std::vector<std::thread> threads;
  const auto t0 = Clock::now();
  for (int i = 0; i < n; i++)
    threads.emplace_back([&, i] {
      rwkv::State state;
      std::vector<float> logits(4);
      const uint32_t tok = 1;
      for (int step = 0; step < (i == leaver ? leave_after : steps); step++) {
        if (i == pauser && step == 5) std::this_thread::sleep_for(pause);
        s.eval(state, std::span<const uint32_t>(&tok, 1), logits.data(), rwkv::Logits::Last);
        if (work) std::this_thread::sleep_for(milliseconds(i + 1));
      }
    });
  for (auto& t : threads) t.join();
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

void rejoin() {
  PassRecorder r;
  rwkv::Scheduler s(r, std::chrono::microseconds(50000));
  run_streams(s, 4, 40, /*work=*/true, /*pauser=*/3, milliseconds(150));
  const std::vector<size_t> p = r.passes();
  size_t full = 0;
  for (size_t n : p) full += n == 4;
  std::printf("%zu passes, %zu with all four streams\n", p.size(), full);
  // 40 steps each, the pause costs the pauser about 5 passes: about 35 full passes; with the
  // counting rule, after the pause only those before it.
  CHECK_MSG(full >= 25, "only %zu of %zu passes had all four streams", full, p.size());
}

void alone() {
  PassRecorder r;
  rwkv::Scheduler s(r, std::chrono::microseconds(200000));
  const double t = run_streams(s, 1, 20, false, -1, milliseconds(0));
  std::printf("one stream, 20 passes of 20 ms: %.2f s\n", t);
  CHECK_MSG(t < 1.5, "a single stream took %.2f s for 20 passes of 20 ms (it waited for others)", t);
}

void leaver() {
  PassRecorder r;
  rwkv::Scheduler s(r, std::chrono::microseconds(100000));
  const double t = run_streams(s, 2, 30, false, -1, milliseconds(0), /*leaver=*/1, /*leave_after=*/5);
  std::printf("two streams, one leaving after 5 steps, 30 steps: %.2f s\n", t);
  // 30 passes of 20 ms and one wait of 100 ms; waiting at every pass would take 3.6 s.
  CHECK_MSG(t < 2.2, "%.2f s: the remaining stream waited for the one that left more than once", t);
}

// A runner that records the tokens of each call (every call takes 20 ms), and can hold the
// long calls of one state until a flag is set, or a second has passed.
class SliceRecorder final : public rwkv::Runner {
 public:
  SliceRecorder() : Runner(tiny_info()) {}
  void eval(rwkv::State& s, std::span<const uint32_t> t, float*, rwkv::Logits which) override {
    rwkv::State* one = &s;
    record(std::span<rwkv::State* const>(&one, 1), {t.size()}, {which});
  }
  void eval_batch(std::span<rwkv::State* const> states, std::span<const uint32_t> t, float* logits) override {
    record(states, std::vector<size_t>(states.size(), t.size() / states.size()),
           std::vector<rwkv::Logits>(states.size(), logits ? rwkv::Logits::Last : rwkv::Logits::None));
  }
  void eval_streams(std::span<rwkv::State* const> states, std::span<const uint32_t>, std::span<const size_t> counts,
                    std::span<const rwkv::StreamOut> out) override {
    std::vector<rwkv::Logits> which;
    for (const rwkv::StreamOut& o : out) which.push_back(o.which);
    record(states, std::vector<size_t>(counts.begin(), counts.end()), which);
  }
  int threads() const override { return 1; }
  uint64_t weight_bytes() const override { return 0; }
  struct Call {
    std::vector<size_t> tokens;  // of each state
    std::vector<const rwkv::State*> states;
    std::vector<rwkv::Logits> which;
  };
  std::vector<Call> calls() {
    std::lock_guard<std::mutex> lk(m_);
    return calls_;
  }
  std::vector<size_t> slices_of(const rwkv::State* s) {
    std::vector<size_t> out;
    for (const Call& c : calls())
      for (size_t i = 0; i < c.states.size(); i++)
        if (c.states[i] == s) out.push_back(c.tokens[i]);
    return out;
  }
  const rwkv::State* hold = nullptr;  // its calls wait for `released` (set before the threads start)
  std::function<void(std::span<rwkv::State* const>)> on_call;  // at the start of every call
  std::atomic<bool> released{false};
  std::atomic<int> held_waits{0}, held_timeouts{0};

 private:
  void record(std::span<rwkv::State* const> states, std::vector<size_t> n, std::vector<rwkv::Logits> which) {
    if (on_call) on_call(states);
    const auto held = std::find(states.begin(), states.end(), hold);
    if (held != states.end() && n[size_t(held - states.begin())] > 1) {
      held_waits++;
      const auto until = Clock::now() + std::chrono::seconds(1);
      while (!released && Clock::now() < until) std::this_thread::sleep_for(milliseconds(1));
      if (!released) held_timeouts++;
    }
    std::this_thread::sleep_for(milliseconds(20));
    std::lock_guard<std::mutex> lk(m_);
    calls_.push_back(Call{std::move(n), std::vector<const rwkv::State*>(states.begin(), states.end()), std::move(which)});
  }
  std::mutex m_;
  std::vector<Call> calls_;
};

// A backlog (1000 tokens in one call) alone goes in full passes (pass_rows(), 128), also
// after its own caller's other states; beside another caller's stream served in the last
// seconds, in sixteenths, so a live stream waits for at most a short one; a live line (up to
// a quarter pass) goes whole.
void backlog_yields() {
  SliceRecorder r;
  rwkv::Scheduler s(r, std::chrono::microseconds(2000));
  const std::vector<uint32_t> backlog(1000, 1);
  rwkv::State bulk, live, later;
  s.eval(bulk, backlog, nullptr, rwkv::Logits::None);
  const std::vector<size_t> alone = r.slices_of(&bulk);
  CHECK_MSG(alone.size() == 8 && alone.front() == 128, "alone: %zu calls of %zu tokens first", alone.size(),
            alone.empty() ? size_t(0) : alone.front());
  const uint32_t tok = 1;
  // One caller going over several states (punctuate mode's forks) is one client: full passes.
  rwkv::State fork, own;
  s.eval(fork, std::span<const uint32_t>(&tok, 1), nullptr, rwkv::Logits::None);
  s.eval(own, backlog, nullptr, rwkv::Logits::None);
  CHECK_MSG(r.slices_of(&own).size() == 8, "one caller's second state went in %zu calls, not 8", r.slices_of(&own).size());
  // A live stream (another thread), just served.
  std::thread([&] { s.eval(live, std::span<const uint32_t>(&tok, 1), nullptr, rwkv::Logits::None); }).join();
  s.eval(later, backlog, nullptr, rwkv::Logits::None);
  const std::vector<size_t> beside = r.slices_of(&later);
  size_t longest = 0;
  for (size_t n : beside) longest = std::max(longest, n);
  std::printf("a backlog of 1000 tokens: %zu calls alone, %zu beside a live stream (longest %zu tokens)\n",
              alone.size(), beside.size(), longest);
  // Slices of 8 tokens (pass_rows() / 16) to the end.
  size_t sum = 0;
  for (size_t i = 0; i < beside.size(); i++) {
    sum += beside[i];
    CHECK_MSG(i + 1 == beside.size() ? beside[i] <= 8 : beside[i] == 8,
              "beside a live stream the backlog's slice %zu ran %zu tokens", i, beside[i]);
  }
  CHECK(sum == backlog.size());
  // A request of up to a quarter pass (a live line) goes whole, beside others or not.
  rwkv::State line;
  const std::vector<uint32_t> words(32, 1);
  s.eval(line, words, nullptr, rwkv::Logits::None);
  CHECK(r.slices_of(&line) == std::vector<size_t>{32});
}

// Requests that want every token's logits (score mode) and arrive together share one call,
// each with its own number of tokens; a backlog's slice comes after them.
void scores_together() {
  SliceRecorder r;
  rwkv::Scheduler s(r, std::chrono::microseconds(2000));
  rwkv::State bulk, lines[3];
  r.hold = &bulk;
  std::thread backlog([&] {
    const std::vector<uint32_t> tokens(300, 1);
    s.eval(bulk, tokens, nullptr, rwkv::Logits::None);
  });
  std::this_thread::sleep_for(milliseconds(50));  // the backlog's first pass is held
  std::vector<std::thread> live;
  for (size_t i = 0; i < 3; i++)
    live.emplace_back([&, i] {
      const std::vector<uint32_t> tokens(6 + i, 1);
      std::vector<float> logits(tokens.size() * 4);
      s.eval(lines[i], tokens, logits.data(), rwkv::Logits::All);
    });
  std::this_thread::sleep_for(milliseconds(50));  // all three wait for the next pass
  r.released = true;
  for (auto& t : live) t.join();
  backlog.join();
  const std::vector<SliceRecorder::Call> calls = r.calls();
  // The calls of the second pass: the three lines' 6, 7 and 8 tokens in one, then the
  // backlog's slice.
  CHECK_MSG(calls.size() >= 3, "%zu calls", calls.size());
  if (calls.size() < 3) return;
  const SliceRecorder::Call& c = calls[1];
  std::printf("call: %zu streams\n", c.states.size());
  CHECK_MSG(c.states.size() == 3, "a call of %zu streams, not the three lines", c.states.size());
  for (size_t i = 0; i < c.states.size() && i < 3; i++) {
    CHECK(c.states[i] == &lines[i] && c.tokens[i] == 6 + i);
    CHECK(c.which[i] == rwkv::Logits::All);
  }
  CHECK(calls[2].states.size() == 1 && calls[2].states[0] == &bulk && calls[2].tokens[0] == 8);
}

// In a pass with a backlog's slice and a live stream's step, the step runs first and its
// caller returns before the backlog's slice runs: the runner holds the backlog's calls until
// the live caller has returned (a second at most).
void live_first() {
  SliceRecorder r;
  rwkv::Scheduler s(r, std::chrono::microseconds(2000));
  rwkv::State bulk, live;
  r.hold = &bulk;
  std::thread backlog([&] {
    const std::vector<uint32_t> tokens(300, 1);
    s.eval(bulk, tokens, nullptr, rwkv::Logits::None);
  });
  std::this_thread::sleep_for(milliseconds(50));  // the backlog's first pass is held
  const uint32_t tok = 1;
  s.eval(live, std::span<const uint32_t>(&tok, 1), nullptr, rwkv::Logits::None);
  r.released = true;
  backlog.join();
  std::printf("backlog calls held %d times, %d of them until the timeout\n", int(r.held_waits), int(r.held_timeouts));
  // The first backlog call was held with the live request waiting for it; every call after
  // (the live stream's pass included) runs once the live caller has returned.
  CHECK_MSG(r.held_timeouts <= 1, "the live caller was held behind the backlog's slice %d times", int(r.held_timeouts));
  CHECK(r.slices_of(&live).size() == 1);
}

// A live line that comes in while a pass runs its live requests goes before the backlog's
// slice of that pass (which waits for the next pass, once): the calls run live A, live B,
// then the backlog's slice.
void newcomer_first() {
  SliceRecorder r;
  rwkv::Scheduler s(r, std::chrono::microseconds(2000));
  rwkv::State bulk, a, b;
  r.hold = &bulk;
  std::thread b_thread;
  const uint32_t tok = 1;
  r.on_call = [&](std::span<rwkv::State* const> states) {
    if (states.size() == 1 && states[0] == &a)  // B arrives while A's call runs
      b_thread = std::thread([&] { s.eval(b, std::span<const uint32_t>(&tok, 1), nullptr, rwkv::Logits::None); });
  };
  std::thread backlog([&] {
    const std::vector<uint32_t> tokens(300, 1);
    s.eval(bulk, tokens, nullptr, rwkv::Logits::None);
  });
  std::this_thread::sleep_for(milliseconds(50));  // the backlog's first pass (a full one) is held
  std::thread a_thread([&] { s.eval(a, std::span<const uint32_t>(&tok, 1), nullptr, rwkv::Logits::None); });
  std::this_thread::sleep_for(milliseconds(50));
  r.released = true;
  a_thread.join();
  backlog.join();
  b_thread.join();
  std::vector<const rwkv::State*> order;
  for (const SliceRecorder::Call& c : r.calls())
    if (c.states.size() == 1) order.push_back(c.states[0]);
  // The held full pass of the backlog, then A, B and the backlog's next slice.
  CHECK_MSG(order.size() >= 4 && order[1] == &a && order[2] == &b && order[3] == &bulk,
            "after the backlog's first pass the calls ran %s, %s, %s (want A, B, backlog)",
            order.size() > 1 ? (order[1] == &a ? "A" : order[1] == &b ? "B" : "backlog") : "-",
            order.size() > 2 ? (order[2] == &a ? "A" : order[2] == &b ? "B" : "backlog") : "-",
            order.size() > 3 ? (order[3] == &a ? "A" : order[3] == &b ? "B" : "backlog") : "-");
}

}  // namespace

int main(int argc, char** argv) {
  return testing::run_cases(argc, argv,
                            {{"rejoin", rejoin},
                             {"alone", alone},
                             {"leaver", leaver},
                             {"backlog-yields", backlog_yields},
                             {"live-first", live_first},
                             {"scores-together", scores_together},
                             {"newcomer-first", newcomer_first}},
                            true);
}
