#include "arch/traits.h"

#include <array>
#include <string>

#include "arch/versions.h"
#include "rwkv/error.h"

namespace rwkv::arch {

namespace {

// Every listed version's rows, one after another: Arch order, which the versions follow.
template <class... V>
constexpr auto collect(VersionList<V...>) {
  std::array<ArchTraits, (std::size(V::kTraits) + ...)> out{};
  size_t i = 0;
  ((
       [&] {
         for (const ArchTraits& t : V::kTraits) out[i++] = t;
       }()),
   ...);
  return out;
}

constexpr auto kTable = collect(Versions{});

static_assert([] {
  for (size_t i = 0; i < kTable.size(); i++)
    if (size_t(kTable[i].arch) != i) return false;
  return true;
}(), "the versions' rows must follow Arch order");

}  // namespace

const ArchTraits& arch_traits(Arch a) {
  if (size_t(a) >= kTable.size()) throw Error("unknown architecture " + std::to_string(int(a)));
  return kTable[size_t(a)];
}

std::span<const ArchTraits> all_arch_traits() { return kTable; }

Arch detect_arch(const TensorMap& m) {
  for (size_t i = kTable.size(); i-- > 0;) {
    bool all = true;
    for (const char* mark : kTable[i].marks)
      if (mark && !m.has(std::string("blocks.0.") + mark)) all = false;
    if (all) return kTable[i].arch;
  }
  throw Error("no RWKV version matches the tensors");  // unreachable: RWKV-4 has no marks
}

}  // namespace rwkv::arch
