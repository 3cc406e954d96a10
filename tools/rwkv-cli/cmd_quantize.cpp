// rwkv-cli quantize IN OUT TYPE [--with-head]: an rwkv.cpp file quantized as rwkv.cpp's own
// quantizer does it, readable by both; prints what it wrote as one JSON object.
#include <cstdio>

#include "args.h"
#include "commands.h"
#include "rwkv/error.h"
#include "rwkv/formats.h"

namespace rwkv::cli {

int cmd_quantize(const std::vector<std::string>& argv) {
  std::vector<std::string> pos, opts;
  for (const auto& s : argv) (s.rfind("--", 0) == 0 ? opts : pos).push_back(s);
  if (pos.size() != 3) throw Error("expected IN OUT TYPE, got " + std::to_string(pos.size()) + " arguments");
  Args a(opts, {"with-head"}, {"with-head"});
  const DType type = dtype_from_name(pos[2]);
  const QuantizeReport r = quantize_rwkvcpp(pos[0], pos[1], type, a.has("with-head"));
  std::printf("{\"out\": %s, \"type\": %s, \"quantized\": %d, \"kept\": %d, \"bytes_in\": %llu, \"bytes_out\": %llu}\n",
              json_string(pos[1]).c_str(), json_string(dtype_name(type)).c_str(), r.quantized, r.kept,
              static_cast<unsigned long long>(r.bytes_in), static_cast<unsigned long long>(r.bytes_out));
  return 0;
}

}  // namespace rwkv::cli
