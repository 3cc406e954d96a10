#include <cstdlib>

#include "support/install_paths.h"
#include "rwkv/model.h"

namespace rwkv {

std::string default_model_path() {
  const char* env = std::getenv("RWKV_MODEL");
  if (env && *env) return env;
  return installed_data_file("gst-rwkv/models/rwkv4-tiny-en.pth");
}

}  // namespace rwkv
