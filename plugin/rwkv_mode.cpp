// The one switch on `mode`.
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

GstCaps* ModeBehaviour::output_caps(const Runtime&) const {
  return gst_caps_new_simple("text/x-raw", "format", G_TYPE_STRING, "utf8", nullptr);
}

}  // namespace gstrwkv::elem
