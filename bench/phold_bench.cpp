// PHOLD on harmsim's engine core (docs/performance.md): core::EventQueue,
// core::run_until and core::Rng, with nothing of the model.
//
// N logical processes (LPs) start with E events each. Handling an event at
// LP i schedules one new event at time now + lookahead + Exp(mean), at a
// destination drawn uniformly among all LPs with probability `remote`, else
// at i itself. The handler's only other work is to count the event at its LP
// (the standard model: an LP just schedules the next event). One RNG stream
// (core::Rng, mt19937_64) serves every LP, as a replicate of the model has
// one stream: per-LP mt19937_64 streams would cost 5 KB per LP (state and
// output buffer).
//
// The queue holds N × E events at all times, so N × E is the queue size the
// engine works at. Each benchmark iteration advances simulated time by a
// window holding about 16,384 events; counters report events/s and ns/event,
// and the number of heap allocations made inside the timed loop (a counting
// operator new), which must be 0. A configuration is set up and warmed up once;
// the trial runs of Google Benchmark continue the same simulation.
//
// BM_Phold is the engine as it is (core::EventQueue, core::run_until).
// BM_PholdQueue<Q> runs the same model, the same loop and the same RNG draws on
// a candidate queue of bench/queues.hpp, to see what a change of queue would
// give the engine; every queue pops the same events in the same order, so all
// variants simulate exactly the same trajectory.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstdlib>
#include <memory>
#include <vector>

#include "core/engine.hpp"
#include "core/event_queue.hpp"
#include "core/rng.hpp"
#include "queues.hpp"

#include "counting_allocator.hpp"

namespace {

using harmsim::core::Event;
using harmsim::core::EventQueue;
using harmsim::core::Rng;
using harmsim::core::Time;
using namespace harmsim::bench;

constexpr double kMean = 1.0;       // mean of the exponential part of the delay
constexpr double kLookahead = 1.0;  // fixed part of the delay
constexpr double kRemote = 0.25;    // share of events sent to a random LP

void schedule(EventQueue& q, Time t, std::uint32_t lp) { q.push(t, 0, lp); }
template <class Q>
void schedule(Q& q, Time t, std::uint32_t lp) {
  q.push(t, lp);
}

template <class Queue>
struct Phold {
  Queue& queue;
  Rng rng;
  std::uint32_t lps;
  std::vector<std::uint32_t> received;  // per-LP state: events handled

  Phold(Queue& q, std::uint32_t n, std::uint64_t seed) : queue(q), rng(seed), lps(n), received(n, 0) {}

  void handle(const Event& e) {
    ++received[e.subject];
    const Time at = e.time + kLookahead + rng.exponential(1.0 / kMean);
    const std::uint32_t to = rng.uniform() < kRemote ? rng.below(lps) : e.subject;
    schedule(queue, at, to);
  }
};

// The engine's loop (core::run_until) for core::EventQueue, and the same loop
// for the candidates.
template <class Model>
std::uint64_t advance(EventQueue& q, Model& m, Time until) {
  return harmsim::core::run_until(q, m, until);
}
template <class Q, class Model>
std::uint64_t advance(Q& q, Model& m, Time until) {
  std::uint64_t processed = 0;
  while (q.size() > 0 && q.top().time < until) {
    const Event e = q.pop();
    m.handle(e);
    ++processed;
  }
  return processed;
}

template <class Queue>
struct PholdRun {
  std::uint32_t lps, per_lp;
  Queue queue;
  Phold<Queue> model;
  Time now = 0.0;
  Time window = 0.0;

  PholdRun(std::uint32_t n, std::uint32_t e) : lps(n), per_lp(e), model(queue, n, 20181121) {
    const std::size_t pending = std::size_t{n} * e;
    queue.reserve(pending + 1);
    for (std::uint32_t lp = 0; lp < n; ++lp)
      for (std::uint32_t k = 0; k < e; ++k) schedule(queue, model.rng.exponential(1.0 / kMean), lp);
    // Events per unit of simulated time in the steady state: pending / mean delay.
    window = 16384.0 * (kLookahead + kMean) / static_cast<double>(pending);
    // Warm up past the initial transient: ten mean delays, or 400 windows
    // (6.5 million events) for the largest queue.
    while (now < 10.0 * (kLookahead + kMean) && now < 400.0 * window) {
      now += window;
      advance(queue, model, now);
    }
  }
};

// One configuration at a time, kept between the trial runs of a benchmark.
template <class Queue>
PholdRun<Queue>& phold_run(std::uint32_t lps, std::uint32_t per_lp) {
  static std::unique_ptr<PholdRun<Queue>> run;
  if (!run || run->lps != lps || run->per_lp != per_lp) {
    run.reset();
    run = std::make_unique<PholdRun<Queue>>(lps, per_lp);
  }
  return *run;
}

template <class Queue>
void BM_PholdQueue(benchmark::State& state) {
  PholdRun<Queue>& run =
      phold_run<Queue>(static_cast<std::uint32_t>(state.range(0)), static_cast<std::uint32_t>(state.range(1)));
  std::uint64_t events = 0;
  const std::uint64_t allocations_before = harmsim::counting::count();
  for (auto _ : state) {
    run.now += run.window;
    events += advance(run.queue, run.model, run.now);
  }
  const std::uint64_t allocations = harmsim::counting::count() - allocations_before;
  benchmark::DoNotOptimize(run.model.received.data());

  const auto n = static_cast<double>(events);
  state.SetItemsProcessed(static_cast<std::int64_t>(events));
  state.counters["events_per_s"] = benchmark::Counter(n, benchmark::Counter::kIsRate);
  state.counters["per_event"] = benchmark::Counter(n, benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  state.counters["queue_size"] = static_cast<double>(run.queue.size());
  state.counters["allocs_in_loop"] = static_cast<double>(allocations);
}

void BM_Phold(benchmark::State& state) { BM_PholdQueue<EventQueue>(state); }

// The handler's own work without a queue: the same RNG draws and per-LP
// counter as a PHOLD event (1,024 LPs). PHOLD minus this is the queue's share.
void BM_PholdDrawsOnly(benchmark::State& state) {
  constexpr std::uint32_t kLps = 1024;
  Rng rng(20181121);
  std::vector<std::uint32_t> received(kLps, 0);
  std::uint32_t lp = 0;
  Time sum = 0;
  std::uint64_t events = 0;
  for (auto _ : state) {
    for (int i = 0; i < 16384; ++i) {
      ++received[lp];
      sum += kLookahead + rng.exponential(1.0 / kMean);
      lp = rng.uniform() < kRemote ? rng.below(kLps) : lp;
    }
    events += 16384;
  }
  benchmark::DoNotOptimize(sum);
  benchmark::DoNotOptimize(received.data());
  const auto n = static_cast<double>(events);
  state.SetItemsProcessed(static_cast<std::int64_t>(events));
  state.counters["events_per_s"] = benchmark::Counter(n, benchmark::Counter::kIsRate);
  state.counters["per_event"] = benchmark::Counter(n, benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_PholdDrawsOnly)->Unit(benchmark::kMillisecond);

// {LPs, initial events per LP}: the standard configuration (1,024 × 16), a
// sparse one (1 event per LP) and a large one (10^6 LPs, also with 16 each).
void configurations(benchmark::internal::Benchmark* b) {
  b->ArgNames({"lps", "per_lp"})
      ->Args({1024, 16})
      ->Args({1024, 1})
      ->Args({1'000'000, 1})
      ->Args({1'000'000, 16})
      ->Unit(benchmark::kMillisecond);
}
BENCHMARK(BM_Phold)->Apply(configurations);
BENCHMARK_TEMPLATE(BM_PholdQueue, FourAryHeap)->Apply(configurations);
BENCHMARK_TEMPLATE(BM_PholdQueue, FourAryLazyPop)->Apply(configurations);
BENCHMARK_TEMPLATE(BM_PholdQueue, Calendar)->Apply(configurations);

}  // namespace

BENCHMARK_MAIN();
