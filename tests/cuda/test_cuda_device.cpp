// Device selection on a machine with a GPU: "cuda", "cuda:0" and "auto" run there,
// "cuda:N" past the last device and malformed names are clear errors, and a model too big
// for the device fails with a message giving the bytes and the device. Exits 77 without a GPU.
#include "cuda_testing.h"
#include "rwkv/error.h"

using namespace cuda_testing;

int main() {
  require_gpu();
  const std::string dir = testing::require_testdata();
  const rwkv::TensorMap tensors = tiny_model(dir, "7v0", "fp32");
  int n = 0;
  cudaGetDeviceCount(&n);

  CHECK(load(tensors, "cuda")->device() == "cuda:0");
  CHECK(load(tensors, "cuda:0")->device() == "cuda:0");
  CHECK(load(tensors, "auto")->device() == "cuda:0");
  CHECK(load(tensors, "cpu")->device() == "cpu");
  CHECK(load(tensors, "cuda:" + std::to_string(n - 1))->device() == "cuda:" + std::to_string(n - 1));
  CHECK_THROWS(load(tensors, "cuda:" + std::to_string(n)), "does not exist");
  CHECK_THROWS(load(tensors, "cuda:one"), "bad device 'cuda:one'");
  CHECK_THROWS(load(tensors, "gpu"), "unknown device 'gpu'");

  // A vocabulary whose n_vocab * n_embd fp32 table is larger than the device: cudaMalloc
  // fails. The head grows with the embedding (the runner checks its shape, [n_vocab, C],
  // before it allocates either).
  {
    size_t free_b = 0, total_b = 0;
    cudaMemGetInfo(&free_b, &total_b);
    rwkv::TensorMap big;
    big.format = tensors.format;
    for (const auto& [name, t] : tensors.tensors())
      if (name != "emb.weight" && name != "head.weight") big.add(t);
    const int64_t C = tensors.get("emb.weight").shape[1];
    const int64_t rows = int64_t(total_b / size_t(C * 4)) + 1024;
    // Only the shapes grow: the device allocation fails before any of the (absent) rows
    // would be read.
    for (const char* name : {"emb.weight", "head.weight"}) {
      rwkv::Tensor t = tensors.get(name);
      t.shape = {rows, C};
      t.nbytes = size_t(rows * C * 4);
      big.add(t);
    }
    CHECK_THROWS(load(big, "cuda"), "cannot allocate");
    CHECK_THROWS(load(big, "cuda"), "cuda:0");
  }
  return testing::finish();
}
