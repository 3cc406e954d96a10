// State files: a stream's whole context on disk, written atomically (temp file, fsync,
// rename), so a crash mid-write leaves the last good file. Layout (little-endian):
//   8  magic "RWKVSTF\0"      4  format version (2; version 1 files, without the input
//                               position, still load)
//   8  model fingerprint      8  input position: bytes of text read, held-back text included
//                                (version 2 only; where a restarted stream resumes its input)
//   4  length of held-back text, then its bytes
//   4  number of logits, then the logits (fp32) after the last token, so the restored stream
//      can score its next token
//   .. the state (State::serialize: its own magic, arch, dimensions, tokens seen, values, CRC)
//   4  CRC-32 of everything before it
// Loading checks all of it and refuses another model's state or a damaged file, saying why.
// A save also removes temporary files of the same path that a killed writer left (untouched
// for a minute).
#pragma once
#include <string>

#include "rwkv/model.h"

namespace rwkv {

struct SavedState {
  State state;
  std::string held_back;      // input the streaming tokenizer had not turned into tokens yet
  std::vector<float> logits;  // after the last token; empty if there were none
  uint64_t bytes_read = 0;    // input position (0 in version 1 files)
};

void save_state_file(const std::string& path, const Model& model, const State& state,
                     const std::string& held_back = "", std::span<const float> logits = {},
                     uint64_t bytes_read = 0);
SavedState load_state_file(const std::string& path, const Model& model);

}  // namespace rwkv
