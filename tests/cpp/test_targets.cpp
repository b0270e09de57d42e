// Targets files (io/targets.hpp) and their evaluation (app/evaluate.hpp):
// every mistake in a targets file is one line naming file, line, column,
// key, expected and found; and each kind of quantity gives, on hand-made
// replicates, the value and interval worked out by hand.
#include <catch2/catch.hpp>

#include <cmath>
#include <string>
#include <string_view>
#include <vector>

#include "app/evaluate.hpp"
#include "app/runner.hpp"
#include "io/checkpoint.hpp"
#include "io/targets.hpp"
#include "scratch_dir.hpp"

using harmsim::app::evaluate_targets;
using harmsim::app::TargetValue;
using harmsim::io::parse_targets;
using harmsim::io::ScenarioError;
using harmsim::io::TargetsFile;
using harmsim::model::Metric;
using harmsim::model::ReplicateResult;
using harmsim::test::ScratchDir;

namespace {

// Two scenarios of 100 reported days, with two communities: 39 strata.
constexpr std::string_view kTargetScenarios = R"([simulation]
days = 100
replicates = 3
[population]
communities = 2

[[scenario]]
name = "baseline"

[[scenario]]
name = "sting"
)";

// A scratch directory with the scenario file, and targets files parsed there.
struct TargetsFixture {
  ScratchDir dir{"targets"};
  TargetsFixture() { dir.write("scenarios.toml", kTargetScenarios); }
  [[nodiscard]] TargetsFile parse(std::string_view text) const {
    return parse_targets(text, "targets.toml", dir.path());
  }
  [[nodiscard]] ScenarioError error_of(std::string_view text) const {
    try {
      (void)parse(text);
    } catch (const ScenarioError& e) {
      return e;
    }
    FAIL("no ScenarioError for:\n" << text);
    throw std::logic_error("unreachable");
  }
};

constexpr std::string_view kHeader = "scenarios = \"scenarios.toml\"\n";

// A target with its bookkeeping keys and the quantity lines given.
std::string target(std::string_view id, std::string_view quantity, std::string_view interval = "[0, 1]") {
  return std::string("\n[[target]]\nid = \"") + std::string(id) + "\"\nsource = \"Author et al. 2020\"\n" +
         "use = \"calibration\"\ninterval = " + std::string(interval) + "\n" + std::string(quantity);
}

constexpr std::size_t kTargetStrata = 39;  // all, 36 cells, community/0, community/1
constexpr std::size_t kStreetCentral = 1, kStreetIsolated = 3, kVenueCentral = 13;

ReplicateResult replicate(std::uint64_t r) {
  ReplicateResult rep;
  rep.replicate = r;
  rep.days = 100;
  rep.stratum_totals.assign(harmsim::model::kMetricCount * kTargetStrata, 0.0);
  return rep;
}

void set(ReplicateResult& rep, Metric m, std::size_t stratum, double v) {
  rep.stratum_totals[harmsim::model::index(m) * kTargetStrata + stratum] = v;
}

// The sector tables of a textbook-style example, a, b, c, d each:
//   street 12 28 2 18 (n 60), venue 5 30 4 36 (n 75), online 3 22 4 36 (n 65)
// pooled over sectors: 20 80 10 90. Replicate 0 holds street and venue,
// replicate 1 online, replicate 2 nothing, all for policed_180d ×
// violence_180d.
void put_tables(std::vector<ReplicateResult>& reps) {
  const std::size_t policed = 2, violence = 0;
  const std::array<std::array<std::uint64_t, 4>, 3> sectors = {{{12, 28, 2, 18}, {5, 30, 4, 36}, {3, 22, 4, 36}}};
  for (std::size_t k = 0; k < 3; ++k)
    for (std::size_t c = 0; c < 4; ++c)
      reps[k == 2 ? 1 : 0].exposure[harmsim::model::exposure_index(k, policed, violence, c)] = sectors[k][c];
}

// Hand-made replicates of baseline and sting (see the tests for the numbers).
std::vector<std::vector<ReplicateResult>> hand_made() {
  std::vector<std::vector<ReplicateResult>> out(2);
  const double street_central[3] = {0.2, 0.3, 0.4}, street_isolated[3] = {0.6, 0.5, 0.7};
  const double venue[3] = {0.1, 0.2, 0.25};
  const double all_baseline[3] = {0.4, 0.42, 0.44}, all_sting[3] = {0.5, 0.46, 0.48};
  for (std::uint64_t r = 0; r < 3; ++r) {
    ReplicateResult b = replicate(r);
    set(b, Metric::workers_active, kStreetCentral, 100);
    set(b, Metric::workers_active, kStreetIsolated, 300);
    set(b, Metric::workers_active, kVenueCentral, 200);
    set(b, Metric::violence_12m, kStreetCentral, street_central[r]);
    set(b, Metric::violence_12m, kStreetIsolated, street_isolated[r]);
    set(b, Metric::violence_12m, 2, 0.9);  // a street cell with nobody in it: weight 0
    set(b, Metric::violence_12m, kVenueCentral, venue[r]);
    set(b, Metric::violence_12m, 0, all_baseline[r]);
    set(b, Metric::arrests_worker, kStreetCentral, 30);
    set(b, Metric::arrests_worker, kStreetIsolated, 50 + 20.0 * static_cast<double>(r));
    set(b, Metric::violence_buyer, 0, 200 + 20.0 * static_cast<double>(r));
    out[0].push_back(b);
    ReplicateResult s = replicate(r);
    set(s, Metric::violence_12m, 0, all_sting[r]);
    out[1].push_back(s);
  }
  put_tables(out[0]);
  return out;
}

// The replicates of each scenario the targets name, in their order.
std::vector<const std::vector<ReplicateResult>*> pointers(const TargetsFile& t,
                                                          const std::vector<std::vector<ReplicateResult>>& sets) {
  std::vector<const std::vector<ReplicateResult>*> out;
  for (const auto& s : t.scenarios) out.push_back(&sets.at(s.scenario.name == "baseline" ? 0 : 1));
  return out;
}

}  // namespace

TEST_CASE("a targets file names its scenarios once each and resolves strata, kinds and comparisons", "[targets]") {
  const TargetsFixture f;
  const TargetsFile t = f.parse(
      std::string(kHeader) +
      target("street", "scenario = \"baseline\"\nkind = \"level\"\nmetric = \"violence_12m\"\nstratum = \"sector/street\"") +
      target("change", "scenario = \"sting\"\nkind = \"level\"\nmetric = \"violence_12m\"\ncompare = \"change\"\n"
                       "over = { scenario = \"baseline\" }",
             "[-inf, 0]") +
      target("odds", "scenario = \"sting\"\nkind = \"odds_ratio\"\nexposure = \"policed_180d\"\n"
                     "outcome = \"buyer_violence_180d\"",
             "[1, inf]") +
      target("rate", "scenario = \"baseline\"\nkind = \"rate\"\nmetric = \"arrests_worker\"\nstratum = \"community/1\"\n"
                     "per = \"1000 worker-days\"\ncompare = \"ratio\"\nover = { stratum = \"community/0\" }"));
  REQUIRE(t.scenarios.size() == 2);
  CHECK(t.scenarios[0].scenario.name == "baseline");
  CHECK(t.scenarios[1].scenario.name == "sting");
  CHECK(t.scenarios[0].file == "scenarios.toml");
  REQUIRE(t.targets.size() == 4);

  const auto& street = t.targets[0];
  CHECK(street.quantity.kind == harmsim::io::QuantityKind::Level);
  CHECK(street.quantity.strata == std::vector<std::size_t>{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12});
  CHECK_FALSE(street.value.has_value());

  const auto& change = t.targets[1];
  CHECK(change.compare == harmsim::io::Comparison::Change);
  CHECK(change.quantity.scenario == 1);
  CHECK(change.over.scenario == 0);
  CHECK(change.over.metric == Metric::violence_12m);  // inherited from A
  CHECK(std::isinf(change.low));
  CHECK(harmsim::io::describe_target(t, change) == "violence_12m in all, sting / violence_12m in all, baseline - 1");

  const auto& odds = t.targets[2];
  CHECK(odds.quantity.kind == harmsim::io::QuantityKind::OddsRatio);
  CHECK(odds.quantity.exposure == 2);
  CHECK(odds.quantity.outcome == 1);
  CHECK(odds.quantity.adjust == harmsim::io::OddsAdjustment::Sector);  // the default
  CHECK(odds.quantity.sectors == std::vector<std::size_t>{0, 1, 2});
  CHECK(std::isinf(odds.high));

  const auto& rate = t.targets[3];
  CHECK(rate.quantity.strata == std::vector<std::size_t>{38});
  CHECK(rate.over.strata == std::vector<std::size_t>{37});
  CHECK(rate.over.per == harmsim::io::RateUnit::ThousandWorkerDays);

  // Groups by any component of the cell names.
  CHECK(harmsim::io::stratum_group("minor", 2)->size() == 18);
  CHECK(harmsim::io::stratum_group("area/isolated", 2)->front() == 3);
  CHECK(harmsim::io::stratum_group("venue/undocumented/minor/peripheral", 2) == std::vector<std::size_t>{23});
  CHECK_FALSE(harmsim::io::stratum_group("community/2", 2));
  CHECK_FALSE(harmsim::io::stratum_group("sector/indoor", 2));
}

TEST_CASE("every mistake in a targets file is one line naming file, line, column, key, expected and found",
          "[targets]") {
  const TargetsFixture f;
  const std::string good =
      "scenario = \"baseline\"\nkind = \"level\"\nmetric = \"violence_12m\"";  // lines 7-9 of a first target

  SECTION("a misspelt metric, with the nearest name") {
    const ScenarioError e =
        f.error_of(std::string(kHeader) + target("a", "scenario = \"baseline\"\nkind = \"level\"\nmetric = \"violence_12\""));
    CHECK(std::string(e.what()) ==
          "targets.toml:10:10: error: key `target.metric`: expected a metric name of docs/output.md, found "
          "\"violence_12\"; in target `a`; did you mean `violence_12m`?");
  }
  SECTION("a count where a level is wanted") {
    const ScenarioError e = f.error_of(std::string(kHeader) +
                                       target("a", "scenario = \"baseline\"\nkind = \"level\"\nmetric = \"arrests_worker\""));
    CHECK(std::string(e.what()) ==
          "targets.toml:10:10: error: key `target.metric`: expected a level or share metric for a `level` quantity "
          "(counts are a `rate` or a `total`), found `arrests_worker`, a count; in target `a`");
  }
  SECTION("a scenario that is not in the file") {
    const ScenarioError e = f.error_of(std::string(kHeader) + target("a", "scenario = \"stings\"\nkind = \"level\"\n"
                                                                         "metric = \"violence_12m\""));
    CHECK(e.line == 8);
    CHECK(e.key == "target.scenario");
    CHECK(std::string(e.what()) ==
          "targets.toml:8:12: error: key `target.scenario`: expected one of the scenarios of scenarios.toml: "
          "baseline, sting, found \"stings\"; in target `a`; did you mean `sting`?");
  }
  SECTION("a key of another kind of quantity") {
    const ScenarioError e = f.error_of(std::string(kHeader) + target("a", good + "\nper = \"worker-year\""));
    CHECK(std::string(e.what()) ==
          "targets.toml:11:7: error: key `target.per`: expected a key of a `level` quantity (file, scenario, kind, "
          "metric, stratum), found `per`; in target `a`");
  }
  SECTION("an unknown key inside `over`") {
    const ScenarioError e = f.error_of(std::string(kHeader) +
                                       target("a", good + "\ncompare = \"ratio\"\nover = { stratm = \"minor\" }"));
    CHECK(e.key == "target.over.stratm");
    CHECK(e.line == 12);
    CHECK(e.found == "unknown key `stratm`");
    CHECK(std::string(e.what()).ends_with("; in target `a`; did you mean `stratum`?"));
  }
  SECTION("a stratum group that does not exist") {
    const ScenarioError e = f.error_of(std::string(kHeader) + target("a", good + "\nstratum = \"community/2\""));
    CHECK(e.key == "target.stratum");
    CHECK(e.found == "\"community/2\"");
    CHECK(e.expected.find("community/K (K < 2)") != std::string::npos);
  }
  SECTION("a metric of stratum all only, in a sector") {
    const ScenarioError e = f.error_of(std::string(kHeader) +
                                       target("a", "scenario = \"baseline\"\nkind = \"total\"\nmetric = \"arrests_buyer\"\n"
                                                   "stratum = \"sector/street\""));
    CHECK(e.key == "target.stratum");
    CHECK(e.expected.find("belongs to no worker") != std::string::npos);
  }
  SECTION("`use` other than calibration, validation or case") {
    std::string text = std::string(kHeader) + target("a", good);
    text.replace(text.find("\"calibration\""), 13, "\"calibrate\"");
    const ScenarioError e = f.error_of(text);
    CHECK(std::string(e.what()) == "targets.toml:6:7: error: key `target.use`: expected \"calibration\", "
                                   "\"validation\" or \"case\", found the string \"calibrate\"; in target `a`; did "
                                   "you mean `calibration`?");
  }
  SECTION("an interval the wrong way round, and a value outside it") {
    CHECK(std::string(f.error_of(std::string(kHeader) + target("a", good, "[0.5, 0.2]")).what()) ==
          "targets.toml:7:12: error: key `target.interval`: expected an interval [low, high] of numbers, low <= high "
          "(inf for no bound), found [0.5, 0.2]; in target `a`");
    const ScenarioError e = f.error_of(std::string(kHeader) + target("a", good + "\nvalue = 1.5"));
    CHECK(e.key == "target.value");
    CHECK(e.expected == "a value within the interval [0, 1]");
  }
  SECTION("no source, two targets with one id") {
    std::string text = std::string(kHeader) + target("a", good);
    text.erase(text.find("source = "), std::string("source = \"Author et al. 2020\"\n").size());
    CHECK(f.error_of(text).key == "target.source");
    const ScenarioError twice = f.error_of(std::string(kHeader) + target("a", good) + target("a", good));
    CHECK(twice.key == "target.id");
    CHECK(twice.line == 12);
    CHECK(twice.hint == "the first at line 3");
  }
  SECTION("a scenario file that is not there") {
    const ScenarioError e = f.error_of("scenarios = \"missing.toml\"\n" + target("a", good));
    CHECK(e.line == 1);
    CHECK(e.key == "scenarios");
    CHECK(e.found.find("\"missing.toml\", which is not a readable file") == 0);
  }
  SECTION("an odds ratio in one sector cannot be adjusted for sector, and odds ratios are not compared") {
    const std::string odds = "scenario = \"sting\"\nkind = \"odds_ratio\"\nexposure = \"policed_180d\"\n"
                             "outcome = \"violence_180d\"";
    const ScenarioError one = f.error_of(std::string(kHeader) + target("a", odds + "\nstratum = \"sector/street\""));
    CHECK(one.key == "target.adjust");
    CHECK(one.line == 12);
    const ScenarioError compared = f.error_of(std::string(kHeader) +
                                              target("a", odds + "\ncompare = \"ratio\"\nover = { scenario = \"baseline\" }"));
    CHECK(compared.key == "target.compare");
    CHECK(compared.found == "a comparison of odds ratios");
  }
  SECTION("an unknown top-level key and TOML that does not parse") {
    const ScenarioError e = f.error_of("scenario = \"scenarios.toml\"\n" + target("a", good));
    CHECK(std::string(e.what()) == "targets.toml:1:1: error: key `scenario`: expected a targets-file key (scenarios, "
                                   "description, and [[target]] entries), found unknown key `scenario`; did you mean "
                                   "`scenarios`?");
    CHECK(f.error_of("scenarios = \n").expected == "valid TOML");
  }
}

TEST_CASE("a level over a group of strata is the worker-weighted mean of its cells, with a t interval over replicates",
          "[targets]") {
  const TargetsFixture f;
  const TargetsFile t = f.parse(std::string(kHeader) +
                                target("street", "scenario = \"baseline\"\nkind = \"level\"\nmetric = \"violence_12m\"\n"
                                                 "stratum = \"sector/street\"",
                                       "[0.45, 0.75]"));
  const auto reps = hand_made();
  const TargetValue v = evaluate_targets(t, pointers(t, reps)).at(0);
  // Per replicate: (0.2·100 + 0.6·300) / 400 = 0.5, then 0.45, 0.625 (the
  // empty street cell's 0.9 weighs nothing).
  REQUIRE(v.per_replicate.size() == 3);
  CHECK(v.per_replicate[0] == Approx(0.5));
  CHECK(v.per_replicate[1] == Approx(0.45));
  CHECK(v.per_replicate[2] == Approx(0.625));
  CHECK(v.value == Approx(0.525));
  // sd 0.0901388, t(0.975, 2) = 4.302653: half-width 0.2239171
  CHECK(v.low == Approx(0.525 - 0.22391714738416094));
  CHECK(v.high == Approx(0.525 + 0.22391714738416094));
  CHECK(v.se == Approx(0.0901387818866 / std::sqrt(3.0)));
  CHECK(v.within);
  CHECK(v.problem.empty());
}

TEST_CASE("a rate is a count per worker-year or per 1000 worker-days, and a total may be given per year", "[targets]") {
  const TargetsFixture f;
  const TargetsFile t = f.parse(
      std::string(kHeader) +
      target("year", "scenario = \"baseline\"\nkind = \"rate\"\nmetric = \"arrests_worker\"\nstratum = \"sector/street\"",
             "[0.3, 1.0]") +
      target("days", "scenario = \"baseline\"\nkind = \"rate\"\nmetric = \"arrests_worker\"\nstratum = \"sector/street\"\n"
                     "per = \"1000 worker-days\"",
             "[0, 1]") +
      target("total", "scenario = \"baseline\"\nkind = \"total\"\nmetric = \"violence_buyer\"\nper_year = true",
             "[0, 1000]"));
  const auto reps = hand_made();
  const std::vector<TargetValue> v = evaluate_targets(t, pointers(t, reps));
  // Arrests 80, 100, 120 among 400 workers over 100 days: 400 × 100 / 365
  // worker-years.
  CHECK(v[0].per_replicate[0] == Approx(0.73));
  CHECK(v[0].value == Approx(0.9125));
  CHECK(v[0].high - v[0].value == Approx(0.45335513241148484));
  CHECK(v[0].within);
  CHECK(v[1].value == Approx(2.5));  // 1000 × 100 / 40,000
  CHECK_FALSE(v[1].within);
  CHECK(v[2].per_replicate == std::vector<double>{730, 803, 876});  // 200, 220, 240 × 365 / 100
  CHECK(v[2].value == Approx(803));
  CHECK(v[2].within);
}

TEST_CASE("a sector-adjusted odds ratio is the Mantel-Haenszel ratio of the pooled tables with its RBG interval",
          "[targets]") {
  const TargetsFixture f;
  const std::string odds = "scenario = \"baseline\"\nkind = \"odds_ratio\"\nexposure = \"policed_180d\"\n"
                           "outcome = \"violence_180d\"";
  const TargetsFile t = f.parse(std::string(kHeader) + target("mh", odds, "[1.96, 4.57]") +
                                target("crude", odds + "\nadjust = \"none\"", "[1.96, 4.57]") +
                                target("online", odds + "\nadjust = \"none\"\nstratum = \"sector/online\"", "[0, 10]") +
                                target("buyer", "scenario = \"baseline\"\nkind = \"odds_ratio\"\n"
                                                "exposure = \"policed_180d\"\noutcome = \"buyer_violence_180d\"",
                                       "[0, 10]"));
  const auto reps = hand_made();
  const std::vector<TargetValue> v = evaluate_targets(t, pointers(t, reps));

  // Σ ad/n = 498/65, Σ bc/n = 758/195: OR_MH = 747/379. Robins, Breslow and
  // Greenland: var ln OR_MH = ΣPR/2(ΣR)² + Σ(PS+QR)/2ΣRΣS + ΣQS/2(ΣS)² =
  // 16757698061/89058856410 (worked with fractions; tests/python/test_stats.py).
  const double se = std::sqrt(16757698061.0 / 89058856410.0);
  CHECK(v[0].value == Approx(747.0 / 379.0).epsilon(1e-12));
  CHECK(v[0].low == Approx(747.0 / 379.0 * std::exp(-1.959963984540054 * se)).epsilon(1e-12));
  CHECK(v[0].high == Approx(747.0 / 379.0 * std::exp(1.959963984540054 * se)).epsilon(1e-12));
  CHECK(v[0].low == Approx(0.842263));
  CHECK(v[0].se == Approx(747.0 / 379.0 * se));
  CHECK(v[0].within);  // 1.97 in [1.96, 4.57]
  // Each replicate's own tables: street and venue (6 / 2.5333), online
  // (108/88), none.
  REQUIRE(v[0].per_replicate.size() == 3);
  CHECK(v[0].per_replicate[0] == Approx(6.0 / (56.0 / 60 + 1.6)));
  CHECK(v[0].per_replicate[1] == Approx(108.0 / 88.0));
  CHECK(std::isnan(v[0].per_replicate[2]));

  // Crude: the tables summed over sectors, 20 80 10 90: 2.25, Woolf.
  CHECK(v[1].value == Approx(2.25));
  CHECK(v[1].low == Approx(0.9942948922815062));
  CHECK(v[1].high == Approx(5.091547828817265));
  CHECK(v[2].value == Approx(108.0 / 88.0));
  CHECK(v[2].low == Approx(0.2507397597374514));
  CHECK(v[2].high == Approx(6.007018387050273));

  // No table for buyer violence: nobody anywhere, no ratio.
  CHECK(std::isnan(v[3].value));
  CHECK_FALSE(v[3].within);
  CHECK_FALSE(v[3].problem.empty());
}

TEST_CASE("a share is the part of a sector's workers exposed or with the outcome, per replicate", "[targets]") {
  const TargetsFixture f;
  const std::string street = "scenario = \"baseline\"\nkind = \"share\"\nstratum = \"sector/street\"\n";
  const TargetsFile t = f.parse(std::string(kHeader) + target("exposed", street + "exposure = \"policed_180d\"") +
                                target("outcome", street + "outcome = \"violence_180d\"") +
                                target("all", "scenario = \"baseline\"\nkind = \"share\"\nexposure = \"policed_180d\"") +
                                target("street_over_venue",
                                       street + "outcome = \"violence_180d\"\ncompare = \"ratio\"\n"
                                                "over = { stratum = \"sector/venue\" }",
                                       "[0, 10]"));
  const auto reps = hand_made();
  const std::vector<TargetValue> v = evaluate_targets(t, pointers(t, reps));
  // Street in replicate 0: 12 28 2 18 (exposed 40 of 60, outcome 14 of 60);
  // replicate 1 has online only and replicate 2 nobody: undefined there.
  REQUIRE(v[0].per_replicate.size() == 3);
  CHECK(v[0].per_replicate[0] == Approx(40.0 / 60.0));
  CHECK(v[1].per_replicate[0] == Approx(14.0 / 60.0));
  CHECK(std::isnan(v[0].per_replicate[1]));
  CHECK(std::isnan(v[0].value));  // a replicate without street workers leaves the mean undefined
  CHECK_FALSE(v[0].problem.empty());
  // All sectors in replicate 1: online 3 22 4 36, exposed 25 of 65.
  CHECK(v[2].per_replicate[1] == Approx(25.0 / 65.0));
  // Street against venue: undefined where a replicate has neither.
  CHECK(std::isnan(v[3].value));
  CHECK_FALSE(v[3].problem.empty());
  // With replicate 0 alone, street (outcome 14 of 60) over venue (5 30 4 36:
  // 9 of 75).
  const std::vector<std::vector<ReplicateResult>> first = {{reps[0][0]}, {reps[1][0]}};
  const std::vector<TargetValue> one = evaluate_targets(t, pointers(t, first));
  CHECK(one[3].value == Approx((14.0 / 60.0) / (9.0 / 75.0)));
  CHECK(one[0].value == Approx(40.0 / 60.0));
}

TEST_CASE("a ratio within a scenario pairs its replicates, a change across scenarios treats them as independent",
          "[targets]") {
  const TargetsFixture f;
  const TargetsFile t = f.parse(
      std::string(kHeader) +
      target("street_venue", "scenario = \"baseline\"\nkind = \"level\"\nmetric = \"violence_12m\"\n"
                             "stratum = \"sector/street\"\ncompare = \"ratio\"\nover = { stratum = \"sector/venue\" }",
             "[1, inf]") +
      target("change", "scenario = \"sting\"\nkind = \"level\"\nmetric = \"violence_12m\"\ncompare = \"change\"\n"
                       "over = { scenario = \"baseline\" }",
             "[-inf, 0]"));
  const auto reps = hand_made();
  const std::vector<TargetValue> v = evaluate_targets(t, pointers(t, reps));
  // A = 0.5, 0.45, 0.625; B = the venue cell alone, 0.1, 0.2, 0.25. Paired:
  // var ln = var(A)/nĀ² + var(B)/nB̄² − 2cov(A,B)/nĀB̄, t with 2 degrees of freedom.
  CHECK(v[0].value == Approx(0.525 / (0.55 / 3)));
  CHECK(v[0].low == Approx(1.1893777343323284));
  CHECK(v[0].high == Approx(6.894708877112027));
  CHECK(v[0].se == Approx(0.584794696539983));
  REQUIRE(v[0].per_replicate.size() == 3);
  CHECK(v[0].per_replicate[0] == Approx(5.0));
  CHECK(v[0].per_replicate[1] == Approx(2.25));
  CHECK(v[0].per_replicate[2] == Approx(2.5));
  CHECK(v[0].within);
  // sting 0.5, 0.46, 0.48 against baseline 0.4, 0.42, 0.44: 0.48 / 0.42 − 1,
  // independent streams: Welch–Satterthwaite, 3.93 degrees of freedom.
  CHECK(v[1].value == Approx(0.48 / 0.42 - 1));
  CHECK(v[1].low == Approx(0.0318925146865392));
  CHECK(v[1].high == Approx(0.26575435948031445));
  CHECK(v[1].per_replicate.empty());
  CHECK_FALSE(v[1].within);  // violence rose under the sting
}

TEST_CASE("targets evaluate the same on what a sweep keeps of a replicate as on the whole replicate", "[targets]") {
  ScratchDir dir("targets-run");
  dir.write("small.toml", R"(
[simulation]
days = 40
warmup_days = 10
replicates = 2
seed = 5
[population]
workers = 400
buyers = 8000
exploiters = 40
venues = 6
[[scenario]]
name = "sting"
[[scenario.policy]]
type = "street_sting"
start_day = 0
repeat_every_days = 10
officers = 30
areas = [0, 1]
)");
  const TargetsFile t = parse_targets(
      "scenarios = \"small.toml\"\n" +
          target("a", "kind = \"level\"\nmetric = \"violence_12m\"\nstratum = \"sector/street\"") +
          target("b", "kind = \"rate\"\nmetric = \"violence_buyer\"\nstratum = \"minor\"", "[0, 100]") +
          target("c", "kind = \"odds_ratio\"\nexposure = \"arrested_180d\"\noutcome = \"condomless_180d\"", "[0, 9]") +
          target("d", "kind = \"total\"\nmetric = \"arrests_worker\"\nstratum = \"area/central\"\ncompare = \"ratio\"\n"
                      "over = { stratum = \"all\" }"),
      "t.toml", dir.path());
  harmsim::app::RunOptions opts;
  opts.threads = 1;
  const std::vector<ReplicateResult> whole = harmsim::app::run_scenario(t.scenarios.at(0).scenario, opts, "sting");
  std::vector<ReplicateResult> kept;  // a sweep's unit records: no series
  for (const ReplicateResult& r : whole)
    kept.push_back(harmsim::io::to_replicate_result(harmsim::io::make_unit_record(0, r, false)));
  REQUIRE(kept[0].series.empty());
  const std::vector<TargetValue> a = evaluate_targets(t, {&whole});
  const std::vector<TargetValue> b = evaluate_targets(t, {&kept});
  REQUIRE(a.size() == 4);
  for (std::size_t i = 0; i < a.size(); ++i) {
    INFO("target " << t.targets[i].id);
    CHECK(std::isfinite(a[i].value));
    CHECK(a[i].value == b[i].value);
    CHECK(a[i].low == b[i].low);
    CHECK(a[i].per_replicate.size() == 2);
  }
  CHECK(a[3].value > 0.5);  // the stings arrest in central areas 0 and 1
}

TEST_CASE("the shipped targets file loads, keeps back at least a third of its figures, and cites each", "[targets]") {
  const TargetsFile t = harmsim::io::load_targets(std::filesystem::path(HARMSIM_SOURCE_DIR) / "scenarios/targets.toml");
  REQUIRE(t.targets.size() >= 6);
  std::size_t calibration = 0, validation = 0;
  for (const auto& target : t.targets) {
    INFO(target.id);
    CHECK_FALSE(target.source.empty());
    CHECK_FALSE(target.description.empty());
    calibration += target.use == harmsim::io::TargetUse::Calibration ? 1 : 0;
    validation += target.use == harmsim::io::TargetUse::Validation ? 1 : 0;
    // Calibration and validation use the default comparison; the seed cases their own files.
    const std::string& file = t.scenarios.at(target.quantity.scenario).file;
    if (target.use == harmsim::io::TargetUse::Case) CHECK(file.rfind("cases/", 0) == 0);
    else CHECK(file == "compare.toml");
  }
  REQUIRE(calibration > 0);
  // At least a third of the published figures calibration could use are kept back.
  CHECK(3 * validation >= calibration + validation);
}
