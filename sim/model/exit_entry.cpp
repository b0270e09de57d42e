// Exit (MODEL.md §3): workers leave the market at a base rate, faster while
// engaged with services; new entrants replace them (recruitment.cpp).
// Exits of victims count as helped only when supported by services.
#include <algorithm>
#include <cmath>

#include "model/simulation.hpp"

namespace harmsim::model {

void Simulation::exit_step(double t) {
  Workers& ws = world_.workers;
  const double base = p_.exit_per_year / 365.0;
  const double supported = p_.services_exit_per_year / 365.0;
  // Each active worker leaves today with probability `base`, or `supported`
  // while engaged with services. Rather than a draw for every worker, the
  // gaps between candidates at the higher of the two probabilities are drawn
  // (geometric), and a candidate leaves with probability her own / the
  // higher: the same law, with draws for a few workers a day, not all.
  const double highest = std::min(1.0, std::max(base, supported));
  if (highest <= 0.0) return;
  const double log_miss = std::log1p(-highest);
  const std::uint64_t n = ws.size();
  for (std::uint64_t w = rng_.geometric(log_miss); w < n; w += 1 + rng_.geometric(log_miss)) {
    const auto i = static_cast<std::uint32_t>(w);
    if (ws.hot[i].status != Status::Active) continue;
    const bool with_services = engaged(i, t);
    const double p = with_services ? supported : base;
    if (p < highest && rng_.uniform() * highest >= p) continue;
    count(Metric::exits, i);
    if (with_services) count(Metric::exits_helped, i);
    remove_worker(i, Status::Exited, t);
  }
}

}  // namespace harmsim::model
