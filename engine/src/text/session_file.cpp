// Session::save / restore: a session's context through a state file.
#include "rwkv/session.h"
#include "rwkv/state_file.h"

namespace rwkv {

void Session::save(const std::string& path) const {
  save_state_file(path, *model_, state_, encoder_->pending_text(), logits(), bytes_);
}

void Session::restore(const std::string& path) {
  SavedState saved = load_state_file(path, *model_);
  const uint64_t held = saved.held_back.size();
  set_state(std::move(saved.state), saved.logits, saved.bytes_read > held ? saved.bytes_read - held : 0);
  // The held-back text goes back into the streaming encoder, which holds it again (and
  // counts it in the input position, as when it first arrived).
  ingest(saved.held_back);
}

}  // namespace rwkv
