// Economic stress (MODEL.md §3): an independent worker whose 30-day income is
// below need, or who has lost housing or owes fines, may turn to a third party
// to find clients [seed 002]; she becomes controlled by an exploiter. A worker
// under a pimp leaves him again at a rate of her own once no debt binds her
// (a minor does not), so that third-party control is a state people move in
// and out of, not a trap every stressed worker falls into for good.
#include <algorithm>
#include <cmath>

#include "model/simulation.hpp"

namespace harmsim::model {

void Simulation::economic_stress_step(double t) {
  Workers& ws = world_.workers;
  const Exploiters& ex = world_.exploiters;
  const auto n_exploiters = static_cast<std::uint32_t>(ex.size());
  const double leave = std::min(1.0, p_.leave_control_per_year / 365.0);
  if (leave > 0.0) {
    for_each_candidate(leave, [&](std::uint32_t i) {
      const WorkerHot& h = ws.hot[i];
      if (h.status != Status::Active || h.exploiter == kNone || h.venue != kNone ||
          (h.flags & (worker_flag::kInDebt | worker_flag::kMinor)) != 0)
        return;
      release_from_exploiter(i, t);  // her pimp recruits a replacement
      start_chains(i, t);
    });
  }
  if (n_exploiters == 0 || p_.control_per_year <= 0.0) return;
  const double daily = p_.control_per_year / 365.0;
  const double stress_income = p_.income_stress_ratio * p_.income_need_30d;
  const double decay = income_decay(t);
  // Each source of stress (low income, lost housing, fines owed) adds `daily`
  // to a worker's probability of turning to a third party today, so it is at
  // most 3 × daily: candidates are drawn at that highest probability and
  // kept with probability stress / 3 (for_each_candidate).
  const double highest = std::min(1.0, 3.0 * daily);
  for_each_candidate(highest, [&](std::uint32_t i) {
    const WorkerHot& h = ws.hot[i];
    if (h.status != Status::Active || h.exploiter != kNone || h.sector == Sector::Venue) return;
    const int stress = (static_cast<double>(h.income) * decay < stress_income ? 1 : 0) +
                       ((h.flags & worker_flag::kHousingLost) != 0 ? 1 : 0) + (h.fines > 0.0f ? 1 : 0);
    const double p = std::min(1.0, daily * stress);
    if (p <= 0.0 || !kept_of(p, highest)) return;
    // A pimp (not a venue operator) who is not in custody.
    const std::uint32_t e = rng_.below(n_exploiters);
    if (!ex.active[e] || ex.venue[e] != kNone || !pimp_has_room(e)) return;
    place_under_control(i, e, t);
    count(Metric::controlled_new, i);
  });
}

}  // namespace harmsim::model
