// The channel-mix block (arch/channel_mix.h) on the CPU, over a pass's rows.
#pragma once
#include "arch/channel_mix.h"
#include "cpu/binder.h"
#include "cpu/ops.h"

namespace rwkv::cpu {

using ChannelMix = arch::ChannelMix<Binder>;

// Floats of scratch channel_mix() needs per token.
size_t channel_mix_scratch(const ModelInfo& info);
// x[rows, C] += ChannelMix(LN2(x)) for the B = carry.B() streams' rows (carry.first); xx
// [rows, C] receives LN2(x); carry is each state's ffn_x.
void channel_mix(ThreadPool& pool, const ChannelMix& w, float* x, float* xx, const StatePart& carry, float* scratch);

}  // namespace rwkv::cpu
