#include "model/device_backend.h"

#include <dlfcn.h>
#include <unistd.h>

#include <cstdlib>
#include <mutex>

#include "support/install_paths.h"

namespace rwkv {

namespace {

constexpr const char* kCudaModule = "librwkv-cuda.so";

// Without an NVIDIA device node there is nothing to run on: the module (and the CUDA
// runtime it maps, some 150 MB) is not loaded at all.
bool nvidia_device_present() {
  return access("/dev/nvidiactl", F_OK) == 0 || access("/dev/nvidia0", F_OK) == 0;
}

}  // namespace

DeviceBackend* cuda_backend(std::string* why) {
  static std::once_flag once;
  static DeviceBackend* backend = nullptr;
  static std::string reason;
  std::call_once(once, [] {
    const char* env = std::getenv("RWKV_CUDA_MODULE");
    const bool named = env && *env;  // named explicitly: loaded whatever the device nodes say
    const std::string path = named ? env : engine_dir() + "/" + kCudaModule;
    if (!named && !nvidia_device_present()) {
      reason = "no NVIDIA GPU on this machine";
      return;
    }
    if (access(path.c_str(), F_OK) != 0) {
      reason = "the CUDA backend is not installed (no " + path + ")";
      return;
    }
    void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
      const char* e = dlerror();
      reason = "cannot load the CUDA backend " + path + ": " + (e ? e : "unknown error");
      return;
    }
    auto entry = reinterpret_cast<DeviceBackend* (*)()>(dlsym(handle, "rwkv_cuda_backend_entry"));
    if (!entry) {
      reason = path + " is not a CUDA backend of this engine (no rwkv_cuda_backend_entry)";
      return;
    }
    backend = entry();  // the module stays loaded for the process's life
  });
  if (!backend && why) *why = reason;
  return backend;
}

}  // namespace rwkv
