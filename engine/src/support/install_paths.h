// Where the engine finds what is installed with it (the CUDA module, the bundled model):
// relative to the folder librwkv.so was loaded from, so an installation also works when it is
// moved or staged under a DESTDIR; the configured absolute paths are the fallback.
#pragma once
#include <string>

namespace rwkv {

// The folder librwkv.so was loaded from (the build's engine/ folder, or the installed libdir).
std::string engine_dir();

// A file installed under datadir (e.g. "gst-rwkv/models/x.pth"): beside this library's
// installation, else at the configured prefix; "" when it is in neither.
std::string installed_data_file(const std::string& relative);

}  // namespace rwkv
