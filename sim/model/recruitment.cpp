// Recruitment and third-party control (MODEL.md §3): exploiters replace lost
// workers after a delay (mean 7 days: the club advertised for dancers within a
// week [seed 001]), preferring the economically stressed and the young
// [seed 002]; venues re-hire once they re-open; new entrants arrive while
// fewer independent workers work than buyers' demand supports, so supply
// follows demand. A coerced worker owes a debt that binds her [seed 000].
#include <algorithm>

#include "model/simulation.hpp"

namespace harmsim::model {

namespace {
constexpr std::uint32_t kRecruitCandidates = 8;  // people an exploiter sizes up per attempt
}

void Simulation::place_under_control(std::uint32_t w, std::uint32_t e, double t) {
  Workers& ws = world_.workers;
  Exploiters& ex = world_.exploiters;
  ws.hot[w].exploiter = e;
  ++ex.workers[e];
  if (!ws.has(w, worker_flag::kMinor) && rng_.bernoulli(p_.coerced_share)) bind_debt(w);
  if (ex.venue[e] != kNone && ws.hot[w].venue == kNone) {
    const std::uint32_t v = ex.venue[e];
    ws.hot[w].venue = v;
    ws.hot[w].sector = Sector::Venue;
    ws.hot[w].area = ws.hot[w].home_area = world_.venues.area[v];
    ++world_.venues.workers[v];
  }
  if (!building_ && ws.hot[w].status == Status::Active) start_chains(w, t);
}

void Simulation::bind_debt(std::uint32_t w) {
  // Debt bondage: she "owes" the exploiter before she can be paid [seed 000].
  Workers& ws = world_.workers;
  ws.hot[w].flags |= worker_flag::kCoerced;
  const double debt = p_.debt_months * p_.income_need_30d;
  if (debt > 0.0) {
    ws.hot[w].flags |= worker_flag::kInDebt;
    ws.hot[w].debt = static_cast<float>(debt);
  }
}

void Simulation::release_from_exploiter(std::uint32_t w, double t) {
  Workers& ws = world_.workers;
  const std::uint32_t e = ws.hot[w].exploiter;
  if (e == kNone) return;
  Exploiters& ex = world_.exploiters;
  --ex.workers[e];
  ws.hot[w].exploiter = kNone;
  ws.hot[w].flags &= static_cast<std::uint8_t>(~(worker_flag::kCoerced | worker_flag::kInDebt));
  ws.hot[w].debt = 0.0f;
  const std::uint32_t v = ws.hot[w].venue;
  if (v != kNone) {
    --world_.venues.workers[v];
    ws.hot[w].venue = kNone;
    // Out of the venue she works independently, on the street or online.
    const double street = p_.share_street / std::max(1e-9, 1.0 - p_.share_venue);
    ws.hot[w].sector = rng_.bernoulli(street) ? Sector::Street : Sector::Online;
    ++world_.venues.pending_hires[v];
    queue_.push(t + rng_.exponential(1.0 / p_.recruit_delay_days), static_cast<std::uint16_t>(EventKind::VenueHire),
                v);
  } else if (ex.active[e]) {
    queue_.push(t + rng_.exponential(1.0 / p_.recruit_delay_days), static_cast<std::uint16_t>(EventKind::Recruit), e);
  }
}

void Simulation::on_recruit(std::uint32_t e, double t) {
  Exploiters& ex = world_.exploiters;
  if (!ex.active[e]) return;  // custody: recruits again when released
  if (!pimp_has_room(e)) return;  // filled the place another way meanwhile
  Workers& ws = world_.workers;
  const auto n = static_cast<std::uint32_t>(ws.size());
  std::uint32_t best = kNone;
  double best_score = -1.0;
  for (std::uint32_t k = 0; k < kRecruitCandidates; ++k) {
    const std::uint32_t w = rng_.below(n);
    if (ws.hot[w].status != Status::Active || ws.hot[w].exploiter != kNone || ws.hot[w].sector == Sector::Venue) continue;
    // Economic stress and youth make a person easier to recruit [seed 002].
    const double shortfall = std::max(0.0, 1.0 - net_income_now(w, t) / std::max(1.0, p_.income_need_30d));
    const double score = shortfall + (ws.has(w, worker_flag::kMinor) ? 0.5 : 0.0) +
                         (ws.has(w, worker_flag::kHousingLost) ? 0.5 : 0.0) + 0.01 * rng_.uniform();
    if (score > best_score) {
      best_score = score;
      best = w;
    }
  }
  if (best == kNone) {
    queue_.push(t + rng_.exponential(1.0 / p_.recruit_delay_days), static_cast<std::uint16_t>(EventKind::Recruit), e);
    return;
  }
  place_under_control(best, e, t);
  count(Metric::controlled_new, best);
}

std::uint32_t Simulation::take_slot() {
  Workers& ws = world_.workers;
  if (!world_.vacant.empty()) {
    const std::uint32_t w = world_.vacant.back();
    world_.vacant.pop_back();
    return w;
  }
  const auto w = static_cast<std::uint32_t>(ws.size());
  ws.resize(ws.size() + 1);
  return w;
}

void Simulation::on_venue_hire(std::uint32_t v, double t) {
  Venues& venues = world_.venues;
  const std::uint32_t e = venues.operator_id[v];
  if (t < venues.closed_until(v)) {  // hires once it re-opens
    queue_.push(venues.closed_until(v), static_cast<std::uint16_t>(EventKind::VenueHire), v);
    return;
  }
  --venues.pending_hires[v];
  if (!world_.exploiters.active[e] || venues.workers[v] >= venues.capacity[v]) return;
  const std::uint32_t w = take_slot();
  init_worker(w, Sector::Venue, t);
  place_under_control(w, e, t);  // attaches her to the venue and starts her chains
  inherit_history(w, t);
  count(Metric::entries, w);
}

void Simulation::entry_step(double t) {
  // The independent (street and online) workers the market holds: the number
  // at the start, scaled by buyers' demand relative to a market without
  // enforcement. The gap closes with mean delay entry_delay_days. Those
  // working or in jail for a few days count; those detained for weeks or in
  // services do not hold their place.
  const Workers& ws = world_.workers;
  std::uint64_t present = 0;
  pass_over_workers([&](std::uint32_t w) {
    const WorkerHot& h = ws.hot[w];
    present += ((h.status == Status::Active || h.status == Status::Jailed) && h.venue == kNone) ? 1 : 0;
  });
  const double target = independent_target_ * std::pow(std::clamp(demand_index_, 0.0, 1.0), p_.supply_elasticity);
  const double gap = target - static_cast<double>(present);
  if (gap <= 0.0) return;
  // A day closes the share 1 - exp(-1 / delay) of the gap, on average.
  const std::uint32_t entrants = rng_.poisson(gap * -std::expm1(-1.0 / p_.entry_delay_days));
  for (std::uint32_t i = 0; i < entrants; ++i) enter_worker(t);
}

void Simulation::enter_worker(double t) {
  const std::uint32_t w = take_slot();
  const double street = p_.share_street / std::max(1e-9, 1.0 - p_.share_venue);
  init_worker(w, rng_.bernoulli(street) ? Sector::Street : Sector::Online, t);
  Workers& ws = world_.workers;
  // Entrants, minors above all, are recruited through runaway situations and
  // online contact [seed 004].
  const Exploiters& ex = world_.exploiters;
  const double controlled = ws.has(w, worker_flag::kMinor) ? p_.minor_controlled_share : p_.controlled_share;
  bool placed = false;
  if (ex.size() > world_.venues.size() && rng_.bernoulli(controlled)) {
    const auto pimps = static_cast<std::uint32_t>(ex.size() - world_.venues.size());
    const std::uint32_t e = static_cast<std::uint32_t>(world_.venues.size()) + rng_.below(pimps);
    if (ex.active[e] && pimp_has_room(e)) {
      place_under_control(w, e, t);  // starts her chains
      placed = true;
    }
  }
  if (!placed) start_chains(w, t);
  inherit_history(w, t);
  count(Metric::entries, w);
}

void Simulation::remove_worker(std::uint32_t w, Status why, double t) {
  Workers& ws = world_.workers;
  release_from_exploiter(w, t);  // her exploiter recruits a replacement
  ws.hot[w].status = why;
  ++ws.hot[w].generation;
  world_.vacant.push_back(w);
  // A venue's place is filled by the venue's own hiring, anyone else's by
  // new entrants as supply follows demand (entry_step).
}

}  // namespace harmsim::model
