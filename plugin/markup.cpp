#include "markup.h"

#include <glib.h>

namespace gstrwkv {

namespace {
void on_text(GMarkupParseContext*, const gchar* text, gsize len, gpointer user, GError**) {
  static_cast<std::string*>(user)->append(text, len);
}
}  // namespace

bool strip_markup(std::string_view markup, std::string& out) {
  static const GMarkupParser parser = {nullptr, nullptr, on_text, nullptr, nullptr};
  out.clear();
  // Pango markup is a fragment; a wrapper element makes it a document. The parser reads it
  // in three pieces, so the text is not copied.
  GMarkupParseContext* ctx = g_markup_parse_context_new(&parser, GMarkupParseFlags(0), &out, nullptr);
  const gboolean ok = g_markup_parse_context_parse(ctx, "<markup>", -1, nullptr) &&
                      g_markup_parse_context_parse(ctx, markup.data(), gssize(markup.size()), nullptr) &&
                      g_markup_parse_context_parse(ctx, "</markup>", -1, nullptr) &&
                      g_markup_parse_context_end_parse(ctx, nullptr);
  g_markup_parse_context_free(ctx);
  if (!ok) out.clear();
  return ok;
}

}  // namespace gstrwkv
