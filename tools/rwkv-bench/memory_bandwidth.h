// The machine's memory read bandwidth as the CPU decode sees it: threads summing their
// shares of a buffer far larger than the caches, the best of several passes. Decode reads
// every weight once per token, so this is its ceiling; rwkv-bench prints each decode rate
// as a fraction of it, measured in the same run.
#pragma once
#include <cstddef>

namespace rwkv::bench {

// Bytes per second; `bytes` is rounded down to a multiple of 64 per thread.
double memory_read_bandwidth(int threads, size_t bytes = size_t(1) << 30);

}  // namespace rwkv::bench
