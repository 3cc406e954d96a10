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
    try {
      run_pass(work);
    } catch (...) {  // outside the runner (e.g. memory for the pass): every request fails
      for (Request* q : work)
        if (q->done < q->tokens.size()) q->error = std::current_exception(), q->done = q->tokens.size();
    }
    lk.lock();
    // Published under the lock: a caller reads `finished` only under it, and returns (its
    // request gone) only after this; the pass wrote `done` and `error` before.
    for (Request* q : work) q->finished = q->done == q->tokens.size();
    pending_.erase(std::remove_if(pending_.begin(), pending_.end(), [](const Request* q) { return q->finished; }),
                   pending_.end());
    last_states_.clear();
    for (const Request* q : work) last_states_.insert(q->state);
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

void Scheduler::run_pass(const std::vector<Request*>& work) {
  const size_t V = size_t(runner_.info().n_vocab), slice = size_t(runner_.pass_rows());
  // Groups for one eval_batch each: (tokens this pass, logits wanted now). A state asked for
  // twice (two threads on one state) waits for the next pass.
  std::map<std::pair<size_t, bool>, std::vector<Request*>> groups;
  std::vector<Request*> alone;  // every token's logits
  std::set<const State*> seen;
  for (Request* q : work) {
    if (!seen.insert(q->state).second) continue;
    const size_t n = std::min(slice, q->tokens.size() - q->done);
    const bool last = q->done + n == q->tokens.size();
    if (q->which == Logits::All) alone.push_back(q);
    else groups[{n, last && q->which == Logits::Last}].push_back(q);
  }
  // Only `done` and `error` here: `finished` is the caller's to read, set under the lock.
  auto finish = [&](Request* q, size_t n) { q->done += n; };
  auto fail = [&](Request* q) {
    q->error = std::current_exception();
    q->done = q->tokens.size();
  };
  for (Request* q : alone) {
    const size_t n = std::min(slice, q->tokens.size() - q->done);
    try {
      runner_.eval(*q->state, q->tokens.subspan(q->done, n), q->logits + q->done * V, Logits::All);
      finish(q, n);
    } catch (...) {
      fail(q);
    }
  }
  for (auto& [key, group] : groups) {
    const auto [n, want_logits] = key;
    try {
      if (group.size() == 1) {  // as the caller would have run it alone
        Request* q = group.front();
        runner_.eval(*q->state, q->tokens.subspan(q->done, n), want_logits ? q->logits : nullptr,
                     want_logits ? Logits::Last : Logits::None);
      } else {
        tokens_.clear();
        states_.clear();
        for (Request* q : group) {
          states_.push_back(q->state);
          tokens_.insert(tokens_.end(), q->tokens.begin() + std::ptrdiff_t(q->done),
                         q->tokens.begin() + std::ptrdiff_t(q->done + n));
        }
        if (want_logits) logits_.resize(group.size() * V);
        runner_.eval_batch(states_, tokens_, want_logits ? logits_.data() : nullptr);
        if (want_logits)
          for (size_t b = 0; b < group.size(); b++)
            std::memcpy(group[b]->logits, logits_.data() + b * V, V * sizeof(float));
      }
      for (Request* q : group) finish(q, n);
    } catch (...) {
      for (Request* q : group) fail(q);
    }
  }
}

}  // namespace rwkv
