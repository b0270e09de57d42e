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

namespace harmsim::io::toml_input {

// A value as a message shows it: `the string "abc"`, `42`, `a table`... A
// long string is cut after 40 bytes, never inside a UTF-8 character.
[[nodiscard]] std::string describe(const toml::node& n);

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

}  // namespace harmsim::io::toml_input
