// Displacement (MODEL.md §3): street workers in an area whose operation heat
// is above the threshold move away, and routine police contacts move others
// along (policing.cpp); most go to isolated areas "where physical and sexual
// violence become easier" [seed 002; Shannon et al. 2009, AJPH]. They drift
// back home once its heat has decayed below the return threshold. Venue and
// online workers are not displaced by street heat.
#include "model/simulation.hpp"

namespace harmsim::model {

bool Simulation::displace(std::uint32_t w, double t) {
  Workers& ws = world_.workers;
  const Areas& areas = world_.areas;
  const auto& isolated = areas.of_kind[static_cast<int>(AreaKind::Isolated)];
  const auto& peripheral = areas.of_kind[static_cast<int>(AreaKind::Peripheral)];
  const bool to_isolated = !isolated.empty() && (peripheral.empty() || rng_.bernoulli(p_.isolated_destination_share));
  const auto& destinations = to_isolated ? isolated : peripheral;
  if (destinations.empty()) return false;
  const std::uint32_t here = ws.hot[w].area;
  const auto n = static_cast<std::uint32_t>(destinations.size());
  std::uint32_t pick = rng_.below(n);
  if (destinations[pick] == here) {
    if (n == 1) return false;  // nowhere else of that kind
    pick = (pick + 1 + rng_.below(n - 1)) % n;  // another area of the kind, each equally likely
  }
  const AreaId dest = destinations[pick];
  if (area_heat(dest, t) > p_.displacement_threshold) return false;
  ws.hot[w].area = dest;
  ws.last_displaced[w] = static_cast<float>(t);
  record_policed(w, t);
  displaced_any_ = true;
  count(Metric::displacements, w);
  return true;
}

void Simulation::displacement_step(double t) {
  Workers& ws = world_.workers;
  const Areas& areas = world_.areas;
  // Heat of every area once per day, not once per worker.
  heat_today_.resize(areas.size());
  bool any_heat = false;
  for (std::uint32_t a = 0; a < areas.size(); ++a) {
    heat_today_[a] = area_heat(a, t);
    any_heat = any_heat || heat_today_[a] > p_.displacement_threshold;
  }
  if (!any_heat && !displaced_any_) return;
  displaced_any_ = false;
  for (std::uint32_t w = 0; w < ws.size(); ++w) {
    if (ws.hot[w].sector != Sector::Street || ws.hot[w].status != Status::Active) continue;
    const std::uint32_t here = ws.hot[w].area;
    if (here != ws.home_area[w]) {
      displaced_any_ = true;
      if (heat_today_[ws.home_area[w]] < p_.return_threshold && rng_.bernoulli(p_.return_rate_per_day)) {
        ws.hot[w].area = ws.home_area[w];
        continue;
      }
    }
    if (heat_today_[here] <= p_.displacement_threshold || !rng_.bernoulli(p_.displacement_rate_per_day)) continue;
    displace(w, t);
  }
}

}  // namespace harmsim::model
