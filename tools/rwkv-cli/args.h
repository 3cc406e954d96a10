// Command-line options of the form --name value (or --name=value); every option a command
// does not declare is an error that names it.
#pragma once
#include <map>
#include <set>
#include <string>
#include <vector>

#include "rwkv/model.h"

namespace rwkv::cli {

class Args {
 public:
  // argv after the command name; `known` lists the options the command takes and `flags`
  // those that take no value.
  Args(const std::vector<std::string>& argv, const std::set<std::string>& known,
       const std::set<std::string>& flags = {});
  bool has(const std::string& name) const { return values_.count(name) > 0; }
  std::string get(const std::string& name, const std::string& def = "") const;
  std::string require(const std::string& name) const;
  // --model, else the default model (rwkv::default_model_path: $RWKV_MODEL or the bundled one).
  std::string model() const;
  // --threads, --device (default cpu), --quantize TYPE, --quantize-head and --bf16-products,
  // those the command declares.
  LoadOptions load_options() const;
  long get_int(const std::string& name, long def, long min, long max) const;
  double get_double(const std::string& name, double def) const;

 private:
  std::map<std::string, std::string> values_;
};

// A tool's main: run(argv after the program name), an exception printed as one line
// "name: message" with exit status 1.
int run_tool(const char* name, int argc, char** argv, int (*run)(const std::vector<std::string>&));

// Parses "34,105,110" into token ids; throws naming the bad item.
std::vector<uint32_t> parse_token_list(const std::string& s);

// Prints a float so that it reads back as the same float (JSON-safe: nan/inf become null).
std::string json_number(float f);
std::string json_string(const std::string& s);

}  // namespace rwkv::cli
