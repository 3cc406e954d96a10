// What the engine knows of each RWKV version outside its layer maths: one row per Arch value,
// written beside the version's schema and layer sequence (arch/v4.h .. v7.h: Version::kTraits)
// and collected from the versions arch/versions.h lists. The state, model detection, the
// channel mix and the formats read these rows instead of switching on the version.
#pragma once
#include <span>

#include "rwkv/state.h"
#include "rwkv/tensor.h"

namespace rwkv::arch {

struct ArchTraits {
  Arch arch;
  const char* name;  // arch_name(): "rwkv5.2"
  // Recognised by layer 0's tensors: the newest version that has every one of `marks`.
  const char* marks[2];
  // The head count: from the first of `heads` that gives it (nullptr: none, RWKV-4). A
  // per-channel tensor holds C values shaped [H, N]; a per-head one H values. A per-channel
  // tensor of another size passes on to the next candidate.
  struct HeadsFrom {
    const char* tensor;
    bool per_channel;
  } heads[2];
  // A layer's state: `vectors` vectors of C floats, then, with matrix_state, H matrices of
  // N x N. All start at 0 but vector `reset_vector` (when >= 0), which starts at reset_value.
  int vectors;
  bool matrix_state;
  int reset_vector;
  float reset_value;
  // The channel mix: its token shift (delta: x + (prev - x) m, else x m + prev (1 - m)), its
  // mix vectors, and (ffn_mix_r set) the receptance gate.
  bool ffn_delta;
  const char* ffn_mix_k;
  const char* ffn_mix_r;
  float groupnorm_eps;          // ln_x's epsilon as BlinkDL's code has it
  float rwkvcpp_groupnorm_eps;  // as rwkv.cpp's graph has it (its files only match with it)
};

const ArchTraits& arch_traits(Arch a);
std::span<const ArchTraits> all_arch_traits();  // in Arch order
// The version a canonical tensor map holds (RWKV-4 when none of the others' marks are there).
Arch detect_arch(const TensorMap& m);

}  // namespace rwkv::arch
