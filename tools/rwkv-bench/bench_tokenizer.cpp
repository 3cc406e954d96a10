// rwkv-bench-tokenizer [--world PATH] [--neox PATH] [--text FILE] [--mb N] [--chunk-bytes N]:
// encoding speed of each tokenizer on one core (thread CPU time), in MB/s of input text, for the whole text
// at once and for the streaming encoder fed --chunk-bytes pieces (a live transcript).
// Default text: the English licence texts in /usr/share/common-licenses, repeated to
// --mb megabytes. Default vocabularies: $RWKV_TESTDATA/rwkvcpp or ../shared/testdata/rwkvcpp.
#include <time.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "args.h"
#include "rwkv/error.h"
#include "rwkv/tokenizer.h"

namespace {

std::string read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw rwkv::Error("cannot read '" + path + "'");
  return std::string(std::istreambuf_iterator<char>(f), {});
}

std::string default_text() {
  std::string text;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator("/usr/share/common-licenses", ec))
    if (e.is_regular_file() && !e.is_symlink()) text += read_file(e.path().string());
  if (text.empty()) throw rwkv::Error("no /usr/share/common-licenses: pass --text FILE");
  return text;
}

// CPU time of this thread: the speed on one core, whatever else the machine is running.
double cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return double(ts.tv_sec) + double(ts.tv_nsec) * 1e-9;
}

void bench(const char* label, const rwkv::Tokenizer& tok, const std::string& text, size_t chunk) {
  const double mb = double(text.size()) / 1e6;
  double t0 = cpu_seconds();
  const auto ids = tok.encode(text);
  const double whole = cpu_seconds() - t0;
  std::vector<uint32_t> streamed;
  streamed.reserve(ids.size());
  auto enc = tok.new_encoder();
  t0 = cpu_seconds();
  for (size_t at = 0; at < text.size(); at += chunk) enc->push(std::string_view(text).substr(at, chunk), streamed);
  enc->flush(streamed);
  const double stream = cpu_seconds() - t0;
  std::printf("%-6s %8.1f MB/s whole text   %8.1f MB/s streaming %zu-byte pieces   %zu tokens (%.2f bytes/token)%s\n",
              label, mb / whole, mb / stream, chunk, ids.size(), double(text.size()) / double(ids.size()),
              streamed == ids ? "" : "   STREAMED TOKENS DIFFER");
}

int run(const std::vector<std::string>& argv) {
  rwkv::cli::Args a(argv, {"world", "neox", "text", "mb", "chunk-bytes"});
  const char* env = std::getenv("RWKV_TESTDATA");
  const std::string dir = std::string(env ? env : "../shared/testdata") + "/rwkvcpp/";
  std::string text = a.has("text") ? read_file(a.get("text")) : default_text();
  const size_t want = size_t(a.get_int("mb", 10, 1, 4096)) * 1000000;
  const std::string unit = text;
  while (text.size() < want) text += unit;
  text.resize(want);
  const size_t chunk = size_t(a.get_int("chunk-bytes", 16, 1, 1L << 30));
  std::printf("%.1f MB of text; MB per CPU-second of one thread\n", double(text.size()) / 1e6);
  bench("bytes", *rwkv::make_bytes_tokenizer(), text, chunk);
  bench("world", *rwkv::load_world_tokenizer(a.get("world", dir + "rwkv_vocab_v20230424.txt")), text, chunk);
  bench("neox", *rwkv::load_neox_tokenizer(a.get("neox", dir + "20B_tokenizer.json")), text, chunk);
  return 0;
}

}  // namespace

int main(int argc, char** argv) { return rwkv::cli::run_tool("rwkv-bench-tokenizer", argc, argv, run); }
