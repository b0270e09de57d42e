// Low-barrier outreach (MODEL.md §3, §4): services contact workers where they
// are, before any arrest, up to their daily capacity. Reach is lower in
// isolated areas; a contact builds trust (less so under stigma [seed 003]),
// offers safety planning, exit support and, to someone without housing, a
// chance of housing (Walker et al. 2024), and a victim may disclose, the more
// readily the more she trusts the service.
#include <algorithm>
#include <cmath>

#include "model/simulation.hpp"

namespace harmsim::model {

void Simulation::outreach_step(double t) {
  Workers& ws = world_.workers;
  const auto n = static_cast<std::uint32_t>(ws.size());
  if (n == 0) return;
  const double stigma_now = stigma(t);
  for (const OutreachProgram& prog : iv_.outreach) {
    const double day = std::floor(t - static_cast<double>(p_.warmup_days));
    if (!scheduled_on(prog.start_day, prog.duration_days, prog.repeat_every_days, prog.end_day, day)) continue;
    area_mask_.assign(world_.areas.size(), prog.areas.empty() ? 1 : 0);
    for (std::uint32_t a : prog.areas) area_mask_[a] = 1;
    const double expected = prog.contacts_per_day;
    auto contacts = static_cast<std::uint32_t>(std::floor(expected));
    if (rng_.bernoulli(expected - std::floor(expected))) ++contacts;
    const double gain = prog.trust_gain >= 0 ? prog.trust_gain : p_.trust_gain;
    // Each attempt looks for someone; workers out of reach are not found.
    for (std::uint64_t attempt = 0, made = 0; made < contacts && attempt < 20u * contacts; ++attempt) {
      const std::uint32_t w = rng_.below(n);
      if (ws.hot[w].status != Status::Active || !prog.sectors[static_cast<std::size_t>(ws.hot[w].sector)]) continue;
      if (ws.hot[w].sector != Sector::Online && !area_mask_[ws.hot[w].area]) continue;
      const AreaKind k = world_.areas.kind[ws.hot[w].area];
      const double reach = ws.hot[w].sector == Sector::Online ? 1.0
                           : k == AreaKind::Central      ? 1.0
                           : k == AreaKind::Peripheral   ? p_.reach_peripheral
                                                         : p_.reach_isolated;
      // Whether she takes up the contact depends on her trust.
      if (!rng_.bernoulli(reach * (0.5 + 0.5 * static_cast<double>(ws.trust[w])))) continue;
      ++made;
      count(Metric::outreach_contacts, w);
      ws.trust[w] = std::min(1.0f, ws.trust[w] + static_cast<float>(gain * (1.0 - stigma_now)));
      ws.hot[w].engaged_until = static_cast<float>(t + p_.engaged_days);
      if (ws.has(w, worker_flag::kHousingLost) && rng_.bernoulli(p_.housing_offer)) regain_housing(w);
      if (ws.is_victim(w) &&
          rng_.bernoulli(p_.disclosure * static_cast<double>(ws.trust[w]) * (1.0 - stigma_now)))
        identify_victim(w, Metric::victims_identified_services, t, false);
    }
  }
}

}  // namespace harmsim::model
