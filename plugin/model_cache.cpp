#include "model_cache.h"

#include <climits>
#include <cstdlib>
#include <map>
#include <mutex>

namespace gstrwkv {

namespace {

// One entry per file, device and quantization: the loaded model while anyone uses it, and a lock held
// while it loads, so two elements starting together load a file once, while elements on
// other files (or a file that is slow to read) load in parallel.
struct Entry {
  std::weak_ptr<rwkv::Model> model;
  std::shared_ptr<std::mutex> loading = std::make_shared<std::mutex>();
};

}  // namespace

std::shared_ptr<rwkv::Model> shared_model(const std::string& path, const rwkv::LoadOptions& opts) {
  static std::mutex mutex;  // guards the map only, never held while loading
  static std::map<std::string, Entry> cache;
  char real[PATH_MAX];
  const std::string key =
      std::string(realpath(path.c_str(), real) ? real : path) + "\n" + opts.device + "\n" + opts.quantize;
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
