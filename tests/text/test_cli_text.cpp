// rwkv-cli tokenize / generate / score: the same output for every --chunk-bytes, the
// reference ids for known text, and text scored across runs through a state file.
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <memory>

#include "rwkv/tokenizer.h"
#include "engine/testing.h"

namespace {

std::string cli() {
  const char* p = std::getenv("RWKV_CLI");
  return p ? p : "rwkv-cli";
}

// Runs a shell command; returns stdout, with the exit status in *status.
std::string run(const std::string& cmd, int* status = nullptr) {
  std::unique_ptr<FILE, int (*)(FILE*)> p(popen(cmd.c_str(), "r"), pclose);
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p.get())) > 0) out.append(buf, n);
  const int rc = pclose(p.release());
  if (status) *status = WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
  return out;
}

double total_logprob(const std::string& json) {
  const size_t at = json.rfind("\"logprob\": ");
  return at == std::string::npos ? NAN : std::strtod(json.c_str() + at + 11, nullptr);
}

void same_for_chunks(const std::string& base, const char* what) {
  const std::string whole = run(base);
  CHECK_MSG(!whole.empty(), "%s: no output from %s", what, base.c_str());
  for (int n : {1, 2, 3, 5, 7, 16, 64}) {
    const std::string got = run(base + " --chunk-bytes " + std::to_string(n));
    CHECK_MSG(got == whole, "%s --chunk-bytes %d: %s vs %s", what, n, got.c_str(), whole.c_str());
  }
}

}  // namespace

int main() {
  const std::string data = testing::require_testdata() + "/rwkvcpp/";
  const std::string dir = testing::temp_dir("text-cli");
  const std::string text = dir + "/text.txt";
  const std::string sample =
      "Caf\xC3\xA9 na\xC3\xAFve e\xCC\x81 \xF0\x9F\x98\x80 <|endoftext|>  It's   \n\nUser: hi\n\nAssistant: "
      "\xE7\x94\x9F\xE6\xB4\xBB \xE1\x84\x80\xE1\x85\xA1 the end";
  testing::write_bytes(text, std::vector<uint8_t>(sample.begin(), sample.end()));
  std::string c = "'";  // the quoted command
  c += cli();
  c += "' ";
  const std::string model = "--model '" + data + "tiny-rwkv-4v0-660K-FP32.bin' --threads 1";

  const bool neox = rwkv::neox_tokenizer_available();
  if (neox)
    CHECK(run(c + "tokenize --tokenizer '" + data + "20B_tokenizer.json' --text 'Hello world'") ==
          "{\"ids\": [12092, 1533]}\n");
  CHECK(run(c + "tokenize --tokenizer '" + data + "rwkv_vocab_v20230424.txt' --text 'Hello world'") ==
        "{\"ids\": [33155, 40213]}\n");
  for (const char* tok : {"20B_tokenizer.json", "rwkv_vocab_v20230424.txt"})
    if (neox || tok[0] == 'r') same_for_chunks(c + "tokenize --tokenizer '" + data + tok + "' < '" + text + "'", tok);
  same_for_chunks(c + "tokenize --tokenizer bytes < '" + text + "'", "bytes");

  same_for_chunks(c + "generate " + model + " --prompt 'In a shocking finding, sci' --max-tokens 24 --temperature 0",
                  "generate greedy");
  same_for_chunks(c + "generate " + model +
                      " --prompt 'In a shocking finding' --max-tokens 24 --temperature 0.9 --top-p 0.9 --seed 7",
                  "generate sampled");
  same_for_chunks(c + "score " + model + " < '" + text + "'", "score");
  same_for_chunks(c + "score " + model + " --context 'The' --text ' quick brown fox'", "score with context");
  const std::string s = run(c + "score " + model + " --context 'The' --text ' quick'");
  CHECK(s.find("\"scored_tokens\": 6") != std::string::npos && s.find("\"bits_per_byte\": ") != std::string::npos);

  // A text scored in two runs through a state file scores as the whole; so does generation
  // resumed from one.
  const std::string st = dir + "/s.state";
  const double whole = total_logprob(run(c + "score " + model + " --text 'The quick brown fox'"));
  const double first = total_logprob(run(c + "score " + model + " --text 'The quick' --save '" + st + "'"));
  const double second =
      total_logprob(run(c + "score " + model + " --resume '" + st + "' --save '" + st + "' --text ' brown fox'"));
  CHECK_MSG(std::fabs(first + second - whole) < 1e-4, "score across runs: %.6f + %.6f vs %.6f", first, second, whole);
  const std::string gen = " --max-tokens 16 --temperature 0";
  const std::string resumed = run(c + "generate " + model + " --resume '" + st + "'" + gen);
  CHECK_MSG(resumed == run(c + "generate " + model + " --prompt 'The quick brown fox'" + gen), "generate --resume: %s",
            resumed.c_str());

  int status = 0;
  run(c + "tokenize --tokenizer '" + dir + "/absent.json' --text x 2>/dev/null", &status);
  CHECK(status == 1);
  const std::string err = run(c + "generate " + model + " --prompt '' --max-tokens 3 2>&1", &status);
  CHECK(status == 1 && err.find("ingest a prompt first") != std::string::npos);
  run("rm -rf '" + dir + "'");
  return testing::finish();
}
