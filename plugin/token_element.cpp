// The pieces rwkvtokenize and rwkvdetokenize share.
#include "token_element.h"

#include "rwkv/error.h"
#include "rwkv/model.h"
#include "rwkv/tokenizer.h"

namespace gstrwkv {

std::shared_ptr<const rwkv::Tokenizer> resolve_tokenizer(const std::string& spec, const std::string& model) {
  const bool automatic = spec.empty() || spec == "auto";
  if (model.empty()) {
    if (automatic)
      throw rwkv::Error("tokenizer \"auto\" needs the `model` property; or set `tokenizer` to a tokenizer file or \"bytes\"");
    return rwkv::load_tokenizer(spec);
  }
  // Only the checkpoint's header and tensor directory: no weights are loaded (or uploaded).
  const rwkv::Checkpoint ck = rwkv::inspect(model);
  return rwkv::tokenizer_for_model(ck.info, ck.tensors, automatic ? "auto" : spec);
}

void prepare_src_pad(GstElement* element, GstPad* src, GstCaps* caps, const GstSegment* segment) {
  if (GstEvent* ev = gst_pad_get_sticky_event(src, GST_EVENT_STREAM_START, 0)) {
    gst_event_unref(ev);
  } else {
    gchar* id = gst_pad_create_stream_id(src, element, nullptr);
    gst_pad_push_event(src, gst_event_new_stream_start(id));
    g_free(id);
  }
  GstCaps* current = gst_pad_get_current_caps(src);
  if (!current || !gst_caps_is_equal(current, caps)) gst_pad_push_event(src, gst_event_new_caps(caps));
  if (current) gst_caps_unref(current);
  if (!segment) return;
  if (GstEvent* ev = gst_pad_get_sticky_event(src, GST_EVENT_SEGMENT, 0)) gst_event_unref(ev);
  else gst_pad_push_event(src, gst_event_new_segment(segment));
}

gboolean answer_caps_query(GstPad* pad, GstQuery* query, GstCaps* ours) {
  GstCaps* filter;
  gst_query_parse_caps(query, &filter);
  GstCaps* caps = ours ? gst_caps_ref(ours) : gst_pad_get_pad_template_caps(pad);
  if (filter) {
    GstCaps* both = gst_caps_intersect_full(filter, caps, GST_CAPS_INTERSECT_FIRST);
    gst_caps_unref(caps);
    caps = both;
  }
  gst_query_set_caps_result(query, caps);
  gst_caps_unref(caps);
  return TRUE;
}

void install_tokenizer_properties(GObjectClass* klass, const char* automatic) {
  const auto ready = GParamFlags(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY);
  const std::string blurb =
      std::string("\"bytes\", a tokenizer file (rwkv_vocab_v20230424.txt or a tokenizer.json), or \"auto\": ") + automatic;
  g_object_class_install_property(klass, PROP_TOKENIZER,
      g_param_spec_string("tokenizer", "Tokenizer", g_intern_string(blurb.c_str()), "auto", ready));
  g_object_class_install_property(klass, PROP_MODEL,
      g_param_spec_string("model", "Model",
          "RWKV checkpoint whose tokenizer to use (tokenizer=auto) or to check the tokenizer file against; loaded "
          "once and shared with rwkv elements reading the same file",
          "", ready));
}

void set_tokenizer_property(GObject* object, TokenizerSettings& s, guint id, const GValue* value, GParamSpec* pspec) {
  const gchar* str = g_value_get_string(value);
  switch (id) {
    case PROP_TOKENIZER: s.tokenizer = str && *str ? str : "auto"; break;
    case PROP_MODEL: s.model = str ? str : ""; break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec); break;
  }
}

void get_tokenizer_property(GObject* object, const TokenizerSettings& s, guint id, GValue* value, GParamSpec* pspec) {
  switch (id) {
    case PROP_TOKENIZER: g_value_set_string(value, s.tokenizer.c_str()); break;
    case PROP_MODEL: g_value_set_string(value, s.model.c_str()); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec); break;
  }
}

std::shared_ptr<const rwkv::Tokenizer> load_tokenizer_or_post(GstElement* element, const TokenizerSettings& s) {
  try {
    return resolve_tokenizer(s.tokenizer, s.model);
  } catch (const std::exception& e) {
    GST_ELEMENT_ERROR(element, RESOURCE, OPEN_READ,
                      ("Could not load tokenizer \"%s\"%s%s", s.tokenizer.c_str(), s.model.empty() ? "" : " for model ",
                       s.model.c_str()),
                      ("%s", e.what()));
    return nullptr;
  }
}

}  // namespace gstrwkv

