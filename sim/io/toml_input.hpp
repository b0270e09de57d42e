#pragma once
// What the parsers of scenario, sweep and targets files share: reading the
// file, parsing the TOML, and describing a value in a message. Every error is
// a ScenarioError (file, line, column, key, expected, found; docs/errors.md).
// Only the io layer's parsers include this header (it brings in toml++).
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#define TOML_EXCEPTIONS 1
#include <toml++/toml.h>

#include "core/param_spec.hpp"

namespace harmsim::io::toml_input {

// A value as a message shows it: `the string "abc"`, `42`, `a table`... A
// long string is cut after 40 bytes, never inside a UTF-8 character.
[[nodiscard]] std::string describe(const toml::node& n);

// A parameter's range as an error shows it: `[0, 1]`, `[1, 1e+15]`.
[[nodiscard]] std::string range_text(const core::ParamSpec& s);

// The text of an input file; `noun` names its kind in the error ("scenario
// file": "expected a scenario file, found a directory") when it is a
// directory or cannot be opened.
[[nodiscard]] std::string read_file(const std::filesystem::path& file, std::string_view noun);

// The parsed table, or a ScenarioError "expected valid TOML" at the place
// toml++ reports.
[[nodiscard]] toml::table parse(std::string_view text, const std::string& source);

// The entries of a table in the order they are written in the file (toml++
// keeps them sorted by key), so that the first error in the file is the one
// reported.
[[nodiscard]] std::vector<std::pair<const toml::key*, const toml::node*>> in_file_order(const toml::table& t);

// A place in the file (1-based; 0 for the file as a whole).
struct Position {
  std::uint32_t line = 0, column = 0;
};
[[nodiscard]] inline Position position_of(const toml::source_region& r) { return {r.begin.line, r.begin.column}; }

// What every parser of an input file does with bad input: one ScenarioError
// naming the file, the place, the key, what was expected and what was found.
class FileParser {
 public:
  explicit FileParser(std::string source) : source_(std::move(source)) {}

  [[noreturn]] void fail(Position at, const std::string& key, const std::string& expected, const std::string& found,
                         const std::string& hint = {}) const;
  // At node n (the file as a whole when n is null).
  [[noreturn]] void fail(const toml::node* n, const std::string& key, const std::string& expected,
                         const std::string& found, const std::string& hint = {}) const;
  // An unknown key k, reported as `key`: "unknown key `k`", and a hint that
  // is `context`, then the nearest of `names` ("did you mean ...?").
  [[noreturn]] void unknown(const toml::key& k, const std::string& key, const std::string& expected,
                            const std::vector<std::string_view>& names, const std::string& context = {}) const;
  // Refuses the first key of t, in file order, that is not one of `names`
  // (reported as prefix + key).
  void only_keys(const toml::table& t, const std::vector<std::string_view>& names, const std::string& prefix,
                 const std::string& expected) const;

  [[nodiscard]] const std::string& source() const { return source_; }

 private:
  std::string source_;
};

}  // namespace harmsim::io::toml_input
