#include "formats/pickle.h"

#include <algorithm>
#include <cstring>
#include <map>

#include "formats/mapped_file.h"
#include "rwkv/error.h"

namespace rwkv::pickle {

namespace {

constexpr int kMaxDepth = 64;

// Every pickle opcode, so that an unsupported one is named in the error.
const char* opcode_name(uint8_t op) {
  switch (op) {
    case '(': return "MARK";
    case '.': return "STOP";
    case '0': return "POP";
    case '1': return "POP_MARK";
    case '2': return "DUP";
    case 'F': return "FLOAT";
    case 'I': return "INT";
    case 'J': return "BININT";
    case 'K': return "BININT1";
    case 'L': return "LONG";
    case 'M': return "BININT2";
    case 'N': return "NONE";
    case 'P': return "PERSID";
    case 'Q': return "BINPERSID";
    case 'R': return "REDUCE";
    case 'S': return "STRING";
    case 'T': return "BINSTRING";
    case 'U': return "SHORT_BINSTRING";
    case 'V': return "UNICODE";
    case 'X': return "BINUNICODE";
    case 'a': return "APPEND";
    case 'b': return "BUILD";
    case 'c': return "GLOBAL";
    case 'd': return "DICT";
    case '}': return "EMPTY_DICT";
    case 'e': return "APPENDS";
    case 'g': return "GET";
    case 'h': return "BINGET";
    case 'i': return "INST";
    case 'j': return "LONG_BINGET";
    case 'l': return "LIST";
    case ']': return "EMPTY_LIST";
    case 'o': return "OBJ";
    case 'p': return "PUT";
    case 'q': return "BINPUT";
    case 'r': return "LONG_BINPUT";
    case 's': return "SETITEM";
    case 't': return "TUPLE";
    case ')': return "EMPTY_TUPLE";
    case 'u': return "SETITEMS";
    case 'G': return "BINFLOAT";
    case 0x80: return "PROTO";
    case 0x81: return "NEWOBJ";
    case 0x82: return "EXT1";
    case 0x83: return "EXT2";
    case 0x84: return "EXT4";
    case 0x85: return "TUPLE1";
    case 0x86: return "TUPLE2";
    case 0x87: return "TUPLE3";
    case 0x88: return "NEWTRUE";
    case 0x89: return "NEWFALSE";
    case 0x8a: return "LONG1";
    case 0x8b: return "LONG4";
    case 'B': return "BINBYTES";
    case 'C': return "SHORT_BINBYTES";
    case 0x8c: return "SHORT_BINUNICODE";
    case 0x8d: return "BINUNICODE8";
    case 0x8e: return "BINBYTES8";
    case 0x8f: return "EMPTY_SET";
    case 0x90: return "ADDITEMS";
    case 0x91: return "FROZENSET";
    case 0x92: return "NEWOBJ_EX";
    case 0x93: return "STACK_GLOBAL";
    case 0x94: return "MEMOIZE";
    case 0x95: return "FRAME";
    case 0x96: return "BYTEARRAY8";
    case 0x97: return "NEXT_BUFFER";
    case 0x98: return "READONLY_BUFFER";
    default: return nullptr;
  }
}

std::string hex(uint8_t b) {
  const char* d = "0123456789abcdef";
  return std::string("0x") + d[b >> 4] + d[b & 15];
}

ValuePtr make(Value::Kind k) {
  auto v = std::make_shared<Value>();
  v->kind = k;
  return v;
}

class Machine {
 public:
  Machine(std::span<const uint8_t> bytes, const std::vector<std::string>& globals, const std::string& what)
      : r_(bytes.data(), bytes.size(), what), globals_(globals) {}

  ValuePtr run();

 private:
  [[noreturn]] void fail(const std::string& msg) { r_.fail(msg); }
  ValuePtr pop();
  ValuePtr& top();
  std::vector<ValuePtr> pop_to_mark();
  // A container being filled must not already sit inside another (CPython fills containers
  // before it inserts them): this keeps depths exact and rules out cycles.
  void adopt(Value& parent, const ValuePtr& child);
  ValuePtr tuple(std::vector<ValuePtr> items);
  std::string line(const char* field);

  ByteReader r_;
  const std::vector<std::string>& globals_;
  std::vector<ValuePtr> stack_;
  std::vector<size_t> marks_;
  std::map<uint32_t, ValuePtr> memo_;
};

ValuePtr Machine::pop() {
  if (stack_.empty() || (!marks_.empty() && stack_.size() <= marks_.back())) fail("stack underflow");
  ValuePtr v = std::move(stack_.back());
  stack_.pop_back();
  return v;
}

ValuePtr& Machine::top() {
  if (stack_.empty() || (!marks_.empty() && stack_.size() <= marks_.back())) fail("stack underflow");
  return stack_.back();
}

std::vector<ValuePtr> Machine::pop_to_mark() {
  if (marks_.empty()) fail("no MARK on the stack");
  const size_t m = marks_.back();
  marks_.pop_back();
  std::vector<ValuePtr> items(std::make_move_iterator(stack_.begin() + long(m)),
                              std::make_move_iterator(stack_.end()));
  stack_.resize(m);
  return items;
}

void Machine::adopt(Value& parent, const ValuePtr& child) {
  if (child.get() == &parent) fail("an object that contains itself");
  if (child->depth + 1 > kMaxDepth) fail("objects nested deeper than " + std::to_string(kMaxDepth));
  parent.depth = std::max(parent.depth, child->depth + 1);
  child->sealed = true;
}

ValuePtr Machine::tuple(std::vector<ValuePtr> items) {
  ValuePtr t = make(Value::Kind::Tuple);
  for (const auto& v : items) adopt(*t, v);
  t->items = std::move(items);
  return t;
}

std::string Machine::line(const char* field) {
  std::string s;
  for (;;) {
    const char c = char(r_.u8(field));
    if (c == '\n') return s;
    if (s.size() >= 256) fail(std::string(field) + " longer than 256 bytes");
    s += c;
  }
}

ValuePtr Machine::run() {
  auto mutable_top = [&](Value::Kind want, const char* op) -> Value& {
    Value& t = *top();
    if (t.kind != want)
      fail(std::string(op) + " on a " + kind_name(t.kind) + " (expected a " + kind_name(want) + ")");
    if (t.sealed)
      fail(std::string(op) + " modifies an object already inside another");
    return t;
  };
  bool first = true;
  for (;;) {
    const size_t at = r_.pos();
    const uint8_t op = r_.u8("opcode");
    if (first && op != 0x80) fail("does not start with PROTO (not a protocol-2 pickle)");
    first = false;
    switch (op) {
      case 0x80: {  // PROTO
        const uint8_t v = r_.u8("protocol");
        if (at != 0) fail("PROTO after the start");
        if (v != 2) fail("pickle protocol " + std::to_string(v) + "; torch.save writes protocol 2");
        break;
      }
      case '.': {  // STOP
        ValuePtr v = pop();
        if (!stack_.empty() || !marks_.empty()) fail("STOP with objects left on the stack");
        return v;
      }
      case '(': marks_.push_back(stack_.size()); break;
      case 'N': stack_.push_back(make(Value::Kind::None)); break;
      case 0x88:
      case 0x89: {
        ValuePtr v = make(Value::Kind::Bool);
        v->b = op == 0x88;
        stack_.push_back(v);
        break;
      }
      case 'J':
      case 'K':
      case 'M': {
        ValuePtr v = make(Value::Kind::Int);
        v->i = op == 'J' ? int64_t(r_.i32("BININT")) : op == 'K' ? int64_t(r_.u8("BININT1")) : int64_t(r_.u16("BININT2"));
        stack_.push_back(v);
        break;
      }
      case 0x8a: {  // LONG1: little-endian two's complement of n bytes
        const uint8_t n = r_.u8("LONG1 length");
        if (n > 8) fail("integer of " + std::to_string(n) + " bytes is too large");
        const uint8_t* p = r_.take(n, "LONG1");
        uint64_t u = 0;
        for (int k = 0; k < n; k++) u |= uint64_t(p[k]) << (8 * k);
        if (n > 0 && n < 8 && (p[n - 1] & 0x80)) u |= ~uint64_t(0) << (8 * n);
        ValuePtr v = make(Value::Kind::Int);
        v->i = int64_t(u);
        stack_.push_back(v);
        break;
      }
      case 'G': {  // BINFLOAT: big-endian double
        const uint8_t* p = r_.take(8, "BINFLOAT");
        uint64_t u = 0;
        for (int k = 0; k < 8; k++) u = (u << 8) | p[k];
        ValuePtr v = make(Value::Kind::Float);
        std::memcpy(&v->f, &u, 8);
        stack_.push_back(v);
        break;
      }
      case 'X': {  // BINUNICODE
        const uint32_t n = r_.u32("BINUNICODE length");
        ValuePtr v = make(Value::Kind::String);
        v->s.assign(reinterpret_cast<const char*>(r_.take(n, "BINUNICODE")), n);
        stack_.push_back(v);
        break;
      }
      case '}': stack_.push_back(make(Value::Kind::Dict)); break;
      case ']': stack_.push_back(make(Value::Kind::List)); break;
      case ')': stack_.push_back(make(Value::Kind::Tuple)); break;
      case 't': stack_.push_back(tuple(pop_to_mark())); break;
      case 0x85:
      case 0x86:
      case 0x87: {
        std::vector<ValuePtr> items(size_t(op - 0x84));
        for (size_t k = items.size(); k-- > 0;) items[k] = pop();
        stack_.push_back(tuple(std::move(items)));
        break;
      }
      case 'c': {  // GLOBAL
        std::string module = line("GLOBAL module");
        const std::string name = line("GLOBAL name");
        const std::string full = module + "." + name;
        if (std::find(globals_.begin(), globals_.end(), full) == globals_.end())
          fail("unsupported global '" + full + "' (not part of a state dict torch.save writes)");
        ValuePtr v = make(Value::Kind::Global);
        v->s = full;
        stack_.push_back(v);
        break;
      }
      case 'q':
      case 'r': {  // BINPUT, LONG_BINPUT
        const uint32_t idx = op == 'q' ? r_.u8("BINPUT index") : r_.u32("LONG_BINPUT index");
        memo_[idx] = top();
        break;
      }
      case 'h':
      case 'j': {  // BINGET, LONG_BINGET
        const uint32_t idx = op == 'h' ? r_.u8("BINGET index") : r_.u32("LONG_BINGET index");
        auto it = memo_.find(idx);
        if (it == memo_.end()) fail("memo entry " + std::to_string(idx) + " was never stored");
        stack_.push_back(it->second);
        break;
      }
      case 'a': {  // APPEND
        ValuePtr v = pop();
        Value& list = mutable_top(Value::Kind::List, "APPEND");
        adopt(list, v);
        list.items.push_back(std::move(v));
        break;
      }
      case 'e': {  // APPENDS
        std::vector<ValuePtr> items = pop_to_mark();
        Value& list = mutable_top(Value::Kind::List, "APPENDS");
        for (auto& v : items) {
          adopt(list, v);
          list.items.push_back(std::move(v));
        }
        break;
      }
      case 's': {  // SETITEM
        ValuePtr v = pop(), k = pop();
        Value& d = mutable_top(Value::Kind::Dict, "SETITEM");
        adopt(d, k);
        adopt(d, v);
        d.dict.emplace_back(std::move(k), std::move(v));
        break;
      }
      case 'u': {  // SETITEMS
        std::vector<ValuePtr> items = pop_to_mark();
        if (items.size() % 2) fail("SETITEMS with an odd number of items");
        Value& d = mutable_top(Value::Kind::Dict, "SETITEMS");
        for (size_t k = 0; k < items.size(); k += 2) {
          adopt(d, items[k]);
          adopt(d, items[k + 1]);
          d.dict.emplace_back(std::move(items[k]), std::move(items[k + 1]));
        }
        break;
      }
      case 'R': {  // REDUCE
        ValuePtr args = pop(), fn = pop();
        if (fn->kind != Value::Kind::Global) fail(std::string("REDUCE calls a ") + kind_name(fn->kind));
        if (args->kind != Value::Kind::Tuple) fail("REDUCE arguments are not a tuple");
        if (fn->s == "collections.OrderedDict") {
          if (!args->items.empty()) fail("collections.OrderedDict called with arguments");
          stack_.push_back(make(Value::Kind::Dict));
          break;
        }
        ValuePtr v = make(Value::Kind::Reduce);
        adopt(*v, fn);
        adopt(*v, args);
        v->items = {fn, args};
        stack_.push_back(v);
        break;
      }
      case 'b': {  // BUILD: only an OrderedDict's attributes (state_dict()._metadata), ignored
        ValuePtr state = pop();
        Value& target = mutable_top(Value::Kind::Dict, "BUILD");
        (void)target;
        if (state->kind != Value::Kind::Dict && state->kind != Value::Kind::None)
          fail(std::string("BUILD with a ") + kind_name(state->kind) + " state");
        break;
      }
      case 'Q': {  // BINPERSID
        ValuePtr pid = pop();
        ValuePtr v = make(Value::Kind::PersistentId);
        adopt(*v, pid);
        v->items = {pid};
        stack_.push_back(v);
        break;
      }
      default: {
        r_.seek(at);
        const char* name = opcode_name(op);
        if (name) fail("unsupported pickle opcode " + std::string(name) + " (" + hex(op) + ")");
        fail("unknown pickle opcode " + hex(op));
      }
    }
  }
}

}  // namespace

const char* kind_name(Value::Kind k) {
  switch (k) {
    case Value::Kind::None: return "None";
    case Value::Kind::Bool: return "bool";
    case Value::Kind::Int: return "int";
    case Value::Kind::Float: return "float";
    case Value::Kind::String: return "str";
    case Value::Kind::Tuple: return "tuple";
    case Value::Kind::List: return "list";
    case Value::Kind::Dict: return "dict";
    case Value::Kind::Global: return "global";
    case Value::Kind::Reduce: return "reduce call";
    case Value::Kind::PersistentId: return "persistent id";
  }
  return "?";
}

ValuePtr unpickle(std::span<const uint8_t> bytes, const std::vector<std::string>& allowed_globals,
                  const std::string& what) {
  return Machine(bytes, allowed_globals, what).run();
}

}  // namespace rwkv::pickle
