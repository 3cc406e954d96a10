// What every version has around its layers: the embedding and ln0 before, ln_out and the
// head after.
#pragma once
#include "arch/binder.h"
#include "rwkv/state.h"

namespace rwkv::arch {

template <class B>
struct Ends {
  Norm<B> ln0, ln_out;
  typename B::Mat head;  // [V, C]
};

// The embedding itself ("emb.weight", [V, C]) is read row by row by each backend.
template <class B>
Ends<B> bind_ends(B& b, const ModelInfo& info) {
  const size_t C = size_t(info.n_embd);
  Ends<B> e;
  e.ln0 = bind_norm(b, "blocks.0.ln0", C);
  e.ln_out = bind_norm(b, "ln_out", C);
  e.head = b.matrix("head.weight", info.n_vocab, info.n_embd);
  return e;
}

}  // namespace rwkv::arch
