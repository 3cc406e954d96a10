// The rwkv element's properties: their specs, the settings they hold (under the object
// lock) and one snapshot of them per buffer or trigger.
#include "rwkv_element.h"

namespace gstrwkv::elem {

namespace {

enum {
  PROP_0,
  PROP_MODEL,
  PROP_TOKENIZER,
  PROP_DEVICE,
  PROP_THREADS,
  PROP_QUANTIZE,
  PROP_BF16_PRODUCTS,
  PROP_MODE,
  PROP_PROMPT,
  PROP_PREAMBLE,
  PROP_LABELS,
  PROP_TRIGGER,
  PROP_INTERVAL,
  PROP_MAX_TOKENS,
  PROP_STOP,
  PROP_TEMPERATURE,
  PROP_TOP_P,
  PROP_TOP_K,
  PROP_PRESENCE_PENALTY,
  PROP_FREQUENCY_PENALTY,
  PROP_SEED,
  PROP_STATE_FILE,
  PROP_SAVE_INTERVAL,
  PROP_LATENCY,
  PROP_SEPARATOR,
  PROP_MAX_TEXT_BYTES,
  PROP_LOOKAHEAD,
  PROP_HOLD,
};

#define GST_TYPE_RWKV_TRIGGER (gst_rwkv_trigger_get_type())
GType gst_rwkv_trigger_get_type() {
  static GType type = 0;
  static const GEnumValue values[] = {
      {int(Trigger::Buffer), "Every input buffer", "buffer"},
      {int(Trigger::Sentence), "At the end of each sentence (. ! ? or a line break)", "sentence"},
      {int(Trigger::Interval), "Every `interval` of stream time (GAP events carry it too)", "interval"},
      {int(Trigger::Silence), "After `interval` without input (live streams)", "silence"},
      {int(Trigger::Eos), "At end of stream only", "eos"},
      {int(Trigger::Manual), "Only when the `trigger` action signal is emitted", "manual"},
      {0, nullptr, nullptr}};
  if (g_once_init_enter(&type)) g_once_init_leave(&type, g_enum_register_static("GstRwkvTrigger", values));
  return type;
}

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (size_t i = 0; i < v.size(); i++) s += (i ? "," : "") + v[i];
  return s;
}

}  // namespace

Settings settings_snapshot(GstRwkv* self) {
  GST_OBJECT_LOCK(self);
  Settings s = *self->settings;
  GST_OBJECT_UNLOCK(self);
  return s;
}

void set_property(GObject* object, guint id, const GValue* value, GParamSpec* pspec) {
  GstRwkv* self = GST_RWKV(object);
  bool latency_changed = false;
  std::string state_file;
  GST_OBJECT_LOCK(self);
  Settings& s = *self->settings;
  auto str = [&] { return std::string(g_value_get_string(value) ? g_value_get_string(value) : ""); };
  switch (id) {
    case PROP_MODEL: s.model = str(); break;
    case PROP_TOKENIZER: s.tokenizer = str().empty() ? "auto" : str(); break;
    case PROP_DEVICE: s.device = str().empty() ? "auto" : str(); break;
    case PROP_THREADS: s.threads = g_value_get_int(value); break;
    case PROP_QUANTIZE: s.quantize = str(); break;
    case PROP_BF16_PRODUCTS: s.bf16_products = g_value_get_boolean(value); break;
    case PROP_MODE:
      s.mode = Mode(g_value_get_enum(value));
      self->reconfigured->store(true);
      break;
    case PROP_PROMPT: s.stream.prompt = gstrwkv::unescape(str()); break;
    case PROP_PREAMBLE: s.stream.preamble = gstrwkv::unescape(str()); break;
    case PROP_LABELS:
      s.stream.labels = gstrwkv::split_list(str());
      self->reconfigured->store(true);
      break;
    case PROP_TRIGGER: s.trigger = Trigger(g_value_get_enum(value)); break;
    case PROP_MAX_TEXT_BYTES: s.max_text_bytes = g_value_get_uint(value); break;
    case PROP_LOOKAHEAD: s.lookahead = g_value_get_int(value); break;
    case PROP_HOLD:
      latency_changed = s.hold != g_value_get_uint64(value);
      s.hold = g_value_get_uint64(value);
      break;
    case PROP_INTERVAL: s.interval = g_value_get_uint64(value); break;
    case PROP_MAX_TOKENS: s.stream.max_tokens = g_value_get_int(value); break;
    case PROP_STOP: s.stream.stop = gstrwkv::split_list(gstrwkv::unescape(str())); break;
    case PROP_TEMPERATURE: s.stream.sampling.temperature = float(g_value_get_double(value)); break;
    case PROP_TOP_P: s.stream.sampling.top_p = float(g_value_get_double(value)); break;
    case PROP_TOP_K: s.stream.sampling.top_k = g_value_get_int(value); break;
    case PROP_PRESENCE_PENALTY: s.stream.sampling.presence_penalty = float(g_value_get_double(value)); break;
    case PROP_FREQUENCY_PENALTY: s.stream.sampling.frequency_penalty = float(g_value_get_double(value)); break;
    case PROP_SEED: s.stream.sampling.seed = g_value_get_uint64(value); break;
    case PROP_STATE_FILE:
      s.state_file = str();
      state_file = s.state_file;
      break;
    case PROP_SAVE_INTERVAL: s.save_interval = g_value_get_uint(value); break;
    case PROP_SEPARATOR: s.separator = str() == kAutoSeparator ? str() : gstrwkv::unescape(str()); break;
    case PROP_LATENCY:
      latency_changed = s.latency != g_value_get_uint64(value);
      s.latency = g_value_get_uint64(value);
      break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec); break;
  }
  const bool running = GST_STATE(self) >= GST_STATE_READY;
  GST_OBJECT_UNLOCK(self);
  if (latency_changed) gst_element_post_message(GST_ELEMENT(self), gst_message_new_latency(GST_OBJECT(self)));
  if (running && !state_file.empty()) {  // checked now, not at the first save
    const std::string problem = state_path_problem(state_file);
    if (!problem.empty())
      GST_ELEMENT_WARNING(self, RESOURCE, OPEN_WRITE, ("Cannot write the state file \"%s\"", state_file.c_str()),
                          ("%s", problem.c_str()));
  }
  wake_worker(self);  // the trigger or the interval may have changed
}

void get_property(GObject* object, guint id, GValue* value, GParamSpec* pspec) {
  GstRwkv* self = GST_RWKV(object);
  GST_OBJECT_LOCK(self);
  const Settings& s = *self->settings;
  switch (id) {
    case PROP_MODEL: g_value_set_string(value, s.model.c_str()); break;
    case PROP_TOKENIZER: g_value_set_string(value, s.tokenizer.c_str()); break;
    case PROP_DEVICE: g_value_set_string(value, s.device.c_str()); break;
    case PROP_THREADS: g_value_set_int(value, s.threads); break;
    case PROP_QUANTIZE: g_value_set_string(value, s.quantize.c_str()); break;
    case PROP_BF16_PRODUCTS: g_value_set_boolean(value, s.bf16_products); break;
    case PROP_MODE: g_value_set_enum(value, int(s.mode)); break;
    case PROP_PROMPT: g_value_set_string(value, s.stream.prompt.c_str()); break;
    case PROP_PREAMBLE: g_value_set_string(value, s.stream.preamble.c_str()); break;
    case PROP_LABELS: g_value_set_string(value, join(s.stream.labels).c_str()); break;
    case PROP_TRIGGER: g_value_set_enum(value, int(s.trigger)); break;
    case PROP_INTERVAL: g_value_set_uint64(value, s.interval); break;
    case PROP_MAX_TOKENS: g_value_set_int(value, s.stream.max_tokens); break;
    case PROP_STOP: g_value_set_string(value, join(s.stream.stop).c_str()); break;
    case PROP_TEMPERATURE: g_value_set_double(value, s.stream.sampling.temperature); break;
    case PROP_TOP_P: g_value_set_double(value, s.stream.sampling.top_p); break;
    case PROP_TOP_K: g_value_set_int(value, s.stream.sampling.top_k); break;
    case PROP_PRESENCE_PENALTY: g_value_set_double(value, s.stream.sampling.presence_penalty); break;
    case PROP_FREQUENCY_PENALTY: g_value_set_double(value, s.stream.sampling.frequency_penalty); break;
    case PROP_SEED: g_value_set_uint64(value, s.stream.sampling.seed); break;
    case PROP_STATE_FILE: g_value_set_string(value, s.state_file.c_str()); break;
    case PROP_SAVE_INTERVAL: g_value_set_uint(value, s.save_interval); break;
    case PROP_LATENCY: g_value_set_uint64(value, s.latency); break;
    case PROP_SEPARATOR: g_value_set_string(value, s.separator.c_str()); break;
    case PROP_MAX_TEXT_BYTES: g_value_set_uint(value, s.max_text_bytes); break;
    case PROP_LOOKAHEAD: g_value_set_int(value, s.lookahead); break;
    case PROP_HOLD: g_value_set_uint64(value, s.hold); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec); break;
  }
  GST_OBJECT_UNLOCK(self);
}

void install_properties(GObjectClass* gobject_class) {
  const auto ready = GParamFlags(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY);
  const auto playing = GParamFlags(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_PLAYING);
  const gstrwkv::Settings d;
  g_object_class_install_property(gobject_class, PROP_MODEL,
      g_param_spec_string("model", "Model",
          "RWKV checkpoint: rwkv.cpp .bin, BlinkDL .pth, .safetensors or .gguf (empty: $RWKV_MODEL, else the "
          "bundled model of the installation)", "", ready));
  g_object_class_install_property(gobject_class, PROP_TOKENIZER,
      g_param_spec_string("tokenizer", "Tokenizer",
          "Tokenizer file (rwkv_vocab_v20230424.txt or 20B_tokenizer.json), or \"auto\": a file beside the model, "
          "the one inside a GGUF file, or bytes for 256-token models", "auto", ready));
  g_object_class_install_property(gobject_class, PROP_DEVICE,
      g_param_spec_string("device", "Device", "Where the model runs: auto, cpu, cuda or cuda:N", "auto", ready));
  g_object_class_install_property(gobject_class, PROP_THREADS,
      g_param_spec_int("threads", "Threads", "CPU threads for the model (0 = all cores)", 0, 1024, 0, ready));
  g_object_class_install_property(gobject_class, PROP_QUANTIZE,
      g_param_spec_string("quantize", "Quantize",
          "Quantize an fp32/fp16/bf16 model's layer matrices as it loads, on the CPU: q8_0, q5_1, q5_0, q4_1 or "
          "q4_0 (empty: as the file is). Less memory and faster decoding, at a small cost in accuracy", "", ready));
  g_object_class_install_property(gobject_class, PROP_BF16_PRODUCTS,
      g_param_spec_boolean("bf16-products", "bf16 products",
          "Run the matrix products in bf16 on the CPU (AVX-512 BF16): about twice the streams or prefill rate, "
          "with log-probabilities within about 0.05 nats of the exact ones", FALSE, ready));
  g_object_class_install_property(gobject_class, PROP_MODE,
      g_param_spec_enum("mode", "Mode", "What the element writes", gstrwkv::mode_enum_type(), int(Mode::Score), playing));
  g_object_class_install_property(gobject_class, PROP_PROMPT,
      g_param_spec_string("prompt", "Prompt",
          "Template fed to a fork of the state at each trigger in respond/classify mode; {text} is the text since "
          "the last trigger (empty: a World chat turn \"\\n\\nUser: {text}\\n\\nAssistant:\")", "", playing));
  g_object_class_install_property(gobject_class, PROP_PREAMBLE,
      g_param_spec_string("preamble", "Preamble",
          "Text read into the state when the element starts (not when a state file is restored); \\n escapes work",
          "", ready));
  g_object_class_install_property(gobject_class, PROP_LABELS,
      g_param_spec_string("labels", "Labels", "Comma-separated labels ranked by log-probability in classify mode", "", playing));
  g_object_class_install_property(gobject_class, PROP_TRIGGER,
      g_param_spec_enum("trigger", "Trigger",
                        "When continue/respond/classify answer; in punctuate mode trigger=buffer decides each buffer "
                        "as it arrives, and any trigger lets held buffers out",
                        GST_TYPE_RWKV_TRIGGER, int(Trigger::Sentence), playing));
  g_object_class_install_property(gobject_class, PROP_INTERVAL,
      g_param_spec_uint64("interval", "Interval", "Stream time (trigger=interval) or silence (trigger=silence) in ns",
                          1, G_MAXUINT64, 5 * GST_SECOND, playing));
  g_object_class_install_property(gobject_class, PROP_MAX_TOKENS,
      g_param_spec_int("max-tokens", "Max tokens", "Most tokens generated per trigger", 1, 1 << 20, d.max_tokens, playing));
  g_object_class_install_property(gobject_class, PROP_STOP,
      g_param_spec_string("stop", "Stop sequences",
          "Comma-separated sequences that end a generation (\\n escapes work; empty: \"\\n\\n\" in respond mode)", "",
          playing));
  g_object_class_install_property(gobject_class, PROP_TEMPERATURE,
      g_param_spec_double("temperature", "Temperature", "Sampling temperature (0 = greedy)", 0, 10, d.sampling.temperature, playing));
  g_object_class_install_property(gobject_class, PROP_TOP_P,
      g_param_spec_double("top-p", "Top p", "Nucleus sampling: keep the most likely tokens up to this probability mass", 0, 1,
                          d.sampling.top_p, playing));
  g_object_class_install_property(gobject_class, PROP_TOP_K,
      g_param_spec_int("top-k", "Top k", "Keep only the k most likely tokens (0 = all)", 0, G_MAXINT, d.sampling.top_k, playing));
  g_object_class_install_property(gobject_class, PROP_PRESENCE_PENALTY,
      g_param_spec_double("presence-penalty", "Presence penalty", "Subtracted from the logit of every token already generated",
                          -10, 10, d.sampling.presence_penalty, playing));
  g_object_class_install_property(gobject_class, PROP_FREQUENCY_PENALTY,
      g_param_spec_double("frequency-penalty", "Frequency penalty",
                          "Subtracted from a token's logit once per time it was generated", -10, 10,
                          d.sampling.frequency_penalty, playing));
  g_object_class_install_property(gobject_class, PROP_SEED,
      g_param_spec_uint64("seed", "Seed", "Random seed for sampling", 0, G_MAXUINT64, d.sampling.seed, playing));
  g_object_class_install_property(gobject_class, PROP_STATE_FILE,
      g_param_spec_string("state-file", "State file",
          "Restored at start if it exists (refused if it belongs to another model); saved atomically at EOS, on "
          "save-state and every save-interval seconds", "", playing));
  g_object_class_install_property(gobject_class, PROP_SAVE_INTERVAL,
      g_param_spec_uint("save-interval", "Save interval", "Seconds between state-file saves while running (0 = off)",
                        0, G_MAXUINT, 0, playing));
  g_object_class_install_property(gobject_class, PROP_LATENCY,
      g_param_spec_uint64("latency", "Latency",
          "Latency in ns added to upstream's in live pipelines (the time to answer). Default (18446744073709551615 = "
          "auto): measured, starting from max-tokens times one step and raised (with a LATENCY message) when an "
          "answer takes longer; a fixed value warns once when an answer takes longer",
          0, G_MAXUINT64, kAutoLatency, playing));

  g_object_class_install_property(gobject_class, PROP_LOOKAHEAD,
      g_param_spec_int("lookahead", "Lookahead",
          "Punctuate mode: words after a word boundary the model reads before choosing its mark; a buffer waits "
          "for this many words after its last one (or for hold, a GAP, EOS, a drain or a trigger)", 1, 64,
          rwkv::PunctuateOptions().lookahead, playing));
  g_object_class_install_property(gobject_class, PROP_HOLD,
      g_param_spec_uint64("hold", "Hold",
          "Punctuate mode: longest a buffer waits, in ns after it arrived, for the next words before its last "
          "word's mark is chosen without them; added to the latency in live pipelines", 0, G_MAXUINT64,
          kDefaultHold, playing));
  g_object_class_install_property(gobject_class, PROP_SEPARATOR,
      g_param_spec_string("separator", "Separator",
          "Read after each input buffer that does not end in white space, so that words of whole-unit buffers "
          "(subtitle cues, transcript lines) do not run together. \"auto\": a space after timed buffers, nothing "
          "after untimed ones (bytes of a file or socket); empty: nothing; \\n escapes work", kAutoSeparator,
          playing));
  g_object_class_install_property(gobject_class, PROP_MAX_TEXT_BYTES,
      g_param_spec_uint("max-text-bytes", "Max text bytes",
          "Most bytes of the text since the last trigger put into a respond/classify prompt (the newest; the state "
          "has read all of it)", 1, G_MAXINT, kDefaultMaxTextBytes, playing));
  gst_type_mark_as_plugin_api(gstrwkv::mode_enum_type(), GstPluginAPIFlags(0));
  gst_type_mark_as_plugin_api(GST_TYPE_RWKV_TRIGGER, GstPluginAPIFlags(0));
}

}  // namespace gstrwkv::elem
