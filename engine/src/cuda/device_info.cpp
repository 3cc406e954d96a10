#include "cuda/device_info.h"

#include <cuda_runtime_api.h>

#include <cstdio>

#include "rwkv/error.h"

namespace rwkv::cuda {

namespace {

int attribute(cudaDeviceAttr a, int device) {
  int v = 0;
  if (cudaDeviceGetAttribute(&v, a, device) != cudaSuccess) {
    cudaGetLastError();
    return 0;
  }
  return v;
}

bool has(const std::string& s, const char* part) { return s.find(part) != std::string::npos; }

struct Sheet {
  const char* name;  // matched by substring, first match wins
  const char* also;  // a second substring that must match too (or "")
  double bandwidth, fp16;
};

// Data-sheet figures (dense fp16 with fp32 accumulation).
const Sheet kSheets[] = {
    {"H200", "", 4.8e12, 989.4e12},       {"H100", "PCIe", 2.0e12, 756.0e12},
    {"H100", "NVL", 3.9e12, 835.0e12},    {"H100", "", 3.35e12, 989.4e12},
    {"H800", "", 3.35e12, 989.4e12},      {"A100", "80GB", 2.039e12, 312.0e12},
    {"A100", "", 1.555e12, 312.0e12},     {"L40S", "", 0.864e12, 362.0e12},
    {"RTX 4090", "", 1.008e12, 165.2e12},
};

}  // namespace

DeviceInfo device_info(int device) {
  DeviceInfo g;
  cudaDeviceProp prop{};
  if (cudaGetDeviceProperties(&prop, device) != cudaSuccess)
    throw Error("cannot query CUDA device " + std::to_string(device));
  g.name = prop.name;
  g.sms = prop.multiProcessorCount;
  const Sheet* sheet = nullptr;
  for (const Sheet& s : kSheets)
    if (has(g.name, s.name) && has(g.name, s.also)) {
      sheet = &s;
      break;
    }

  // DDR: two transfers per clock (kHz) over the bus (bits).
  const int mem_khz = attribute(cudaDevAttrMemoryClockRate, device);
  const int bus = attribute(cudaDevAttrGlobalMemoryBusWidth, device);
  char b[128];
  if (mem_khz > 0 && bus > 0) {
    g.bandwidth = 2.0 * mem_khz * 1e3 * bus / 8.0;
    std::snprintf(b, sizeof b, "%d MHz x %d-bit bus", mem_khz / 1000, bus);
    g.bandwidth_source = b;
  } else if (sheet) {
    g.bandwidth = sheet->bandwidth;
    g.bandwidth_source = "data sheet";
  }

  if (sheet) {
    g.fp16_flops = sheet->fp16;
    g.flops_source = "data sheet";
  } else {
    // Dense fp16 FLOP per clock per SM with fp32 accumulation: Ampere 2048, Ada 1024
    // (professional parts), Hopper 4096.
    const int per_sm = prop.major >= 9 ? 4096 : prop.major == 8 && prop.minor == 9 ? 1024 : 2048;
    const int clock_khz = attribute(cudaDevAttrClockRate, device);
    g.fp16_flops = double(g.sms) * clock_khz * 1e3 * per_sm;
    std::snprintf(b, sizeof b, "estimate: %d SMs x %d MHz x %d", g.sms, clock_khz / 1000, per_sm);
    g.flops_source = b;
  }
  return g;
}

}  // namespace rwkv::cuda
