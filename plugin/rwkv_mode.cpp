// The one switch on `mode`, and the property's names for its values.
#include "rwkv_mode.h"

namespace gstrwkv::elem {

const ModeBehaviour& score_mode();          // mode_score.cpp
const ModeBehaviour& answer_mode(Mode m);   // mode_answer.cpp: continue, respond, classify
const ModeBehaviour& punctuate_mode();      // mode_punctuate.cpp

const ModeBehaviour& behaviour(Mode mode) {
  switch (mode) {
    case Mode::Score: return score_mode();
    case Mode::Continue:
    case Mode::Respond:
    case Mode::Classify: return answer_mode(mode);
    case Mode::Punctuate: return punctuate_mode();
  }
  return score_mode();
}

}  // namespace gstrwkv::elem

GType gstrwkv::mode_enum_type() {
  static GType type = 0;
  static const GEnumValue values[] = {
      {int(Mode::Score), "Pass text through; score each buffer (meta and rwkv-score message)", "score"},
      {int(Mode::Continue), "At each trigger, continue the stream (on a fork of the state)", "continue"},
      {int(Mode::Respond), "At each trigger, answer the prompt about the text since the last trigger", "respond"},
      {int(Mode::Classify), "At each trigger, output the most likely of the labels", "classify"},
      {int(Mode::Punctuate), "Restore punctuation and capitals in each buffer (lowercase speech-recogniser text)",
       "punctuate"},
      {0, nullptr, nullptr}};
  if (g_once_init_enter(&type)) g_once_init_leave(&type, g_enum_register_static("GstRwkvMode", values));
  return type;
}

namespace gstrwkv::elem {

GstCaps* ModeBehaviour::output_caps(const Runtime&) const {
  return gst_caps_new_simple("text/x-raw", "format", G_TYPE_STRING, "utf8", nullptr);
}

}  // namespace gstrwkv::elem
