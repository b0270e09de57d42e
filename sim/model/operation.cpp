// Operation days (MODEL.md §3, §4): police operations created by policies
// arrest workers, buyers and exploiters in their targets, raid venues, or
// investigate exploiters, and raise police heat where they work.
#include <algorithm>
#include <cmath>

#include "model/simulation.hpp"

namespace harmsim::model {

namespace {

// The first report day >= from on which the operation works, or +inf.
double next_operation_day(const Operation& op, double from) {
  const double start = std::ceil(op.start_day);
  double d = std::max(std::ceil(from), start);
  if (op.repeat_every_days <= 0.0) {
    if (d >= start + op.duration_days) return kForever;
  } else {
    const double k = std::floor((d - start) / op.repeat_every_days);
    const double offset = d - start - k * op.repeat_every_days;
    if (offset >= op.duration_days) d = start + (k + 1) * op.repeat_every_days;
  }
  return d < op.end_day ? d : kForever;
}

// Draws how many of an expected number happen: the integer part surely, the
// fraction with its probability (so 70 officers × 0.4714 = 33 arrests).
std::uint32_t draw_count(core::Rng& rng, double expected) {
  const double whole = std::floor(expected);
  return static_cast<std::uint32_t>(whole) + (rng.bernoulli(expected - whole) ? 1u : 0u);
}

}  // namespace

void Simulation::schedule_operation(std::uint32_t op, double after_day) {
  const double d = next_operation_day(iv_.operations[op], after_day);
  if (d >= static_cast<double>(p_.days)) return;
  // Operations work in the middle of the day.
  queue_.push(report_time(d) + 0.5, static_cast<std::uint16_t>(EventKind::OperationDay), op);
}

void Simulation::on_operation_day(std::uint32_t index, double t) {
  const Operation& op = iv_.operations[index];
  const double report_day = std::floor(t - static_cast<double>(p_.warmup_days));
  schedule_operation(index, report_day + 1.0);
  // Under decriminalisation neither selling nor buying is a crime; under an
  // end-demand law buying is and selling is not.
  const bool decrim = decriminalized(t);
  const bool workers_criminalized = !decrim && !end_demand(t);
  Workers& ws = world_.workers;
  Exploiters& ex = world_.exploiters;

  // Heat where the operation works (a raid heats only its venues' areas, below).
  const bool street_or_venue = op.sectors[0] || op.sectors[1];
  if (op.heat_per_day > 0.0 && op.kind != OperationKind::VenueRaid) {
    if (street_or_venue) {
      if (op.areas.empty())
        for (std::uint32_t a = 0; a < world_.areas.size(); ++a) add_area_heat(a, op.heat_per_day, t);
      else
        for (std::uint32_t a : op.areas) add_area_heat(a, op.heat_per_day, t);
    }
    if (op.sectors[2]) add_online_heat(op.heat_per_day, t);
  }
  // Bots texting buyers and decoys raise the perceived risk of the buyers of
  // the places the operation works.
  auto raise_buyer_risk = [&](double amount) {
    if (street_or_venue) {
      if (op.areas.empty())
        for (std::uint32_t a = 0; a < world_.areas.size(); ++a) add_area_buyer_risk(a, amount, t);
      else
        for (std::uint32_t a : op.areas) add_area_buyer_risk(a, amount, t);
    }
    if (op.sectors[2]) add_online_buyer_risk(amount, t);
  };
  if (op.buyer_risk_per_day > 0.0) raise_buyer_risk(op.buyer_risk_per_day);

  if (op.kind == OperationKind::VenueRaid) {
    Venues& venues = world_.venues;
    std::vector<std::uint32_t>& targets = scratch_;
    targets.clear();
    if (!op.venues.empty()) {
      targets.assign(op.venues.begin(), op.venues.end());
    } else {
      for (std::uint32_t v = 0; v < venues.size(); ++v)
        if (t >= venues.closed_until(v) && venues.workers[v] > 0) targets.push_back(v);
      const std::size_t n = std::min<std::size_t>(op.venue_count, targets.size());
      std::partial_sort(targets.begin(), targets.begin() + static_cast<std::ptrdiff_t>(n), targets.end(),
                        [&](std::uint32_t a, std::uint32_t b) {
                          return venues.workers[a] != venues.workers[b] ? venues.workers[a] > venues.workers[b]
                                                                        : a < b;
                        });
      targets.resize(n);
    }
    for (std::uint32_t v : targets) {
      if (t < venues.closed_until(v)) continue;
      // Buyers present are sent home; the workers present are arrested
      // (Club 907 [seed 000]).
      if (workers_criminalized) {
        for (std::uint32_t w = 0; w < ws.size(); ++w)
          if (ws.hot[w].venue == v && ws.hot[w].status == Status::Active && rng_.bernoulli(op.arrest_share_present))
            arrest_worker(w, op, t);
      }
      venues.closed_until(v) = t + rng_.exponential(1.0 / p_.reopen_days);
      add_area_heat(venues.area[v], op.heat_per_day, t);
      if (op.pursue_operators) arrest_exploiter(venues.operator_id[v], op, t);
    }
    return;
  }

  if (op.kind == OperationKind::Investigation) {
    const std::uint32_t n = draw_count(rng_, op.exploiters_per_day);
    for (std::uint32_t i = 0; i < n && ex.size() > 0; ++i) {
      // Investigations follow the exploiters who control the most people.
      std::uint32_t best = kNone;
      for (int k = 0; k < 8; ++k) {
        const std::uint32_t e = rng_.below(static_cast<std::uint32_t>(ex.size()));
        if (ex.active[e] && ex.workers[e] > 0 && (best == kNone || ex.workers[e] > ex.workers[best])) best = e;
      }
      if (best != kNone) arrest_exploiter(best, op, t);
    }
    return;
  }

  // Arrest operations: each arrest is of a buyer, an exploiter or a worker.
  const std::uint32_t arrests = draw_count(rng_, op.arrests_per_day);
  std::uint32_t n_buyers = 0, n_exploiters = 0, n_workers = 0;
  for (std::uint32_t i = 0; i < arrests; ++i) {
    const double u = rng_.uniform();
    if (u < op.buyer_share) ++n_buyers;
    else if (u < op.buyer_share + op.exploiter_share) ++n_exploiters;
    else ++n_workers;
  }
  if (decrim) n_buyers = 0;  // selling and buying are no longer crimes
  if (!workers_criminalized) n_workers = 0;

  if (n_buyers > 0) {
    count_global(Metric::arrests_buyer, n_buyers);
    count_global(Metric::operation_arrests, n_buyers);
    // Buyer arrests raise the perceived risk of the buyers where the
    // operation works (an area's street and venue buyers share one risk),
    // per 1,000 of them.
    double buyers_there = 0;
    if (street_or_venue) {
      if (op.areas.empty())
        for (std::uint32_t a = 0; a < world_.areas.size(); ++a) buyers_there += area_buyers(a);
      else
        for (std::uint32_t a : op.areas) buyers_there += area_buyers(a);
    }
    const Buyers& buyers = world_.buyers;
    if (op.sectors[2]) buyers_there += buyers.segment_size[buyers.segment_of(Sector::Online, 0)];
    raise_buyer_risk(p_.buyer_deterrence_gain * n_buyers * 1000.0 / std::max(1.0, buyers_there));
  }
  for (std::uint32_t i = 0; i < n_exploiters; ++i) {
    for (int k = 0; k < 16; ++k) {
      const std::uint32_t e = rng_.below(static_cast<std::uint32_t>(std::max<std::size_t>(1, ex.size())));
      // Pimps and traffickers; venue operators are pursued by raids.
      if (e < ex.size() && ex.active[e] && ex.workers[e] > 0 && ex.venue[e] == kNone) {
        arrest_exploiter(e, op, t);
        break;
      }
    }
  }
  if (n_workers == 0) return;

  // Candidates: active workers in the targeted sectors and areas (online
  // work is not tied to an area).
  area_mask_.assign(world_.areas.size(), op.areas.empty() ? 1 : 0);
  for (std::uint32_t a : op.areas) area_mask_[a] = 1;
  std::vector<std::uint32_t>& candidates = scratch_;
  candidates.clear();
  for (std::uint32_t w = 0; w < ws.size(); ++w) {
    if (ws.hot[w].status != Status::Active) continue;
    const auto s = static_cast<std::size_t>(ws.hot[w].sector);
    if (!op.sectors[s]) continue;
    if (ws.hot[w].sector != Sector::Online && !area_mask_[ws.hot[w].area]) continue;
    candidates.push_back(w);
  }
  // Without replacement, weighted as routine policing weighs who is seen:
  // a worker without housing, using drugs or known to police from a recent
  // arrest is
  // likelier to be picked (visibility); a minor op.minor_priority times as
  // likely as an adult (operations that search for minors online [seed 004]).
  const auto year_ago = static_cast<float>(t - 365.0);
  const double most_visible = p_.unhoused_multiplier * p_.known_multiplier * p_.drug_use_multiplier;
  const double minor_weight = std::max(1.0, op.minor_priority);
  std::uint32_t done = 0;
  std::size_t remaining = candidates.size();
  for (std::uint64_t attempts = 0; done < n_workers && remaining > 0 && attempts < 1000u * n_workers + 1000u;
       ++attempts) {
    const std::size_t i = rng_.below(static_cast<std::uint32_t>(remaining));
    const std::uint32_t w = candidates[i];
    double weight = ws.has(w, worker_flag::kMinor) ? minor_weight : 1.0;
    if (ws.hot[w].sector != Sector::Online) {
      if (ws.has(w, worker_flag::kHousingLost)) weight *= p_.unhoused_multiplier;
      if (ws.last_arrest[w] >= year_ago) weight *= p_.known_multiplier;
      if ((ws.hot[w].traits & worker_trait::kDrugUse) != 0) weight *= p_.drug_use_multiplier;
    }
    if (!rng_.bernoulli(weight / (minor_weight * most_visible))) continue;
    arrest_worker(w, op, t);
    candidates[i] = candidates[--remaining];
    ++done;
  }
}

}  // namespace harmsim::model
