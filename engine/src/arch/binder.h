// What every backend's binder shares: looking tensors up by their canonical names and
// checking their shapes, so that a schema (arch/v4.h .. v7.h) names each tensor once and a
// mis-shaped checkpoint gets the same message whichever backend loads it.
//
// A backend's binder derives from Binder and adds, for the schemas to call:
//   using Vec, Mat, Stack;                       // how it holds a vector, a matrix, matrices
//   Vec vec(name, n);                            // n values, fp32
//   Vec vec(std::vector<float> values, what);    // values derived at load
//   Mat matrix(name, rows, cols, scale = 1);     // [rows, cols]
//   Stack stack(names, rows, cols);              // several [rows, cols], one product each
//   Mat transposed(name, rows, cols);            // a [cols, rows] tensor as [rows, cols]
//   Stack transposed(name, count, rows, cols);   // [count, cols, rows] as count matrices
// and Mat exposes `rows`; each tallies the bytes it binds, as the backend holds them.
#pragma once
#include <string>
#include <vector>

#include "rwkv/state.h"
#include "rwkv/tensor.h"

namespace rwkv::arch {

class Binder {
 public:
  explicit Binder(const TensorMap& m) : m_(m) {}
  bool has(const std::string& name) const { return m_.has(name); }
  // A tensor's shape, for sizes the model info does not fix (e.g. low-rank dimensions).
  const std::vector<int64_t>& shape(const std::string& name) const { return m_.get(name).shape; }
  // The tensor `name`, which must be [rows, cols]; throws naming it otherwise.
  const Tensor& matrix_tensor(const std::string& name, int rows, int cols) const;
  // n values whatever the shape (BlinkDL stores [1,1,C], others [C]), in fp32.
  std::vector<float> host_vec(const std::string& name, size_t n) const;
  // The transpose of a [cols, rows] tensor as fp32 [rows, cols]: low-rank factors are stored
  // [in, out], products want [out, in]. With count > 1 the tensor is [count, cols, rows] and
  // the result count such matrices one after another.
  std::vector<float> host_transposed(const std::string& name, int count, int rows, int cols) const;
  // Bytes of every matrix and vector bound so far, in the types the backend holds them: what
  // one token reads of the weights (the embedding, read a row per token, is never bound).
  uint64_t bound_bytes() const { return bound_bytes_; }

 protected:
  void tally(uint64_t bytes) { bound_bytes_ += bytes; }
  const TensorMap& m_;
  uint64_t bound_bytes_ = 0;
};

std::string layer_name(int layer, const char* suffix);  // "blocks.<l>.<suffix>"

// A LayerNorm's (or GroupNorm's) weight and bias, <prefix>.weight and <prefix>.bias.
template <class B>
struct Norm {
  typename B::Vec w, b;
};

template <class B>
Norm<B> bind_norm(B& b, const std::string& prefix, size_t n) {
  return Norm<B>{b.vec(prefix + ".weight", n), b.vec(prefix + ".bias", n)};
}

}  // namespace rwkv::arch
