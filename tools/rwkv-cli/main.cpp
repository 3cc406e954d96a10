// rwkv-cli: the engine from the command line. Errors print one line to stderr and exit 1
// (2 for a usage error).
#include <cstdio>
#include <cstring>
#include <exception>
#include <string>
#include <vector>

#include "commands.h"

namespace {

const rwkv::cli::Command kCommands[] = {
    {"info", "info --model PATH", rwkv::cli::cmd_info},
    {"logits", "logits --model PATH --tokens 1,2,3 [--mode step|sequence] [--device cpu] [--threads N] [--quantize TYPE [--quantize-head]] [--bf16-products]",
     rwkv::cli::cmd_logits},
    {"tokenize", "tokenize --tokenizer PATH|bytes [--model PATH] [--text TEXT] [--chunk-bytes N]  (text from stdin)",
     rwkv::cli::cmd_tokenize},
    {"generate",
     "generate --model PATH [--tokenizer PATH|auto] --prompt TEXT [--max-tokens N] [--temperature T] [--top-p P] "
     "[--top-k K] [--presence-penalty X] [--frequency-penalty X] [--seed S] [--stop TEXT] [--chunk-bytes N] "
     "[--resume FILE] [--save FILE] [--threads N] [--quantize TYPE [--quantize-head]] [--bf16-products]",
     rwkv::cli::cmd_generate},
    {"score",
     "score --model PATH [--tokenizer PATH|auto] [--context TEXT] [--text TEXT] [--chunk-bytes N] [--resume FILE] "
     "[--save FILE] [--threads N] [--quantize TYPE [--quantize-head]] [--bf16-products]  (text from stdin)",
     rwkv::cli::cmd_score},
    {"punctuate",
     "punctuate --model PATH [--tokenizer PATH|auto] [--lookahead N] [--pause-bonus NATS] [--comma-bonus NATS] "
     "[--threads N] "
     "[--quantize TYPE [--quantize-head]] [--bf16-products]  (utterances, one per line, from stdin; each restored on its own line)",
     rwkv::cli::cmd_punctuate},
    {"quantize",
     "quantize IN OUT TYPE [--with-head]  (a model's matrices to q8_0, q5_1, q5_0, q4_1 or q4_0 in an rwkv.cpp "
     "file, as rwkv.cpp quantizes them)",
     rwkv::cli::cmd_quantize},
    {"convert",
     "convert IN OUT TYPE [--with-head]  (a .pth, safetensors or GGUF model as an rwkv.cpp file: fp32, fp16 or a "
     "quantized type)",
     rwkv::cli::cmd_convert},
    {"state", "state --model PATH --state FILE  (a state file's stream position and contents)", rwkv::cli::cmd_state},
};

int usage(FILE* f) {
  std::fprintf(f, "usage: rwkv-cli COMMAND [OPTIONS]\ncommands:\n");
  for (const auto& c : kCommands) std::fprintf(f, "  rwkv-cli %s\n", c.usage);
  return f == stderr ? 2 : 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return usage(stderr);
  const std::string name = argv[1];
  if (name == "--help" || name == "-h" || name == "help") return usage(stdout);
  for (const auto& c : kCommands) {
    if (name != c.name) continue;
    try {
      return c.run(std::vector<std::string>(argv + 2, argv + argc));
    } catch (const std::exception& e) {
      std::fprintf(stderr, "rwkv-cli %s: %s\n", c.name, e.what());
      return 1;
    }
  }
  std::fprintf(stderr, "rwkv-cli: unknown command '%s' (try rwkv-cli --help)\n", name.c_str());
  return 2;
}
