// A small, strict unpickler for what torch.save writes for a state dict: pickle protocol 2,
// the opcodes CPython's pickler emits for dicts, tuples, strings, numbers and reduce calls,
// persistent ids for storages, and only the globals the caller allows. Nothing is ever
// called: a reduce becomes a Reduce node the caller interprets. The one exception is
// collections.OrderedDict(), which becomes a Dict so that SETITEMS can fill it.
#pragma once
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace rwkv::pickle {

struct Value;
using ValuePtr = std::shared_ptr<Value>;

struct Value {
  enum class Kind { None, Bool, Int, Float, String, Tuple, List, Dict, Global, Reduce, PersistentId };
  Kind kind = Kind::None;
  bool b = false;
  int64_t i = 0;
  double f = 0;
  std::string s;                                   // String; Global: "module.name"
  std::vector<ValuePtr> items;                     // Tuple, List; Reduce: {callable, args}; PersistentId: {pid}
  std::vector<std::pair<ValuePtr, ValuePtr>> dict; // Dict, in insertion order
  int depth = 1;                                   // nesting depth, bounded against hostile input
  bool sealed = false;                             // already inside another object (unpickler bookkeeping)
};

const char* kind_name(Value::Kind k);

// Unpickles `bytes`; `what` names the record in errors. A GLOBAL not in `allowed_globals`
// ("module.name") is an error naming it, as is any opcode outside the supported set.
ValuePtr unpickle(std::span<const uint8_t> bytes, const std::vector<std::string>& allowed_globals,
                  const std::string& what);

}  // namespace rwkv::pickle
