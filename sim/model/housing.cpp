// Housing (MODEL.md §2): workers lose housing at a background rate (higher
// among street workers and those who use drugs daily; Duff et al. 2011) and
// through arrests (arrest.cpp),
// and find it again at a rate of their own (Walker et al. 2024); outreach can
// house someone (outreach.cpp). Without housing a worker is more visible to
// police (policing.cpp) and has no indoor place to work (encounter.cpp).
#include <algorithm>

#include "model/simulation.hpp"

namespace harmsim::model {

void Simulation::lose_housing(std::uint32_t w) { world_.workers.hot[w].flags |= worker_flag::kHousingLost; }

void Simulation::regain_housing(std::uint32_t w) {
  world_.workers.hot[w].flags &= static_cast<std::uint8_t>(~worker_flag::kHousingLost);
  count(Metric::housing_regained, w);
}

void Simulation::housing_step(double t) {
  (void)t;
  Workers& ws = world_.workers;
  const double loss_street = p_.loss_per_year_street / 365.0, loss_other = p_.loss_per_year_other / 365.0;
  const double regain = p_.regain_per_year / 365.0;
  const double highest =
      std::min(1.0, std::max({loss_street * p_.drug_use_loss_multiplier, loss_other * p_.drug_use_loss_multiplier, regain}));
  if (highest <= 0.0) return;
  for_each_candidate(highest, [&](std::uint32_t i) {
    const WorkerHot& h = ws.hot[i];
    if (h.status != Status::Active) return;
    if ((h.flags & worker_flag::kHousingLost) != 0) {
      if (kept_of(regain, highest)) regain_housing(i);
    } else if (kept_of(std::min(highest, (h.sector == Sector::Street ? loss_street : loss_other) *
                                             ((h.traits & worker_trait::kDrugUse) != 0 ? p_.drug_use_loss_multiplier : 1.0)),
                       highest)) {
      lose_housing(i);
    }
  });
}

}  // namespace harmsim::model
