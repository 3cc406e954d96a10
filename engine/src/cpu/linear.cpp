#include "cpu/linear.h"

#include <algorithm>

namespace rwkv::cpu {

void matmul(ThreadPool& pool, const Matrix& w, const float* x, int T, float* y) {
  matmul(pool, w, x, size_t(w.cols), T, y, size_t(w.rows));
}

void matmul(ThreadPool& pool, const Matrix& w, const float* x, size_t ldx, int T, float* y, size_t ldy) {
  const RowsFn fn = matmul_kernels().rows[int(w.type)];
  const size_t k = size_t(w.cols);
  // Small products are not worth waking the workers for.
  const double macs = double(w.rows) * double(w.cols) * T;
  const int threads = macs < 1 << 16 ? 1 : pool.size();
  // Chunks of whole groups of 4 rows; several per thread to even out the load.
  const int chunk = std::max(4, (w.rows / (threads * 4) + 3) / 4 * 4);
  const int n = (w.rows + chunk - 1) / chunk;
  auto body = [&](int i) {
    const int o0 = i * chunk, o1 = std::min(w.rows, o0 + chunk);
    fn(w.data, k, o0, o1, x, ldx, T, y, ldy);
  };
  if (threads == 1) {
    for (int i = 0; i < n; i++) body(i);
  } else {
    pool.parallel_for(n, body);
  }
}

}  // namespace rwkv::cpu
