// Fuzzes the streaming encoders and decoder of the bytes, World and NeoX tokenizers (the
// real vocabularies from $RWKV_TESTDATA; a tokenizer whose file is absent is skipped).
// Input: byte 0 picks the tokenizer, byte 1 the number of cuts (up to 15), then one byte
// per cut position (scaled to the text), then the text. Checks the guarantees of
// rwkv/tokenizer.h and tests/text/test_streaming.cpp:
//  - pushing the text in pieces, then flush, gives encode(text), and nothing stays pending;
//  - a clone taken at a cut goes on exactly as the original;
//  - World holds back under its longest token (128 bytes), bytes holds back nothing;
//  - the streaming decoder emits valid UTF-8 and the same text however the ids are grouped;
//  - bytes and World: decode(encode(text)) == text, and the decoder gives the text back when
//    it is valid UTF-8; NeoX: re-encoding the decoded text gives the same ids.
#include <algorithm>
#include <memory>
#include <vector>

#include "fuzz_common.h"
#include "rwkv/tokenizer.h"
#include "text/utf8.h"

namespace {

std::vector<std::shared_ptr<rwkv::Tokenizer>> g_toks;

[[noreturn]] void fail(const rwkv::Tokenizer& tok, const char* what, const std::vector<uint32_t>& got = {},
                       const std::vector<uint32_t>& want = {}) {
  std::fprintf(stderr, "%s tokenizer: %s\n", tok.name(), what);
  for (const auto* ids : {&got, &want}) {
    if (ids->empty()) continue;
    std::fprintf(stderr, "  %s:", ids == &got ? "got" : "expected");
    for (uint32_t id : *ids) std::fprintf(stderr, " %u", id);
    std::fprintf(stderr, "\n");
  }
  std::abort();
}

bool valid_utf8(const std::string& s) {
  std::string out;
  rwkv::text::utf8_sanitize(s, true, out);
  return out == s;
}

void load(const std::string& what, const std::string& path, bool neox) {
  if (FILE* f = std::fopen(path.c_str(), "rb")) {
    std::fclose(f);
  } else {
    std::fprintf(stderr, "fuzz_streaming_encoder: SKIP %s (%s is absent)\n", what.c_str(), path.c_str());
    return;
  }
  try {
    g_toks.push_back(neox ? rwkv::load_neox_tokenizer(path) : rwkv::load_world_tokenizer(path));
  } catch (const rwkv::Error& e) {
    std::fprintf(stderr, "fuzz_streaming_encoder: SKIP %s: %s\n", what.c_str(), e.what());
  }
}

void check(const rwkv::Tokenizer& tok, std::string_view text, const std::vector<size_t>& cuts) {
  const std::vector<uint32_t> whole = tok.encode(text);
  auto enc = tok.new_encoder();
  std::unique_ptr<rwkv::TextEncoder> copy;
  std::vector<uint32_t> ids, copy_ids;
  const size_t max_hold = tok.kind() == rwkv::TokenizerKind::World ? 127
                          : tok.kind() == rwkv::TokenizerKind::Bytes ? 0 : SIZE_MAX;
  size_t at = 0;
  for (size_t c : cuts) {
    enc->push(text.substr(at, c - at), ids);
    if (enc->pending_bytes() > max_hold) fail(tok, "holds back more than it may");
    if (!copy) copy = enc->clone(), copy_ids = ids;
    else copy->push(text.substr(at, c - at), copy_ids);
    at = c;
  }
  enc->push(text.substr(at), ids);
  enc->flush(ids);
  if (enc->pending_bytes() != 0) fail(tok, "bytes pending after flush");
  if (ids != whole) fail(tok, "streamed ids differ from encode() of the whole text", ids, whole);
  if (copy) {
    copy->push(text.substr(at), copy_ids);
    copy->flush(copy_ids);
    if (copy_ids != whole) fail(tok, "a clone went on differently from the original", copy_ids, whole);
  }
  // The encoder starts afresh after flush.
  enc->push(text, ids = {});
  enc->flush(ids);
  if (ids != whole) fail(tok, "the encoder did not start afresh after flush");

  rwkv::TextDecoder dec(tok.shared_from_this());
  std::string one;
  for (uint32_t id : whole) {
    const std::string piece = dec.push(id);
    if (!valid_utf8(piece)) fail(tok, "the decoder emitted invalid UTF-8");
    one += piece;
  }
  one += dec.flush();
  std::string all = dec.push(whole);
  all += dec.flush();
  if (one != all) fail(tok, "the decoded text depends on how the ids were grouped");
  if (!valid_utf8(one)) fail(tok, "the decoder's flush emitted invalid UTF-8");
  if (tok.kind() == rwkv::TokenizerKind::NeoX) {
    if (one != tok.decode(whole)) fail(tok, "decode() differs from the streaming decoder");
    if (tok.encode(one) != whole) fail(tok, "re-encoding the decoded text gives other ids", tok.encode(one), whole);
  } else {
    if (tok.decode(whole) != text) fail(tok, "decode(encode(text)) != text");
    if (valid_utf8(std::string(text)) && one != text) fail(tok, "the decoder did not give the text back");
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  g_toks.push_back(rwkv::make_bytes_tokenizer());
  const char* env = std::getenv("RWKV_TESTDATA");
  const std::string dir = std::string(env && *env ? env : "../shared/testdata") + "/rwkvcpp/";
  load("World", dir + "rwkv_vocab_v20230424.txt", false);
  if (rwkv::neox_tokenizer_available()) load("NeoX", dir + "20B_tokenizer.json", true);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const rwkv::Tokenizer& tok = *g_toks[data[0] % g_toks.size()];
  const size_t n_cuts = std::min<size_t>(data[1] % 16, size - 2);
  const std::string_view text(reinterpret_cast<const char*>(data) + 2 + n_cuts, size - 2 - n_cuts);
  std::vector<size_t> cuts;
  for (size_t k = 0; k < n_cuts; k++) cuts.push_back(text.size() * data[2 + k] / 256);
  std::sort(cuts.begin(), cuts.end());
  try {
    check(tok, text, cuts);
  } catch (const std::exception& e) {  // these tokenizers encode any bytes: no rejection expected
    std::fprintf(stderr, "%s tokenizer threw: %s\n", tok.name(), e.what());
    std::abort();
  }
  return 0;
}
