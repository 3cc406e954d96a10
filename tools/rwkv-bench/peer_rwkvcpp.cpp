// rwkv-bench-rwkvcpp: times rwkv.cpp on a model file the way rwkv-bench times this engine
// (same step and sequence measurements, same output lines), for side-by-side runs. rwkv.cpp
// is not part of this project: its shared library, built by the user from its repository,
// is loaded at run time (--lib PATH/librwkv.so) through its public C API (rwkv.h).
#include <dlfcn.h>
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "args.h"
#include "rwkv/error.h"

namespace {

using Clock = std::chrono::steady_clock;

struct Api {
  void* (*init_from_file)(const char*, uint32_t, uint32_t);
  bool (*eval)(void*, uint32_t, const float*, float*, float*);
  bool (*eval_sequence_in_chunks)(void*, const uint32_t*, size_t, size_t, const float*, float*, float*);
  size_t (*state_len)(const void*);
  size_t (*logits_len)(const void*);
  const char* (*system_info)();
  void (*free)(void*);
};

template <class F>
void bind(void* lib, const char* name, F& f) {
  f = reinterpret_cast<F>(dlsym(lib, name));
  if (!f) throw rwkv::Error(std::string("rwkv.cpp library has no ") + name);
}

double since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

int run(const std::vector<std::string>& argv) {
  rwkv::cli::Args a(argv, {"lib", "model", "threads", "tokens", "seq", "chunk"});
  const std::string path = a.require("lib");
  void* lib = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!lib) throw rwkv::Error("cannot load " + path + ": " + dlerror());
  Api api;
  bind(lib, "rwkv_init_from_file", api.init_from_file);
  bind(lib, "rwkv_eval", api.eval);
  bind(lib, "rwkv_eval_sequence_in_chunks", api.eval_sequence_in_chunks);
  bind(lib, "rwkv_get_state_len", api.state_len);
  bind(lib, "rwkv_get_logits_len", api.logits_len);
  bind(lib, "rwkv_get_system_info_string", api.system_info);
  bind(lib, "rwkv_free", api.free);

  const std::string model = a.require("model");
  const int threads = int(a.get_int("threads", 2, 1, 1024));
  const int steps = int(a.get_int("tokens", 64, 1, 1 << 20)), seq = int(a.get_int("seq", 128, 1, 1 << 20));
  const size_t chunk = size_t(a.get_int("chunk", 16, 1, 4096));
  auto t0 = Clock::now();
  void* ctx = api.init_from_file(model.c_str(), uint32_t(threads), 0);
  if (!ctx) throw rwkv::Error("rwkv.cpp cannot load " + model);
  std::printf("rwkv.cpp: %s\nmodel: %s, loaded in %.1f s, %d threads\n", api.system_info(), model.c_str(), since(t0), threads);
  const size_t V = api.logits_len(ctx);
  std::vector<float> state(api.state_len(ctx)), logits(V);
  uint32_t s = 1;
  auto next = [&] { return (s = s * 1103515245u + 12345u) % uint32_t(V); };

  // Step: single-token calls with logits, after 8 to warm up (as rwkv-bench).
  bool ok = api.eval(ctx, next(), nullptr, state.data(), logits.data());
  for (int i = 0; i < 7; i++) ok = ok && api.eval(ctx, next(), state.data(), state.data(), logits.data());
  t0 = Clock::now();
  for (int i = 0; i < steps; i++) ok = ok && api.eval(ctx, next(), state.data(), state.data(), logits.data());
  const double step_tps = steps / since(t0);
  // Sequence: T tokens from the initial state, last logits, in rwkv.cpp's recommended chunks
  // (the graph for the chunk length is built by an untimed first call).
  std::vector<uint32_t> toks(static_cast<size_t>(seq));
  for (auto& t : toks) t = next();
  ok = ok && api.eval_sequence_in_chunks(ctx, toks.data(), toks.size(), chunk, nullptr, state.data(), logits.data());
  for (auto& t : toks) t = next();
  t0 = Clock::now();
  ok = ok && api.eval_sequence_in_chunks(ctx, toks.data(), toks.size(), chunk, nullptr, state.data(), logits.data());
  const double seq_tps = seq / since(t0);
  if (!ok) throw rwkv::Error("rwkv.cpp reported an evaluation error");
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  std::printf("step:     %8.2f tokens/s  (%d tokens)\nsequence: %8.2f tokens/s  (T = %d, chunks of %zu)\npeak RSS: %.0f MB\n",
              step_tps, steps, seq_tps, seq, chunk, double(ru.ru_maxrss) / 1024.0);
  api.free(ctx);
  return 0;
}

}  // namespace

int main(int argc, char** argv) { return rwkv::cli::run_tool("rwkv-bench-rwkvcpp", argc, argv, run); }
