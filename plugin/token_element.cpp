// The base class of the token elements, and the pieces they share.
#include "token_element.h"

#include <utility>

#include "rwkv/error.h"
#include "rwkv/model.h"
#include "rwkv/tokenizer.h"

static void gst_rwkv_token_element_set_property(GObject* object, guint id, const GValue* value, GParamSpec* pspec);
static void gst_rwkv_token_element_get_property(GObject* object, guint id, GValue* value, GParamSpec* pspec);

namespace gstrwkv {

enum { PROP_TOKENIZER = 1, PROP_MODEL };

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
  // GObject gives every class its own property accessors (they are not inherited).
  klass->set_property = gst_rwkv_token_element_set_property;
  klass->get_property = gst_rwkv_token_element_get_property;
  const auto ready = GParamFlags(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY);
  const std::string blurb =
      std::string("\"bytes\", a tokenizer file (rwkv_vocab_v20230424.txt or a tokenizer.json), or \"auto\": ") + automatic;
  g_object_class_install_property(klass, PROP_TOKENIZER,
      g_param_spec_string("tokenizer", "Tokenizer", g_intern_string(blurb.c_str()), "auto", ready));
  g_object_class_install_property(klass, PROP_MODEL,
      g_param_spec_string("model", "Model",
          "RWKV checkpoint whose tokenizer to use (tokenizer=auto) or to check the tokenizer file against; only its "
          "header is read",
          "", ready));
}

void prepare_output(GstRwkvTokenElement* self) {
  prepare_src_pad(GST_ELEMENT(self), self->srcpad, self->stream->caps, &self->stream->segment);
}

void note_input(GstRwkvTokenElement* self, GstBuffer* buf) {
  TokenStream& st = *self->stream;
  const GstClockTime pts = GST_BUFFER_PTS(buf), duration = GST_BUFFER_DURATION(buf);
  if (GST_BUFFER_IS_DISCONT(buf)) st.discont = true;
  if (GST_CLOCK_TIME_IS_VALID(pts)) {
    st.last_pts = pts;
    st.last_end = GST_CLOCK_TIME_IS_VALID(duration) ? pts + duration : pts;
  }
}

GstFlowReturn push_output(GstRwkvTokenElement* self, GstBuffer* out, GstClockTime pts, GstClockTime duration) {
  TokenStream& st = *self->stream;
  GST_BUFFER_PTS(out) = pts;
  GST_BUFFER_DURATION(out) = duration;
  if (st.discont) GST_BUFFER_FLAG_SET(out, GST_BUFFER_FLAG_DISCONT);
  st.discont = false;
  GST_LOG_OBJECT(self, "%zu bytes out at %" GST_TIME_FORMAT, gst_buffer_get_size(out), GST_TIME_ARGS(pts));
  return gst_pad_push(self->srcpad, out);
}

void push_nothing(GstRwkvTokenElement* self, GstClockTime pts, GstClockTime duration) {
  if (GST_CLOCK_TIME_IS_VALID(pts)) gst_pad_push_event(self->srcpad, gst_event_new_gap(pts, duration));
}

namespace {

// resolve_tokenizer() for `s`; on failure, an element error naming both and null.
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

}  // namespace

}  // namespace gstrwkv

// ---- the base class --------------------------------------------------------------------

G_DEFINE_ABSTRACT_TYPE(GstRwkvTokenElement, gst_rwkv_token_element, GST_TYPE_ELEMENT)

using gstrwkv::TokenStream;

#define CLASS(self) GST_RWKV_TOKEN_ELEMENT_GET_CLASS(self)

static void replace_stream(GstRwkvTokenElement* self, TokenStream* fresh) {
  GST_OBJECT_LOCK(self);  // queries read tok and caps from other threads
  std::swap(fresh, self->stream);
  GST_OBJECT_UNLOCK(self);
  delete fresh;
}

// Resolves the tokenizer (again only when the properties changed) and starts a fresh
// stream. At READY->PAUSED, so the properties can change in READY as their flags say.
static bool start(GstRwkvTokenElement* self) {
  GST_OBJECT_LOCK(self);
  const gstrwkv::TokenizerSettings s = *self->settings;
  GST_OBJECT_UNLOCK(self);
  const bool named = !s.model.empty() || (s.tokenizer != "auto" && !s.tokenizer.empty());
  std::shared_ptr<const rwkv::Tokenizer> tok;
  if (self->stream->loaded && s == *self->stream->loaded) {
    tok = self->stream->tok;
  } else if (named || !CLASS(self)->tokenizer_from_caps) {
    tok = gstrwkv::load_tokenizer_or_post(GST_ELEMENT(self), s);
    if (!tok) return false;
    GST_INFO_OBJECT(self, "tokenizer %s (%s), %u tokens", tok->name(), tok->source.c_str(), tok->n_vocab());
  }
  auto* fresh = new TokenStream();
  if (tok) fresh->loaded = s;
  fresh->tok = tok;
  replace_stream(self, fresh);
  CLASS(self)->begin(self);
  return true;
}

static GstStateChangeReturn gst_rwkv_token_element_change_state(GstElement* element, GstStateChange transition) {
  GstRwkvTokenElement* self = GST_RWKV_TOKEN_ELEMENT(element);
  if (transition == GST_STATE_CHANGE_READY_TO_PAUSED && !start(self)) return GST_STATE_CHANGE_FAILURE;
  const GstStateChangeReturn ret =
      GST_ELEMENT_CLASS(gst_rwkv_token_element_parent_class)->change_state(element, transition);
  if (transition == GST_STATE_CHANGE_READY_TO_NULL) {
    CLASS(self)->end(self);
    replace_stream(self, new TokenStream());
  }
  return ret;
}

static GstFlowReturn gst_rwkv_token_element_chain(GstPad*, GstObject* parent, GstBuffer* buf) {
  GstRwkvTokenElement* self = GST_RWKV_TOKEN_ELEMENT(parent);
  return CLASS(self)->chain(self, buf);
}

static gboolean gst_rwkv_token_element_sink_event(GstPad* pad, GstObject* parent, GstEvent* event) {
  GstRwkvTokenElement* self = GST_RWKV_TOKEN_ELEMENT(parent);
  TokenStream& st = *self->stream;
  switch (GST_EVENT_TYPE(event)) {
    case GST_EVENT_CAPS: {
      GstCaps* caps;
      gst_event_parse_caps(event, &caps);
      const gboolean ok = CLASS(self)->set_caps(self, caps);
      gst_event_unref(event);
      return ok;
    }
    case GST_EVENT_SEGMENT: {
      const GstSegment* seg;
      gst_event_parse_segment(event, &seg);
      gst_segment_copy_into(seg, &st.segment);
      // Caps go before the segment; this pushes them when upstream sent none.
      if (st.caps) gstrwkv::prepare_src_pad(GST_ELEMENT(self), self->srcpad, st.caps, nullptr);
      return gst_pad_push_event(self->srcpad, event);
    }
    case GST_EVENT_GAP:
      if (st.caps) gstrwkv::prepare_output(self);
      return gst_pad_push_event(self->srcpad, event);
    case GST_EVENT_FLUSH_STOP:
      st.discont = true;
      st.last_pts = st.last_end = GST_CLOCK_TIME_NONE;
      CLASS(self)->restart(self);
      return gst_pad_event_default(pad, parent, event);
    case GST_EVENT_EOS:
      CLASS(self)->drain(self);
      if (st.caps) gstrwkv::prepare_output(self);
      return gst_pad_event_default(pad, parent, event);
    default:
      return gst_pad_event_default(pad, parent, event);
  }
}

static void gst_rwkv_token_element_set_property(GObject* object, guint id, const GValue* value, GParamSpec* pspec) {
  GstRwkvTokenElement* self = GST_RWKV_TOKEN_ELEMENT(object);
  const gchar* str = g_value_get_string(value);
  GST_OBJECT_LOCK(self);
  switch (id) {
    case gstrwkv::PROP_TOKENIZER: self->settings->tokenizer = str && *str ? str : "auto"; break;
    case gstrwkv::PROP_MODEL: self->settings->model = str ? str : ""; break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec); break;
  }
  GST_OBJECT_UNLOCK(self);
}

static void gst_rwkv_token_element_get_property(GObject* object, guint id, GValue* value, GParamSpec* pspec) {
  GstRwkvTokenElement* self = GST_RWKV_TOKEN_ELEMENT(object);
  GST_OBJECT_LOCK(self);
  switch (id) {
    case gstrwkv::PROP_TOKENIZER: g_value_set_string(value, self->settings->tokenizer.c_str()); break;
    case gstrwkv::PROP_MODEL: g_value_set_string(value, self->settings->model.c_str()); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec); break;
  }
  GST_OBJECT_UNLOCK(self);
}

// Pads from the subclass's templates, once the subclass is known.
static void gst_rwkv_token_element_constructed(GObject* object) {
  G_OBJECT_CLASS(gst_rwkv_token_element_parent_class)->constructed(object);
  GstRwkvTokenElement* self = GST_RWKV_TOKEN_ELEMENT(object);
  GstElementClass* eclass = GST_ELEMENT_GET_CLASS(self);
  self->sinkpad = gst_pad_new_from_template(gst_element_class_get_pad_template(eclass, "sink"), "sink");
  gst_pad_set_chain_function(self->sinkpad, gst_rwkv_token_element_chain);
  gst_pad_set_event_function(self->sinkpad, gst_rwkv_token_element_sink_event);
  if (CLASS(self)->sink_query) gst_pad_set_query_function(self->sinkpad, CLASS(self)->sink_query);
  // Any caps of the template are accepted, so a wrong vocabulary gets a clear error at the caps event.
  GST_PAD_SET_ACCEPT_TEMPLATE(self->sinkpad);
  gst_element_add_pad(GST_ELEMENT(self), self->sinkpad);
  self->srcpad = gst_pad_new_from_template(gst_element_class_get_pad_template(eclass, "src"), "src");
  if (CLASS(self)->src_query) gst_pad_set_query_function(self->srcpad, CLASS(self)->src_query);
  gst_pad_use_fixed_caps(self->srcpad);
  gst_element_add_pad(GST_ELEMENT(self), self->srcpad);
}

static void gst_rwkv_token_element_finalize(GObject* object) {
  GstRwkvTokenElement* self = GST_RWKV_TOKEN_ELEMENT(object);
  delete self->stream;
  delete self->settings;
  G_OBJECT_CLASS(gst_rwkv_token_element_parent_class)->finalize(object);
}

static void gst_rwkv_token_element_init(GstRwkvTokenElement* self) {
  self->settings = new gstrwkv::TokenizerSettings();
  self->stream = new TokenStream();
}

static void gst_rwkv_token_element_class_init(GstRwkvTokenElementClass* klass) {
  GObjectClass* gobject_class = G_OBJECT_CLASS(klass);
  gobject_class->constructed = gst_rwkv_token_element_constructed;
  gobject_class->finalize = gst_rwkv_token_element_finalize;
  GST_ELEMENT_CLASS(klass)->change_state = gst_rwkv_token_element_change_state;
  gst_type_mark_as_plugin_api(GST_TYPE_RWKV_TOKEN_ELEMENT, GstPluginAPIFlags(0));
}
