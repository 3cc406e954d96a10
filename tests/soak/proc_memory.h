// The process's memory: resident as the kernel counts it (/proc/self/status: VmRSS now and
// VmHWM, the peak so far) and, with glibc, the bytes malloc has handed out and not got back
// (mallinfo2, all arenas). A leak can hide from VmRSS while it reuses freed, still resident
// heap (the model loader's temporaries); it cannot hide from the latter.
#pragma once
#include <cstdio>
#include <fstream>
#include <string>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace soak {

struct Memory {
  long rss_kb = -1, hwm_kb = -1, heap_kb = -1;
};

inline Memory read_memory() {
  Memory m;
  std::ifstream f("/proc/self/status");
  for (std::string line; std::getline(f, line);) {
    long v = 0;
    if (std::sscanf(line.c_str(), "VmRSS: %ld kB", &v) == 1) m.rss_kb = v;
    if (std::sscanf(line.c_str(), "VmHWM: %ld kB", &v) == 1) m.hwm_kb = v;
  }
#if defined(__GLIBC__)
  const struct mallinfo2 mi = mallinfo2();
  m.heap_kb = long((mi.uordblks + mi.hblkhd) / 1024);
#endif
  return m;
}

}  // namespace soak
