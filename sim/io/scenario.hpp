#pragma once
// Scenario files (TOML) into validated plain structs. Every error names the
// file, line and column, the key, what was expected and what was found
// (docs/errors.md).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "model/parameters.hpp"
#include "policy/policies.hpp"

namespace harmsim::io {

// A figure a scenario should reproduce (the seed cases of MODEL.md §6): the
// mean over replicates of a metric's horizon total (stratum "all") must lie
// within the tolerance of the article's value.
struct Target {
  std::string metric;        // a metric name, or a sum: "arrests_worker + arrests_buyer"
  std::vector<std::string> metrics() const;  // the names summed
  double value = 0;
  double tolerance = 0.10;   // relative to value
  double tolerance_abs = 0;  // absolute; the wider of the two applies
  std::string source;        // where the figure comes from
  [[nodiscard]] bool met_by(double mean) const {
    const double allowed = std::max(tolerance * std::abs(value), tolerance_abs);
    return std::abs(mean - value) <= allowed + 1e-12;
  }
};

struct Scenario {
  std::vector<Target> targets;
  std::string name;
  std::string description;
  std::string source;  // file it came from
  model::Params params;
  std::vector<policy::Policy> policies;
};

// A bad scenario file. what() is the one-line message shown to the user.
class ScenarioError : public std::runtime_error {
 public:
  ScenarioError(std::string file, std::uint32_t line, std::uint32_t column, std::string key, std::string expected,
                std::string found, std::string hint = {});
  const std::string file, key, expected, found, hint;
  const std::uint32_t line, column;
};

// Reads every scenario of a file (one scenario, or a [[scenario]] list).
std::vector<Scenario> load_scenarios(const std::filesystem::path& file);
// The same from text; `source` names it in messages.
std::vector<Scenario> parse_scenarios(std::string_view text, std::string_view source);

// The fully resolved scenario as TOML: every parameter, defaults included.
// parse_scenarios(to_toml(s)) gives back s.
std::string to_toml(const Scenario& s);

// The default comparison run by `harmsim run` without a file
// (scenarios/compare.toml, embedded at build time).
std::string_view default_comparison();

// `text` as one line of a message: control characters, NEL, LINE SEPARATOR and
// PARAGRAPH SEPARATOR written as escapes (\n, \x01, \u2028 ...).
std::string printable(std::string_view text);
// Text read from a file that may hold any bytes (an HDF5 attribute, a line
// of a checkpoint manifest), for a message: printable, and each byte that is
// not part of a UTF-8 character written as \xNN; cut after `at_most` bytes
// (whole characters) with "...".
std::string shown(std::string_view raw, std::size_t at_most = 60);

// The closest of `candidates` to `word` by edit distance, or "" if none is close.
std::string nearest(std::string_view word, const std::vector<std::string_view>& candidates);

}  // namespace harmsim::io
