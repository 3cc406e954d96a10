// State files: a saved and loaded state continues bit-identically; a damaged, truncated or
// foreign file is refused with the reason; a failed write (file size limit standing in for a
// full disk) leaves the previous file intact and no temporary file behind.
#include <dirent.h>
#include <sys/resource.h>
#include <utime.h>

#include <csignal>
#include <filesystem>

#include "support/crc32.h"
#include "rwkv/model.h"
#include "rwkv/state_file.h"
#include "testing.h"

namespace {

int files_in(const std::string& dir) {
  int n = 0;
  if (DIR* d = opendir(dir.c_str())) {
    while (dirent* e = readdir(d)) n += e->d_name[0] != '.';
    closedir(d);
  }
  return n;
}

// A state file written after 12 tokens of the tiny v4 model, in a scratch folder.
struct Fixture {
  std::string data = testing::testdata() + "/rwkvcpp/";
  std::string dir = testing::temp_dir("state-file");
  std::shared_ptr<rwkv::Model> model = rwkv::Model::load(data + "tiny-rwkv-4v0-660K-FP32.bin");
  std::shared_ptr<rwkv::Model> other = rwkv::Model::load(data + "tiny-rwkv-4v0-660K-FP16.bin");  // same shape, other weights
  std::vector<uint32_t> text = {72, 101, 108, 108, 111, 44, 32, 119, 111, 114, 108, 100};
  rwkv::State s = model->new_state();
  std::vector<float> last = std::vector<float>(256);
  std::string path = dir + "/stream.state";
  Fixture() {
    model->eval(s, text, last.data());
    rwkv::save_state_file(path, *model, s, "held \xe2\x82", last, 1234567890123);
  }
  ~Fixture() { std::filesystem::remove_all(dir); }
};

void round_trip() {
  Fixture f;
  auto& [data, dir, model, other, text, s, last, path] = f;
  CHECK(model->fingerprint() != other->fingerprint());
  CHECK(model->fingerprint() == rwkv::Model::load(data + "tiny-rwkv-4v0-660K-FP32.bin")->fingerprint());

  rwkv::SavedState r = rwkv::load_state_file(path, *model);
  CHECK(r.held_back == "held \xe2\x82");
  CHECK(r.bytes_read == 1234567890123);
  CHECK(r.logits == last);
  CHECK_THROWS(rwkv::save_state_file(path + "2", *model, s, "", std::span<const float>(last.data(), 5)), "5 logits");
  CHECK(r.state.tokens_seen == text.size());
  std::vector<float> a(256), b(256);
  const uint32_t next[] = {33, 10};
  model->eval(s, next, a.data());
  model->eval(r.state, next, b.data());
  CHECK(a == b);
}

void version_1() {
  Fixture f;
  auto& [data, dir, model, other, text, s, last, path] = f;
  // A version 1 file (no input position) still loads, its position unknown (0).
  {
    std::vector<uint8_t> v1 = testing::read_bytes(path);
    v1.erase(v1.begin() + 20, v1.begin() + 28);  // magic 8, version 4, fingerprint 8, position 8
    v1[8] = 1;
    const uint32_t crc = rwkv::crc32(v1.data(), v1.size() - 4);
    for (int i = 0; i < 4; i++) v1[v1.size() - 4 + size_t(i)] = uint8_t(crc >> (8 * i));
    testing::write_bytes(dir + "/v1.state", v1);
    rwkv::SavedState o = rwkv::load_state_file(dir + "/v1.state", *model);
    CHECK(o.bytes_read == 0 && o.held_back == "held \xe2\x82" && o.logits == last);
    v1[8] = 3;
    testing::write_bytes(dir + "/v3.state", v1);
    CHECK_THROWS(rwkv::load_state_file(dir + "/v3.state", *model), "unsupported format version 3");
  }
}

// Another model's file, cut or flipped files, missing files and folders.
void refused() {
  Fixture f;
  auto& [data, dir, model, other, text, s, last, path] = f;
  CHECK_THROWS(rwkv::load_state_file(path, *other), "belongs to another model");
  const std::vector<uint8_t> good = testing::read_bytes(path);
  for (size_t cut : {size_t(0), size_t(5), size_t(20), good.size() / 2, good.size() - 1}) {
    testing::write_bytes(dir + "/cut.state", std::vector<uint8_t>(good.begin(), good.begin() + long(cut)));
    CHECK_THROWS(rwkv::load_state_file(dir + "/cut.state", *model), "state file");
  }
  auto bad = good;
  bad[bad.size() - 100] ^= 1;
  testing::write_bytes(dir + "/flip.state", bad);
  CHECK_THROWS(rwkv::load_state_file(dir + "/flip.state", *model), "checksum mismatch");
  CHECK_THROWS(rwkv::load_state_file(dir + "/none.state", *model), "No such file");
  CHECK_THROWS(rwkv::save_state_file(dir + "/no/such/dir/x.state", *model, s), "cannot create a temporary file");

}

void stale_temporaries() {
  Fixture f;
  auto& [data, dir, model, other, text, s, last, path] = f;
  // Temporary files a killed writer left: a stale one is removed by the next save, a fresh one
  // (a save in progress elsewhere) and other files are not.
  {
    const std::string target = dir + "/clean.state";
    const std::string stale = target + ".tmp.AbC123", fresh = target + ".tmp.XyZ789", other = target + ".tmp.notours";
    for (const auto& f : {stale, fresh, other}) testing::write_bytes(f, std::vector<uint8_t>{1, 2, 3});
    struct utimbuf old_times = {std::time(nullptr) - 3600, std::time(nullptr) - 3600};
    utime(stale.c_str(), &old_times);
    utime(other.c_str(), &old_times);
    rwkv::save_state_file(target, *model, s);
    CHECK(access(stale.c_str(), F_OK) != 0);
    CHECK(access(fresh.c_str(), F_OK) == 0 && access(other.c_str(), F_OK) == 0);
    std::remove(fresh.c_str());
    std::remove(other.c_str());
  }

}

void failed_write() {
  Fixture f;
  auto& [data, dir, model, other, text, s, last, path] = f;
  const std::vector<uint8_t> good = testing::read_bytes(path);
  // A write that fails part-way: the old file survives whole, no temporary file remains.
  std::signal(SIGXFSZ, SIG_IGN);
  const int before = files_in(dir);
  struct rlimit old, lim;
  getrlimit(RLIMIT_FSIZE, &old);
  lim = old;
  lim.rlim_cur = 1000;
  setrlimit(RLIMIT_FSIZE, &lim);
  CHECK_THROWS(rwkv::save_state_file(path, *model, model->new_state()), "cannot write");
  setrlimit(RLIMIT_FSIZE, &old);
  CHECK(testing::read_bytes(path) == good);
  CHECK(files_in(dir) == before);
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<testing::Case> cases = {{"round-trip", round_trip, true},
                                            {"version-1", version_1, true},
                                            {"refused", refused, true},
                                            {"stale-temporaries", stale_temporaries, true},
                                            {"failed-write", failed_write, true}};
  return testing::run_cases(argc, argv, cases, !testing::testdata().empty());
}
