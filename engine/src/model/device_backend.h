// Device backends are modules of their own (librwkv-cuda.so), loaded at run time on first
// use, as GStreamer loads plugins and ggml its backends: librwkv.so links nothing of CUDA,
// a CPU run never maps the CUDA runtime, and one build serves machines with and without it.
#pragma once
#include <memory>
#include <string>

#include "model/runner.h"

namespace rwkv {

// What a benchmark compares a device's results with.
struct DeviceInfo {
  std::string name;
  int sms = 0;
  double bandwidth = 0;  // bytes/s
  std::string bandwidth_source;
  double fp16_flops = 0;  // FLOP/s, dense
  std::string flops_source;
};

class DeviceBackend {
 public:
  virtual ~DeviceBackend() = default;
  // Devices present; 0 with the reason in *why (when given) when the runtime cannot count
  // them (an NVIDIA driver older than the CUDA runtime says so, with both versions).
  virtual int device_count(std::string* why = nullptr) = 0;
  // A runner on `device` ("cuda" or "cuda:N"); `resolved` receives "cuda:N".
  virtual std::unique_ptr<Runner> make_runner(const ModelInfo& info, const TensorMap& tensors,
                                              const std::string& device, std::string* resolved) = 0;
  virtual DeviceInfo device_info(int index) = 0;
};

// The CUDA backend, loaded on the first call: from $RWKV_CUDA_MODULE when set (whatever the
// machine's device nodes say), else librwkv-cuda.so beside librwkv.so (the build's engine/
// folder, or the installed libdir) when the machine has an NVIDIA device node. Null, with
// the reason in *why, when there is none, the module is not there, or it cannot be loaded
// (no CUDA runtime).
DeviceBackend* cuda_backend(std::string* why = nullptr);

}  // namespace rwkv

// The entry point a CUDA module exports.
extern "C" rwkv::DeviceBackend* rwkv_cuda_backend_entry();
