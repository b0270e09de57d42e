// The seed cases of MODEL.md §6 reproduce their articles: every target in
// scenarios/cases/*.toml (the article's figure, with its tolerance) is met by
// the mean over the file's replicates.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>

#include "app/runner.hpp"
#include "io/scenario.hpp"
#include "model/summary.hpp"

using namespace harmsim;

namespace {

double mean_of_target(const io::Target& t, const std::vector<model::ReplicateResult>& reps) {
  std::vector<double> values(reps.size(), 0.0);
  for (const std::string& name : t.metrics()) {
    const auto it = std::find_if(model::kMetrics.begin(), model::kMetrics.end(),
                                 [&](const model::MetricInfo& m) { return m.name == name; });
    REQUIRE(it != model::kMetrics.end());
    const auto m = static_cast<std::size_t>(it - model::kMetrics.begin());
    for (std::size_t r = 0; r < reps.size(); ++r) values[r] += reps[r].totals[m];
  }
  return model::summarize_sample(values).mean;
}

void check_case(const std::string& file) {
  const auto scenarios = io::load_scenarios(std::filesystem::path(HARMSIM_SOURCE_DIR) / "scenarios/cases" / file);
  std::size_t targets = 0;
  for (const io::Scenario& s : scenarios) {
    if (s.targets.empty()) continue;
    app::RunOptions opts;
    opts.threads = 2;
    const auto reps = app::run_scenario(s, opts, s.name);
    for (const io::Target& t : s.targets) {
      const double mean = mean_of_target(t, reps);
      INFO(s.name << ": " << t.metric << " article " << t.value << " model " << mean << " (" << t.source << ")");
      CHECK(t.met_by(mean));
      ++targets;
    }
  }
  CHECK(targets > 0);
}

}  // namespace

TEST_CASE("the Club 907 raid reproduces 81 arrests, one minor, ICE referrals and no deportations with advocacy",
          "[cases]") {
  check_case("club907_2010.toml");
}

TEST_CASE("the Lynwood/Compton sting reproduces 33 arrests and 10 referrals after police screening", "[cases]") {
  check_case("lynwood_compton_2018.toml");
}

TEST_CASE("Operation Reclaim and Rebuild reproduces 339 arrests, about 50 victims identified and 14 minors",
          "[cases]") {
  check_case("reclaim_rebuild_2019.toml");
}

TEST_CASE("the Brooklyn massage-parlor raids reproduce 15 workers arrested", "[cases]") {
  check_case("brooklyn_massage_parlors.toml");
}
