// Many streams on one model: concurrent Model::eval calls (sessions, elements, each on its
// own thread) merged into batched passes of the runner, so B streams in step mode read every
// weight once per pass instead of B times.
//
// No thread of its own: the first caller to find no pass running leads. It takes what is pending
// (waiting up to `wait` for the streams that were in the previous pass, so that steady streams stay
// in step), runs one pass and hands the lead on; the others sleep until their work is done. A
// request of up to a quarter pass (pass_rows() / 4 tokens: a live line, a step) goes whole; a
// longer one advances by at most pass_rows() tokens per pass, and by pass_rows() / 16 while another
// stream is in the pass or another caller's stream has been served in the last kRecent (a backlog
// beside live streams: 8 tokens on the CPU, about 30 ms of a 169M model on two cores, at about 70%
// of a full pass's throughput), so a live stream never waits long behind a prefill (32 live score
// streams beside a 100 KB backlog: p99 70-140 ms; with 4-token slices, at 60% of the throughput, no
// better). A pass runs the requests that end in it first, then the backlogs' slices (left to the
// next pass, once in a row at most, when a request came in meanwhile: p99 68-93 ms), each group as
// one runner call whatever tokens and logits each request has and wants (eval_streams: score
// mode's every token, a step's last, a prefill's none; the CPU reads each weight once for the
// group, where steps of the shortest request's length read them once per distinct length). A batched
// pass computes each stream exactly as it would alone on the CPU (bit for bit, tested), so results
// do not depend on who else is running. On the GPU they may, in the last bits: cuBLAS picks its
// kernels by the number of rows, so a stream's logits can differ with the number of streams sharing
// its pass, and a greedy choice between two tokens within that difference can too. A caller alone
// on the model waits for nothing.
#pragma once
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <mutex>
#include <span>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "model/runner.h"

namespace rwkv {

class Scheduler {
 public:
  Scheduler(Runner& runner, std::chrono::microseconds wait) : runner_(runner), wait_(wait) {}
  // As Runner::eval (tokens and state already checked); returns when done, rethrowing what
  // the runner threw for this request's pass.
  void eval(State& state, std::span<const uint32_t> tokens, float* logits, Logits which);
  BatchStats stats();

 private:
  struct Request {
    State* state = nullptr;
    std::span<const uint32_t> tokens;
    float* logits = nullptr;
    Logits which = Logits::None;
    size_t done = 0;        // tokens evaluated (all of them after an error); the leader's
    std::exception_ptr error;  // the leader's
    bool finished = false;  // guarded by m_
    std::thread::id caller = std::this_thread::get_id();
  };
  // Runs one pass over `work`; releases each request when it is done (finished, under the
  // lock), after which it is not touched. Returns the states it served.
  std::vector<const State*> run_pass(std::vector<Request*> work);
  using Clock = std::chrono::steady_clock;
  // Advances each of `going` (slice, request) by its slice as one runner call, then releases
  // the callers that are done. Adds the states served to `served`.
  void run_requests(std::span<const std::pair<size_t, Request*>> going, Clock::time_point now,
                    std::vector<const State*>& served);
  // A request's slice is over (or it failed): its state served, the caller released when the
  // request is done.
  void end_slice(Request* q, Clock::time_point now, std::vector<const State*>& served);
  void release(Request* q);
  // Tokens a request may advance in this pass: all of a request of up to a quarter pass; of a
  // longer one a sixteenth when other streams are in it or another caller's (another thread's:
  // one thread going over many states, as punctuate mode's forks do, is one client) were
  // served in the last kRecent, a full pass when not.
  size_t slice_for(const Request* q, bool others_in_pass) const;

  static constexpr std::chrono::seconds kRecent{5};

  Runner& runner_;
  const std::chrono::microseconds wait_;
  std::mutex m_;
  std::condition_variable changed_;  // a request arrived, or a pass ended
  std::vector<Request*> pending_;    // guarded by m_
  bool running_ = false;             // a leader holds the pass; guarded by m_
  std::unordered_set<const State*> last_states_;  // the previous pass's streams; guarded by m_
  // When each stream was last served (streams of the last kRecent); the leader's.
  struct Served {
    Clock::time_point when;
    std::thread::id caller;
  };
  std::unordered_map<const State*, Served> served_;
  size_t back_ = 0;  // requests pending from those streams; guarded by m_
  bool deferred_ = false;  // the last pass left its backlogs' slices for a newcomer; the leader's
  BatchStats stats_;                 // guarded by m_
  // The leader's buffers (only the leader touches them).
  std::vector<uint32_t> tokens_;
  std::vector<State*> states_;
  std::vector<StreamOut> outs_;
  std::vector<size_t> counts_;
};

}  // namespace rwkv
