#include "cpu/linear.h"

#include <algorithm>
#include <stdexcept>
#include <vector>

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
  const uint16_t* xb = nullptr;  // x rounded to bf16, for a bf16_x matrix
  void run(int i, int T) const {
    const int o0 = i * chunk, o1 = std::min(w->rows, o0 + chunk);
    const MatmulKernels& k = matmul_kernels();
    if (xb) return k.bf16_products->rows(w->data, size_t(w->cols), o0, o1, xb, T, y, ldy);
    k.rows[int(w->type)](w->data, size_t(w->cols), o0, o1, x, ldx, T, y, ldy);
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
    const size_t ldx = p.ldx ? p.ldx : size_t(p.w.cols);
    chunks[count] = chunks_of(p.w, p.x, ldx, p.y, p.ldy ? p.ldy : size_t(p.w.rows), threads);
    if (p.w.bf16_x) {
      // Rounded once here, not by every chunk: a prefill's activations outgrow L2 and were
      // rounded again for each of a matrix's chunks.
      static thread_local std::vector<uint16_t> rounded[8];
      std::vector<uint16_t>& b = rounded[count];
      b.resize(bf16_row(size_t(p.w.cols)) * size_t(T));
      matmul_kernels().bf16_products->round(p.x, size_t(p.w.cols), ldx, T, b.data());
      chunks[count].xb = b.data();
    }
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
