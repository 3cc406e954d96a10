// The channel-mix block (arch/channel_mix.h) on the CPU, over a chunk of T tokens.
#pragma once
#include "arch/channel_mix.h"
#include "cpu/binder.h"
#include "cpu/ops.h"

namespace rwkv::cpu {

using ChannelMix = arch::ChannelMix<Binder>;

// Floats of scratch channel_mix() needs per token.
size_t channel_mix_scratch(const ModelInfo& info);
// x[B*T, C] += ChannelMix(LN2(x)) for B = carry.B() streams of T tokens; xx [B*T, C]
// receives LN2(x); carry is each state's ffn_x.
void channel_mix(ThreadPool& pool, const ChannelMix& w, float* x, float* xx, const StatePart& carry, int T,
                 float* scratch);

}  // namespace rwkv::cpu
