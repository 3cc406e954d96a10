// rwkv-cli score --model PATH [--tokenizer PATH|auto] [--context TEXT] [--text TEXT]
// [--chunk-bytes N] [--resume FILE] [--save FILE] [--threads N]: the log-probability of the
// text (stdin without --text) after the context, as JSON: each token with its
// log-probability, the total in nats and bits per byte. The text is fed --chunk-bytes bytes
// at a time; the output is the same for every N. A fresh session predicts its first token
// after the tokenizer's end-of-text token; with the bytes tokenizer (none) the first token
// is left unscored (null).
// A transcript scored piece by piece across runs: --resume starts from a state file, --save
// writes one after the text, keeping the text the tokenizer holds back (it is scored with
// the next piece), so the pieces score as the whole text would.
#include <cmath>
#include <cstdio>
#include <iostream>
#include <iterator>

#include "args.h"
#include "commands.h"
#include "rwkv/model.h"
#include "rwkv/session.h"

namespace rwkv::cli {

namespace {

std::string json_double(double d) {
  if (!std::isfinite(d)) return "null";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.17g", d);
  return buf;
}

// Token bytes as a JSON string; bytes that are not UTF-8 on their own print as U+FFFD.
std::string json_text(const Tokenizer& tok, uint32_t id) {
  TextDecoder dec(tok.shared_from_this());
  std::string s = dec.push(id);
  s += dec.flush();
  return json_string(s);
}

}  // namespace

int cmd_score(const std::vector<std::string>& argv) {
  Args a(argv, {"model", "tokenizer", "context", "text", "chunk-bytes", "resume", "save", "threads", "quantize", "quantize-head", "bf16-products"}, {"quantize-head", "bf16-products"});
  const LoadOptions opts = a.load_options();
  auto model = Model::load(a.model(), opts);
  auto tok = tokenizer_for_model(*model, a.get("tokenizer", "auto"));
  const size_t chunk = size_t(a.get_int("chunk-bytes", 0, 0, 1L << 30));
  const std::string text = a.has("text") ? a.get("text")
                                         : std::string(std::istreambuf_iterator<char>(std::cin), {});
  Session session(model, tok);
  if (a.has("resume")) session.restore(a.get("resume"));
  if (a.has("context")) {
    session.ingest(a.get("context"));
    session.flush();
  }
  ScoreResult r;
  for (size_t at = 0; at < text.size(); at += chunk ? chunk : text.size())
    session.ingest(std::string_view(text).substr(at, chunk ? chunk : text.size()), &r.tokens);
  if (a.has("save"))
    session.save(a.get("save"));
  else
    session.flush(&r.tokens);
  for (const TokenScore& t : r.tokens)
    if (t.scored) r.logprob += t.logprob, r.scored_tokens++, r.scored_bytes += t.bytes.size();

  std::string out = "{\"tokens\": [";
  for (size_t i = 0; i < r.tokens.size(); i++) {
    const TokenScore& t = r.tokens[i];
    if (i) out += ", ";
    out += "{\"id\": " + std::to_string(t.id) + ", \"text\": " + json_text(*tok, t.id) +
           ", \"logprob\": " + json_double(t.logprob) + "}";
  }
  out += "], \"logprob\": " + json_double(r.logprob) + ", \"scored_tokens\": " + std::to_string(r.scored_tokens) +
         ", \"scored_bytes\": " + std::to_string(r.scored_bytes) + ", \"bits_per_byte\": " +
         json_double(r.bits_per_byte()) + "}\n";
  std::fwrite(out.data(), 1, out.size(), stdout);
  return 0;
}

}  // namespace rwkv::cli
