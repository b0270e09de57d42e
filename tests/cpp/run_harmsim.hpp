#pragma once
// Running harmsim as a user would (HARMSIM_BINARY, through the shell) in a
// scratch directory, for the tests of its commands.
#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include <catch2/catch.hpp>

#include "scratch_dir.hpp"

namespace harmsim::test {

// The whole of a file, as bytes ("" if it cannot be read).
inline std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// s as one word of a POSIX shell command.
inline std::string shell_quote(std::string_view s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'')
      out += "'\\''";
    else
      out += c;
  }
  return out + "'";
}

struct Outcome {
  int exit_code = -1;
  std::string out, err;
  [[nodiscard]] std::vector<std::string> err_lines() const {
    std::vector<std::string> lines;
    std::istringstream in(err);
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
  }
};

// Runs `PREFIX harmsim ARGS` in `dir` with stdout and stderr captured
// (PREFIX: e.g. an mpirun command).
inline Outcome run_harmsim(const ScratchDir& dir, const std::string& args, const std::string& prefix = "") {
  const std::filesystem::path out = dir.path() / ".stdout", err = dir.path() / ".stderr";
  const std::string command = "cd " + shell_quote(dir.path().string()) + " && " + prefix + shell_quote(HARMSIM_BINARY) +
                              " " + args + " >" + shell_quote(out.string()) + " 2>" + shell_quote(err.string()) +
                              " </dev/null";
  const int status = std::system(command.c_str());
  Outcome o;
  REQUIRE(status != -1);
  REQUIRE(WIFEXITED(status));
  o.exit_code = WEXITSTATUS(status);
  o.out = read_file(out);
  o.err = read_file(err);
  std::filesystem::remove(out);
  std::filesystem::remove(err);
  UNSCOPED_INFO(prefix << "harmsim " << args << "\nexit " << o.exit_code << "\nstdout:\n"
                       << o.out << "\nstderr:\n"
                       << o.err);
  return o;
}

}  // namespace harmsim::test
