// The bookkeeping of States kept in a backend's memory between calls (state/resident.h), over
// a fake store that counts its copies: one copy in, none per token, one copy out when the
// State is read, and the slots freed, reused and grown as States come and go.
#include <memory>
#include <utility>

#include "state/resident.h"
#include "testing.h"

namespace {

// A store in host memory that counts what crosses its "bus".
class FakeStore final : public rwkv::SlotStore {
 public:
  explicit FakeStore(size_t floats) : floats_(floats) {}
  void grow(size_t slots) override {
    grows++;
    values.resize(slots * floats_);
  }
  void copy_in(size_t slot, const float* host) override {
    ins++;
    std::copy(host, host + floats_, values.begin() + ptrdiff_t(slot * floats_));
  }
  void copy_out(size_t slot, float* host) override {
    outs++;
    std::copy(values.begin() + ptrdiff_t(slot * floats_), values.begin() + ptrdiff_t((slot + 1) * floats_), host);
  }
  // What a pass does to a slot.
  void step(size_t slot) {
    for (size_t i = 0; i < floats_; i++) values[slot * floats_ + i] += 1.0f;
  }
  int grows = 0, ins = 0, outs = 0;
  std::vector<float> values;

 private:
  size_t floats_;
};

rwkv::ModelInfo info() {
  rwkv::ModelInfo i;
  i.arch = rwkv::Arch::V7;
  i.n_layer = 2;
  i.n_embd = 8;
  i.n_head = 2;
  i.head_size = 4;
  return i;
}

// One "pass" over s: its slot, the step, the host copy stale.
void pass(rwkv::ResidentStates& r, FakeStore& store, rwkv::State& s) {
  store.step(r.slot_of(s));
  r.wrote(s);
}

void copies() {
  rwkv::State s(info());
  FakeStore store(s.size());
  rwkv::ResidentStates r(store, s.size());
  for (int t = 0; t < 100; t++) pass(r, store, s);
  CHECK(store.ins == 1 && store.outs == 0);  // in once, nothing per token
  const std::vector<uint8_t> saved = s.serialize();
  CHECK(store.outs == 1);
  CHECK(s.serialize() == saved && store.outs == 1);  // current until the next call
  const rwkv::State& read = s;
  CHECK(read.data()[0] == 100.0f && read.layer(1)[3] == 100.0f && store.outs == 1);
  pass(r, store, s);
  CHECK(read.data()[5] == 101.0f && store.outs == 2);
  CHECK(store.ins == 1);  // reading does not make the next call copy in
  pass(r, store, s);
  s.data()[0] = -5.0f;  // written on the host: the next call copies it in
  CHECK(store.outs == 3);
  const size_t slot = r.slot_of(s);
  CHECK(store.ins == 2 && store.values[slot * s.size()] == -5.0f && store.values[slot * s.size() + 1] == 102.0f);
}

void fork_and_reset() {
  rwkv::State s(info());
  FakeStore store(s.size());
  rwkv::ResidentStates r(store, s.size());
  pass(r, store, s);
  rwkv::State f = s.fork();  // the values, fetched; not the slot
  CHECK(store.outs == 1 && std::as_const(f).data()[0] == 1.0f && r.live() == 1);
  pass(r, store, f);
  CHECK(r.live() == 2 && store.ins == 2);
  pass(r, store, s);
  CHECK(std::as_const(s).data()[0] == 2.0f && std::as_const(f).data()[0] == 2.0f);  // each its own slot
  rwkv::State moved = std::move(f);  // a move takes the slot
  CHECK(r.live() == 2);
  pass(r, store, moved);
  CHECK(std::as_const(moved).data()[0] == 3.0f && store.ins == 2);
  moved.reset();  // new values: the slot is freed
  CHECK(r.live() == 1 && std::as_const(moved).data()[0] == 0.0f);
}

void slots_reused_and_grown() {
  const size_t floats = rwkv::State(info()).size();
  FakeStore store(floats);
  rwkv::ResidentStates r(store, floats);
  {
    std::vector<rwkv::State> many(40, rwkv::State(info()));
    for (size_t i = 0; i < many.size(); i++)
      for (size_t t = 0; t <= i; t++) pass(r, store, many[i]);  // state i: i + 1 steps
    CHECK(r.capacity() == 64 && r.live() == 40 && store.grows == 7);  // 1, 2, 4 ... 64
    for (size_t i = 0; i < many.size(); i++) CHECK_MSG(many[i].data()[0] == float(i + 1), "state %zu", i);
  }
  CHECK(r.live() == 0);
  rwkv::State again(info());
  pass(r, store, again);
  CHECK(r.live() == 1 && r.capacity() == 64 && store.grows == 7);  // a freed slot, reused
}

void store_goes_first() {
  rwkv::State s(info());
  {
    FakeStore store(s.size());
    rwkv::ResidentStates r(store, s.size());
    for (int t = 0; t < 3; t++) pass(r, store, s);
    CHECK(store.outs == 0);
  }  // the model goes: its States are fetched
  CHECK(s.data()[0] == 3.0f && s.layer(1)[7] == 3.0f);
  FakeStore other(s.size());
  rwkv::ResidentStates r2(other, s.size());
  pass(r2, other, s);  // and run elsewhere from there
  CHECK(s.data()[0] == 4.0f && other.ins == 1);
}

void moves_between_stores() {
  rwkv::State s(info());
  FakeStore a(s.size()), b(s.size());
  rwkv::ResidentStates ra(a, s.size()), rb(b, s.size());
  pass(ra, a, s);
  rb.adopt(s);  // before b's lock: fetched from a, a's slot freed
  CHECK(a.outs == 1 && ra.live() == 0);
  pass(rb, b, s);
  CHECK(b.ins == 1 && rb.live() == 1 && s.data()[0] == 2.0f);
  rwkv::State wrong;  // another shape
  CHECK_THROWS(rb.slot_of(wrong), "does not belong");
}

}  // namespace

int main(int argc, char** argv) {
  return testing::run_cases(argc, argv,
                            {{"copies", copies},
                             {"fork-and-reset", fork_and_reset},
                             {"slots-reused-and-grown", slots_reused_and_grown},
                             {"store-goes-first", store_goes_first},
                             {"moves-between-stores", moves_between_stores}},
                            true);
}
