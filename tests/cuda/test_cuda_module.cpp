// The CUDA module as the engine loads it: it opens with every symbol resolved (against
// librwkv.so and the CUDA runtime), exports its entry point, and answers device_count()
// whether or not a GPU is present, naming the runtime's reason when it finds none (no
// driver, or a driver older than the runtime). Runs where the CUDA runtime is installed,
// GPU or not.
#include <dlfcn.h>

#include <cstdio>

#include "engine/testing.h"
#include "model/device_backend.h"

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: test_cuda_module PATH/librwkv-cuda.so\n");
    return 2;
  }
  void* handle = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
  CHECK_MSG(handle != nullptr, "dlopen: %s", dlerror());
  if (!handle) return testing::finish();
  auto entry = reinterpret_cast<rwkv::DeviceBackend* (*)()>(dlsym(handle, "rwkv_cuda_backend_entry"));
  CHECK(entry != nullptr);
  if (entry) {
    rwkv::DeviceBackend* b = entry();
    CHECK(b != nullptr && b == entry());
    std::string why;
    const int n = b ? b->device_count(&why) : -1;
    std::printf("librwkv-cuda.so loaded; %d CUDA device(s)%s%s\n", n, why.empty() ? "" : ": ", why.c_str());
    CHECK(n >= 0);
    if (n > 0) CHECK(why.empty());  // a reason only when there is no device
    else CHECK_MSG(!why.empty(), "no device and no reason given");
  }
  return testing::finish();
}
