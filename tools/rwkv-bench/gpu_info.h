// What a benchmark compares a GPU's results with: its memory bandwidth (from the memory
// clock and bus width the driver reports, or the data sheet) and its dense fp16
// tensor-core rate with fp32 accumulation (data sheet, or SMs x clock x per-SM rate).
#pragma once
#include <string>

namespace rwkv::bench {

struct GpuInfo {
  std::string name;
  int sms = 0;
  double bandwidth = 0;         // bytes/s
  std::string bandwidth_source;
  double fp16_flops = 0;        // FLOP/s, dense
  std::string flops_source;
};

GpuInfo gpu_info(int device);

}  // namespace rwkv::bench
