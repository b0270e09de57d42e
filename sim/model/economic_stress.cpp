// Economic stress (MODEL.md §3): an independent worker whose 30-day income is
// below need, or who has lost housing or owes fines, may turn to a third party
// to find clients [seed 002]; she becomes controlled by an exploiter.
#include <algorithm>
#include <cmath>

#include "model/simulation.hpp"

namespace harmsim::model {

void Simulation::economic_stress_step(double t) {
  Workers& ws = world_.workers;
  const Exploiters& ex = world_.exploiters;
  const auto n_exploiters = static_cast<std::uint32_t>(ex.size());
  if (n_exploiters == 0 || p_.control_per_year <= 0.0) return;
  const double daily = p_.control_per_year / 365.0;
  const double stress_income = p_.income_stress_ratio * p_.income_need_30d;
  const double decay = income_decay(t);
  // Each source of stress (low income, lost housing, fines owed) adds `daily`
  // to a worker's probability of turning to a third party today, so it is at
  // most 3 × daily. Candidates are drawn at that highest probability
  // (geometric gaps) and kept with probability stress / 3: the same law as a
  // draw for every worker, with draws for a few workers a day.
  const double highest = std::min(1.0, 3.0 * daily);
  const double log_miss = std::log1p(-highest);
  const std::uint64_t n = ws.size();
  for (std::uint64_t w = rng_.geometric(log_miss); w < n; w += 1 + rng_.geometric(log_miss)) {
    const auto i = static_cast<std::uint32_t>(w);
    const WorkerHot& h = ws.hot[i];
    if (h.status != Status::Active || h.exploiter != kNone || h.sector == Sector::Venue) continue;
    const int stress = (static_cast<double>(h.income) * decay < stress_income ? 1 : 0) +
                       ((h.flags & worker_flag::kHousingLost) != 0 ? 1 : 0) + (h.fines > 0.0f ? 1 : 0);
    const double p = std::min(1.0, daily * stress);
    if (p <= 0.0 || (p < highest && rng_.uniform() * highest >= p)) continue;
    // A pimp (not a venue operator) who is not in custody.
    const std::uint32_t e = rng_.below(n_exploiters);
    if (!ex.active[e] || ex.venue[e] != kNone) continue;
    place_under_control(i, e, t);
    count(Metric::controlled_new, i);
  }
}

}  // namespace harmsim::model
