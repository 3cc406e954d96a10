// The channel-mix block (arch/channel_mix.h) on the CPU, over a chunk of T tokens.
#pragma once
#include "arch/channel_mix.h"
#include "cpu/binder.h"

namespace rwkv::cpu {

using ChannelMix = arch::ChannelMix<Binder>;

// Floats of scratch channel_mix() needs per token.
size_t channel_mix_scratch(const ModelInfo& info);
// x[T, C] += ChannelMix(LN2(x)); xx [T, C] receives LN2(x); carry is the state's ffn_x.
void channel_mix(ThreadPool& pool, const ChannelMix& w, float* x, float* xx, float* carry, int T, float* scratch);

}  // namespace rwkv::cpu
