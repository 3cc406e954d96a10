#include "model_cache.h"

#include <climits>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <mutex>

namespace gstrwkv {

namespace {

// One entry per file and load options: the loaded model while anyone uses it, and a lock held
// while it loads, so two elements starting together load a file once, while elements on
// other files (or a file that is slow to read) load in parallel.
struct Entry {
  std::weak_ptr<rwkv::Model> model;
  std::shared_ptr<std::mutex> loading = std::make_shared<std::mutex>();
};

// The file by its real path and every load option: elements share a model only when each
// would have loaded that same one (a `threads` change in READY must not find the old model).
std::string cache_key(const std::string& path, const rwkv::LoadOptions& o) {
  char real[PATH_MAX], eps[32];
  std::string key = realpath(path.c_str(), real) ? real : path;
  std::snprintf(eps, sizeof eps, "%a", double(o.groupnorm_eps));  // exact: to_string keeps 6 decimals
  for (const std::string& part :
       {o.device, std::string(o.quantize ? rwkv::dtype_name(*o.quantize) : ""), std::to_string(o.threads), std::string(eps), std::to_string(o.batch_wait_us),
        std::string(o.batch_streams ? "batched" : "alone") + (o.quantize_head ? " head" : "") + (o.dequantize ? " deq" : "") +
            (o.bf16_products ? " bf16" : "")})
    key += "\n" + part;
  return key;
}

}  // namespace

std::shared_ptr<rwkv::Model> shared_model(const std::string& path, const rwkv::LoadOptions& opts) {
  static std::mutex mutex;  // guards the map only, never held while loading
  static std::map<std::string, Entry> cache;
  const std::string key = cache_key(path, opts);
  std::shared_ptr<std::mutex> loading;
  {
    std::lock_guard<std::mutex> lock(mutex);
    Entry& e = cache[key];
    if (auto m = e.model.lock()) return m;
    loading = e.loading;
  }
  std::lock_guard<std::mutex> load_lock(*loading);
  {
    std::lock_guard<std::mutex> lock(mutex);
    if (auto m = cache[key].model.lock()) return m;  // loaded by who held the lock before us
  }
  auto m = rwkv::Model::load(path, opts);
  std::lock_guard<std::mutex> lock(mutex);
  cache[key].model = m;
  return m;
}

}  // namespace gstrwkv
