// Exit (MODEL.md §3): workers leave the market at a base rate, faster while
// engaged with services (Gaines et al. 2015); a worker held by a debt cannot
// leave until it is repaid [seed 000]. New entrants arrive as supply follows
// demand (recruitment.cpp). Exits while engaged with services count as helped.
#include <algorithm>
#include <cmath>

#include "model/simulation.hpp"

namespace harmsim::model {

void Simulation::exit_step(double t) {
  Workers& ws = world_.workers;
  const double base = p_.exit_per_year / 365.0;
  const double supported = p_.services_exit_per_year / 365.0;
  // Each active worker leaves today with probability `base`, or `supported`
  // while engaged with services (for_each_candidate: draws for a few workers
  // a day, not all).
  const double highest = std::min(1.0, std::max(base, supported));
  if (highest <= 0.0) return;
  for_each_candidate(highest, [&](std::uint32_t i) {
    if (ws.hot[i].status != Status::Active || (ws.hot[i].flags & worker_flag::kInDebt) != 0) return;
    const bool with_services = engaged(i, t);
    if (!kept_of(with_services ? supported : base, highest)) return;
    count(Metric::exits, i);
    if (with_services) count(Metric::exits_helped, i);
    remove_worker(i, Status::Exited, t);
  });
}

}  // namespace harmsim::model
