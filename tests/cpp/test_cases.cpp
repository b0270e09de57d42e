// The seed cases of MODEL.md §6 reproduce their articles: every target of
// scenarios/targets.toml with use = "case" (the article's figure, with its
// interval) is met by the model's mean over the case file's replicates, as
// `harmsim targets` computes it.
#include <catch2/catch.hpp>

#include <filesystem>
#include <map>

#include "app/evaluate.hpp"
#include "app/runner.hpp"
#include "io/targets.hpp"

using namespace harmsim;

namespace {

void check_case(const std::string& file) {
  const io::TargetsFile targets =
      io::load_targets(std::filesystem::path(HARMSIM_SOURCE_DIR) / "scenarios" / "targets.toml");
  std::size_t checked = 0;
  std::map<std::size_t, std::vector<model::ReplicateResult>> runs;  // by scenario, each run once
  std::vector<const std::vector<model::ReplicateResult>*> results(targets.scenarios.size(), nullptr);
  for (const io::PublishedTarget& t : targets.targets) {
    const io::TargetScenario& where = targets.scenarios.at(t.quantity.scenario);
    if (t.use != io::TargetUse::Case || where.file != file) continue;
    if (runs.count(t.quantity.scenario) == 0) {
      app::RunOptions opts;
      opts.threads = 2;
      runs[t.quantity.scenario] = app::run_scenario(where.scenario, opts, where.scenario.name);
      results[t.quantity.scenario] = &runs[t.quantity.scenario];
    }
    const app::TargetValue v = app::evaluate_target(t, results);
    INFO(t.id << " (" << t.source << "): article " << (t.value ? *t.value : 0.0) << ", interval [" << t.low << ", "
              << t.high << "], model " << v.value);
    CHECK(v.within);
    ++checked;
  }
  CHECK(checked > 0);
}

}  // namespace

TEST_CASE("the Club 907 raid reproduces 81 arrests, one minor, ICE referrals and no deportations with advocacy",
          "[cases]") {
  check_case("cases/club907_2010.toml");
}

TEST_CASE("the Lynwood/Compton sting reproduces 33 arrests and 10 referrals after police screening", "[cases]") {
  check_case("cases/lynwood_compton_2018.toml");
}

TEST_CASE("Operation Reclaim and Rebuild reproduces 339 arrests, about 50 victims identified and 14 minors",
          "[cases]") {
  check_case("cases/reclaim_rebuild_2019.toml");
}

TEST_CASE("the Brooklyn massage-parlor raids reproduce 15 workers arrested", "[cases]") {
  check_case("cases/brooklyn_massage_parlors.toml");
}
