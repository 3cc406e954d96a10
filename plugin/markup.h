// Pango markup to plain text, with GLib's markup parser (tags dropped, entities decoded).
#pragma once
#include <string>
#include <string_view>

namespace gstrwkv {

// Returns false (and leaves `out` empty) when the markup is malformed.
bool strip_markup(std::string_view markup, std::string& out);

}  // namespace gstrwkv
