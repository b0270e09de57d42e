// Scenario files under bad input (docs/errors.md, DESIGN.md "Behaviour under
// bad input"): every mistake gets one clear line naming file, line, column,
// key, what was expected and what was found, with the nearest valid name for
// typos. And valid scenarios survive a round trip through to_toml.
#include <catch2/catch.hpp>

#include <cstdint>
#include <filesystem>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "io/scenario.hpp"

namespace fs = std::filesystem;
using harmsim::io::parse_scenarios;
using harmsim::io::Scenario;
using harmsim::io::ScenarioError;

namespace {

constexpr std::string_view kFile = "cases/bad_input.toml";

// The error parse_scenarios throws for `text`; fails the test if it throws none.
ScenarioError error_of(std::string_view text, std::string_view file = kFile) {
  try {
    (void)parse_scenarios(text, file);
  } catch (const ScenarioError& e) {
    return e;
  }
  FAIL("no ScenarioError for:\n" << text);
  throw std::logic_error("unreachable");
}

bool contains(std::string_view haystack, std::string_view needle) {
  return haystack.find(needle) != std::string_view::npos;
}

// What every message must be: one line that starts with file:line:column and
// names the key, the expectation and what was found (and the hint, if any).
void check_message(const ScenarioError& e, std::uint32_t line, std::uint32_t column, std::string_view key) {
  const std::string what = e.what();
  INFO("message: " << what);
  CHECK(e.file == kFile);
  CHECK(e.line == line);
  CHECK(e.column == column);
  CHECK(e.key == key);
  CHECK_FALSE(e.expected.empty());
  CHECK_FALSE(e.found.empty());
  std::ostringstream prefix;
  prefix << kFile << ':' << line << ':' << column << ": error:";
  CHECK(what.rfind(prefix.str(), 0) == 0);
  if (!key.empty()) {
    std::ostringstream quoted;  // (not operator+: GCC 12 warns falsely with -Wrestrict)
    quoted << '`' << key << '`';
    CHECK(contains(what, quoted.str()));
  }
  CHECK(contains(what, e.expected));
  CHECK(contains(what, e.found));
  if (!e.hint.empty()) CHECK(contains(what, e.hint));
  CHECK_FALSE(contains(what, "\n"));
}

// Every parameter value, by section.key, in a form that compares exactly.
using Value = std::variant<bool, std::int64_t, double, harmsim::core::IntList>;
using Values = std::vector<std::pair<std::string, Value>>;

Values values_of(const Scenario& s) {
  Values out;
  harmsim::model::for_each_param(s.params, [&](const harmsim::core::ParamSpec& spec, const auto& field) {
    out.emplace_back(std::string(spec.section) + "." + std::string(spec.key), Value(field));
  });
  for (std::size_t i = 0; i < s.policies.size(); ++i) {
    const std::string prefix = "policy " + std::to_string(i) + " " + std::string(harmsim::policy::info(s.policies[i]).type);
    harmsim::policy::visit_params(s.policies[i], [&](const harmsim::core::ParamSpec& spec, const auto& field) {
      out.emplace_back(prefix + "." + std::string(spec.key), Value(field));
    });
  }
  return out;
}

// parse_scenarios(to_toml(s)) gives back s: name, description, every parameter
// every policy (type, order and parameters), every target, and the same TOML again.
void check_round_trip(const Scenario& s) {
  INFO("scenario `" << s.name << "` from " << s.source);
  const std::string text = harmsim::io::to_toml(s);
  std::vector<Scenario> back;
  try {
    back = parse_scenarios(text, "roundtrip.toml");
  } catch (const ScenarioError& e) {
    FAIL("to_toml output does not parse: " << e.what() << "\n" << text);
  }
  REQUIRE(back.size() == 1);
  const Scenario& r = back.front();
  CHECK(r.name == s.name);
  CHECK(r.description == s.description);
  REQUIRE(r.policies.size() == s.policies.size());
  for (std::size_t i = 0; i < s.policies.size(); ++i) CHECK(r.policies[i].index() == s.policies[i].index());
  REQUIRE(r.targets.size() == s.targets.size());
  for (std::size_t i = 0; i < s.targets.size(); ++i) {
    CHECK(r.targets[i].metric == s.targets[i].metric);
    CHECK(r.targets[i].value == s.targets[i].value);
    CHECK(r.targets[i].tolerance == s.targets[i].tolerance);
    CHECK(r.targets[i].tolerance_abs == s.targets[i].tolerance_abs);
    CHECK(r.targets[i].source == s.targets[i].source);
  }
  const Values want = values_of(s);
  const Values got = values_of(r);
  REQUIRE(got.size() == want.size());
  for (std::size_t i = 0; i < want.size(); ++i) {
    INFO(want[i].first);
    REQUIRE(got[i].first == want[i].first);
    CHECK(got[i].second == want[i].second);
  }
  CHECK(harmsim::io::to_toml(r) == text);
}

}  // namespace

TEST_CASE("a misspelt policy key is named with the nearest valid key", "[scenario][errors]") {
  const ScenarioError e = error_of(
      "[[policy]]\n"
      "type = \"street_sting\"\n"
      "oficers = 3\n");
  check_message(e, 3, 1, "street_sting.oficers");
  CHECK(contains(e.found, "oficers"));
  CHECK(e.hint == "did you mean `officers`?");
  CHECK(contains(e.what(), "did you mean `officers`?"));
}

TEST_CASE("a misspelt section is named with the nearest valid section", "[scenario][errors]") {
  const ScenarioError e = error_of(
      "[simulation]\n"
      "days = 30\n"
      "\n"
      "[encountr]\n"
      "rate_per_day = 2\n");
  check_message(e, 4, 2, "encountr");
  CHECK(contains(e.found, "encountr"));
  CHECK(e.hint == "did you mean `encounter`?");
}

TEST_CASE("a key far from every valid one gets no suggestion", "[scenario][errors]") {
  const ScenarioError e = error_of("[encounter]\nzzzzzzzzzzzz = 1\n");
  check_message(e, 2, 1, "encounter.zzzzzzzzzzzz");
  CHECK(e.hint.empty());
}

TEST_CASE("a string where a number belongs is refused with both named", "[scenario][errors]") {
  const ScenarioError e = error_of("[encounter]\nrate_per_day = \"fast\"\n");
  check_message(e, 2, 16, "encounter.rate_per_day");
  CHECK(contains(e.expected, "a number"));
  CHECK(contains(e.found, "the string \"fast\""));
}

TEST_CASE("a real number where an integer belongs is refused", "[scenario][errors]") {
  const ScenarioError e = error_of("[population]\nworkers = 200.5\n");
  check_message(e, 2, 11, "population.workers");
  CHECK(contains(e.expected, "an integer"));
  CHECK(e.found == "200.5");
}

TEST_CASE("a value out of range is refused with the allowed range", "[scenario][errors]") {
  const ScenarioError e = error_of("[encounter]\nrate_per_day = 1000\n");
  check_message(e, 2, 16, "encounter.rate_per_day");
  CHECK(e.expected == "a number in [0.001, 100]");
  CHECK(e.found == "1000");
}

TEST_CASE("nan and inf are refused even where the range has no upper end", "[scenario][errors]") {
  SECTION("nan") {
    const ScenarioError e = error_of("[encounter]\nrate_per_day = nan\n");
    check_message(e, 2, 16, "encounter.rate_per_day");
    CHECK(e.found == "nan");
  }
  SECTION("inf") {
    const ScenarioError e = error_of("[encounter]\nrate_per_day = inf\n");
    check_message(e, 2, 16, "encounter.rate_per_day");
    CHECK(e.found == "inf");
  }
  SECTION("-inf") {
    const ScenarioError e = error_of("[arrest]\nfine = -inf\n");
    check_message(e, 2, 8, "arrest.fine");
    CHECK(e.found == "-inf");
  }
  SECTION("nan in a policy") {
    const ScenarioError e = error_of("[[policy]]\ntype = \"buyer_sting\"\ndecoy_officers = nan\n");
    check_message(e, 3, 18, "buyer_sting.decoy_officers");
  }
}

TEST_CASE("a negative count is refused", "[scenario][errors]") {
  const ScenarioError e = error_of("[population]\nworkers = -5\n");
  check_message(e, 2, 11, "population.workers");
  CHECK(e.expected == "an integer in [1, 50000000]");
  CHECK(e.found == "-5");
  const ScenarioError list = error_of("[[policy]]\ntype = \"street_sting\"\nareas = [0, -1]\n");
  check_message(list, 3, 13, "street_sting.areas");
  CHECK(list.found == "an element -1");
}

TEST_CASE("a huge integer is refused, whether or not it fits in 64 bits", "[scenario][errors]") {
  SECTION("within 64 bits: out of range") {
    const ScenarioError e = error_of("[population]\nworkers = 9223372036854775807\n");
    check_message(e, 2, 11, "population.workers");
    CHECK(e.found == "9223372036854775807");
  }
  SECTION("beyond 64 bits: the TOML parser's message, with line and column") {
    const ScenarioError e = error_of("[population]\nworkers = 99999999999999999999\n");
    CHECK(e.line == 2);
    CHECK(e.column > 0);
    CHECK(e.expected == "valid TOML");
    CHECK(contains(e.found, "99999999999999999999"));
    CHECK_FALSE(contains(e.what(), "\n"));
  }
  SECTION("a huge integer for a real parameter") {
    const ScenarioError e = error_of("[encounter]\nprice = 9223372036854775807\n");
    check_message(e, 2, 9, "encounter.price");
  }
}

TEST_CASE("an unknown policy type is named with the nearest type", "[scenario][errors]") {
  const ScenarioError e = error_of("[[policy]]\ntype = \"street_stng\"\n");
  check_message(e, 2, 8, "policy.type");
  CHECK(e.found == "\"street_stng\"");
  CHECK(contains(e.expected, "street_sting"));
  CHECK(contains(e.expected, "advocacy"));
  CHECK(e.hint == "did you mean `street_sting`?");
}

TEST_CASE("a policy without a type is refused", "[scenario][errors]") {
  const ScenarioError e = error_of(
      "[simulation]\n"
      "days = 30\n"
      "\n"
      "[[policy]]\n"
      "officers = 3\n");
  check_message(e, 4, 1, "policy.type");
  CHECK(contains(e.found, "no `type`"));
  SECTION("nor a type that is not a string") {
    const ScenarioError t = error_of("[[policy]]\ntype = 3\n");
    check_message(t, 2, 8, "policy.type");
    CHECK(t.found == "3");
  }
}

TEST_CASE("an area id that does not exist is refused", "[scenario][errors]") {
  const ScenarioError e = error_of(
      "[population]\n"
      "areas = 12\n"
      "\n"
      "[[policy]]\n"
      "type = \"street_sting\"\n"
      "areas = [3, 99]\n");
  check_message(e, 6, 9, "street_sting.areas");
  CHECK(contains(e.expected, "12"));
  CHECK(e.found == "99");
  CHECK(contains(e.hint, "bad_input"));  // the scenario, named after the file

  // The last area exists; one past it does not.
  CHECK_NOTHROW(parse_scenarios("[[policy]]\ntype = \"street_sting\"\nareas = [11]\n", kFile));
  CHECK(error_of("[[policy]]\ntype = \"street_sting\"\nareas = [12]\n").found == "12");
}

TEST_CASE("a schedule that ends before it starts is refused", "[scenario][errors]") {
  const ScenarioError e = error_of(
      "[[policy]]\n"
      "type = \"street_sting\"\n"
      "start_day = 30\n"
      "end_day = 10\n");
  check_message(e, 4, 11, "street_sting.end_day");
  CHECK(contains(e.expected, "start_day"));
  CHECK(contains(e.expected, "30"));
  CHECK(contains(e.found, "10"));
  SECTION("ending on the day it starts counts as never running") {
    const ScenarioError same = error_of("[[policy]]\ntype = \"buyer_sting\"\nstart_day = 5\nend_day = 5\n");
    check_message(same, 4, 11, "buyer_sting.end_day");
  }
}

TEST_CASE("a repeat shorter than the operation is refused", "[scenario][errors]") {
  const ScenarioError e = error_of(
      "[[policy]]\n"
      "type = \"street_sting\"\n"
      "duration_days = 5\n"
      "repeat_every_days = 2\n");
  check_message(e, 4, 21, "street_sting.repeat_every_days");
  CHECK(contains(e.expected, "duration_days"));
  CHECK(contains(e.found, "2"));
  // A repeat equal to the duration (back to back) and 0 (once) are fine.
  CHECK_NOTHROW(parse_scenarios("[[policy]]\ntype = \"street_sting\"\nduration_days = 5\nrepeat_every_days = 5\n",
                                kFile));
  CHECK_NOTHROW(parse_scenarios("[[policy]]\ntype = \"street_sting\"\nduration_days = 5\nrepeat_every_days = 0\n",
                                kFile));
}

TEST_CASE("the same singleton policy twice in a scenario is refused", "[scenario][errors]") {
  const ScenarioError e = error_of(
      "[[policy]]\n"
      "type = \"advocacy\"\n"
      "\n"
      "[[policy]]\n"
      "type = \"advocacy\"\n"
      "release_probability = 0.5\n");
  check_message(e, 4, 1, "policy.type");
  CHECK(contains(e.expected, "at most one `advocacy`"));
  // Two operations of the same type are fine: only singletons are refused.
  CHECK_NOTHROW(parse_scenarios("[[policy]]\ntype = \"street_sting\"\n\n[[policy]]\ntype = \"street_sting\"\n", kFile));
}

TEST_CASE("each singleton policy twice with conflicting settings is refused, inherited or not", "[scenario][errors]") {
  // Two settings for one law or programme: which would apply is not for the
  // program to guess.
  const std::vector<std::pair<std::string, std::string>> singletons = {
      {"post_arrest_diversion", "offer_share"}, {"decriminalization", "stigma"}, {"end_demand", "buyer_arrest_per_contact"},
      {"advocacy", "release_probability"}};
  for (const auto& [type, key] : singletons) {
    INFO(type);
    std::ostringstream same;  // (not operator+: GCC 12 warns falsely with -Wrestrict)
    same << "[[policy]]\ntype = \"" << type << "\"\n" << key << " = 0.2\n\n"
         << "[[policy]]\ntype = \"" << type << "\"\n" << key << " = 0.9\n";
    const ScenarioError e = error_of(same.str());
    check_message(e, 5, 1, "policy.type");
    CHECK(contains(e.expected, "at most one `" + type + "` policy per scenario"));
    CHECK(e.found == "a second one");
    CHECK(contains(e.hint, "merge their settings"));

    std::ostringstream inherited;
    inherited << "[[policy]]\ntype = \"" << type << "\"\n" << key << " = 0.2\n\n"
              << "[[scenario]]\nname = \"b\"\n\n"
              << "[[scenario]]\nname = \"c\"\n[[scenario.policy]]\ntype = \"" << type << "\"\n" << key
              << " = 0.9\n";
    const ScenarioError in_entry = error_of(inherited.str());
    check_message(in_entry, 10, 1, "policy.type");
    CHECK(contains(in_entry.hint, "in scenario `c`"));
  }
}

TEST_CASE("a venue id that does not exist is refused", "[scenario][errors]") {
  const ScenarioError e = error_of(
      "[population]\n"
      "venues = 8\n"
      "\n"
      "[[policy]]\n"
      "type = \"venue_raid\"\n"
      "venues = [2, 8]\n");
  check_message(e, 6, 10, "venue_raid.venues");
  CHECK(contains(e.expected, "venue ids below the number of venues (8)"));
  CHECK(e.found == "8");
  CHECK(contains(e.hint, "bad_input"));
  // The last venue exists; one past it does not.
  CHECK_NOTHROW(parse_scenarios("[population]\nvenues = 8\n[[policy]]\ntype = \"venue_raid\"\nvenues = [7]\n", kFile));

  SECTION("an inherited raid is checked against the venues of each listed scenario") {
    const ScenarioError capped = error_of(
        "[population]\nvenues = 8\nexploiters = 8\n[[policy]]\ntype = \"venue_raid\"\nvenues = [7]\n"
        "[[scenario]]\nname = \"fewer_exploiters\"\n[scenario.population]\nexploiters = 7\nvenues = 7\n");
    check_message(capped, 6, 10, "venue_raid.venues");
    CHECK(contains(capped.expected, "(7)"));
    CHECK(contains(capped.hint, "fewer_exploiters"));
  }
  SECTION("a negative id is out of range") {
    const ScenarioError negative = error_of("[[policy]]\ntype = \"venue_raid\"\nvenues = [-1]\n");
    check_message(negative, 3, 11, "venue_raid.venues");  // at the element
  }
}

TEST_CASE("a key or string with control characters gets a one-line message with them escaped", "[scenario][errors]") {
  const ScenarioError key = error_of("\"a\\nb\" = 1\n");
  CHECK(key.key == "a\nb");  // the key itself, as parsed
  const std::string what = key.what();
  CHECK_FALSE(contains(what, "\n"));
  CHECK(contains(what, "key `a\\nb`"));

  const ScenarioError value = error_of("[population]\nworkers = \"\\u0007x\\ty\"\n");
  CHECK_FALSE(contains(value.what(), "\t"));
  CHECK(contains(value.what(), "found the string \"\\x07x\\ty\""));
}

TEST_CASE("more isolated and peripheral areas than areas are refused", "[scenario][errors]") {
  const ScenarioError e = error_of(
      "[population]\n"
      "areas = 5\n"
      "isolated_areas = 3\n"
      "peripheral_areas = 3\n");
  check_message(e, 3, 18, "population.isolated_areas");
  CHECK(contains(e.expected, "areas = 5"));
  CHECK(e.found == "3 + 3");
  CHECK_NOTHROW(parse_scenarios("[population]\nareas = 6\nisolated_areas = 3\nperipheral_areas = 3\n", kFile));
}

TEST_CASE("street and venue shares above one are refused", "[scenario][errors]") {
  const ScenarioError e = error_of(
      "[population]\n"
      "share_street = 0.6\n"
      "share_venue = 0.5\n");
  check_message(e, 3, 15, "population.share_venue");
  CHECK(e.found == "0.6 + 0.5");
  CHECK_NOTHROW(parse_scenarios("[population]\nshare_street = 0.6\nshare_venue = 0.4\n", kFile));
  SECTION("set at the top of a file of several scenarios, the message points at the key, not at the scenario") {
    const ScenarioError inherited = error_of(
        "[population]\n"
        "share_street = 0.6\n"
        "share_venue = 0.5\n"
        "[[scenario]]\n"
        "name = \"a\"\n");
    check_message(inherited, 3, 15, "population.share_venue");
  }
  SECTION("set in the scenario, at the key in it") {
    const ScenarioError own = error_of(
        "[population]\n"
        "share_street = 0.6\n"
        "[[scenario]]\n"
        "name = \"a\"\n"
        "population.share_venue = 0.5\n");
    check_message(own, 5, 26, "population.share_venue");
  }
}

TEST_CASE("a policy that would start after the run ends is refused", "[scenario][errors]") {
  const ScenarioError e = error_of(
      "[simulation]\n"
      "days = 60\n"
      "[[policy]]\n"
      "type = \"venue_raid\"\n"
      "start_day = 60\n");
  check_message(e, 5, 13, "venue_raid.start_day");
  CHECK(contains(e.expected, "simulation.days = 60"));
  CHECK(e.found == "60");
  // A default first day (30) in a run of 30 days: the same, at the policy, and said to be the default.
  const ScenarioError by_default = error_of("[simulation]\ndays = 30\n[[policy]]\ntype = \"street_sting\"\n");
  check_message(by_default, 3, 1, "street_sting.start_day");
  CHECK(by_default.found == "30 (the default)");
  CHECK_NOTHROW(parse_scenarios("[simulation]\ndays = 61\n[[policy]]\ntype = \"venue_raid\"\nstart_day = 60\n", kFile));
}

TEST_CASE("a scenario in a list without a name is refused", "[scenario][errors]") {
  const ScenarioError e = error_of(
      "[[scenario]]\n"
      "name = \"a\"\n"
      "\n"
      "[[scenario]]\n"
      "description = \"no name\"\n");
  check_message(e, 4, 1, "scenario.name");
}

TEST_CASE("duplicate scenario names are refused where the second one is written", "[scenario][errors]") {
  const ScenarioError e = error_of(
      "[[scenario]]\n"
      "name = \"a\"\n"
      "\n"
      "[[scenario]]\n"
      "name = \"b\"\n"
      "\n"
      "[[scenario]]\n"
      "name = \"a\"\n");
  check_message(e, 8, 8, "name");
  CHECK(contains(e.found, "`a` twice"));
}

TEST_CASE("a scenario name that cannot name an HDF5 group is refused where it is written", "[scenario][errors]") {
  const ScenarioError e = error_of("[[scenario]]\nname = \"a/b\"\n");
  check_message(e, 2, 8, "name");
  CHECK(e.found == "\"a/b\"");
}

TEST_CASE("malformed TOML is reported at the parser's line and column", "[scenario][errors]") {
  const ScenarioError e = error_of(
      "[simulation]\n"
      "days = 30\n"
      "replicates = = 3\n");
  check_message(e, 3, 14, "");
  CHECK(e.expected == "valid TOML");
  SECTION("an unterminated string") {
    const ScenarioError s = error_of("name = \"open\n[simulation]\n");
    CHECK(s.line == 1);
    CHECK(s.expected == "valid TOML");
    CHECK_FALSE(contains(s.what(), "\n"));
  }
}

TEST_CASE("a problem in a listed scenario's own policy is located in that policy, after inherited ones",
          "[scenario][errors]") {
  // Top-level policies apply to every [[scenario]] and come first in its list;
  // the message must still point at the policy that is wrong.
  const ScenarioError e = error_of(
      "[[policy]]\n"
      "type = \"street_sting\"\n"
      "\n"
      "[[scenario]]\n"
      "name = \"a\"\n"
      "[[scenario.policy]]\n"
      "type = \"street_sting\"\n"
      "areas = [99]\n");
  check_message(e, 8, 9, "street_sting.areas");
  CHECK(contains(e.hint, "`a`"));

  const ScenarioError inherited = error_of(
      "[[policy]]\n"
      "type = \"buyer_sting\"\n"
      "areas = [50]\n"
      "\n"
      "[[scenario]]\n"
      "name = \"a\"\n"
      "[[scenario.policy]]\n"
      "type = \"street_sting\"\n");
  check_message(inherited, 3, 9, "buyer_sting.areas");

  const ScenarioError twice = error_of(
      "[[policy]]\n"
      "type = \"advocacy\"\n"
      "\n"
      "[[scenario]]\n"
      "name = \"a\"\n"
      "[[scenario.policy]]\n"
      "type = \"advocacy\"\n");
  check_message(twice, 6, 1, "policy.type");
}

TEST_CASE("a file that cannot be read is named", "[scenario][errors]") {
  const fs::path missing = fs::temp_directory_path() / "harmsim-no-such-dir-h4" / "missing.toml";
  try {
    (void)harmsim::io::load_scenarios(missing);
    FAIL("no error for a missing file");
  } catch (const ScenarioError& e) {
    CHECK(e.file == missing.string());
    CHECK(contains(e.what(), missing.string()));
  }
}

TEST_CASE("a single scenario without a name is named after its file", "[scenario]") {
  const auto s = parse_scenarios("[simulation]\ndays = 30\n", "some/dir/my-comparison.v2.toml");
  REQUIRE(s.size() == 1);
  CHECK(s.front().name == "my-comparison_v2");
  CHECK(s.front().params.days == 30);
  CHECK(s.front().source == "some/dir/my-comparison.v2.toml");
}

TEST_CASE("every scenario of the embedded default comparison survives a round trip through to_toml",
          "[scenario][roundtrip]") {
  const auto scenarios = parse_scenarios(harmsim::io::default_comparison(), "compare.toml");
  REQUIRE(scenarios.size() >= 2);
  for (const Scenario& s : scenarios) check_round_trip(s);
}

TEST_CASE("every scenario file in scenarios/ and scenarios/cases/ survives a round trip through to_toml",
          "[scenario][roundtrip]") {
  std::size_t files = 0;
  for (const char* dir : {"scenarios", "scenarios/cases"}) {
    const fs::path path = fs::path(HARMSIM_SOURCE_DIR) / dir;
    if (!fs::is_directory(path)) continue;
    for (const auto& entry : fs::directory_iterator(path)) {
      if (!entry.is_regular_file() || entry.path().extension() != ".toml") continue;
      if (entry.path().filename() == "targets.toml") continue;  // a targets file (test_targets.cpp)
      if (entry.path().filename() == "calibration.toml") continue;  // a calibration file (test_calibration_file.cpp)
      ++files;
      INFO("file " << entry.path().string());
      std::vector<Scenario> scenarios;
      try {
        scenarios = harmsim::io::load_scenarios(entry.path());
      } catch (const ScenarioError& e) {
        FAIL("a shipped scenario file does not load: " << e.what());
      }
      for (const Scenario& s : scenarios) check_round_trip(s);
    }
  }
  CHECK(files >= 1);  // scenarios/compare.toml at least
}

TEST_CASE("awkward but valid values survive a round trip through to_toml", "[scenario][roundtrip]") {
  const auto scenarios = parse_scenarios(
      "name = \"awkward\"\n"
      "description = \"quotes \\\" backslash \\\\ newline \\n tab \\t control \\u0001 and \u00e9\"\n"
      "[simulation]\n"
      "seed = 9007199254740991\n"
      "[encounter]\n"
      "price = 0.30000000000000004\n"
      "heat_price_drop = 1e-7\n"
      "income_need_30d = 123456789.123\n"
      "rate_per_day = 2\n"
      "[[policy]]\n"
      "type = \"street_sting\"\n"
      "areas = []\n"
      "officers = 0.1\n"
      "[[policy]]\n"
      "type = \"advocacy\"\n"
      "release_probability = 0.3333333333333333\n",
      kFile);
  REQUIRE(scenarios.size() == 1);
  const Scenario& s = scenarios.front();
  REQUIRE(s.description == "quotes \" backslash \\ newline \n tab \t control \x01 and \u00e9");
  REQUIRE(s.params.price == 0.30000000000000004);
  check_round_trip(s);
}
