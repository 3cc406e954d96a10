// Every RWKV version's layer sequence, for the backends to instantiate: with_version(arch, f)
// calls f with the version's type (arch/v4.h .. v7.h: `Version`). The one place that names
// them all; a backend builds its runner from whatever type it is given.
#pragma once
#include <string>

#include "arch/v4.h"
#include "arch/v5.h"
#include "arch/v6.h"
#include "arch/v7.h"
#include "rwkv/error.h"

namespace rwkv::arch {

template <class F>
decltype(auto) with_version(Arch a, F&& f) {
  switch (a) {
    case Arch::V4: return f(v4::Version{});
    case Arch::V5_1:
    case Arch::V5_2: return f(v5::Version{});
    case Arch::V6: return f(v6::Version{});
    case Arch::V7: return f(v7::Version{});
  }
  throw Error("unknown architecture " + std::to_string(int(a)));
}

}  // namespace rwkv::arch
