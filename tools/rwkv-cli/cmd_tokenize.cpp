// rwkv-cli tokenize --tokenizer PATH|bytes [--model PATH] [--text TEXT] [--chunk-bytes N]:
// the token ids of the text (from stdin without --text) as {"ids": [...]}. With
// --chunk-bytes the text goes through the streaming encoder N bytes at a time; the ids
// are the same for every N.
#include <cstdio>
#include <iostream>
#include <iterator>

#include "args.h"
#include "commands.h"
#include "rwkv/error.h"
#include "rwkv/model.h"
#include "rwkv/tokenizer.h"

namespace rwkv::cli {

int cmd_tokenize(const std::vector<std::string>& argv) {
  Args a(argv, {"tokenizer", "model", "text", "chunk-bytes"});
  std::shared_ptr<Tokenizer> tok;
  if (a.has("model")) {
    LoadOptions opts;
    opts.threads = 1;
    tok = tokenizer_for_model(*Model::load(a.model(), opts), a.get("tokenizer", "auto"));
  } else {
    tok = load_tokenizer(a.require("tokenizer"));
  }
  const size_t chunk = size_t(a.get_int("chunk-bytes", 0, 0, 1L << 30));
  const std::string text = a.has("text") ? a.get("text")
                                         : std::string(std::istreambuf_iterator<char>(std::cin), {});
  std::vector<uint32_t> ids;
  auto enc = tok->new_encoder();
  for (size_t at = 0; at < text.size(); at += chunk ? chunk : text.size())
    enc->push(std::string_view(text).substr(at, chunk ? chunk : text.size()), ids);
  enc->flush(ids);
  std::string out = "{\"ids\": [";
  for (size_t i = 0; i < ids.size(); i++) {
    if (i) out += ", ";
    out += std::to_string(ids[i]);
  }
  out += "]}\n";
  std::fwrite(out.data(), 1, out.size(), stdout);
  return 0;
}

}  // namespace rwkv::cli
