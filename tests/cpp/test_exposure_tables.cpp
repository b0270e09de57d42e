// What a replicate hands to the targets (app/evaluate.hpp): the exposure ×
// outcome tables by sector, and the horizon totals of every stratum.
#include <catch2/catch.hpp>

#include <array>
#include <cstdint>

#include "core/rng.hpp"
#include "io/scenario.hpp"
#include "model/simulation.hpp"
#include "policy/policies.hpp"

using namespace harmsim::model;

namespace {

// The default comparison's street-sting scenario, smaller and shorter.
ReplicateResult street_sting_replicate(Simulation*& keep, std::uint64_t replicate) {
  static const auto scenarios =
      harmsim::io::parse_scenarios(harmsim::io::default_comparison(), "compare.toml (embedded default)");
  static harmsim::io::Scenario s = [] {
    for (const auto& one : scenarios)
      if (one.name == "street_stings") return one;
    FAIL("no street_stings in the default comparison");
    return scenarios.front();
  }();
  s.params.workers = 800;
  s.params.buyers = 16000;
  s.params.exploiters = 80;
  s.params.venues = 12;
  s.params.days = 120;
  s.params.warmup_days = 30;
  static const Interventions interventions = harmsim::policy::compile(s.policies, s.params);
  keep = new Simulation(s.params, interventions, harmsim::core::stream_seed(11, "exposure", replicate));
  return keep->run();
}

}  // namespace

TEST_CASE("each sector's exposure tables count that sector's workers active on the last day, every table alike",
          "[exposure]") {
  Simulation* sim = nullptr;
  const ReplicateResult r = street_sting_replicate(sim, 0);
  const std::unique_ptr<Simulation> owned(sim);
  const Workers& ws = sim->world().workers;
  std::array<std::uint64_t, 3> active{};
  for (std::uint32_t w = 0; w < ws.size(); ++w)
    if (ws.hot[w].status == Status::Active) ++active[static_cast<std::size_t>(ws.hot[w].sector)];
  REQUIRE(active[0] > 100);
  REQUIRE(active[1] > 100);
  REQUIRE(active[2] > 100);

  std::uint64_t exposed_street = 0, exposed_elsewhere = 0;
  for (std::size_t k = 0; k < kExposureStrata.size(); ++k) {
    for (std::size_t e = 0; e < kExposures.size(); ++e)
      for (std::size_t o = 0; o < kOutcomes.size(); ++o) {
        INFO("sector " << kExposureStrata[k] << ", " << kExposures[e] << " × " << kOutcomes[o]);
        std::uint64_t n = 0;
        for (std::size_t cell = 0; cell < 4; ++cell) n += r.exposure[exposure_index(k, e, o, cell)];
        CHECK(n == active[k]);
      }
    // Violence by buyers is some of the violence: fewer with it, exposed or not.
    for (std::size_t e = 0; e < kExposures.size(); ++e)
      for (std::size_t cell : {0u, 2u}) {
        CHECK(r.exposure[exposure_index(k, e, 1, cell)] <= r.exposure[exposure_index(k, e, 0, cell)]);
      }
    const std::uint64_t arrested = r.exposure[exposure_index(k, 0, 0, 0)] + r.exposure[exposure_index(k, 0, 0, 1)];
    (k == 0 ? exposed_street : exposed_elsewhere) += arrested;
  }
  // The stings arrest in central street areas, on top of the routine
  // arrests of every sector: a street worker is by far the likeliest to have
  // been arrested.
  CHECK(exposed_street > 10);
  const double street_share = static_cast<double>(exposed_street) / static_cast<double>(active[0]);
  const double other_share = static_cast<double>(exposed_elsewhere) / static_cast<double>(active[1] + active[2]);
  INFO("arrested in 180 days: street " << street_share << ", venue and online " << other_share);
  CHECK(street_share > 3 * other_share);
  // Buyers are most of the perpetrators, but not all.
  std::uint64_t any = 0, by_buyer = 0;
  for (std::size_t k = 0; k < 3; ++k)
    for (std::size_t cell : {0u, 2u}) {
      any += r.exposure[exposure_index(k, 0, 0, cell)];
      by_buyer += r.exposure[exposure_index(k, 0, 1, cell)];
    }
  CHECK(by_buyer > 0);
  CHECK(by_buyer < any);
}

TEST_CASE("the stratum totals are each stratum's horizon sum of a count and mean of a level or share", "[exposure]") {
  Simulation* sim = nullptr;
  const ReplicateResult r = street_sting_replicate(sim, 1);
  const std::unique_ptr<Simulation> owned(sim);
  REQUIRE(r.totals_strata() == r.strata);
  REQUIRE(r.stratum_totals.size() == kMetricCount * r.strata);
  for (std::size_t m = 0; m < kMetricCount; ++m) {
    const auto metric = static_cast<Metric>(m);
    INFO(kMetrics[m].name);
    CHECK(r.stratum_total(metric, 0) == r.totals[m]);  // the same number, to the bit
    for (std::size_t s = 0; s < r.strata; ++s) {
      double sum = 0;
      for (std::size_t d = 0; d < r.days; ++d) sum += r.at(metric, d, s);
      const double expected = kMetrics[m].kind == MetricKind::Count ? sum : sum / static_cast<double>(r.days);
      CHECK(r.stratum_total(metric, s) == Approx(expected).epsilon(1e-12));
    }
  }
  // A worker's count is in "all", her cell and her community: the cells add
  // up to "all", and so do the communities.
  double cells = 0, communities = 0;
  for (std::size_t s = 1; s <= kCellStrata; ++s) cells += r.stratum_total(Metric::violence_buyer, s);
  for (std::size_t s = 1 + kCellStrata; s < r.strata; ++s) communities += r.stratum_total(Metric::violence_buyer, s);
  CHECK(r.stratum_total(Metric::violence_buyer, 0) > 50);
  CHECK(cells == Approx(r.stratum_total(Metric::violence_buyer, 0)));
  CHECK(communities == Approx(r.stratum_total(Metric::violence_buyer, 0)));
}
