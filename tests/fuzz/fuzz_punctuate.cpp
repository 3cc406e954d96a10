// Fuzzes rwkv::Punctuator with any text: a small random-weight byte-level model makes
// arbitrary choices, so every path (marks, capitals, written text, pauses) is taken.
// Input: byte 0 picks the lookahead (1-4); then utterances separated by byte 0x01, a 0x02
// inside one meaning a pause (finish) after it. Checks that every utterance comes out once,
// in order, with the same words (rwkv::same_words), and that nothing is left queued.
#include <memory>
#include <string>
#include <vector>

#include "fuzz_common.h"
#include "rwkv/model.h"
#include "rwkv/punctuate.h"
#include "rwkv/session.h"
#include "rwkv/tokenizer.h"
#include "text/random_model.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::shared_ptr<const rwkv::Model> model = [] {
    rwkv::LoadOptions o;
    o.threads = 1;
    return rwkv::Model::from_tensors(testing::random_v4_tensors(256, 8), o);
  }();
  if (size < 1 || size > 4096) return 0;
  rwkv::Session session(model, rwkv::make_bytes_tokenizer());
  rwkv::PunctuateOptions o;
  o.lookahead = 1 + data[0] % 4;
  rwkv::Punctuator p(session, o);
  std::vector<std::string> in;
  size_t out = 0;
  auto take = [&] {
    while (p.ready()) {
      const std::string got = p.pop();
      if (out >= in.size() || !rwkv::same_words(in[out], got)) {
        std::fprintf(stderr, "utterance %zu: \"%s\" came out as \"%s\"\n", out,
                     out < in.size() ? in[out].c_str() : "(none)", got.c_str());
        std::abort();
      }
      out++;
    }
  };
  const std::string text(reinterpret_cast<const char*>(data + 1), size - 1);
  for (size_t at = 0; at <= text.size();) {
    size_t end = text.find('\x01', at);
    if (end == std::string::npos) end = text.size();
    std::string u = text.substr(at, end - at);
    const bool pause = u.find('\x02') != std::string::npos;
    std::erase(u, '\x02');
    in.push_back(u);
    p.push(u);
    if (pause) p.finish();
    take();
    at = end + 1;
  }
  p.finish();
  take();
  if (out != in.size() || p.queued() != 0) {
    std::fprintf(stderr, "%zu of %zu utterances came out\n", out, in.size());
    std::abort();
  }
  return 0;
}
