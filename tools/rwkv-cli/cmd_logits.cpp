// rwkv-cli logits --model PATH --tokens 34,105,110 [--mode step|sequence]: the logits after
// the last token, from the initial state, as {"logits": [...]}.
#include <cstdio>
#include <string>

#include "args.h"
#include "commands.h"
#include "rwkv/error.h"
#include "rwkv/model.h"

namespace rwkv::cli {

int cmd_logits(const std::vector<std::string>& argv) {
  Args a(argv, {"model", "tokens", "mode", "device", "threads", "quantize", "quantize-head", "bf16-products"}, {"quantize-head", "bf16-products"});
  const std::string mode = a.get("mode", "sequence");
  if (mode != "step" && mode != "sequence") throw Error("--mode must be step or sequence, got '" + mode + "'");
  const std::vector<uint32_t> tokens = parse_token_list(a.require("tokens"));
  const LoadOptions opts = a.load_options();
  auto model = Model::load(a.model(), opts);
  State state = model->new_state();
  std::vector<float> logits(size_t(model->info().n_vocab));
  if (mode == "sequence") {
    model->eval(state, tokens, logits.data());
  } else {
    for (size_t i = 0; i < tokens.size(); i++)
      model->eval(state, std::span<const uint32_t>(&tokens[i], 1),
                  i + 1 == tokens.size() ? logits.data() : nullptr,
                  i + 1 == tokens.size() ? Logits::Last : Logits::None);
  }
  std::string out = "{\"logits\": [";
  for (size_t i = 0; i < logits.size(); i++) {
    if (i) out += ", ";
    out += json_number(logits[i]);
  }
  out += "]}\n";
  std::fwrite(out.data(), 1, out.size(), stdout);
  return 0;
}

}  // namespace rwkv::cli
