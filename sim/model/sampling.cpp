// Daily sample (MODEL.md §3, §5): the day's counts by stratum, plus the
// levels and shares of the population at the end of the day; and, at the end
// of a run, the exposure × outcome tables among active workers.
#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <iterator>

#include "model/simulation.hpp"

namespace harmsim::model {

namespace {
// The population levels tallied per worker, in this order.
enum Field : std::size_t {
  kActive, kControlled, kVictims, kStreet, kStreetIsolated, kViolence12m, kIncome, kUnhoused, kInDebt,
  kStreetAway, kFields
};
// The levels that are counts: one bit each in a worker's tally (her income is
// summed apart).
constexpr Field kCounted[] = {kActive,      kControlled, kVictims, kStreet,    kStreetIsolated,
                              kViolence12m, kUnhoused,   kInDebt,  kStreetAway};
constexpr std::size_t kCounts = std::size(kCounted);

// Adds bit f of `bits` to row[f] for every f < kCounts: the first eight as
// two 4-lane vector additions (GCC's and Clang's vector extensions), the rest
// one by one: a worker's tally in a few instructions instead of a load, add
// and store per count.
using Lanes = std::uint32_t __attribute__((vector_size(16)));
constexpr std::size_t kLanes = kCounts;
inline void add_bits(std::uint32_t* row, std::uint32_t bits) noexcept {
  constexpr Lanes kLow = {1u, 2u, 4u, 8u};
  constexpr Lanes kHigh = {16u, 32u, 64u, 128u};
  const Lanes all = {bits, bits, bits, bits};
  Lanes low, high;
  std::memcpy(&low, row, sizeof low);
  std::memcpy(&high, row + 4, sizeof high);
  // A lane compares to all ones (-1) where its bit is set: subtracting adds 1.
  low -= reinterpret_cast<Lanes>((all & kLow) != 0);
  high -= reinterpret_cast<Lanes>((all & kHigh) != 0);
  std::memcpy(row, &low, sizeof low);
  std::memcpy(row + 4, &high, sizeof high);
  for (std::size_t f = 8; f < kCounts; ++f) row[f] += (bits >> f) & 1u;
}
static_assert(kCounts >= 8 && kCounts <= 32, "a worker's counts are the bits of a 32-bit word, eight or more");

// The bits a worker's flags alone set (kActive, kVictims, kUnhoused,
// kInDebt), by flags: one load in place of a test and a select for each.
constexpr std::array<std::uint32_t, 256> kBitsOfFlags = [] {
  std::array<std::uint32_t, 256> bits{};
  for (unsigned flags = 0; flags < 256; ++flags)
    bits[flags] = 1u | ((flags & (worker_flag::kMinor | worker_flag::kCoerced)) != 0 ? 4u : 0u) |
                  ((flags & worker_flag::kHousingLost) != 0 ? 64u : 0u) |
                  ((flags & worker_flag::kInDebt) != 0 ? 128u : 0u);
  return bits;
}();
}  // namespace

void Simulation::sample_day(std::size_t report_day, double t) {
  const Workers& ws = world_.workers;
  const std::size_t strata = recorder_.strata();
  const std::size_t communities = recorder_.communities();
  const std::size_t n_pairs = kCellStrata * communities;
  static_assert(kFields == kTallyFields && kLanes == kTallyLanes, "the storage reserved in simulation.cpp");
  // One pass over the workers tallies each field per (cell, community) pair:
  // the counts as integers, a worker adding her bits to her pair's row
  // without a branch or a floating-point dependency from one worker to the
  // next, and incomes as doubles in worker order. The strata ("all", each
  // cell, each community) are sums of those pairs, formed afterwards.
  // Counts go to kTallyCopies copies of the rows in turn, so that two
  // workers in a row of the same pair do not wait on each other's store.
  std::vector<std::uint32_t>& counts = tally_counts_;
  const std::size_t copy_size = n_pairs * kLanes;
  counts.assign(kTallyCopies * copy_size, 0);
  std::vector<double>& pairs = tally_;
  pairs.assign(n_pairs * kFields, 0.0);
  const auto year_ago = static_cast<float>(t - 365.0);
  const double decay = income_decay(t);
  pass_over_workers([&](std::uint32_t w) {
    const WorkerHot& h = ws.hot[w];
    if (h.status != Status::Active) return;
    const bool street = h.sector == Sector::Street;
    const bool isolated = world_.areas.kind[h.area] == AreaKind::Isolated;
    // Away from her usual area: only police move a street worker (displace()),
    // and she is home again once she returns or is released.
    const bool away = h.area != h.home_area;
    const bool violence = h.violence_last >= year_ago;
    // Bit f set: she counts in kCounted[f]. The street worker's bits are
    // masked in, not chosen by a branch on her sector: workers of every
    // sector come in no order, and GCC's branch there mispredicted for a
    // third of them.
    const std::uint32_t street_mask = 0u - static_cast<std::uint32_t>(street);
    const std::uint32_t bits =
        kBitsOfFlags[h.flags] | (h.exploiter != kNone ? 2u : 0u) | (violence ? 32u : 0u) |
        ((8u | (static_cast<std::uint32_t>(isolated) << 4) | (static_cast<std::uint32_t>(away) << 8)) & street_mask);
    const std::size_t pair = pair_of(h);
    add_bits(&counts[(w % kTallyCopies) * copy_size + pair * kLanes], bits);
    pairs[pair * kFields + kIncome] += static_cast<double>(h.income) * decay * keep_share(h);
  });
  for (std::size_t copy = 1; copy < kTallyCopies; ++copy)
    for (std::size_t i = 0; i < copy_size; ++i) counts[i] += counts[copy * copy_size + i];
  for (std::size_t pair = 0; pair < n_pairs; ++pair)
    for (std::size_t f = 0; f < kCounts; ++f)
      pairs[pair * kFields + kCounted[f]] = static_cast<double>(counts[pair * kLanes + f]);
  // By stratum: [field][stratum], after the pairs.
  const std::size_t by_stratum = pairs.size();
  pairs.resize(by_stratum + kFields * strata, 0.0);
  for (std::size_t pair = 0; pair < n_pairs; ++pair) {
    const double* row = &pairs[pair * kFields];
    for (std::size_t f = 0; f < kFields; ++f) {
      double* out = &pairs[by_stratum + f * strata];
      for (const std::size_t s : strata_of_pair(pair, communities)) out[s] += row[f];
    }
  }
  const double* tally = &pairs[by_stratum];
  auto ratio = [](double num, double den) { return den > 0 ? num / den : 0.0; };
  for (std::size_t s = 0; s < strata; ++s) {
    auto field = [&](Field f) { return tally[f * strata + s]; };
    const double active = field(kActive);
    recorder_.set(Metric::workers_active, s, active);
    recorder_.set(Metric::share_controlled, s, ratio(field(kControlled), active));
    recorder_.set(Metric::victims_exploited, s, field(kVictims));
    recorder_.set(Metric::share_isolated, s, ratio(field(kStreetIsolated), field(kStreet)));
    recorder_.set(Metric::share_displaced, s, ratio(field(kStreetAway), field(kStreet)));
    recorder_.set(Metric::violence_12m, s, ratio(field(kViolence12m), active));
    recorder_.set(Metric::income_mean, s, ratio(field(kIncome), active));
    recorder_.set(Metric::share_unhoused, s, ratio(field(kUnhoused), active));
    recorder_.set(Metric::share_in_debt, s, ratio(field(kInDebt), active));
  }
  double exploiters_active = 0;
  for (std::uint8_t a : world_.exploiters.active) exploiters_active += a;
  recorder_.set(Metric::exploiters_active, 0, exploiters_active);
  double venues_open = 0;
  const Venues& venues = world_.venues;
  for (std::uint32_t v = 0; v < venues.size(); ++v) venues_open += t >= venues.closed_until(v) ? 1.0 : 0.0;
  recorder_.set(Metric::venues_open, 0, venues_open);
  recorder_.set(Metric::buyer_demand, 0,
                contacts_today_ > 0 ? 1.0 - static_cast<double>(deterred_today_) / static_cast<double>(contacts_today_)
                                    : 1.0);

  ReplicateResult& out = *out_;
  const std::vector<double>& today = recorder_.today_all();
  for (std::size_t m = 0; m < kMetricCount; ++m)
    for (std::size_t s = 0; s < strata; ++s)
      out.series[(m * out.days + report_day) * strata + s] = static_cast<float>(today[m * strata + s]);
}

void Simulation::record_exposure(double t, ReplicateResult& out) const {
  const Workers& ws = world_.workers;
  const auto since = static_cast<float>(t - p_.window_days);
  out.exposure.fill(0);
  for (std::uint32_t w = 0; w < ws.size(); ++w) {
    if (ws.hot[w].status != Status::Active) continue;
    // Exposures as surveys ask about them: arrested; displaced, or still
    // working away from her usual area because of police (Shannon et al.
    // 2009, AJPH: "working away from main streets"); any repressive police
    // action (arrest, citation, displacement, condoms taken, police violence:
    // Platt et al. 2018).
    const bool away = ws.hot[w].area != ws.hot[w].home_area;
    const bool arrested = ws.last_arrest[w] >= since;
    const bool displaced = ws.last_displaced[w] >= since || away;
    const bool policed = ws.last_policed[w] >= since || away;
    const bool exposures[3] = {arrested, displaced, policed};
    // Violence "from clients or other parties" (Platt et al. 2018): buyers and
    // exploiters; violence by police is part of the exposure.
    const bool violence = std::max(ws.last_violence[static_cast<int>(Perpetrator::Buyer)][w],
                                   ws.last_violence[static_cast<int>(Perpetrator::Exploiter)][w]) >= since;
    const bool by_buyer = ws.last_violence[static_cast<int>(Perpetrator::Buyer)][w] >= since;
    const bool outcomes[3] = {violence, by_buyer, ws.hot[w].last_condomless >= since};
    // Stratified by her sector on the last day (kExposureStrata).
    const auto sector = static_cast<std::size_t>(ws.hot[w].sector);
    for (std::size_t e = 0; e < kExposures.size(); ++e)
      for (std::size_t o = 0; o < kOutcomes.size(); ++o)
        ++out.exposure[exposure_index(sector, e, o, (exposures[e] ? 0 : 2) + (outcomes[o] ? 0 : 1))];
  }
}

}  // namespace harmsim::model
