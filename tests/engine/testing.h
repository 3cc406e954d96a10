// A minimal harness for the engine's test programs: CHECK macros that report file:line and
// keep going, named cases (run_cases), a skip (exit 77) when ../shared/testdata is absent,
// and file helpers.
#pragma once
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <iterator>
#include <random>
#include <sstream>
#include <string>
#include <vector>

namespace testing {

inline int& failures() {
  static int n = 0;
  return n;
}

#define CHECK(cond)                                                           \
  do {                                                                        \
    if (!(cond)) {                                                            \
      std::fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
      testing::failures()++;                                                  \
    }                                                                         \
  } while (0)

#define CHECK_MSG(cond, ...)                                                  \
  do {                                                                        \
    if (!(cond)) {                                                            \
      std::fprintf(stderr, "%s:%d: CHECK failed: %s: ", __FILE__, __LINE__, #cond); \
      std::fprintf(stderr, __VA_ARGS__);                                      \
      std::fprintf(stderr, "\n");                                             \
      testing::failures()++;                                                  \
    }                                                                         \
  } while (0)

// Runs f and checks that it throws rwkv::Error whose message contains `needle`.
#define CHECK_THROWS(expr, needle)                                            \
  do {                                                                        \
    bool threw_ = false;                                                      \
    try {                                                                     \
      (void)(expr);                                                           \
    } catch (const std::exception& e_) {                                      \
      threw_ = true;                                                          \
      if (std::string(e_.what()).find(needle) == std::string::npos) {         \
        std::fprintf(stderr, "%s:%d: error '%s' does not mention '%s'\n", __FILE__, __LINE__, \
                     e_.what(), needle);                                      \
        testing::failures()++;                                                \
      }                                                                       \
    }                                                                         \
    if (!threw_) {                                                            \
      std::fprintf(stderr, "%s:%d: expected an error from %s\n", __FILE__, __LINE__, #expr); \
      testing::failures()++;                                                  \
    }                                                                         \
  } while (0)

// n values drawn from N(0, scale^2), the same for the same seed.
inline std::vector<float> random_values(size_t n, uint32_t seed, float scale = 1.0f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> g(0.0f, scale);
  std::vector<float> v(n);
  for (auto& x : v) x = g(rng);
  return v;
}

inline int finish() {
  if (failures()) std::fprintf(stderr, "%d check(s) failed\n", failures());
  return failures() ? 1 : 0;
}

// One named case of a test program; needs_testdata: skipped (77) without the data it reads.
struct Case {
  std::string name;
  std::function<void()> run;
  bool needs_testdata = false;
};

// Runs the case named by argv[1] (meson registers one test per case, so a failure names
// it), or every case without an argument. `--listed NAME...` fails unless NAME... are
// exactly the program's cases: meson runs it, so its list cannot fall behind the source.
inline int run_cases(int argc, char** argv, const std::vector<Case>& cases, bool have_testdata) {
  if (argc > 1 && std::strcmp(argv[1], "--listed") == 0) {
    std::vector<std::string> listed(argv + 2, argv + argc), ours;
    for (const Case& c : cases) ours.push_back(c.name);
    std::sort(listed.begin(), listed.end());
    std::sort(ours.begin(), ours.end());
    if (listed == ours) return 0;
    std::fprintf(stderr, "meson.build lists other cases than the program has:");
    for (const std::string& n : ours) std::fprintf(stderr, " %s", n.c_str());
    std::fprintf(stderr, "\n");
    return 1;
  }
  const std::string only = argc > 1 ? argv[1] : "";
  bool found = only.empty(), skipped = false;
  for (const Case& c : cases) {
    if (!only.empty() && c.name != only) continue;
    found = true;
    if (c.needs_testdata && !have_testdata) {
      std::printf("SKIP %s: its test data is absent\n", c.name.c_str());
      skipped = true;
      continue;
    }
    std::printf("== %s\n", c.name.c_str());
    const int before = failures();
    c.run();
    if (failures() > before) std::fprintf(stderr, "case %s: %d check(s) failed\n", c.name.c_str(), failures() - before);
  }
  if (!found) {
    std::fprintf(stderr, "no case named '%s'\n", only.c_str());
    return 2;
  }
  if (!only.empty() && skipped) return 77;
  return finish();
}

// ../shared/testdata, from RWKV_TESTDATA (set by meson); empty when absent.
inline std::string testdata() {
  const char* d = std::getenv("RWKV_TESTDATA");
  if (!d) return "";
  std::ifstream probe(std::string(d) + "/rwkvcpp/SOURCES.txt");
  return probe ? d : "";
}

inline std::string require_testdata() {
  std::string d = testdata();
  if (d.empty()) {
    std::printf("SKIP: ../shared/testdata is absent\n");
    std::exit(77);
  }
  return d;
}

// The bundled model (RWKV_BUNDLED_MODEL, set by meson); empty when unset.
inline std::string bundled_model() {
  const char* b = std::getenv("RWKV_BUNDLED_MODEL");
  return b ? b : "";
}

// A byte-level model to test with: rwkv.cpp's tiny RWKV-4 when ../shared is there, else the
// bundled model; empty when neither.
inline std::string byte_model() {
  const std::string d = testdata();
  return d.empty() ? bundled_model() : d + "/rwkvcpp/tiny-rwkv-4v0-660K-FP32.bin";
}

inline std::vector<float> read_floats(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::vector<char> b((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  std::vector<float> v(b.size() / 4);
  std::memcpy(v.data(), b.data(), v.size() * 4);
  return v;
}

inline std::vector<uint8_t> read_bytes(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::vector<uint8_t>((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
}

inline void write_bytes(const std::string& path, const std::vector<uint8_t>& b) {
  std::ofstream f(path, std::ios::binary);
  f.write(reinterpret_cast<const char*>(b.data()), std::streamsize(b.size()));
}

// A fresh scratch directory for one test program.
inline std::string temp_dir(const char* name) {
  std::string d = std::string(std::getenv("TMPDIR") ? std::getenv("TMPDIR") : "/tmp") + "/rwkv-test-" +
                  name + "-" + std::to_string(::getpid());
  std::string cmd = "mkdir -p '" + d + "'";
  if (std::system(cmd.c_str()) != 0) std::abort();
  return d;
}

inline float max_abs(const std::vector<float>& a) {
  float m = 0;
  for (float v : a) m = std::max(m, std::fabs(v));
  return m;
}

inline std::vector<float> log_softmax(const std::vector<float>& a) {
  const float top = *std::max_element(a.begin(), a.end());
  double z = 0;
  for (float v : a) z += std::exp(double(v) - top);
  std::vector<float> out(a.size());
  for (size_t i = 0; i < a.size(); i++) out[i] = float(double(a[i]) - top - std::log(z));
  return out;
}

inline float max_abs_diff(const std::vector<float>& a, const std::vector<float>& b) {
  float m = a.size() == b.size() ? 0.0f : INFINITY;
  for (size_t i = 0; i < a.size() && i < b.size(); i++) m = std::max(m, std::fabs(a[i] - b[i]));
  return m;
}

}  // namespace testing
