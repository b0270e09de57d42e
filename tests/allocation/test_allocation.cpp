// No allocation in the steady-state event loop (DESIGN.md, "Performance"):
// this program replaces the global operator new with one that counts, and
// checks that the event queue and the full model allocate nothing once they
// have grown to their working size. It is a program of its own so that the
// counting allocator sees only what these tests do (its main() is Catch2's,
// from libCatch2WithMain: tests/CMakeLists.txt).
#include <catch2/catch.hpp>

#include <cstdint>
#include <cstdlib>
#include <string>

#include "counting_allocator.hpp"  // bench/
#include "core/event_queue.hpp"
#include "core/rng.hpp"
#include "io/scenario.hpp"
#include "model/simulation.hpp"
#include "policy/policies.hpp"

namespace {
std::uint64_t allocations() { return harmsim::counting::count(); }
}  // namespace

using harmsim::core::Event;
using harmsim::core::EventQueue;
using harmsim::core::Rng;

TEST_CASE("the counting allocator counts", "[allocation]") {
  const std::uint64_t before = allocations();
  auto* p = new std::string(100, 'x');  // too long for the small-string buffer: two allocations
  delete p;
  CHECK(allocations() - before == 2);
}

TEST_CASE("the event queue allocates nothing in a steady-state hold loop, at every size", "[allocation]") {
  for (std::size_t size : {100, 10'000, 1'000'000}) {
    EventQueue q(size);
    Rng rng(7);
    for (std::uint32_t i = 0; i < size; ++i) q.push(rng.exponential(1.0), 0, i);
    // The classic hold, with now and then a long delay (into the far-future
    // heap): a warm-up in which the calendar settles its geometry, then the
    // steady state.
    auto hold = [&](std::size_t holds) {
      for (std::size_t i = 0; i < holds; ++i) {
        const Event e = q.pop();
        q.push(e.time + (rng.bernoulli(0.01) ? 50.0 : 1.0) * rng.exponential(1.0), 0, e.subject);
      }
    };
    hold(20 * size + 100'000);
    const std::uint64_t before = allocations();
    hold(20 * size + 100'000);
    const std::uint64_t made = allocations() - before;  // before INFO, which allocates
    INFO("queue of " << size << " events");
    CHECK(made == 0);
  }
}

namespace {
struct Watch {
  std::uint64_t at_day3 = 0, at_end = 0;
  static void hook(void* self, std::int64_t day, std::int64_t total) {
    auto* w = static_cast<Watch*>(self);
    if (day == 3) w->at_day3 = allocations();
    if (day == total) w->at_end = allocations();
  }
};
}  // namespace

TEST_CASE("a replicate of every scenario of the default comparison allocates nothing after its third day",
          "[allocation]") {
  const auto scenarios =
      harmsim::io::parse_scenarios(harmsim::io::default_comparison(), "compare.toml (embedded default)");
  REQUIRE(scenarios.size() >= 7);
  for (const auto& s : scenarios) {
    const auto interventions = harmsim::policy::compile(s.policies, s.params);
    harmsim::model::Simulation sim(s.params, interventions,
                                   harmsim::core::stream_seed(static_cast<std::uint64_t>(s.params.seed), s.name, 0));
    Watch watch;
    const auto result = sim.run(&Watch::hook, &watch);
    INFO("scenario " << s.name << ": " << result.events << " events");
    REQUIRE(result.events > 100'000);
    CHECK(watch.at_end - watch.at_day3 == 0);  // counted within run(), before INFO
  }
}

TEST_CASE("larger populations allocate nothing after their third day either", "[allocation]") {
  // The event queue picks a different geometry at every size, and corrects
  // its bucket width as the event density settles: that must not allocate.
  const auto scenarios =
      harmsim::io::parse_scenarios(harmsim::io::default_comparison(), "compare.toml (embedded default)");
  for (const auto& base : scenarios) {
    if (base.name != "baseline" && base.name != "street_stings") continue;
    for (std::int64_t workers : {20'000, 60'000}) {
      harmsim::io::Scenario s = base;
      s.params.workers = workers;
      s.params.buyers = 20 * workers;
      s.params.exploiters = workers / 10;
      s.params.venues = workers * 15 / 1000;
      s.params.days = 30;
      s.params.warmup_days = 0;
      const auto interventions = harmsim::policy::compile(s.policies, s.params);
      harmsim::model::Simulation sim(s.params, interventions, harmsim::core::stream_seed(7, s.name, 0));
      Watch watch;
      const auto result = sim.run(&Watch::hook, &watch);
      INFO("scenario " << s.name << " at " << workers << " workers: " << result.events << " events");
      CHECK(watch.at_end - watch.at_day3 == 0);
    }
  }
}
