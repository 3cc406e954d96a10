#include "args.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "rwkv/error.h"
#include "rwkv/model.h"

namespace rwkv::cli {

Args::Args(const std::vector<std::string>& argv, const std::set<std::string>& known,
           const std::set<std::string>& flags) {
  for (size_t i = 0; i < argv.size(); i++) {
    std::string a = argv[i];
    if (a.rfind("--", 0) != 0) throw Error("unexpected argument '" + a + "'");
    a = a.substr(2);
    std::string value;
    const size_t eq = a.find('=');
    const bool inline_value = eq != std::string::npos;
    if (inline_value) {
      value = a.substr(eq + 1);
      a = a.substr(0, eq);
    }
    if (!known.count(a)) throw Error("unknown option --" + a);
    if (flags.count(a)) {
      if (inline_value) throw Error("option --" + a + " takes no value");
      value.assign(1, '1');  // (not = "1": GCC 12 warns falsely at -O3)
    } else if (!inline_value) {
      if (i + 1 >= argv.size()) throw Error("option --" + a + " needs a value");
      value = argv[++i];
    }
    values_[a] = value;
  }
}

std::string Args::get(const std::string& name, const std::string& def) const {
  auto it = values_.find(name);
  return it == values_.end() ? def : it->second;
}

std::string Args::require(const std::string& name) const {
  auto it = values_.find(name);
  if (it == values_.end()) throw Error("missing option --" + name);
  return it->second;
}

LoadOptions Args::load_options() const {
  LoadOptions opts;
  opts.threads = int(get_int("threads", 0, 0, 1024));
  opts.device = get("device", "cpu");
  if (has("quantize")) opts.quantize = quantized_type_from_name(get("quantize"));
  opts.quantize_head = has("quantize-head");
  opts.bf16_products = has("bf16-products");
  return opts;
}

std::string Args::model() const {
  if (has("model")) return get("model");
  const std::string d = default_model_path();
  if (d.empty())
    throw Error("missing option --model (no default: set RWKV_MODEL, or install the bundled model with meson install)");
  return d;
}

long Args::get_int(const std::string& name, long def, long min, long max) const {
  if (!has(name)) return def;
  const std::string s = get(name);
  char* end = nullptr;
  errno = 0;
  const long v = std::strtol(s.c_str(), &end, 10);
  if (s.empty() || *end || errno || v < min || v > max)
    throw Error("--" + name + " must be an integer in " + std::to_string(min) + ".." +
                std::to_string(max) + ", got '" + s + "'");
  return v;
}

double Args::get_double(const std::string& name, double def) const {
  if (!has(name)) return def;
  const std::string s = get(name);
  char* end = nullptr;
  const double v = std::strtod(s.c_str(), &end);
  if (s.empty() || *end || !std::isfinite(v)) throw Error("--" + name + " must be a number, got '" + s + "'");
  return v;
}

std::vector<uint32_t> parse_token_list(const std::string& s) {
  std::vector<uint32_t> ids;
  size_t pos = 0;
  while (pos <= s.size()) {
    const size_t comma = s.find(',', pos);
    const std::string item = s.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    char* end = nullptr;
    errno = 0;
    const unsigned long v = std::strtoul(item.c_str(), &end, 10);
    if (item.empty() || *end || errno || item[0] == '-' || v > 0xffffffffUL)
      throw Error("bad token id '" + item + "' in --tokens");
    ids.push_back(uint32_t(v));
    if (comma == std::string::npos) break;
    pos = comma + 1;
  }
  return ids;
}

std::string json_number(float f) {
  if (!std::isfinite(f)) return "null";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.9g", double(f));
  return buf;
}

std::string json_string(const std::string& s) {
  std::string o = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"': o += "\\\""; break;
      case '\\': o += "\\\\"; break;
      case '\n': o += "\\n"; break;
      case '\r': o += "\\r"; break;
      case '\t': o += "\\t"; break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          o += buf;
        } else {
          o += char(c);
        }
    }
  }
  return o + "\"";
}

int run_tool(const char* name, int argc, char** argv, int (*run)(const std::vector<std::string>&)) {
  try {
    return run(std::vector<std::string>(argv + 1, argv + argc));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: %s\n", name, e.what());
    return 1;
  }
}

}  // namespace rwkv::cli
