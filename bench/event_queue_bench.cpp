// Pending-event sets under the classic hold model (docs/performance.md).
//
// A queue is filled with N events; each hold operation then pops the earliest
// event and pushes it back at its time plus a fresh increment. The reported
// time per iteration is the cost of one hold operation (one pop, one push).
//
//   Hold       increments exponential with mean 1. The residual times of the
//              pending events then stay i.i.d. exponential, so a queue
//              prefilled with Exp(1) times is already in the steady state.
//   HoldMixed  increments from a mixture like the model's event stream:
//              exponential with mean 1 (encounters) with probability 0.95,
//              mean 100 (custody, detention, long delays) otherwise. The
//              prefill draws the stationary residuals (a mean-100 event with
//              probability 5/5.95), so this too starts in the steady state.
//
// The candidates are in bench/queues.hpp; all pop in exact (time, push) order.
// Before any benchmark runs, each is checked against the 4-ary heap on the
// same pushes (with continuous and with heavily tied times, a queue that grows
// and shrinks): all must pop the same (time, subject) sequence, each subject
// the number of a push, or the program stops.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "core/rng.hpp"
#include "queues.hpp"

namespace {

using namespace harmsim::bench;

constexpr double kLongShare = 0.05;   // HoldMixed: share of long increments
constexpr double kLongMean = 100.0;   // HoldMixed: their mean

// Increments, drawn once so that every queue sees the same sequence and the
// cost of the RNG is not part of the measurement.
class Increments {
 public:
  Increments(std::uint64_t seed, bool mixed) : values_(kSize) {
    harmsim::core::Rng rng(seed);
    for (double& v : values_)
      v = mixed && rng.bernoulli(kLongShare) ? rng.exponential(1.0 / kLongMean) : rng.exponential(1.0);
  }
  double next() noexcept {
    const double v = values_[i_];
    i_ = (i_ + 1) & (kSize - 1);
    return v;
  }

 private:
  static constexpr std::size_t kSize = std::size_t{1} << 13;  // 64 KiB
  std::vector<double> values_;
  std::size_t i_ = 0;
};

// --- Check: every candidate pops the 4-ary heap's (time, push) sequence -------

template <class Q>
std::vector<Event> trace(std::size_t n, std::size_t holds, double quantum) {
  Increments inc(7, false);
  // With a quantum, times are multiples of it: many ties, broken by the order of pushes.
  auto q_time = [quantum](double t) {
    return quantum > 0 ? quantum * static_cast<double>(static_cast<std::int64_t>(t / quantum)) : t;
  };
  Q q;
  q.reserve(n);
  // Each event's subject is the number of its push, so that (time, subject)
  // tells every event apart.
  std::uint32_t pushes = 0;
  for (std::size_t i = 0; i < n; ++i) q.push(q_time(inc.next()), pushes++);
  std::vector<Event> out;
  out.reserve(holds + n);
  for (std::size_t i = 0; i < holds; ++i) {
    const Event e = q.pop();
    out.push_back(e);
    // Some holds push two events and some none, so the size (and the
    // calendar's bucket count) moves up and down.
    const std::size_t phase = (i / 5000) % 4;
    if (phase != 3 || q.size() < n / 4) q.push(e.time + q_time(inc.next()), pushes++);
    if (phase == 1) q.push(e.time + q_time(inc.next()), pushes++);
  }
  while (q.size() > 0) out.push_back(q.pop());
  return out;
}

template <class Q>
void check_against_reference() {
  for (double quantum : {0.0, 0.05}) {
    const auto expected = trace<FourAryHeap>(2000, 60000, quantum);
    const auto got = trace<Q>(2000, 60000, quantum);
    bool same = expected.size() == got.size();
    for (std::size_t i = 0; same && i < got.size(); ++i)
      same = got[i].time == expected[i].time && got[i].subject == expected[i].subject;
    if (!same) {
      std::fprintf(stderr, "event_queue_bench: %s does not pop in (time, push) order\n", Q::kName);
      std::exit(1);
    }
  }
}

// --- The hold benchmark -------------------------------------------------------

template <class Q>
void BM_Hold(benchmark::State& state, bool mixed) {
  const auto n = static_cast<std::size_t>(state.range(0));
  // Distinct prefill times (not the cycled increments: 10^7 events drawn
  // from 8,192 values would be mostly ties).
  harmsim::core::Rng rng(42);
  const double long_residual = kLongShare * kLongMean / (kLongShare * kLongMean + (1.0 - kLongShare));
  Q q;
  q.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    const bool long_one = mixed && rng.bernoulli(long_residual);
    q.push(rng.exponential(long_one ? 1.0 / kLongMean : 1.0), static_cast<std::uint32_t>(i));
  }
  Increments inc(43, mixed);
  // Untimed warm-up holds: queues that adapt (the calendars re-estimate
  // their bucket width as the prefilled times give way to the hold model's
  // own mixture) settle before the timing starts.
  const std::size_t warmup = std::min<std::size_t>(n, 1'000'000);
  for (std::size_t i = 0; i < warmup; ++i) {
    const Event e = q.pop();
    q.push(e.time + inc.next(), e.subject);
  }
  for (auto _ : state) {
    const Event e = q.pop();
    q.push(e.time + inc.next(), e.subject);
  }
  benchmark::DoNotOptimize(q.size());
  const auto ops = static_cast<double>(state.iterations());
  state.SetItemsProcessed(state.iterations());
  // Seconds per hold operation (the console shows it in ns).
  state.counters["per_hold"] =
      benchmark::Counter(ops, benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  state.counters["queue_size"] = static_cast<double>(n);
}

// Hold operations per size: enough for a stable time, few enough that the
// whole program runs in about a minute. Iterations are fixed (not found by
// --benchmark_min_time) because a 10^7 prefill takes seconds and
// --benchmark_min_time would redo it for every trial run.
struct Size {
  std::int64_t events;
  std::int64_t holds;
};
constexpr Size kSizes[] = {
    {1000, 20'000'000}, {10'000, 10'000'000}, {100'000, 5'000'000}, {1'000'000, 2'000'000}, {10'000'000, 1'000'000}};

constexpr Size kMixedSizes[] = {{10'000, 10'000'000}, {1'000'000, 2'000'000}};

template <class Q>
void register_hold(bool mixed_too) {
  for (const Size& s : kSizes)
    benchmark::RegisterBenchmark((std::string("Hold/") + Q::kName).c_str(), BM_Hold<Q>, false)
        ->Arg(s.events)
        ->Iterations(s.holds)
        ->Unit(benchmark::kNanosecond);
  if (!mixed_too) return;
  for (const Size& s : kMixedSizes)
    benchmark::RegisterBenchmark((std::string("HoldMixed/") + Q::kName).c_str(), BM_Hold<Q>, true)
        ->Arg(s.events)
        ->Iterations(s.holds)
        ->Unit(benchmark::kNanosecond);
}

}  // namespace

int main(int argc, char** argv) {
  check_against_reference<BucketCalendar>();
  check_against_reference<FourAryBranchless>();
  check_against_reference<FourAryLazyPop>();
  check_against_reference<BinaryHeap>();
  check_against_reference<PairingHeap>();
  check_against_reference<Calendar>();
  std::fprintf(stderr, "event_queue_bench: all queues pop the same (time, push) sequence\n");
  register_hold<BucketCalendar>(true);
  register_hold<FourAryHeap>(true);
  register_hold<FourAryBranchless>(false);
  register_hold<FourAryLazyPop>(true);
  register_hold<BinaryHeap>(false);
  register_hold<PairingHeap>(false);
  register_hold<Calendar>(true);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
