// Errors raised by the engine. Every message names what is wrong: the file, the tensor,
// the field or the argument at fault.
#pragma once
#include <stdexcept>
#include <string>

namespace rwkv {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& what) : std::runtime_error(what) {}
};

}  // namespace rwkv
