// Stands in for the NeoX tokenizer in a build without its libraries.
#include "rwkv/error.h"
#include "rwkv/tokenizer.h"

#ifndef RWKV_NEOX_MISSING
#error "RWKV_NEOX_MISSING names the libraries the build lacks"
#endif

namespace rwkv {

bool neox_tokenizer_available() { return false; }

std::shared_ptr<Tokenizer> load_neox_tokenizer(const std::string& path) {
  throw Error("'" + path + "': the NeoX tokenizer is unavailable: this engine was built without " RWKV_NEOX_MISSING);
}

}  // namespace rwkv
