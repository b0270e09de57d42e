// Displacement (MODEL.md §3): street workers in an area whose operation heat
// is above the threshold move away, and routine police contacts move others
// along (policing.cpp); most go to isolated areas "where physical and sexual
// violence become easier" [seed 002; Shannon et al. 2009, AJPH]. They drift
// back home once its heat has decayed below the return threshold. Venue and
// online workers are not displaced by street heat.
#include <algorithm>
#include <cstdint>
#include <vector>

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
  away_.push_back(w);
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
  if (!any_heat && away_.empty()) return;  // nobody is hot and nobody is away: nothing to draw
  // One worker's day: a displaced one may drift home; one in a hot area may
  // be displaced.
  auto step = [&](std::uint32_t w) {
    if (ws.hot[w].sector != Sector::Street || ws.hot[w].status != Status::Active) return;
    const std::uint32_t here = ws.hot[w].area;
    if (here != ws.hot[w].home_area) {
      if (heat_today_[ws.hot[w].home_area] < p_.return_threshold && rng_.bernoulli(p_.return_rate_per_day)) {
        ws.hot[w].area = ws.hot[w].home_area;
        return;
      }
    }
    if (heat_today_[here] <= p_.displacement_threshold || !rng_.bernoulli(p_.displacement_rate_per_day)) return;
    displace(w, t);
  };
  // The workers away from home once the day is done, in index order: the
  // list displace() adds to.
  std::vector<std::uint32_t>& still_away = away_next_;
  still_away.clear();
  if (any_heat) {
    // Anyone may be in a hot area: every worker, in index order.
    for (std::uint32_t w = 0; w < ws.size(); ++w) {
      step(w);
      if (ws.hot[w].area != ws.hot[w].home_area) still_away.push_back(w);
    }
  } else {
    // No area is hot, so only workers away from home draw anything (a
    // return), in the same index order as a pass over everyone would: those
    // displace() put on the list, less those who have come home since (a
    // release, or a new worker in the slot, puts her at home). At a million
    // workers this is most days' pass over a few per cent of them instead of
    // 64 MB of worker records.
    std::sort(away_.begin(), away_.end());
    away_.erase(std::unique(away_.begin(), away_.end()), away_.end());
    for (const std::uint32_t w : away_) {
      if (w >= ws.size() || ws.hot[w].area == ws.hot[w].home_area) continue;
      step(w);
      if (ws.hot[w].area != ws.hot[w].home_area) still_away.push_back(w);
    }
  }
  away_.swap(still_away);
}

}  // namespace harmsim::model
