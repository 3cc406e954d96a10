#include "rwkv/state_file.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>

#include "support/crc32.h"
#include "formats/mapped_file.h"
#include "rwkv/error.h"

namespace rwkv {

namespace {

constexpr char kMagic[8] = {'R', 'W', 'K', 'V', 'S', 'T', 'F', '\0'};
constexpr uint32_t kVersion = 2;
constexpr size_t kMaxHeldBack = 1 << 20;

void put(std::vector<uint8_t>& b, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; i++) b.push_back(uint8_t(v >> (8 * i)));
}

[[noreturn]] void sys_fail(const std::string& what, const std::string& path) {
  throw Error("cannot " + what + " '" + path + "': " + std::strerror(errno));
}

void write_all(int fd, const uint8_t* p, size_t n, const std::string& path) {
  while (n > 0) {
    const ssize_t w = ::write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) sys_fail("write", path);
    p += w;
    n -= size_t(w);
  }
}

std::string dir_of(const std::string& path) {
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
}

// Temporary files of `path` left by a process killed while saving: a save takes milliseconds,
// so one untouched for a minute has no writer any more.
void remove_stale_temporaries(const std::string& path) {
  constexpr time_t kStaleSeconds = 60;
  const std::string dir = dir_of(path);
  const size_t slash = path.rfind('/');
  const std::string prefix = (slash == std::string::npos ? path : path.substr(slash + 1)) + ".tmp.";
  DIR* d = opendir(dir.c_str());
  if (!d) return;
  const time_t now = std::time(nullptr);
  while (const dirent* e = readdir(d)) {
    const std::string name = e->d_name;
    if (name.size() != prefix.size() + 6 || name.compare(0, prefix.size(), prefix) != 0) continue;
    const std::string full = dir + "/" + name;
    struct stat st;
    if (lstat(full.c_str(), &st) == 0 && S_ISREG(st.st_mode) && now - st.st_mtime > kStaleSeconds) ::unlink(full.c_str());
  }
  closedir(d);
}

}  // namespace

void save_state_file(const std::string& path, const Model& model, const State& state,
                     const std::string& held_back, std::span<const float> logits, uint64_t bytes_read) {
  if (!logits.empty() && logits.size() != size_t(model.info().n_vocab))
    throw Error("cannot save '" + path + "': " + std::to_string(logits.size()) + " logits for a model of " +
                std::to_string(model.info().n_vocab) + " tokens");
  std::vector<uint8_t> b(kMagic, kMagic + 8);
  put(b, kVersion, 4);
  put(b, model.fingerprint(), 8);
  put(b, bytes_read, 8);
  put(b, held_back.size(), 4);
  b.insert(b.end(), held_back.begin(), held_back.end());
  put(b, logits.size(), 4);
  for (float f : logits) {
    uint32_t u;
    std::memcpy(&u, &f, 4);
    put(b, u, 4);
  }
  const std::vector<uint8_t> s = state.serialize();
  b.insert(b.end(), s.begin(), s.end());
  put(b, crc32(b.data(), b.size()), 4);

  // A temp file beside the target, renamed over it only once its bytes are on disk.
  std::string tmp = path + ".tmp.XXXXXX";
  const int fd = mkstemp(tmp.data());
  if (fd < 0) sys_fail("create a temporary file for", path);
  try {
    write_all(fd, b.data(), b.size(), tmp);
    if (fsync(fd) != 0) sys_fail("sync", tmp);
  } catch (...) {
    ::close(fd);
    ::unlink(tmp.c_str());
    throw;
  }
  if (::close(fd) != 0) {
    ::unlink(tmp.c_str());
    sys_fail("close", tmp);
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    const int e = errno;
    ::unlink(tmp.c_str());
    errno = e;
    sys_fail("rename a temporary file to", path);
  }
  // Make the rename itself durable.
  const int dfd = ::open(dir_of(path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    fsync(dfd);
    ::close(dfd);
  }
  remove_stale_temporaries(path);
}

SavedState load_state_file(const std::string& path, const Model& model) {
  auto f = MappedFile::open(path);
  const std::string what = "state file '" + path + "'";
  ByteReader r(f->data(), f->size(), what);
  if (f->size() < 8 || std::memcmp(r.take(8, "magic"), kMagic, 8) != 0)
    throw Error(what + ": wrong magic (not an RWKV state file)");
  const uint32_t version = r.u32("format version");
  if (version != 1 && version != kVersion) throw Error(what + ": unsupported format version " + std::to_string(version));
  if (f->size() < 4 || crc32(f->data(), f->size() - 4) != ByteReader(f->data() + f->size() - 4, 4, what).u32("checksum"))
    throw Error(what + ": checksum mismatch (the file is damaged or truncated)");
  const uint64_t fp = r.u64("model fingerprint");
  if (fp != model.fingerprint())
    throw Error(what + " belongs to another model (fingerprint " + std::to_string(fp) + ", this model " +
                std::to_string(model.fingerprint()) + ")");
  SavedState out;
  if (version >= 2) out.bytes_read = r.u64("input position");
  const uint32_t held = r.u32("held-back length");
  if (held > kMaxHeldBack) r.fail("absurd held-back text length " + std::to_string(held));
  out.held_back.assign(reinterpret_cast<const char*>(r.take(held, "held-back text")), held);
  const uint32_t n_logits = r.u32("number of logits");
  if (n_logits != 0 && n_logits != uint32_t(model.info().n_vocab))
    r.fail(std::to_string(n_logits) + " logits for a model of " + std::to_string(model.info().n_vocab) + " tokens");
  out.logits.resize(n_logits);
  if (n_logits) std::memcpy(out.logits.data(), r.take(size_t(n_logits) * 4, "logits"), size_t(n_logits) * 4);
  if (r.left() < 4) r.fail("truncated: no state");
  try {
    out.state = State::deserialize(model.info(), std::span<const uint8_t>(f->data() + r.pos(), r.left() - 4));
  } catch (const Error& e) {
    throw Error(what + ": " + e.what());
  }
  return out;
}

}  // namespace rwkv
