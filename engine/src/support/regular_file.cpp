#include "support/regular_file.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>

#include "rwkv/error.h"

namespace rwkv {

void require_regular_file(const std::string& path, const std::string& what) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0)
    throw Error("cannot open " + what + " '" + path + "': " + std::strerror(errno));
  if (!S_ISREG(st.st_mode)) throw Error("cannot open " + what + " '" + path + "': not a regular file");
}

}  // namespace rwkv
