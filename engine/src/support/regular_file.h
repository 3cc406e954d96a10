// Input files are opened only when they are regular files: a FIFO or a device named as a
// model or tokenizer would block the opening thread (and a GStreamer state change) forever.
#pragma once
#include <string>

namespace rwkv {

// Throws rwkv::Error("cannot open WHAT 'PATH': reason") or "... is not a regular file".
void require_regular_file(const std::string& path, const std::string& what);

}  // namespace rwkv
