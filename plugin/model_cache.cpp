#include "model_cache.h"

#include <climits>
#include <cstdlib>
#include <map>
#include <mutex>

namespace gstrwkv {

std::shared_ptr<rwkv::Model> shared_model(const std::string& path, const rwkv::LoadOptions& opts) {
  static std::mutex mutex;
  static std::map<std::string, std::weak_ptr<rwkv::Model>> cache;
  char real[PATH_MAX];
  const std::string key = std::string(realpath(path.c_str(), real) ? real : path) + "\n" + opts.device;
  // Held while loading, so two elements starting together load the file once.
  std::lock_guard<std::mutex> lock(mutex);
  if (auto m = cache[key].lock()) return m;
  auto m = rwkv::Model::load(path, opts);
  cache[key] = m;
  return m;
}

}  // namespace gstrwkv
