// Arrest and its consequences (MODEL.md §2, §4): police violence, screening
// for trafficking, referral, immigration detention, jail, fines, housing
// loss, record and lost trust. Routine policing and policies' operations call
// these; no outcome is set by a scenario. Arrests by special operations are
// also counted apart (operation_* metrics), so that a case's operation can be
// compared with its article while everyday policing goes on around it.
#include <algorithm>

#include "model/simulation.hpp"

namespace harmsim::model {

void Simulation::arrest_worker(std::uint32_t w, const Operation& op, double t) {
  Workers& ws = world_.workers;
  count(Metric::arrests_worker, w);
  if (!op.routine) count(Metric::operation_arrests, w);
  ws.arrests[w] = static_cast<std::uint16_t>(std::min<int>(ws.arrests[w] + 1, 65535));
  ws.last_arrest[w] = static_cast<float>(t);
  record_policed(w, t);
  // "Arrests are inherently forceful, violent acts" [seed 002].
  if (rng_.bernoulli(p_.police_violence)) record_violence(w, Perpetrator::Police, t);

  // Screening for trafficking: poor for adults, better for minors [seed 003];
  // at routine arrests better where police are trained in victim-centred
  // practice (RoutineScreening).
  const bool minor = ws.has(w, worker_flag::kMinor);
  if (minor) count(Metric::arrests_minor, w);
  if (minor && !op.routine) count(Metric::operation_arrests_minor, w);
  const bool victim = ws.is_victim(w);
  double adult = op.screening_adult >= 0 ? op.screening_adult : p_.screening_sensitivity_adult;
  const RoutineScreening& trained = iv_.routine_screening;
  if (op.routine && trained.enabled && t >= report_time(trained.start_day) && t < report_time(trained.end_day) &&
      trained.sensitivity_adult >= 0)
    adult = trained.sensitivity_adult;
  const double sensitivity =
      minor ? (op.screening_minor >= 0 ? op.screening_minor : p_.screening_sensitivity_minor) : adult;
  if (victim && rng_.bernoulli(sensitivity)) {
    identify_victim(w, Metric::victims_identified_police, t, !op.routine);
    count(Metric::referrals_post_arrest, w);
    if (!op.routine) count(Metric::operation_referrals, w);
    return;
  }
  if (victim) count(Metric::victims_arrested_missed, w);

  // Post-arrest diversion: only after arrest, within its daily capacity.
  if (diversion_left_ >= 1.0 && rng_.bernoulli(iv_.diversion.offer_share)) {
    diversion_left_ -= 1.0;
    count(Metric::referrals_post_arrest, w);
    if (!op.routine) count(Metric::operation_referrals, w);
    ws.hot[w].status = Status::InServices;
    ws.status_until[w] = static_cast<float>(t + p_.engaged_days);
    ws.hot[w].engaged_until = ws.status_until[w];
    const std::uint16_t gen = ++ws.hot[w].generation;
    queue_.push(ws.status_until[w], static_cast<std::uint16_t>(EventKind::Release), w, gen);
    return;
  }

  ws.trust[w] = std::max(0.0f, ws.trust[w] - static_cast<float>(p_.trust_loss));
  ws.hot[w].fines += static_cast<float>(p_.fine);
  count(Metric::fines_imposed, w, p_.fine);
  if (ws.has(w, worker_flag::kInDebt)) ws.hot[w].debt += static_cast<float>(p_.fine);
  if (!ws.has(w, worker_flag::kHousingLost) && rng_.bernoulli(p_.housing_loss)) {
    lose_housing(w);
    count(Metric::housing_lost, w);
  }
  double until;
  if (ws.has(w, worker_flag::kUndocumented) && rng_.bernoulli(op.ice_cooperation)) {
    count(Metric::ice_referrals, w);
    if (!op.routine) count(Metric::operation_ice_referrals, w);
    ws.hot[w].status = Status::Detained;
    until = t + rng_.exponential(1.0 / p_.detention_days);
    // Detention takes her out of the venue for weeks: the operator hires a
    // replacement as soon as the venue re-opens (the club advertised for
    // dancers within a week [seed 001]); if released she works on her own.
    if (ws.hot[w].venue != kNone) release_from_exploiter(w, t);
  } else {
    const double days = rng_.exponential(1.0 / std::max(1e-9, p_.jail_days));
    count(Metric::jail_days, w, days);
    ws.hot[w].status = Status::Jailed;
    until = t + days;
  }
  ws.status_until[w] = static_cast<float>(until);
  const std::uint16_t gen = ++ws.hot[w].generation;
  queue_.push(until, static_cast<std::uint16_t>(EventKind::Release), w, gen);
}

void Simulation::identify_victim(std::uint32_t w, Metric route, double t, bool by_operation) {
  Workers& ws = world_.workers;
  count(Metric::victims_identified, w);
  count(route, w);
  const bool minor = ws.has(w, worker_flag::kMinor);
  if (minor) count(Metric::minors_identified, w);
  if (by_operation) {
    count(Metric::operation_victims_identified, w);
    if (minor) count(Metric::operation_minors_identified, w);
  }
  ws.hot[w].flags |= worker_flag::kIdentified;
  release_from_exploiter(w, t);
  ws.hot[w].status = Status::InServices;
  ws.status_until[w] = static_cast<float>(t + p_.engaged_days);
  ws.hot[w].engaged_until = ws.status_until[w];
  const std::uint16_t gen = ++ws.hot[w].generation;
  queue_.push(ws.status_until[w], static_cast<std::uint16_t>(EventKind::Release), w, gen);
}

void Simulation::arrest_exploiter(std::uint32_t e, const Operation& op, double t) {
  Exploiters& ex = world_.exploiters;
  if (!ex.active[e]) return;
  count_global(Metric::arrests_exploiter);
  if (!op.routine) count_global(Metric::operation_arrests);
  ex.active[e] = 0;
  const double custody = rng_.exponential(1.0 / p_.custody_days);
  ex.custody_until[e] = static_cast<float>(t + custody);
  queue_.push(t + custody, static_cast<std::uint16_t>(EventKind::CustodyEnd), e);
  const std::uint32_t v = ex.venue[e];
  if (v != kNone) world_.venues.closed_until(v) = std::max(world_.venues.closed_until(v), t + custody);
  // Her workers are free of her. Where the operation looks for victims
  // (investigations [seed 003], trafficking operations [seed 004]) the
  // victims among them are identified and referred without arrest.
  Workers& ws = world_.workers;
  for (std::uint32_t w = 0; w < ws.size() && ex.workers[e] > 0; ++w) {
    if (ws.hot[w].exploiter != e) continue;
    const bool active = ws.hot[w].status == Status::Active;
    if (op.refer_exploited_workers && active && ws.is_victim(w)) {
      identify_victim(w, Metric::victims_identified_investigation, t, !op.routine);
    } else {
      release_from_exploiter(w, t);
      if (active) start_chains(w, t);
    }
  }
}

}  // namespace harmsim::model
