// rwkv-cli generate --model PATH [--tokenizer PATH|auto] --prompt TEXT --max-tokens N
// [--temperature T] [--top-p P] [--top-k K] [--presence-penalty X] [--frequency-penalty X]
// [--seed S] [--stop TEXT] [--chunk-bytes N] [--resume FILE] [--save FILE] [--threads N]:
// prints the generated text (without the prompt) as it comes, then a newline. The prompt is
// fed to the session --chunk-bytes bytes at a time; the output is the same for every N.
// --resume starts from a state file (the prompt may then be empty), --save writes the
// state after the generated text.
#include <climits>
#include <cstdio>

#include "args.h"
#include "commands.h"
#include "rwkv/model.h"
#include "rwkv/session.h"

namespace rwkv::cli {

int cmd_generate(const std::vector<std::string>& argv) {
  Args a(argv, {"model", "tokenizer", "prompt", "max-tokens", "temperature", "top-p", "top-k", "presence-penalty",
                "frequency-penalty", "seed", "stop", "chunk-bytes", "resume", "save", "threads", "quantize", "quantize-head", "bf16-products"}, {"quantize-head", "bf16-products"});
  const LoadOptions opts = a.load_options();
  auto model = Model::load(a.model(), opts);
  auto tok = tokenizer_for_model(*model, a.get("tokenizer", "auto"));
  GenerateParams p;
  p.max_tokens = int(a.get_int("max-tokens", 100, 0, 1 << 24));
  p.sampler.temperature = float(a.get_double("temperature", 1.0));
  p.sampler.top_p = float(a.get_double("top-p", 1.0));
  p.sampler.top_k = int(a.get_int("top-k", 0, 0, 1 << 24));
  p.sampler.presence_penalty = float(a.get_double("presence-penalty", 0.0));
  p.sampler.frequency_penalty = float(a.get_double("frequency-penalty", 0.0));
  p.sampler.seed = uint64_t(a.get_int("seed", 0, 0, LONG_MAX));
  if (a.has("stop")) p.stop.push_back(a.get("stop"));
  const size_t chunk = size_t(a.get_int("chunk-bytes", 0, 0, 1L << 30));

  Session session(model, tok);
  if (a.has("resume")) session.restore(a.get("resume"));
  const std::string prompt = a.has("resume") ? a.get("prompt", "") : a.require("prompt");
  for (size_t at = 0; at < prompt.size(); at += chunk ? chunk : prompt.size())
    session.ingest(std::string_view(prompt).substr(at, chunk ? chunk : prompt.size()));
  session.generate(p, [](std::string_view piece) {
    std::fwrite(piece.data(), 1, piece.size(), stdout);
    std::fflush(stdout);
    return true;
  });
  std::fputc('\n', stdout);
  if (a.has("save")) session.save(a.get("save"));
  return 0;
}

}  // namespace rwkv::cli
