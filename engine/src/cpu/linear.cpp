#include "cpu/linear.h"

#include <algorithm>
#include <stdexcept>

namespace rwkv::cpu {

void matmul(ThreadPool& pool, const Matrix& w, const float* x, int T, float* y) { matmul(pool, {{w, x, y}}, T); }

namespace {
// A product's rows in chunks of whole row tiles (3 rows for several tokens, 4 for one in cache:
// multiples of 12), several per thread to even out the load.
struct Chunks {
  const Matrix* w = nullptr;
  const float* x = nullptr;
  size_t ldx = 0;
  float* y = nullptr;
  size_t ldy = 0;
  int chunk = 0, n = 0;
  void run(int i, int T) const {
    const int o0 = i * chunk, o1 = std::min(w->rows, o0 + chunk);
    matmul_kernels().rows[int(w->type)](w->data, size_t(w->cols), o0, o1, x, ldx, T, y, ldy);
  }
};

Chunks chunks_of(const Matrix& w, const float* x, size_t ldx, float* y, size_t ldy, int threads) {
  const int chunk = std::max(12, (w.rows / (threads * 4) + 11) / 12 * 12);
  return {&w, x, ldx, y, ldy, chunk, (w.rows + chunk - 1) / chunk};
}

// Small products are not worth waking the workers for.
int threads_for(const ThreadPool& pool, double macs) { return macs < 1 << 16 ? 1 : pool.size(); }
}  // namespace

void matmul(ThreadPool& pool, const Matrix& w, const float* x, size_t ldx, int T, float* y, size_t ldy) {
  matmul(pool, {{w, x, y, ldx, ldy}}, T);
}

void matmul(ThreadPool& pool, std::span<const Product> products, int T) {
  double macs = 0;
  for (const Product& p : products) macs += double(p.w.rows) * double(p.w.cols) * T;
  const int threads = threads_for(pool, macs);
  Chunks chunks[8];
  int n = 0, count = 0;
  for (const Product& p : products) {
    if (count == 8) throw std::logic_error("matmul: more than 8 products in one group");
    chunks[count] = chunks_of(p.w, p.x, p.ldx ? p.ldx : size_t(p.w.cols), p.y, p.ldy ? p.ldy : size_t(p.w.rows), threads);
    n += chunks[count++].n;
  }
  auto item = [&](int i) {
    int j = 0;
    for (; i >= chunks[j].n; j++) i -= chunks[j].n;
    chunks[j].run(i, T);
  };
  if (threads == 1) {
    for (int i = 0; i < n; i++) item(i);
  } else {
    pool.parallel_for(n, item);
  }
}

}  // namespace rwkv::cpu
