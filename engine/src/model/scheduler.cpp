#include "model/scheduler.h"

#include <algorithm>
#include <cstring>
#include <map>
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
  bool others = others_in_pass;
  for (const auto& [s, when] : served_) others = others || s != q->state;  // served_ holds the last kRecent
  const size_t slice = size_t(runner_.pass_rows());
  return std::min(others ? std::max<size_t>(1, slice / 4) : slice, q->tokens.size() - q->done);
}

std::vector<const State*> Scheduler::run_pass(std::vector<Request*> work) {
  const size_t V = size_t(runner_.info().n_vocab);
  const auto now = std::chrono::steady_clock::now();
  std::vector<const State*> served;
  // Units of work, shortest first: a request alone (every token's logits), or a group for one
  // eval_batch (tokens this pass, logits wanted now). A state asked for twice (two threads on
  // one state) waits for the next pass.
  struct Unit {
    size_t n = 0;
    bool want_logits = false, alone = false;
    std::vector<Request*> requests;
  };
  std::vector<Unit> units;
  try {
    for (auto it = served_.begin(); it != served_.end();)
      it = now - it->second < kRecent ? std::next(it) : served_.erase(it);
    std::set<const State*> seen;
    for (const Request* q : work) seen.insert(q->state);
    const bool crowded = seen.size() > 1;
    seen.clear();
    std::map<std::pair<size_t, bool>, std::vector<Request*>> groups;
    for (Request* q : work) {
      if (!seen.insert(q->state).second) continue;
      const size_t n = slice_for(q, crowded);
      const bool last = q->done + n == q->tokens.size();
      if (q->which == Logits::All) units.push_back(Unit{n, true, true, {q}});
      else groups[{n, last && q->which == Logits::Last}].push_back(q);
    }
    for (auto& [key, group] : groups) units.push_back(Unit{key.first, key.second, false, std::move(group)});
    std::stable_sort(units.begin(), units.end(), [](const Unit& a, const Unit& b) { return a.n < b.n; });
  } catch (...) {  // outside the runner (memory for the pass): every request fails
    for (Request* q : work) {
      q->error = std::current_exception();
      q->done = q->tokens.size();
      served.push_back(q->state);
      release(q);
    }
    return served;
  }
  // Only `done` and `error` here: `finished` is the caller's to read, set by release().
  for (Unit& u : units) {
    const size_t n = u.n;
    try {
      if (u.alone) {
        Request* q = u.requests.front();
        runner_.eval(*q->state, q->tokens.subspan(q->done, n), q->logits + q->done * V, Logits::All);
      } else if (u.requests.size() == 1) {  // as the caller would have run it alone
        Request* q = u.requests.front();
        runner_.eval(*q->state, q->tokens.subspan(q->done, n), u.want_logits ? q->logits : nullptr,
                     u.want_logits ? Logits::Last : Logits::None);
      } else {
        tokens_.clear();
        states_.clear();
        for (Request* q : u.requests) {
          states_.push_back(q->state);
          tokens_.insert(tokens_.end(), q->tokens.begin() + std::ptrdiff_t(q->done),
                         q->tokens.begin() + std::ptrdiff_t(q->done + n));
        }
        if (u.want_logits) logits_.resize(u.requests.size() * V);
        runner_.eval_batch(states_, tokens_, u.want_logits ? logits_.data() : nullptr);
        if (u.want_logits)
          for (size_t b = 0; b < u.requests.size(); b++)
            std::memcpy(u.requests[b]->logits, logits_.data() + b * V, V * sizeof(float));
      }
      for (Request* q : u.requests) q->done += n;
    } catch (...) {
      for (Request* q : u.requests) {
        q->error = std::current_exception();
        q->done = q->tokens.size();
      }
    }
    for (Request* q : u.requests) {
      served.push_back(q->state);
      served_[q->state] = now;
      if (q->done == q->tokens.size()) release(q);
    }
  }
  return served;
}

}  // namespace rwkv
