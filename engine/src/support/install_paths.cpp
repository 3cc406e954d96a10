#include "support/install_paths.h"

#include <dlfcn.h>
#include <unistd.h>

namespace rwkv {

std::string engine_dir() {
  Dl_info info{};
  if (!dladdr(reinterpret_cast<void*>(&engine_dir), &info) || !info.dli_fname) return ".";
  const std::string path = info.dli_fname;
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? "." : path.substr(0, slash);
}

std::string installed_data_file(const std::string& relative) {
  // libdir and datadir as configured, relative to the prefix (e.g. lib/x86_64-linux-gnu, share).
  const std::string libdir = RWKV_INSTALL_LIBDIR, datadir = RWKV_INSTALL_DATADIR;
  const std::string dir = engine_dir();
  if (dir.size() > libdir.size() && dir.compare(dir.size() - libdir.size(), libdir.size(), libdir) == 0) {
    const std::string here = dir.substr(0, dir.size() - libdir.size()) + datadir + "/" + relative;
    if (access(here.c_str(), R_OK) == 0) return here;
  }
  // (meson accepts an absolute datadir too)
  const std::string configured =
      (datadir.front() == '/' ? datadir : std::string(RWKV_INSTALL_PREFIX) + "/" + datadir) + "/" + relative;
  return access(configured.c_str(), R_OK) == 0 ? configured : "";
}

}  // namespace rwkv
