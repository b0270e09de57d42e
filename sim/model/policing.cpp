// Routine policing (MODEL.md §7): the everyday enforcement of a criminalised
// market, in every scenario, before any special operation. Police meet
// street workers on patrol, inspect venues and check online advertisements,
// at rates by sector and area, more often where a worker has no housing and
// is more visible (Walker et al. 2024) or is known to police from a recent
// arrest. A contact makes her wary, rushing negotiations for a while
// [seed 002], and may end in an arrest (with
// all its consequences, arrest.cpp), a citation, a move-along that displaces
// a street worker, her condoms taken, or police violence and sexual coercion
// (Footer et al. 2019; Platt et al. 2018). Decriminalisation and end-demand
// laws change what a contact can do (docs/policies.md).
#include <algorithm>

#include "model/simulation.hpp"

namespace harmsim::model {

void Simulation::policing_step(double t) {
  Workers& ws = world_.workers;
  const Areas& areas = world_.areas;
  const double rates[3] = {p_.contacts_per_year_street, p_.contacts_per_year_venue, p_.contacts_per_year_online};
  const double policy = decriminalized(t) ? iv_.decriminalization.police_contact_share : 1.0;
  double highest_area = 0.0;
  for (double patrol : areas.patrol) highest_area = std::max(highest_area, patrol);
  const double highest_rate = std::max({rates[0] * highest_area, rates[1] * highest_area, rates[2]}) *
                              p_.unhoused_multiplier * p_.known_multiplier * p_.drug_use_multiplier * policy;
  const auto year_ago = static_cast<float>(t - 365.0);
  const double highest = std::min(1.0, highest_rate / 365.0);
  if (highest <= 0.0) return;
  for_each_candidate(highest, [&](std::uint32_t i) {
    const WorkerHot& h = ws.hot[i];
    if (h.status != Status::Active) return;
    double rate = rates[static_cast<int>(h.sector)] * policy;
    if (h.sector != Sector::Online) rate *= areas.patrol[h.area];
    if ((h.flags & worker_flag::kHousingLost) != 0) rate *= p_.unhoused_multiplier;
    if (ws.last_arrest[i] >= year_ago) rate *= p_.known_multiplier;
    if ((h.traits & worker_trait::kDrugUse) != 0) rate *= p_.drug_use_multiplier;
    if (!kept_of(std::min(1.0, rate / 365.0), highest)) return;
    police_contact(i, t);
  });
}

void Simulation::police_contact(std::uint32_t w, double t) {
  Workers& ws = world_.workers;
  count(Metric::police_contacts, w);
  // Seen by police, she rushes her negotiations for a while (not where
  // selling is no crime).
  if (p_.wary_days > 0.0 && !decriminalized(t)) {
    ws.hot[w].flags |= worker_flag::kWary;
    ws.hot[w].wary_until = std::max(ws.hot[w].wary_until, static_cast<float>(t + p_.wary_days));
  }
  if (decriminalized(t)) {
    // No arrest, citation or move-along; abuse of power is rarer without the
    // threat of arrest, not gone (Decker et al. 2015).
    if (rng_.bernoulli(p_.coercion_per_contact * iv_.decriminalization.police_coercion_share)) {
      record_violence(w, Perpetrator::Police, t);
      record_policed(w, t);
    }
    return;
  }
  if (end_demand(t)) {
    // Police look for buyers instead: an arrest of one of the area's buyers
    // raises the perceived risk of the others (their demand falls, and they
    // rush negotiations: Krüsi et al. 2014).
    if (rng_.bernoulli(iv_.end_demand.buyer_arrest_per_contact)) {
      count_global(Metric::arrests_buyer);
      const WorkerHot& h = ws.hot[w];
      const Buyers& buyers = world_.buyers;
      if (h.sector == Sector::Online)
        add_online_buyer_risk(
            p_.buyer_deterrence_gain * 1000.0 / buyers.segment_size[buyers.segment_of(Sector::Online, 0)], t);
      else
        add_area_buyer_risk(h.area, p_.buyer_deterrence_gain * 1000.0 / area_buyers(h.area), t);
    }
  } else {
    if (rng_.bernoulli(p_.arrest_per_contact)) {
      arrest_worker(w, routine_op_, t);
      return;
    }
    if (rng_.bernoulli(p_.citation_per_contact)) cite_worker(w, t);
  }
  // What police do on a contact whether or not selling is the crime: move
  // street workers along, take condoms, abuse their power.
  if (ws.hot[w].sector == Sector::Street && rng_.bernoulli(p_.move_along_per_contact)) displace(w, t);
  if (rng_.bernoulli(p_.condom_confiscation_per_contact)) take_condoms(w, t);
  if (rng_.bernoulli(p_.coercion_per_contact)) {
    record_violence(w, Perpetrator::Police, t);
    record_policed(w, t);
  }
}

void Simulation::cite_worker(std::uint32_t w, double t) {
  Workers& ws = world_.workers;
  count(Metric::citations, w);
  record_policed(w, t);
  ws.hot[w].fines += static_cast<float>(p_.fine);
  count(Metric::fines_imposed, w, p_.fine);
  if ((ws.hot[w].flags & worker_flag::kInDebt) != 0) ws.hot[w].debt += static_cast<float>(p_.fine);
  ws.trust[w] = std::max(0.0f, ws.trust[w] - static_cast<float>(p_.trust_loss));
}

void Simulation::take_condoms(std::uint32_t w, double t) {
  Workers& ws = world_.workers;
  count(Metric::condoms_taken, w);
  record_policed(w, t);
  ws.hot[w].flags |= worker_flag::kNoCondoms;
  ws.hot[w].condoms_back = static_cast<float>(t + p_.condom_gap_days);
}

}  // namespace harmsim::model
