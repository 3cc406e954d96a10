// rwkv-cli state --model PATH --state FILE: what a state file holds, as one JSON object, after
// the same checks a stream makes before resuming from it. "bytes" is the input position: a
// stream restarted from this file goes on with the input that follows that many bytes.
#include <cstdio>

#include "args.h"
#include "commands.h"
#include "rwkv/model.h"
#include "rwkv/state_file.h"

namespace rwkv::cli {

int cmd_state(const std::vector<std::string>& argv) {
  Args a(argv, {"model", "state"});
  auto model = Model::load(a.model());
  const SavedState s = load_state_file(a.require("state"), *model);
  std::printf("{\"arch\": %s, \"tokens\": %llu, \"bytes\": %llu, \"held_back\": %s, \"logits\": %s}\n",
              json_string(arch_name(s.state.arch())).c_str(), static_cast<unsigned long long>(s.state.tokens_seen),
              static_cast<unsigned long long>(s.bytes_read), json_string(s.held_back).c_str(),
              s.logits.empty() ? "false" : "true");
  return 0;
}

}  // namespace rwkv::cli
