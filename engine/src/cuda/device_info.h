// A GPU's memory bandwidth (from the memory clock and bus width the driver reports, or the
// data sheet) and dense fp16 tensor-core rate with fp32 accumulation (data sheet, or SMs x
// clock x per-SM rate): what benchmarks compare their figures with.
#pragma once
#include "model/device_backend.h"

namespace rwkv::cuda {

DeviceInfo device_info(int device);

}  // namespace rwkv::cuda
