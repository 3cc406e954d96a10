// The subcommands of rwkv-cli; each returns the process exit status.
#pragma once
#include <string>
#include <vector>

namespace rwkv::cli {

struct Command {
  const char* name;
  const char* usage;
  int (*run)(const std::vector<std::string>& args);
};

int cmd_info(const std::vector<std::string>& args);
int cmd_logits(const std::vector<std::string>& args);
int cmd_tokenize(const std::vector<std::string>& args);
int cmd_generate(const std::vector<std::string>& args);
int cmd_score(const std::vector<std::string>& args);
int cmd_punctuate(const std::vector<std::string>& args);
int cmd_quantize(const std::vector<std::string>& args);
int cmd_convert(const std::vector<std::string>& args);
int cmd_state(const std::vector<std::string>& args);

}  // namespace rwkv::cli
