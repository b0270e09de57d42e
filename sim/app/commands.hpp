#pragma once
// The harmsim subcommands. Each returns the process exit code:
// 0 success, 1 a failure while running or writing, 2 bad input, 130 interrupted.
#include <string>
#include <vector>

namespace harmsim::app {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitBadInput = 2;
inline constexpr int kExitInterrupted = 130;

struct RunCommand {
  std::vector<std::string> files;
  std::string output = "results.h5";
  unsigned threads = 0;
  bool force = false;
  bool quiet = false;
  bool dry_run = false;
  std::string command_line;
};

int run_command(const RunCommand& cmd);
int validate_command(const std::vector<std::string>& files);
int params_command(bool markdown);

// The parameter table as Markdown (docs/parameters.md) or as text.
std::string parameters_markdown();
std::string parameters_text();

}  // namespace harmsim::app
