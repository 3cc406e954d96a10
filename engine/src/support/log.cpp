#include "rwkv/log.h"

#include <cstdio>
#include <mutex>

namespace rwkv {

namespace {

std::mutex& handler_mutex() {
  static std::mutex m;
  return m;
}

LogHandler& handler() {
  static LogHandler h;
  return h;
}

}  // namespace

LogHandler set_log_handler(LogHandler h) {
  std::lock_guard<std::mutex> lock(handler_mutex());
  LogHandler previous = std::move(handler());
  handler() = std::move(h);
  return previous;
}

void log(LogLevel level, const std::string& message) {
  LogHandler h;
  {
    std::lock_guard<std::mutex> lock(handler_mutex());
    h = handler();
  }
  if (h) h(level, message);
  else if (level != LogLevel::Debug) std::fprintf(stderr, "rwkv: %s\n", message.c_str());
}

}  // namespace rwkv
