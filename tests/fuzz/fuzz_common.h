// Shared by the fuzz targets: the loaders take a path (they map the file), so each input is
// written to one scratch file per process. rwkv::Error is the expected way to reject an
// input (RWKV_FUZZ_VERBOSE=1 prints its message); any other exception is reported as a
// finding (it names nothing the user can fix).
#pragma once
#include <fcntl.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <typeinfo>

#include "rwkv/error.h"

namespace fuzz {

// A file in $TMPDIR (else /dev/shm, else /tmp) named for this process, removed at exit.
inline const std::string& scratch_path() {
  static const std::string path = [] {
    const char* dir = std::getenv("TMPDIR");
    if (!dir || !*dir) dir = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    std::string p = std::string(dir) + "/rwkv-fuzz-" + std::to_string(getpid());
    std::atexit([] { unlink(scratch_path().c_str()); });
    return p;
  }();
  return path;
}

// Writes the input to the scratch file and returns its path.
inline const std::string& write_input(const uint8_t* data, size_t size) {
  const std::string& path = scratch_path();
  FILE* f = std::fopen(path.c_str(), "wb");
  if (!f || (size && std::fwrite(data, 1, size, f) != size) || std::fclose(f) != 0) {
    std::perror(path.c_str());
    std::abort();
  }
  return path;
}

// Runs fn; rwkv::Error is a clean rejection, anything else aborts so libFuzzer keeps the input.
template <class F>
void expect_clean(F&& fn) {
  try {
    fn();
  } catch (const rwkv::Error& e) {
    static const bool verbose = std::getenv("RWKV_FUZZ_VERBOSE") != nullptr;
    if (verbose) std::fprintf(stderr, "rejected: %s\n", e.what());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "uncaught %s: %s\n", typeid(e).name(), e.what());
    std::abort();
  }
}

}  // namespace fuzz
