// rwkv-cli info --model PATH: the model's architecture and dimensions as one JSON object.
#include <cstdio>

#include "args.h"
#include "commands.h"
#include "rwkv/model.h"

namespace rwkv::cli {

int cmd_info(const std::vector<std::string>& argv) {
  Args a(argv, {"model"});
  const ModelInfo i = inspect(a.model()).info;  // the header only: no runner is built
  std::printf("{\"arch\": %s, \"n_vocab\": %d, \"n_embd\": %d, \"n_layer\": %d, \"n_head\": %d, "
              "\"head_size\": %d, \"n_ffn\": %d, \"weight_dtype\": %s, \"format\": %s}\n",
              json_string(arch_name(i.arch)).c_str(), i.n_vocab, i.n_embd, i.n_layer, i.n_head,
              i.head_size, i.n_ffn, json_string(i.weight_dtype).c_str(), json_string(i.format).c_str());
  return 0;
}

}  // namespace rwkv::cli
