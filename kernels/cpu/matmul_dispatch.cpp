// Picks the widest kernel set this CPU runs; RWKV_CPU_ISA=generic|avx2|avx512 overrides it.
#include <cstdlib>
#include <cstring>
#include <initializer_list>
#if defined(__x86_64__)
#include <cpuid.h>
#endif

#include "matmul_kernels.h"

namespace rwkv::cpu {

namespace {
#if defined(__x86_64__) && defined(RWKV_HAVE_X86_KERNELS)
// CPUID leaf 1, ECX bit 29: clang before 15 rejects __builtin_cpu_supports("f16c").
bool has_f16c() {
  unsigned a, b, c, d;
  return __get_cpuid(1, &a, &b, &c, &d) && (c & bit_F16C);
}
// CPUID leaf 7 subleaf 1, EAX bit 5 (vdpbf16ps); GCC 12 and clang 14 name it differently.
bool has_avx512_bf16() {
  unsigned a, b, c, d;
  return __get_cpuid_count(7, 1, &a, &b, &c, &d) && (a & (1u << 5));
}
#endif

bool cpu_has(const char* isa) {
#if defined(__x86_64__) && defined(RWKV_HAVE_X86_KERNELS)
  __builtin_cpu_init();
  if (std::strcmp(isa, "avx2") == 0)
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && has_f16c();
  // F and BW (16-bit lanes): every AVX-512 CPU since Skylake-SP and Zen 4.
  if (std::strcmp(isa, "avx512") == 0)
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw");
#endif
  return std::strcmp(isa, "generic") == 0;
}
}  // namespace

const MatmulKernels* matmul_kernels_for(const char* isa) {
  if (!cpu_has(isa)) return nullptr;
#if defined(__x86_64__) && defined(RWKV_HAVE_X86_KERNELS)
  if (std::strcmp(isa, "avx512") == 0) {
    // A type without an AVX-512 row would run the AVX2 kernel there (every AVX-512 CPU has AVX2).
    static const MatmulKernels k = [] {
      MatmulKernels m = detail::kAvx512;
      for (int i = 0; i < kDTypeCount; i++)
        if (!m.rows[i]) m.rows[i] = detail::kAvx2.rows[i];
      if (has_avx512_bf16()) m.bf16_products = &detail::kBf16Products;
      return m;
    }();
    return &k;
  }
  if (std::strcmp(isa, "avx2") == 0) return &detail::kAvx2;
#endif
  return &detail::kGeneric;
}

const MatmulKernels& matmul_kernels() {
  static const MatmulKernels* chosen = [] {
    if (const char* env = std::getenv("RWKV_CPU_ISA"))
      if (const MatmulKernels* k = matmul_kernels_for(env)) return k;
    for (const char* isa : {"avx512", "avx2"})
      if (const MatmulKernels* k = matmul_kernels_for(isa)) return k;
    return &detail::kGeneric;
  }();
  return *chosen;
}

}  // namespace rwkv::cpu
