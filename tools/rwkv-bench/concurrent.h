// N sessions' worth of streams on one model, each on its own thread doing what a live
// caption stream does (one token at a time, with logits; or a backlog in one call): the
// aggregate rate and each step's latency, as Model's scheduler batches them (or not, with
// batch_streams off).
#pragma once
#include "rwkv/model.h"

namespace rwkv::bench {

struct ConcurrentResult {
  double tokens_per_s = 0;      // all streams together
  double p50_ms = 0, p99_ms = 0;  // one step, over every stream's steps
  double streams_per_pass = 0;  // from Model::batch_stats (0 without batching)
};

ConcurrentResult concurrent_decode(const Model& m, int streams, int steps);
// Each stream reads T tokens in one call (a transcript's backlog): all streams' tokens/s.
double concurrent_prefill(const Model& m, int streams, int T);

}  // namespace rwkv::bench
