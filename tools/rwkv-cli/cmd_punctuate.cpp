// rwkv-cli punctuate --model PATH [--tokenizer PATH|auto] [--lookahead N] [--pause-bonus X]
// [--comma-bonus X] [--threads N]: reads utterances, one per line, from stdin (a recogniser's lowercase words
// without marks) and writes each with punctuation and capitals restored on its own line, as
// the rwkv element's punctuate mode does (rwkv/punctuate.h, the same code). A line is written
// once `lookahead` words follow it, the rest at the end of the input.
#include <cstdio>
#include <iostream>
#include <string>

#include "args.h"
#include "commands.h"
#include "rwkv/punctuate.h"

namespace rwkv::cli {

int cmd_punctuate(const std::vector<std::string>& argv) {
  Args a(argv, {"model", "tokenizer", "lookahead", "pause-bonus", "comma-bonus", "threads", "quantize", "quantize-head",
                "bf16-products"},
         {"quantize-head", "bf16-products"});
  PunctuateOptions po;
  po.lookahead = int(a.get_int("lookahead", po.lookahead, 1, 64));
  po.pause_bonus = a.get_double("pause-bonus", po.pause_bonus);
  po.comma_bonus = a.get_double("comma-bonus", po.comma_bonus);
  auto model = Model::load(a.model(), a.load_options());
  Session session(model, tokenizer_for_model(*model, a.get("tokenizer", "auto")));
  Punctuator punctuator(session, po);
  auto write_ready = [&] {
    while (punctuator.ready()) {
      const std::string line = punctuator.pop() + "\n";
      std::fwrite(line.data(), 1, line.size(), stdout);
    }
    std::fflush(stdout);
  };
  for (std::string line; std::getline(std::cin, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    punctuator.push(line);
    write_ready();
  }
  punctuator.finish();
  write_ready();
  return 0;
}

}  // namespace rwkv::cli
