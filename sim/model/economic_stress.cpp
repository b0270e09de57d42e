// Economic stress (MODEL.md §3): an independent worker whose 30-day income is
// below need, or who has lost housing or owes fines, may turn to a third party
// to find clients [seed 002]; she becomes controlled by an exploiter.
#include "model/simulation.hpp"

namespace harmsim::model {

void Simulation::economic_stress_step(double t) {
  Workers& ws = world_.workers;
  const Exploiters& ex = world_.exploiters;
  const auto n_exploiters = static_cast<std::uint32_t>(ex.size());
  if (n_exploiters == 0 || p_.control_per_year <= 0.0) return;
  const double daily = p_.control_per_year / 365.0;
  const double stress_income = p_.income_stress_ratio * p_.income_need_30d;
  for (std::uint32_t w = 0; w < ws.size(); ++w) {
    if (ws.hot[w].status != Status::Active || ws.hot[w].exploiter != kNone || ws.hot[w].sector == Sector::Venue) continue;
    // Each source of stress counts once: low income, lost housing, fines owed.
    int stress = (net_income_now(w, t) < stress_income ? 1 : 0) + (ws.has(w, worker_flag::kHousingLost) ? 1 : 0) +
                 (ws.hot[w].fines > 0.0f ? 1 : 0);
    if (stress == 0 || !rng_.bernoulli(daily * stress)) continue;
    // A pimp (not a venue operator) who is not in custody.
    const std::uint32_t e = rng_.below(n_exploiters);
    if (!ex.active[e] || ex.venue[e] != kNone) continue;
    place_under_control(w, e, t);
    count(Metric::controlled_new, w);
  }
}

}  // namespace harmsim::model
