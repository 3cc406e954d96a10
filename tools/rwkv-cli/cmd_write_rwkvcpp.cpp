// The commands that write rwkv.cpp files, readable by rwkv.cpp and this engine; each prints
// what it wrote as one JSON object.
//   quantize IN OUT TYPE [--with-head]: IN's matrices quantized (an rwkv.cpp file as rwkv.cpp's
//     quantizer does it; any other checkpoint converted first);
//   convert IN OUT TYPE [--with-head]: any checkpoint the engine reads, laid out as rwkv.cpp's
//     converter lays it out, in fp32, fp16 or a quantized type.
#include <cstdio>

#include "args.h"
#include "commands.h"
#include "rwkv/error.h"
#include "rwkv/formats.h"

namespace rwkv::cli {

namespace {

using Writer = QuantizeReport (*)(const std::string&, const std::string&, DType, bool);

int write_file(const std::vector<std::string>& argv, Writer write) {
  std::vector<std::string> pos, opts;
  for (const auto& s : argv) (s.rfind("--", 0) == 0 ? opts : pos).push_back(s);
  if (pos.size() != 3) throw Error("expected IN OUT TYPE, got " + std::to_string(pos.size()) + " arguments");
  Args a(opts, {"with-head"}, {"with-head"});
  const DType type = dtype_from_name(pos[2]);
  const QuantizeReport r = write(pos[0], pos[1], type, a.has("with-head"));
  std::printf("{\"out\": %s, \"type\": %s, \"quantized\": %d, \"kept\": %d, \"bytes_in\": %llu, \"bytes_out\": %llu}\n",
              json_string(pos[1]).c_str(), json_string(dtype_name(type)).c_str(), r.quantized, r.kept,
              static_cast<unsigned long long>(r.bytes_in), static_cast<unsigned long long>(r.bytes_out));
  return 0;
}

}  // namespace

int cmd_quantize(const std::vector<std::string>& argv) { return write_file(argv, quantize_rwkvcpp); }
int cmd_convert(const std::vector<std::string>& argv) { return write_file(argv, convert_to_rwkvcpp); }

}  // namespace rwkv::cli
