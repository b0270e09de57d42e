// Exit (MODEL.md §3): workers leave the market at a base rate, faster while
// engaged with services; new entrants replace them (recruitment.cpp).
// Exits of victims count as helped only when supported by services.
#include "model/simulation.hpp"

namespace harmsim::model {

void Simulation::exit_step(double t) {
  Workers& ws = world_.workers;
  const double base = p_.exit_per_year / 365.0;
  const double supported = p_.services_exit_per_year / 365.0;
  for (std::uint32_t w = 0; w < ws.size(); ++w) {
    if (ws.hot[w].status != Status::Active) continue;
    const bool with_services = engaged(w, t);
    if (!rng_.bernoulli(with_services ? supported : base)) continue;
    count(Metric::exits, w);
    if (with_services) count(Metric::exits_helped, w);
    remove_worker(w, Status::Exited, t);
  }
}

}  // namespace harmsim::model
