// Every RWKV version, for the backends to instantiate and the traits table (arch/traits.cpp)
// to collect: each is a `Version` (arch/v4.h .. v7.h) with its traits rows, schema, scratch
// and layer sequence. with_version(arch, f) calls f with the version that runs `arch`. The
// one place that names them all.
#pragma once
#include <string>

#include "arch/v4.h"
#include "arch/v5.h"
#include "arch/v6.h"
#include "arch/v7.h"
#include "rwkv/error.h"

namespace rwkv::arch {

template <class... V>
struct VersionList {};
using Versions = VersionList<v4::Version, v5::Version, v6::Version, v7::Version>;

template <class V>
constexpr bool runs(Arch a) {
  for (const ArchTraits& t : V::kTraits)
    if (t.arch == a) return true;
  return false;
}

template <class F, class V, class... Rest>
decltype(auto) with_version(Arch a, F&& f, VersionList<V, Rest...>) {
  if (runs<V>(a)) return f(V{});
  if constexpr (sizeof...(Rest) > 0)
    return with_version(a, f, VersionList<Rest...>{});
  else
    throw Error("unknown architecture " + std::to_string(int(a)));
}

template <class F>
decltype(auto) with_version(Arch a, F&& f) {
  return with_version(a, f, Versions{});
}

}  // namespace rwkv::arch
