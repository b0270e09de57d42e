#include "io/toml_input.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "io/scenario.hpp"  // ScenarioError

namespace harmsim::io::toml_input {

std::string describe(const toml::node& n) {
  switch (n.type()) {
    case toml::node_type::string: {
      std::string s(*n.value<std::string_view>());
      if (s.size() > 40) {
        std::size_t cut = 40;  // not inside a UTF-8 character
        while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
        s = s.substr(0, cut) + "...";
      }
      return fmt::format("the string \"{}\"", s);
    }
    case toml::node_type::integer: return fmt::format("{}", *n.value<std::int64_t>());
    case toml::node_type::floating_point: return fmt::format("{}", *n.value<double>());
    case toml::node_type::boolean: return *n.value<bool>() ? "true" : "false";
    case toml::node_type::table: return "a table";
    case toml::node_type::array: return "a list";
    case toml::node_type::date: return "a date";
    case toml::node_type::time: return "a time";
    case toml::node_type::date_time: return "a date-time";
    default: return "nothing";
  }
}

std::string range_text(const core::ParamSpec& s) {
  auto num = [](double v) { return std::abs(v) >= 1e15 ? fmt::format("{:g}", v) : fmt::format("{}", v); };
  return fmt::format("[{}, {}]", num(s.min), num(s.max));
}

std::string read_file(const std::filesystem::path& file, std::string_view noun) {
  std::error_code ec;
  if (std::filesystem::is_directory(file, ec))  // (it would open, and read as an empty file)
    throw ScenarioError(file.string(), 0, 0, "", fmt::format("a {}", noun), "a directory");
  std::ifstream in(file, std::ios::binary);
  if (!in) throw ScenarioError(file.string(), 0, 0, "", fmt::format("a readable {}", noun), "none could be opened");
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

toml::table parse(std::string_view text, const std::string& source) {
  try {
    return toml::parse(text, source);
  } catch (const toml::parse_error& e) {
    throw ScenarioError(source, e.source().begin.line, e.source().begin.column, "", "valid TOML",
                        std::string(e.description()));
  }
}

std::vector<std::pair<const toml::key*, const toml::node*>> in_file_order(const toml::table& t) {
  std::vector<std::pair<const toml::key*, const toml::node*>> entries;
  for (auto&& [k, v] : t) entries.emplace_back(&k, &v);
  std::sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) {
    const auto& x = a.first->source().begin;
    const auto& y = b.first->source().begin;
    return x.line != y.line ? x.line < y.line : x.column < y.column;
  });
  return entries;
}

void FileParser::fail(Position at, const std::string& key, const std::string& expected, const std::string& found,
                      const std::string& hint) const {
  throw ScenarioError(source_, at.line, at.column, key, expected, found, hint);
}

void FileParser::fail(const toml::node* n, const std::string& key, const std::string& expected,
                      const std::string& found, const std::string& hint) const {
  fail(n != nullptr ? position_of(n->source()) : Position{}, key, expected, found, hint);
}

void FileParser::unknown(const toml::key& k, const std::string& key, const std::string& expected,
                         const std::vector<std::string_view>& names, const std::string& context) const {
  const std::string near = nearest(k.str(), names);
  std::string hint = context;
  if (!near.empty()) hint += fmt::format("{}did you mean `{}`?", hint.empty() ? "" : "; ", near);
  fail(position_of(k.source()), key, expected, fmt::format("unknown key `{}`", k.str()), hint);
}

void FileParser::only_keys(const toml::table& t, const std::vector<std::string_view>& names,
                           const std::string& prefix, const std::string& expected) const {
  for (auto [k, v] : in_file_order(t))
    if (std::find(names.begin(), names.end(), k->str()) == names.end())
      unknown(*k, prefix + std::string(k->str()), expected, names);
}

}  // namespace harmsim::io::toml_input
