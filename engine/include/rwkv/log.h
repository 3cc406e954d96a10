// Where the engine's notices go (which device a model fell back to, a CUDA graph capture
// that failed): to standard error unless an application routes them elsewhere, as the
// GStreamer elements do into their debug category.
#pragma once
#include <functional>
#include <string>

namespace rwkv {

enum class LogLevel { Debug, Info, Warning };

using LogHandler = std::function<void(LogLevel level, const std::string& message)>;

// Replaces the handler for the whole process (null restores standard error); returns the
// previous one. Thread-safe; the handler may be called from any thread.
LogHandler set_log_handler(LogHandler handler);

void log(LogLevel level, const std::string& message);

}  // namespace rwkv
