// rwkv::inspect: a checkpoint's architecture and dimensions from its tensor directory.
#include "arch/hparams.h"
#include "rwkv/error.h"
#include "rwkv/formats.h"
#include "rwkv/model.h"

namespace rwkv {

Checkpoint inspect(const std::string& path) {
  Checkpoint c;
  c.tensors = load_checkpoint(path);
  try {
    c.info = detect_model(c.tensors, LoadOptions{});
  } catch (const Error& e) {
    throw Error(path + ": " + e.what());
  }
  return c;
}

}  // namespace rwkv
