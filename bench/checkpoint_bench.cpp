// Checkpoint records (docs/performance.md "Checkpoint size"): the unit
// record of one replicate of each scenario of the default comparison
// (scenarios/compare.toml, embedded; its days, warm-up and strata), as
// `harmsim run` keeps it in OUTPUT.work/p<k>/r<r>.unit, encoded (deflated)
// and decoded (inflated and checked); and the first scenario's as a sweep
// keeps it (no series by stratum). The replicate is simulated once per
// scenario, before the timed loop; its run time is reported beside.
//
// Counters:
//   raw_B      the most bytes of the record (CheckpointDir::unit_bytes: the
//              data as they are, what a unit took before records were
//              deflated)
//   stored_B   the bytes of the record as written
//   ratio      raw_B / stored_B
//   run_ms     the replicate's simulation (Simulation::run), for scale
//   share_of_run  the time of one encode (or decode) / run_ms
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <utility>
#include <optional>
#include <string>
#include <vector>

#include "core/rng.hpp"
#include "io/checkpoint.hpp"
#include "io/scenario.hpp"
#include "model/simulation.hpp"
#include "policy/policies.hpp"

namespace {

using namespace harmsim;

const std::vector<io::Scenario>& comparison() {
  static const std::vector<io::Scenario> scenarios =
      io::parse_scenarios(io::default_comparison(), "scenarios/compare.toml");
  return scenarios;
}

struct Unit {
  io::UnitRecord record;
  double run_ms = 0;
};

// Replicate 0 of scenario k, as `harmsim run` records it (every stratum's
// series), or as a sweep does (`per_replicate` false: the daily series of
// stratum "all" and the stratum totals only).
const Unit& unit(std::size_t k, bool per_replicate = true) {
  static std::map<std::pair<std::size_t, bool>, Unit> units;
  if (const auto it = units.find({k, per_replicate}); it != units.end()) return it->second;
  const io::Scenario& s = comparison().at(k);
  const model::Interventions interventions = policy::compile(s.policies, s.params);
  const std::uint64_t seed = core::stream_seed(static_cast<std::uint64_t>(s.params.seed), s.name, 0);
  model::Simulation simulation(s.params, interventions, seed);
  const auto t0 = std::chrono::steady_clock::now();
  model::ReplicateResult result = simulation.run(nullptr, nullptr);
  const auto t1 = std::chrono::steady_clock::now();
  result.replicate = 0;
  Unit u;
  u.record = io::make_unit_record(k, result, per_replicate);
  u.run_ms = std::chrono::duration<double, std::milli>(t1 - t0).count();
  return units.emplace(std::make_pair(k, per_replicate), std::move(u)).first->second;
}

const std::string kId = "0123456789abcdef";

using Clock = std::chrono::steady_clock;

void counters(benchmark::State& state, const Unit& u, std::size_t stored, double seconds) {
  const io::UnitRecord& r = u.record;
  const auto raw = static_cast<double>(io::CheckpointDir::unit_bytes(r.days, r.strata, r.totals_strata));
  state.counters["raw_B"] = raw;
  state.counters["stored_B"] = static_cast<double>(stored);
  state.counters["ratio"] = raw / static_cast<double>(stored);
  state.counters["run_ms"] = u.run_ms;
  state.counters["share_of_run"] = seconds * 1e3 / static_cast<double>(state.iterations()) / u.run_ms;
}

void BM_Encode(benchmark::State& state, std::size_t k, bool per_replicate) {
  const Unit& u = unit(k, per_replicate);
  std::size_t stored = 0;
  double seconds = 0;
  for (auto _ : state) {
    const auto t0 = Clock::now();
    const std::string bytes = io::encode_unit_record(u.record, kId);
    seconds += std::chrono::duration<double>(Clock::now() - t0).count();
    stored = bytes.size();
    benchmark::DoNotOptimize(bytes.data());
  }
  counters(state, u, stored, seconds);
}

void BM_Decode(benchmark::State& state, std::size_t k) {
  const Unit& u = unit(k);
  const std::string bytes = io::encode_unit_record(u.record, kId);
  double seconds = 0;
  for (auto _ : state) {
    const auto t0 = Clock::now();
    std::string problem;
    const std::optional<io::UnitRecord> back =
        io::decode_unit_record(bytes, kId, "run", u.record.point, u.record.replicate, &problem);
    if (!back || back->series != u.record.series) {
      state.SkipWithError(("the record does not decode to itself: " + problem).c_str());
      break;
    }
    seconds += std::chrono::duration<double>(Clock::now() - t0).count();
    benchmark::DoNotOptimize(back->series.data());
  }
  counters(state, u, bytes.size(), seconds);
}

}  // namespace

int main(int argc, char** argv) {
  for (std::size_t k = 0; k < comparison().size(); ++k) {
    const std::string& name = comparison()[k].name;
    benchmark::RegisterBenchmark(("Checkpoint/encode/" + name).c_str(), BM_Encode, k, true)
        ->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark(("Checkpoint/decode/" + name).c_str(), BM_Decode, k)->Unit(benchmark::kMillisecond);
  }
  // A sweep's unit (no --per-replicate): the first scenario's.
  benchmark::RegisterBenchmark(("Checkpoint/encode_sweep_unit/" + comparison()[0].name).c_str(), BM_Encode,
                               std::size_t{0}, false)
      ->Unit(benchmark::kMillisecond);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
