// The full model (docs/performance.md): one replicate of a scenario of the
// default comparison (scenarios/compare.toml, embedded), at several population
// sizes and horizons.
//
// Populations scale from the defaults (2,000 workers): buyers ×20, exploiters
// ×0.1, venues ×0.015, areas fixed. In the street-sting scenario the policy
// intensity scales with the population too (officers and diversion places per
// worker stay those of compare.toml), so every size runs the same scenario
// per head.
//
// The timed part is Simulation::run() (warm-up and horizon); building the
// replicate (its world, queue and zeroed series) is reported apart
// (build_s). Rows ending in /recycled build each
// replicate on the storage the one before left (model::ReplicateStorage), as
// a thread of `harmsim run` or `harmsim sweep` does, after one untimed
// replicate that fills it: their build_s and run time are a replicate's fixed
// cost without allocation and first touch of its pages. Counters:
//   events_per_s, per_event   over ReplicateResult::events (warm-up included)
//   per_worker_day            run time per worker per simulated day
//   peak_rss_MB               getrusage ru_maxrss: peak of the whole process
//                             so far (sizes run in increasing order)
//   rss_per_worker_B          memory the replicate touched (world, event
//                             queue, recorder, series) per worker: resident
//                             set at the end of the run minus before the
//                             world was built (free memory trimmed first)
//   state_per_worker_B        the workers' own state (Workers, world.hpp):
//                             Workers::bytes_per_worker() × slots / workers
//   allocs_steady             heap allocations from the end of day 2 to the
//                             end of the run (a counting operator new)
#include <benchmark/benchmark.h>
#include <malloc.h>
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "core/rng.hpp"
#include "io/scenario.hpp"
#include "model/simulation.hpp"
#include "policy/policies.hpp"

#include "counting_allocator.hpp"

namespace {

using namespace harmsim;

constexpr std::int64_t kDefaultWorkers = 2000;

const std::vector<io::Scenario>& comparison() {
  static const std::vector<io::Scenario> scenarios =
      io::parse_scenarios(io::default_comparison(), "scenarios/compare.toml");
  return scenarios;
}

const io::Scenario& scenario(const std::string& name) {
  for (const io::Scenario& s : comparison())
    if (s.name == name) return s;
  std::fprintf(stderr, "model_bench: no scenario `%s` in scenarios/compare.toml\n", name.c_str());
  std::exit(1);
}

// The scenario at `workers` workers, with the given horizon.
io::Scenario scaled(const io::Scenario& base, std::int64_t workers, std::int64_t days, std::int64_t warmup) {
  io::Scenario s = base;
  const double scale = static_cast<double>(workers) / static_cast<double>(kDefaultWorkers);
  model::Params& p = s.params;
  p.workers = workers;
  p.buyers = workers * 20;
  p.exploiters = std::max<std::int64_t>(1, workers / 10);
  p.venues = std::max<std::int64_t>(1, std::llround(static_cast<double>(workers) * 0.015));
  p.days = days;
  p.warmup_days = warmup;
  for (policy::Policy& pol : s.policies) {
    if (auto* sting = std::get_if<policy::StreetSting>(&pol)) sting->officers *= scale;
    if (auto* diversion = std::get_if<policy::PostArrestDiversion>(&pol)) diversion->capacity_per_day *= scale;
  }
  return s;
}

// Resident memory of the process now, in bytes (/proc/self/statm).
double resident_bytes() {
  long pages_total = 0, pages_resident = 0;
  if (std::FILE* f = std::fopen("/proc/self/statm", "r")) {
    if (std::fscanf(f, "%ld %ld", &pages_total, &pages_resident) != 2) pages_resident = 0;
    std::fclose(f);
  }
  return static_cast<double>(pages_resident) * static_cast<double>(sysconf(_SC_PAGESIZE));
}

double peak_rss_mb() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_maxrss) / 1024.0;  // ru_maxrss is in KiB on Linux
}


// Snapshots the allocation counter at the end of day 2 and of the run.
struct AllocationWatch {
  std::uint64_t at_day2 = 0, at_end = 0;
  static void hook(void* self, std::int64_t day, std::int64_t total) {
    auto* w = static_cast<AllocationWatch*>(self);
    if (day == 2) w->at_day2 = counting::count();
    if (day == total) w->at_end = counting::count();
  }
};

void BM_Model(benchmark::State& state, const std::string& name, std::int64_t workers, std::int64_t days,
              std::int64_t warmup, bool recycle) {
  const io::Scenario s = scaled(scenario(name), workers, days, warmup);
  const model::Interventions interventions = policy::compile(s.policies, s.params);
  const std::uint64_t seed = core::stream_seed(static_cast<std::uint64_t>(s.params.seed), s.name, 0);
  model::ReplicateStorage storage;
  if (recycle) {
    model::Simulation first(s.params, interventions, seed);
    model::ReplicateResult r = first.run();
    storage = first.take_storage();
    storage.keep(std::move(r));
  }

  std::uint64_t events = 0;
  double run_seconds = 0, build_seconds = 0, rss_added = 0, slots = 0;
  std::uint64_t allocs_steady = 0;
  for (auto _ : state) {
    malloc_trim(0);  // what earlier iterations freed must not hide this one's memory
    const double rss0 = resident_bytes();
    const auto t0 = std::chrono::steady_clock::now();
    model::Simulation sim(s.params, interventions, seed, recycle ? std::move(storage) : model::ReplicateStorage{});
    const auto t1 = std::chrono::steady_clock::now();
    AllocationWatch watch;
    model::ReplicateResult r = sim.run(&AllocationWatch::hook, &watch);
    const auto t2 = std::chrono::steady_clock::now();
    const double run = std::chrono::duration<double>(t2 - t1).count();
    state.SetIterationTime(run);
    run_seconds += run;
    build_seconds += std::chrono::duration<double>(t1 - t0).count();
    events += r.events;
    allocs_steady = std::max(allocs_steady, watch.at_end - watch.at_day2);
    rss_added = std::max(rss_added, resident_bytes() - rss0);
    slots = static_cast<double>(sim.world().workers.size());
    if (recycle) {
      storage = sim.take_storage();
      storage.keep(std::move(r));
    }
  }
  const auto n = static_cast<double>(events);
  const auto w = static_cast<double>(workers);
  const auto iterations = static_cast<double>(state.iterations());
  state.SetItemsProcessed(static_cast<std::int64_t>(events));
  state.counters["events_per_s"] = benchmark::Counter(n, benchmark::Counter::kIsRate);
  state.counters["per_event"] = benchmark::Counter(n, benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  state.counters["events"] = n / iterations;
  state.counters["per_worker_day"] =
      run_seconds / iterations / (w * static_cast<double>(days + warmup));
  state.counters["build_s"] = build_seconds / iterations;
  state.counters["peak_rss_MB"] = peak_rss_mb();
  state.counters["rss_per_worker_B"] = rss_added / w;
  state.counters["state_per_worker_B"] = static_cast<double>(model::Workers::bytes_per_worker()) * slots / w;
  state.counters["allocs_steady"] = static_cast<double>(allocs_steady);
}

struct Case {
  const char* scenario;
  std::int64_t workers, days, warmup;
  bool recycle = false;
};

// In increasing size, so that peak_rss_MB is the peak of the largest case so far.
constexpr Case kCases[] = {
    // The default horizon at the default population.
    {"baseline", 2000, 365, 90},
    {"baseline", 2000, 365, 90, true},
    {"street_stings", 2000, 365, 90},
    // Cost against population: 30 days, no warm-up.
    {"baseline", 2000, 30, 0},
    {"baseline", 2000, 30, 0, true},
    {"baseline", 20'000, 30, 0},
    {"baseline", 100'000, 30, 0},
    {"street_stings", 100'000, 30, 0},
    // Cost against days at 100,000 workers (30 days is above).
    {"baseline", 100'000, 15, 0},
    {"baseline", 100'000, 60, 0},
    // The largest population.
    {"baseline", 1'000'000, 30, 0},
    {"street_stings", 1'000'000, 30, 0},
};

}  // namespace

int main(int argc, char** argv) {
  for (const Case& c : kCases) {
    const std::string label = std::string("Model/") + c.scenario + "/workers:" + std::to_string(c.workers) +
                              "/days:" + std::to_string(c.days) + "/warmup:" + std::to_string(c.warmup) +
                              (c.recycle ? "/recycled" : "");
    benchmark::RegisterBenchmark(label.c_str(), BM_Model, std::string(c.scenario), c.workers, c.days, c.warmup,
                                 c.recycle)
        ->UseManualTime()
        ->Unit(benchmark::kMillisecond);
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
