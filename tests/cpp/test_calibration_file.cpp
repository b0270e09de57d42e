// Calibration files (io/calibration.hpp) and the point-list design of sweeps
// (io/sweep.hpp) that calibration runs its waves with: what a file resolves
// to, and every mistake refused as one line naming file, line, column, key,
// expected and found. (The command itself, end to end: tests/python/test_calibrate.py.)
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "io/calibration.hpp"
#include "model/parameters.hpp"
#include "io/sweep.hpp"
#include "scratch_dir.hpp"

using harmsim::io::Calibration;
using harmsim::io::parse_calibration;
using harmsim::io::ScenarioError;
using harmsim::test::ScratchDir;

namespace {

// Two scenarios of a small city; the second with a street sting.
constexpr std::string_view kCalibrationScenarios = R"([simulation]
days = 60
warmup_days = 10
replicates = 7
[population]
workers = 300

[[scenario]]
name = "baseline"

[[scenario]]
name = "stings"
[[scenario.policy]]
type = "street_sting"
start_day = 0
repeat_every_days = 15
officers = 10
areas = [0]

[[scenario]]
name = "unused"
)";

// Two calibration targets (baseline, stings) and a validation target that
// needs the third scenario.
constexpr std::string_view kTargets = R"(scenarios = "scenarios.toml"
[[target]]
id = "violence"
source = "test"
use = "calibration"
value = 0.3
interval = [0.2, 0.4]
scenario = "baseline"
kind = "level"
metric = "violence_12m"

[[target]]
id = "or"
source = "test"
use = "calibration"
interval = [1, inf]
scenario = "stings"
kind = "odds_ratio"
exposure = "policed_180d"
outcome = "violence_180d"

[[target]]
id = "street_over_venue"
source = "test"
use = "calibration"
interval = [1, inf]
scenario = "baseline"
kind = "level"
metric = "violence_12m"
stratum = "sector/street"
compare = "change"
over = { stratum = "sector/venue" }

[[target]]
id = "kept_back"
source = "test"
use = "validation"
interval = [0, 1]
scenario = "unused"
kind = "level"
metric = "violence_12m"
)";

constexpr std::string_view kValidation = R"(scenarios = "scenarios.toml"
[[target]]
id = "kept_back"
source = "test"
use = "validation"
interval = [0, 1]
scenario = "baseline"
kind = "level"
metric = "violence_12m"
)";

constexpr std::string_view kGood = R"(targets = "targets.toml"
waves = 3
points = 40
replicates = 3
seed = 9
cutoff = 2.5
[parameters]
"policing.arrest_per_contact" = [0.01, 0.2]
"encounter.violence_given_violent_buyer" = [0.005, 0.1]
)";

struct CalibrationFixture {
  ScratchDir dir{"calibration"};
  CalibrationFixture() {
    dir.write("scenarios.toml", kCalibrationScenarios);
    dir.write("targets.toml", kTargets);
    dir.write("validation_only.toml", kValidation);
  }
  [[nodiscard]] Calibration parse(std::string_view text) const {
    return parse_calibration(text, "cal.toml", dir.path());
  }
  [[nodiscard]] std::string error_of(std::string_view text) const {
    try {
      (void)parse(text);
    } catch (const ScenarioError& e) {
      const std::string message = e.what();
      CHECK(message.find('\n') == std::string::npos);
      return message;
    }
    FAIL("no ScenarioError for:\n" << text);
    return {};
  }
};

std::string with_parameters(std::string_view lines) {
  return "targets = \"targets.toml\"\n[parameters]\n" + std::string(lines);
}

}  // namespace

TEST_CASE("a calibration file resolves its parameters, its fitted targets and the scenarios they need", "[calibration]") {
  const CalibrationFixture f;
  const Calibration c = f.parse(kGood);
  CHECK(c.waves == 3);
  CHECK(c.points == 40);
  CHECK(c.replicates == 3);
  CHECK(c.seed == 9);
  CHECK(c.cutoff == 2.5);
  CHECK(c.method == "history_matching");
  REQUIRE(c.parameters.size() == 2);
  CHECK(c.parameters[0].name == "policing.arrest_per_contact");  // in file order
  CHECK(c.parameters[0].low == 0.01);
  CHECK(c.parameters[0].high == 0.2);
  CHECK(c.parameters[1].name == "encounter.violence_given_violent_buyer");
  // The three calibration targets, not the validation one; the scenarios
  // they need, not the third.
  REQUIRE(c.fitted.size() == 3);
  CHECK(c.targets.targets[c.fitted[2]].id == "street_over_venue");
  std::vector<std::string> names;
  for (std::size_t s : c.scenarios) names.push_back(c.targets.scenarios[s].scenario.name);
  CHECK(names == std::vector<std::string>{"baseline", "stings"});
  // Each runs with the calibration's replicates, keeping its own seed and days.
  const auto base = c.base_scenario(c.scenarios[0]);
  CHECK(base.params.replicates == 3);
  CHECK(base.params.days == 60);
  // Odds ratios and ratios compared on the log scale, a change as log(1 + x).
  CHECK(harmsim::io::target_scale(c.targets.targets[c.fitted[0]]) == harmsim::io::TargetScale::Identity);
  CHECK(harmsim::io::target_scale(c.targets.targets[c.fitted[1]]) == harmsim::io::TargetScale::Log);
  CHECK(harmsim::io::target_scale(c.targets.targets[c.fitted[2]]) == harmsim::io::TargetScale::Log1p);

  // Defaults.
  const Calibration d = f.parse(with_parameters("\"policing.arrest_per_contact\" = [0.01, 0.2]\n"));
  CHECK(d.waves == 4);
  CHECK(d.points == 200);
  CHECK(d.replicates == 4);
  CHECK(d.seed == 1);
  CHECK(d.cutoff == 3.0);
}

TEST_CASE("the calibration id changes with anything that changes the result, and only with that", "[calibration]") {
  const CalibrationFixture f;
  const std::string id = f.parse(kGood).calibration_id;
  CHECK(id.size() == 32);
  // Comments, key order and the description do not change it.
  CHECK(f.parse("# a comment\ndescription = \"x\"\n" + std::string(kGood)).calibration_id == id);
  // A setting, a range, a target or a scenario does.
  std::string other = std::string(kGood);
  other.replace(other.find("cutoff = 2.5"), 12, "cutoff = 2.6");
  CHECK(f.parse(other).calibration_id != id);
  other = std::string(kGood);
  other.replace(other.find("[0.01, 0.2]"), 11, "[0.01, 0.3]");
  CHECK(f.parse(other).calibration_id != id);
  std::string targets = std::string(kTargets);
  targets.replace(targets.find("[0.2, 0.4]"), 10, "[0.2, 0.5]");
  f.dir.write("targets.toml", targets);
  CHECK(f.parse(kGood).calibration_id != id);
  f.dir.write("targets.toml", kTargets);
  std::string scenarios = std::string(kCalibrationScenarios);
  scenarios.replace(scenarios.find("workers = 300"), 13, "workers = 301");
  f.dir.write("scenarios.toml", scenarios);
  CHECK(f.parse(kGood).calibration_id != id);
  // The validation targets' scenario is not run: changing it does not matter.
  f.dir.write("scenarios.toml", std::string(kCalibrationScenarios) + "description = \"unused\"\n");
  CHECK(f.parse(kGood).calibration_id == id);
}

TEST_CASE("every mistake in a calibration file is one line naming file, line, column, key, expected and found",
          "[calibration]") {
  const CalibrationFixture f;
  CHECK(f.error_of("target = \"targets.toml\"\n") ==
        "cal.toml:1:1: error: key `target`: expected a calibration key (targets, method, waves, points, replicates, "
        "seed, cutoff, description, and [parameters]), found unknown key `target`; did you mean `targets`?");
  CHECK(f.error_of("waves = 2\n") ==
        "cal.toml: error: key `targets`: expected a key `targets` naming the targets file whose calibration targets "
        "are fitted (relative to the calibration file), found none");
  CHECK(f.error_of("targets = \"nope.toml\"\n").find(
            "cal.toml:1:11: error: key `targets`: expected a targets file (path relative to the calibration file), "
            "found \"nope.toml\", which is not a readable file") == 0);
  CHECK(f.error_of("targets = \"validation_only.toml\"\n[parameters]\n\"heat.return_rate_per_day\" = [0.01, 0.2]\n") ==
        "cal.toml:1:11: error: key `targets`: expected a targets file with at least one target of use = "
        "\"calibration\", found none in validation_only.toml");
  CHECK(f.error_of("targets = \"targets.toml\"\nmethod = \"abc_smc\"\n") ==
        "cal.toml:2:10: error: key `method`: expected \"history_matching\" (Bayesian history matching with "
        "Gaussian-process emulators), found the string \"abc_smc\"");
  CHECK(f.error_of("targets = \"targets.toml\"\nreplicates = 1\n") ==
        "cal.toml:2:14: error: key `replicates`: expected an integer in [2, 100000] (replicates per point and "
        "scenario; two at least, for the Monte-Carlo variance), found 1");
  CHECK(f.error_of("targets = \"targets.toml\"\npoints = 5\n").find("key `points`: expected an integer in [10, "
                                                                    "1000000]") != std::string::npos);
  CHECK(f.error_of("targets = \"targets.toml\"\ncutoff = 0\n").find("key `cutoff`") != std::string::npos);
  CHECK(f.error_of("targets = \"targets.toml\"\n") ==
        "cal.toml: error: key `parameters`: expected a table [parameters] of the fitted model parameters, "
        "\"section.key\" = [low, high], found none");
  CHECK(f.error_of(with_parameters("")) ==
        "cal.toml:2:1: error: key `parameters`: expected a table [parameters] of \"section.key\" = [low, high] (the "
        "uniform prior ranges), found an empty [parameters]");
  CHECK(f.error_of(with_parameters("\"policing.arest_per_contact\" = [0.01, 0.2]\n")) ==
        "cal.toml:3:1: error: key `parameters.policing.arest_per_contact`: expected a model parameter "
        "\"section.key\" (see `harmsim params`), found unknown parameter `policing.arest_per_contact`; did you mean "
        "`policing.arrest_per_contact`?");
  CHECK(f.error_of(with_parameters("\"policy.0.officers\" = [5, 10]\n")) ==
        "cal.toml:3:1: error: key `parameters.policy.0.officers`: expected a model parameter \"section.key\" (see "
        "`harmsim params`), found `policy.0.officers`, a policy's parameter; calibration fits the model's "
        "parameters, which every scenario shares");
  CHECK(f.error_of(with_parameters("\"population.workers\" = [300, 400]\n")) ==
        "cal.toml:3:1: error: key `parameters.population.workers`: expected a parameter that is a number "
        "(calibration fits continuous parameters), found `population.workers`, an integer");
  CHECK(f.error_of(with_parameters("\"policing.arrest_per_contact\" = [0.01, 1.5]\n")) ==
        "cal.toml:3:40: error: key `parameters.policing.arrest_per_contact`: expected a prior range [low, high] "
        "within [0, 1], the parameter's range, found an element 1.5");
  CHECK(f.error_of(with_parameters("\"policing.arrest_per_contact\" = [0.2, 0.1]\n")) ==
        "cal.toml:3:33: error: key `parameters.policing.arrest_per_contact`: expected a prior range [low, high] "
        "with low < high, found [0.2, 0.1]");
  CHECK(f.error_of(with_parameters("\"policing.arrest_per_contact\" = 0.1\n")) ==
        "cal.toml:3:33: error: key `parameters.policing.arrest_per_contact`: expected a prior range [low, high] of "
        "numbers within [0, 1], found 0.1");
  CHECK(f.error_of(with_parameters("\"policing.arrest_per_contact\" = [\"a\", 0.1]\n")) ==
        "cal.toml:3:34: error: key `parameters.policing.arrest_per_contact`: expected a prior range [low, high] of "
        "numbers within [0, 1], found an element the string \"a\"");
  CHECK(f.error_of(with_parameters("\"policing.arrest_per_contact\" = [0.1]\n")) ==
        "cal.toml:3:33: error: key `parameters.policing.arrest_per_contact`: expected a prior range [low, high] of "
        "numbers within [0, 1], found a list");
  // TOML itself.
  CHECK(f.error_of("targets = = 1\n").find("cal.toml:1:11: error: expected valid TOML") == 0);
}

TEST_CASE("a calibration whose prior box breaks a scenario's rules is refused before anything runs", "[calibration]") {
  const CalibrationFixture f;
  // Shares of the population that cannot all be at their high ends at once.
  const std::string message = f.error_of(with_parameters(
      "\"population.share_street\" = [0.3, 0.7]\n\"population.share_venue\" = [0.3, 0.7]\n"));
  INFO(message);
  CHECK(message.find("cal.toml:") == 0);
  CHECK(message.find("with the prior ranges' all high (population.share_street = 0.7, population.share_venue = "
                     "0.7)") != std::string::npos);
}

TEST_CASE("a [points] sweep runs exactly the listed points, each parameter a column", "[sweep][calibration]") {
  ScratchDir dir("points");
  dir.write("city.toml", kCalibrationScenarios);
  const auto sweep = harmsim::io::parse_sweep(R"(base = "city.toml"
replicates = 2
[points]
"encounter.rate_per_day" = [0.5, 1.5, 1.0]
"population.workers" = [300, 500, 400]
)",
                                              "pts.toml", dir.path());
  CHECK(sweep.design == harmsim::io::SweepDesign::Points);
  REQUIRE(sweep.points() == 3);
  CHECK(sweep.values[0] == std::vector<double>{0.5, 300});
  CHECK(sweep.values[1] == std::vector<double>{1.5, 500});
  CHECK(sweep.values[2] == std::vector<double>{1.0, 400});
  CHECK(sweep.point_scenario(1).params.workers == 500);
  CHECK(sweep.stream_name(2) == "baseline/p2");

  // The same points built in code (as calibration does) are the same sweep;
  // another stream prefix is another.
  const auto same = harmsim::io::make_sweep(sweep.base, sweep.parameters, sweep.values,
                                            harmsim::io::SweepDesign::Points, sweep.design_seed);
  CHECK(same.sweep_id == sweep.sweep_id);
  const auto streams = harmsim::io::make_sweep(sweep.base, sweep.parameters, sweep.values,
                                               harmsim::io::SweepDesign::Points, sweep.design_seed, "baseline/w2");
  CHECK(streams.sweep_id != sweep.sweep_id);
  CHECK(streams.stream_name(2) == "baseline/w2/p2");

  auto error_of = [&](std::string_view text) -> std::string {
    try {
      (void)harmsim::io::parse_sweep(text, "pts.toml", dir.path());
    } catch (const ScenarioError& e) {
      return e.what();
    }
    FAIL("no error for:\n" << text);
    return {};
  };
  CHECK(error_of("base = \"city.toml\"\n[points]\n\"encounter.rate_per_day\" = [0.5, 1.5]\n\"population.workers\" = "
                 "[300]\n") ==
        "pts.toml:4:24: error: key `points.population.workers`: expected 2 values, one per point, as "
        "`points.encounter.rate_per_day` has, found 1 value");
  CHECK(error_of("base = \"city.toml\"\n[points]\n\"population.workers\" = [300.5]\n") ==
        "pts.toml:3:25: error: key `points.population.workers`: expected integers in [1, 50000000], found an "
        "element 300.5");
  CHECK(error_of("base = \"city.toml\"\n[points]\n\"population.workers\" = [300]\n[grid]\n\"population.workers\" = "
                 "[300]\n") ==
        "pts.toml:2:1: error: key `points`: expected one design: a [grid], an [lhs] or a [points] table, found "
        "[points] and [grid]; run them as two sweeps");
}

TEST_CASE("the shipped calibration fits number parameters of the model within their ranges to the calibration "
          "targets",
          "[calibration]") {
  const Calibration c = harmsim::io::load_calibration(std::string(HARMSIM_SOURCE_DIR) + "/scenarios/calibration.toml");
  CHECK(c.parameters.size() == 23);
  CHECK_FALSE(c.fitted.empty());
  CHECK_FALSE(c.scenarios.empty());
  for (const auto& p : c.parameters) {
    INFO(p.name);
    CHECK(p.low < p.high);
    CHECK(p.low >= p.spec.min);
    CHECK(p.high <= p.spec.max);
  }
}

TEST_CASE("the defaults of the fitted parameters are the calibration's: their source says so and they lie in "
          "their prior ranges, and no other parameter claims to be calibrated",
          "[calibration][parameters]") {
  const Calibration c = harmsim::io::load_calibration(std::string(HARMSIM_SOURCE_DIR) + "/scenarios/calibration.toml");
  std::set<std::string> fitted;
  const harmsim::model::Params defaults;
  for (const auto& p : c.parameters) fitted.insert(p.name);
  std::size_t calibrated = 0;
  harmsim::model::for_each_param(defaults, [&](const harmsim::core::ParamSpec& s, const auto& v) {
    const std::string name = std::string(s.section) + "." + std::string(s.key);
    INFO(name << ": " << s.source);
    const bool claims = s.source.find("calibrated (scenarios/calibration.toml)") != std::string_view::npos;
    CHECK(claims == (fitted.count(name) == 1));
    using T = std::decay_t<decltype(v)>;
    if constexpr (std::is_arithmetic_v<T> && !std::is_same_v<T, bool>) {
      if (claims) {
        ++calibrated;
        for (const auto& p : c.parameters)
          if (p.name == name) {
            CHECK(static_cast<double>(v) >= p.low);
            CHECK(static_cast<double>(v) <= p.high);
          }
      }
    }
  });
  CHECK(calibrated == c.parameters.size());
}
