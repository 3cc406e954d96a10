#include "model/scheduler.h"

#include <algorithm>
#include <set>

namespace rwkv {

void Scheduler::eval(State& state, std::span<const uint32_t> tokens, float* logits, Logits which) {
  Request r;
  r.state = &state;
  r.tokens = tokens;
  r.logits = logits;
  r.which = which;
  std::unique_lock<std::mutex> lk(m_);
  pending_.push_back(&r);
  if (last_states_.count(&state)) back_++;
  changed_.notify_all();
  while (!r.finished) {
    if (running_) {
      changed_.wait(lk);
      continue;
    }
    running_ = true;
    // Streams that were in the last pass are likely coming back: give them a moment. (Waiting
    // for as many requests as that pass had is not the same: a stream that missed it counts,
    // and then one of the returning streams misses this pass, and so on.)
    if (back_ < last_states_.size())
      changed_.wait_for(lk, wait_, [&] { return back_ >= last_states_.size(); });
    const std::vector<Request*> work = pending_;
    lk.unlock();
    // Requests done in the pass have been released (and may be gone): only their count and
    // their states, taken before, are used here.
    const std::vector<const State*> served = run_pass(work);
    lk.lock();
    last_states_.clear();
    last_states_.insert(served.begin(), served.end());
    back_ = 0;  // those still pending (more tokens to go) are back already
    for (const Request* q : pending_) back_ += last_states_.count(q->state);
    stats_.passes++;
    stats_.requests += work.size();
    running_ = false;
    changed_.notify_all();
  }
  lk.unlock();
  if (r.error) std::rethrow_exception(r.error);
}

BatchStats Scheduler::stats() {
  std::lock_guard<std::mutex> lk(m_);
  return stats_;
}

void Scheduler::release(Request* q) {
  // Published under the lock: a caller reads `finished` only under it, and returns (its
  // request gone) only after this; the pass wrote `done` and `error` before.
  std::lock_guard<std::mutex> lk(m_);
  q->finished = true;
  pending_.erase(std::find(pending_.begin(), pending_.end(), q));
  changed_.notify_all();
}

size_t Scheduler::slice_for(const Request* q, bool others_in_pass) const {
  const size_t rows = size_t(runner_.pass_rows()), left = q->tokens.size() - q->done;
  if (q->tokens.size() <= rows / 4) return left;  // a live line, a step: whole
  bool others = others_in_pass;
  for (const auto& [s, was] : served_)  // served_ holds the last kRecent
    others = others || (s != q->state && was.caller != q->caller);
  return std::min(others ? std::max<size_t>(1, rows / 16) : rows, left);
}

std::vector<const State*> Scheduler::run_pass(std::vector<Request*> work) {
  const auto now = std::chrono::steady_clock::now();
  std::vector<const State*> served;
  // Each request advances by its slice this pass: first those that end in it (their callers
  // return), then the slices of longer ones (a backlog's), each group as one call
  // (run_requests). A state asked for twice (two threads on one state) waits for the next
  // pass.
  std::vector<std::pair<size_t, Request*>> going;  // (slice, request)
  size_t ending = 0;  // going[0, ending) end in this pass
  try {
    for (auto it = served_.begin(); it != served_.end();)
      it = now - it->second.when < kRecent ? std::next(it) : served_.erase(it);
    std::set<const State*> seen;
    for (const Request* q : work) seen.insert(q->state);
    const bool crowded = seen.size() > 1;
    seen.clear();
    for (Request* q : work)
      if (seen.insert(q->state).second) going.emplace_back(slice_for(q, crowded), q);
    auto key = [](const std::pair<size_t, Request*>& g) {
      return std::pair(g.second->done + g.first < g.second->tokens.size(), g.first);
    };
    std::stable_sort(going.begin(), going.end(), [&](const auto& a, const auto& b) { return key(a) < key(b); });
    while (ending < going.size() && !key(going[ending]).first) ending++;
    states_.reserve(going.size());
    outs_.reserve(going.size());
  } catch (...) {  // outside the runner (memory for the pass): every request fails
    for (Request* q : work) {
      q->error = std::current_exception();
      q->done = q->tokens.size();
      served.push_back(q->state);
      release(q);
    }
    return served;
  }
  run_requests(std::span(going).first(ending), now, served);
  if (ending < going.size()) {
    // A request that came in meanwhile (a live line) goes before the backlogs' slices: they
    // wait for the next pass, once in a row at most.
    bool newcomer = false;
    {
      std::lock_guard<std::mutex> lk(m_);
      for (const Request* q : pending_) newcomer = newcomer || std::find(work.begin(), work.end(), q) == work.end();
    }
    if (newcomer && !deferred_) {
      deferred_ = true;
      return served;
    }
    deferred_ = false;
    run_requests(std::span(going).subspan(ending), now, served);
  }
  return served;
}

void Scheduler::run_requests(std::span<const std::pair<size_t, Request*>> going, Clock::time_point now,
                             std::vector<const State*>& served) {
  // Only `done` and `error` here: `finished` is the caller's to read, set by release().
  if (going.empty()) return;
  const size_t V = size_t(runner_.info().n_vocab);
  try {
    tokens_.clear();
    states_.clear();
    outs_.clear();
    counts_.clear();
    for (const auto& [slice, q] : going) {
      states_.push_back(q->state);
      counts_.push_back(slice);
      tokens_.insert(tokens_.end(), q->tokens.begin() + std::ptrdiff_t(q->done),
                     q->tokens.begin() + std::ptrdiff_t(q->done + slice));
      outs_.push_back(StreamOut{q->logits, q->which}.part(q->done, slice, q->tokens.size(), V));
    }
    runner_.eval_streams(states_, tokens_, counts_, outs_);
    for (const auto& [slice, q] : going) q->done += slice;
  } catch (...) {  // every request of the call fails
    for (const auto& [slice, q] : going) {
      q->error = std::current_exception();
      q->done = q->tokens.size();
    }
  }
  for (const auto& [slice, q] : going) end_slice(q, now, served);
}

void Scheduler::end_slice(Request* q, Clock::time_point now, std::vector<const State*>& served) {
  served.push_back(q->state);
  served_[q->state] = Served{now, q->caller};
  if (q->done == q->tokens.size()) release(q);  // gone from here on
}

}  // namespace rwkv
