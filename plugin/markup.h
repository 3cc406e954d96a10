// Pango markup to plain text, with GLib's markup parser (tags dropped, entities decoded).
#pragma once
#include <string>

namespace gstrwkv {

// Returns false (and leaves `out` empty) when the markup is malformed.
bool strip_markup(const std::string& markup, std::string& out);

}  // namespace gstrwkv
