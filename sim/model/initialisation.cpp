// Initialisation (ODD "Initialisation"): areas, venues, exploiters, workers
// and buyers drawn from the parameter table, and a past for every worker
// (housing, income, debt, violence, condomless sex, police actions) consistent
// with the model's own rates under routine policing (draw_history); an
// entrant inherits the past of a worker of her sector (inherit_history).
#include <algorithm>
#include <cmath>
#include <limits>

#include "core/memory.hpp"
#include "model/police_history.hpp"
#include "model/simulation.hpp"

namespace harmsim::model {

void Workers::resize(std::size_t n) {
  WorkerHot vacant{};
  vacant.status = Status::Exited;
  vacant.exploiter = kNone;
  vacant.venue = kNone;
  vacant.last_condomless = kNever;
  vacant.engaged_until = kNever;
  vacant.condoms_back = kNever;
  vacant.wary_until = kNever;
  vacant.violence_last = kNever;
  hot.resize(n, vacant);
  arrests.resize(n);
  trust.resize(n);
  status_until.resize(n);
  for (auto& v : last_violence) v.resize(n, kNever);
  last_arrest.resize(n, kNever);
  last_displaced.resize(n, kNever);
  last_policed.resize(n, kNever);
}

void Workers::reserve(std::size_t n) {
  core::reserve_huge(hot, n);
  core::reserve_huge(arrests, n);
  core::reserve_huge(trust, n);
  core::reserve_huge(status_until, n);
  for (auto& v : last_violence) core::reserve_huge(v, n);
  core::reserve_huge(last_arrest, n);
  core::reserve_huge(last_displaced, n);
  core::reserve_huge(last_policed, n);
}

void World::clear() {
  auto empty = [](auto&... arrays) { (arrays.clear(), ...); };
  empty(areas.kind, areas.community, areas.heat, areas.heat_time, areas.patrol, areas.buyer_risk,
        areas.buyer_risk_time, areas.of_kind[0], areas.of_kind[1], areas.of_kind[2]);
  empty(venues.area, venues.operator_id, venues.capacity, venues.workers, venues.closed_slots, venues.pending_hires);
  empty(workers.hot, workers.arrests, workers.trust, workers.status_until,
        workers.last_violence[0], workers.last_violence[1], workers.last_violence[2], workers.last_arrest,
        workers.last_displaced, workers.last_policed);
  empty(buyers.first, buyers.segment_size);
  empty(exploiters.active, exploiters.custody_until, exploiters.workers, exploiters.venue);
  vacant.clear();
  // The scalar fields as a new World has them, the emptied arrays kept.
  Buyers fresh_buyers;
  fresh_buyers.first.swap(buyers.first);
  fresh_buyers.segment_size.swap(buyers.segment_size);
  buyers = std::move(fresh_buyers);
  online_heat = online_heat_time = 0;
  buyer_risk = buyer_risk_time = 0;
}

void Simulation::build_world() {
  World& w = world_;
  const auto n_areas = static_cast<std::uint32_t>(p_.areas);
  Areas& areas = w.areas;
  areas.kind.resize(n_areas);
  areas.community.resize(n_areas);
  areas.heat.assign(n_areas, 0.0);
  areas.heat_time.assign(n_areas, 0.0);
  areas.patrol.resize(n_areas);
  areas.buyer_risk.assign(n_areas, 0.0);
  areas.buyer_risk_time.assign(n_areas, 0.0);
  patrol_heat_.resize(n_areas);
  // Central areas first, then peripheral, then isolated; communities in turn.
  const auto n_isolated = static_cast<std::uint32_t>(p_.isolated_areas);
  const auto n_peripheral = static_cast<std::uint32_t>(p_.peripheral_areas);
  const std::uint32_t n_central = n_areas - n_isolated - n_peripheral;
  for (std::uint32_t a = 0; a < n_areas; ++a) {
    const AreaKind k = a < n_central                 ? AreaKind::Central
                       : a < n_central + n_peripheral ? AreaKind::Peripheral
                                                      : AreaKind::Isolated;
    areas.kind[a] = k;
    areas.community[a] = static_cast<std::uint8_t>(a % static_cast<std::uint32_t>(p_.communities));
    areas.of_kind[static_cast<int>(k)].push_back(static_cast<AreaId>(a));
    // Routine policing is heaviest where sex work is visible.
    areas.patrol[a] = k == AreaKind::Central ? 1.0 : k == AreaKind::Peripheral ? p_.peripheral_share : p_.isolated_share;
    patrol_heat_[a] = p_.patrol_heat * areas.patrol[a];
  }
  // Buyer violence per encounter with a violent buyer who was not refused, by
  // sector and area kind: street work in cars and public spaces is riskier
  // than indoor work; peers are present in venues and on central streets;
  // isolated areas raise the risk; online work carries the same risk
  // everywhere (its screening is better instead).
  for (int k = 0; k < 3; ++k) {
    const double place = k == static_cast<int>(AreaKind::Central)    ? p_.peer_violence_multiplier
                         : k == static_cast<int>(AreaKind::Isolated) ? p_.isolated_violence_multiplier
                                                                     : 1.0;
    violence_base_[static_cast<int>(Sector::Street)][k] =
        p_.violence_given_violent_buyer * p_.street_violence_multiplier * place;
    violence_alone_[k] = p_.violence_given_violent_buyer * p_.street_violence_multiplier *
                         (k == static_cast<int>(AreaKind::Isolated) ? p_.isolated_violence_multiplier : 1.0);
    violence_base_[static_cast<int>(Sector::Venue)][k] = p_.violence_given_violent_buyer * p_.venue_violence_multiplier;
    violence_base_[static_cast<int>(Sector::Online)][k] = p_.violence_given_violent_buyer;
  }
  // Where most work happens: central and peripheral areas (isolated ones are
  // where displaced street workers go).
  auto home_area = [&]() -> AreaId {
    const std::uint32_t settled = n_central + n_peripheral;
    return static_cast<AreaId>(settled > 0 ? rng_.below(settled) : rng_.below(n_areas));
  };

  // Exploiters: the first `venues` of them run a venue each, the rest are pimps.
  const auto n_exploiters = static_cast<std::uint32_t>(p_.exploiters);
  const auto n_venues = std::min<std::uint32_t>(static_cast<std::uint32_t>(p_.venues), n_exploiters);
  Exploiters& ex = w.exploiters;
  ex.active.assign(n_exploiters, 1);
  ex.custody_until.assign(n_exploiters, 0.0f);
  ex.workers.assign(n_exploiters, 0);
  ex.venue.assign(n_exploiters, kNone);
  Venues& venues = w.venues;
  const auto n_workers = static_cast<std::uint32_t>(p_.workers);
  const double share_venue = n_venues > 0 ? p_.share_venue : 0.0;
  const auto venue_workers = static_cast<std::uint32_t>(std::llround(share_venue * n_workers));
  venues.closed_slots.assign(1, -std::numeric_limits<double>::infinity());  // no venue's (Venues::closed_until)
  for (std::uint32_t v = 0; v < n_venues; ++v) {
    venues.area.push_back(home_area());
    venues.operator_id.push_back(v);
    // Venue workers split evenly; the remainder goes to the first venues.
    venues.capacity.push_back(venue_workers / n_venues + (v < venue_workers % n_venues ? 1u : 0u));
    venues.workers.push_back(0);
    venues.closed_slots.push_back(0.0);
    venues.pending_hires.push_back(0);
    ex.venue[v] = v;
  }

  // Workers.
  Workers& ws = w.workers;
  // Slots grow when entrants arrive while others are away (jailed, detained,
  // in services): room for a quarter more, so that the arrays do not move
  // during the run (docs/performance.md, "Allocation").
  const std::size_t room = n_workers + n_workers / 4 + 64;
  ws.reserve(room);
  ws.resize(n_workers);
  w.vacant.reserve(room);
  scratch_.reserve(room);
  // Displaced workers: at most every slot, and displace() may list one again
  // before displacement_step merges the list.
  away_.reserve(2 * room);
  away_next_.reserve(room);
  queue_.reserve(2 * room);  // an encounter and an exploiter-violence event each
  // Worker records beyond about a second-level cache: the event loop loads
  // them ahead (at 2,000 workers they stay in cache and looking ahead only
  // costs instructions; at 10^6 the prefetch hides most misses).
  constexpr std::size_t kPrefetchAboveBytes = std::size_t{1} << 20;
  prefetching_ = room * sizeof(WorkerHot) > kPrefetchAboveBytes;
  std::uint32_t next_venue = 0;
  for (std::uint32_t i = 0; i < n_workers; ++i) {
    Sector s;
    if (i < venue_workers) s = Sector::Venue;
    else s = rng_.uniform() * (1.0 - share_venue) < p_.share_street ? Sector::Street : Sector::Online;
    init_worker(i, s, 0.0);
    if (s == Sector::Venue) {
      while (venues.workers[next_venue] >= venues.capacity[next_venue]) next_venue = (next_venue + 1) % n_venues;
      ws.hot[i].venue = next_venue;
      ws.hot[i].area = ws.hot[i].home_area = venues.area[next_venue];
      ++venues.workers[next_venue];
      place_under_control(i, venues.operator_id[next_venue], 0.0);
    } else if (n_exploiters > n_venues && rng_.bernoulli(p_.controlled_share)) {
      const std::uint32_t e = n_venues + rng_.below(n_exploiters - n_venues);
      if (pimp_has_room(e)) place_under_control(i, e, 0.0);
    }
  }
  independent_target_ = static_cast<double>(n_workers - venue_workers);
  build_buyers();

  for (std::uint32_t i = 0; i < n_workers; ++i) draw_history(i, 0.0);
  for (std::uint32_t i = 0; i < n_workers; ++i) start_chains(i, 0.0);
  building_ = false;
}

void Simulation::build_buyers() {
  // Buyers: drawn on demand from their seed (world.hpp), in segments sized by
  // the workers of each place; every segment has some buyers, so that a
  // worker displaced to an isolated area finds buyers there too (a quarter of
  // an average street area's share at least).
  Buyers& b = world_.buyers;
  const auto n_areas = static_cast<std::uint32_t>(world_.areas.size());
  b.areas = n_areas;
  const std::uint32_t segments = 2 * n_areas + 1;
  std::vector<double> weight(segments, 0.0);
  const Workers& ws = world_.workers;
  for (std::uint32_t i = 0; i < ws.size(); ++i)
    weight[b.segment_of(ws.hot[i].sector, ws.hot[i].home_area)] += 1.0;
  double street_total = 0;
  for (std::uint32_t a = 0; a < n_areas; ++a) street_total += weight[a];
  const double floor = std::max(1.0, 0.25 * street_total / static_cast<double>(n_areas));
  for (std::uint32_t a = 0; a < n_areas; ++a) weight[a] = std::max(weight[a], floor);
  double total = 0;
  for (double v : weight) total += v;
  b.count = static_cast<std::uint32_t>(p_.buyers);
  b.first.assign(segments, 0);
  b.segment_size.assign(segments, 1);
  std::uint32_t next = 0;
  for (std::uint32_t s = 0; s < segments; ++s) {
    b.first[s] = std::min(next, b.count - 1);
    const auto n = static_cast<std::uint32_t>(std::llround(static_cast<double>(b.count) * weight[s] / total));
    b.segment_size[s] = std::max<std::uint32_t>(1, std::min(n, b.count - b.first[s]));
    next += n;
  }
  b.seed = rng_.next_u64();
  b.violent_below = Buyers::threshold(p_.violent_share);
  b.refuses_condoms_below = Buyers::threshold(p_.refuses_condoms_share);
  b.seeks_minors_below = Buyers::threshold(p_.seeks_minors_share);
  b.deterrence_mean = p_.deterrence_mean;
  b.violent_deterrence = p_.violent_deterrence_ratio;
}

void Simulation::draw_history(std::uint32_t i, double t) {
  // The time since the last event of a Poisson process is exponential with
  // the process's rate, so drawing it from the model's own steady-state rates
  // under routine policing and no operation gives a first worker a past
  // consistent with the model (docs/model.md, "Initialisation"). The steady
  // state of her income balances her encounter rate (raised while her net
  // income is below need) against her income.
  Workers& ws = world_.workers;
  WorkerHot& h = ws.hot[i];
  const int s = static_cast<int>(h.sector);
  const bool online = h.sector == Sector::Online;
  const bool street = h.sector == Sector::Street;
  const std::uint32_t area = h.area;
  const int kind = static_cast<int>(world_.areas.kind[area]);
  const bool controlled = h.exploiter != kNone;
  const bool minor = (h.flags & worker_flag::kMinor) != 0;
  auto last_event = [&](double rate) {
    return rate > 0.0 ? static_cast<float>(t - rng_.exponential(rate)) : kNever;
  };
  // The same for a police process whose rate the law sets: an entrant after
  // decriminalisation or end demand began looks back at the rates of the
  // laws in force since, and of criminalised policing before
  // (police_history.hpp). A draw only where some rate of her past is
  // positive: before any change of law, last_event(criminalised), draw for
  // draw.
  const double decriminalized_since = decriminalized_from(), end_demand_since = end_demand_from();
  auto last_police_event = [&](const PoliceRates& r) {
    const bool drawn = r.criminalised > 0.0 || (end_demand_since < t && r.end_demand > 0.0) ||
                       (decriminalized_since < t && r.decriminalized > 0.0);
    return drawn ? last_event_across_laws(t, rng_.unit_exponential(), r, decriminalized_since, end_demand_since)
                 : kNever;
  };

  // Routine police contacts per day of her sector and area, and housing: the
  // steady state of losing it (in the background and through arrests) and
  // finding it again.
  const double contact_rates[3] = {p_.contacts_per_year_street, p_.contacts_per_year_venue,
                                   p_.contacts_per_year_online};
  const bool drugs = (h.traits & worker_trait::kDrugUse) != 0;
  const double contacts_housed = contact_rates[s] / 365.0 * (online ? 1.0 : world_.areas.patrol[area]) *
                                 (drugs ? p_.drug_use_multiplier : 1.0);
  const double loss = (street ? p_.loss_per_year_street : p_.loss_per_year_other) / 365.0 *
                          (drugs ? p_.drug_use_loss_multiplier : 1.0) +
                      contacts_housed * p_.arrest_per_contact * p_.housing_loss;
  const double regain = p_.regain_per_year / 365.0;
  const bool unhoused = loss > 0.0 && rng_.bernoulli(loss / (loss + regain));
  if (unhoused) h.flags |= worker_flag::kHousingLost;
  else h.flags &= static_cast<std::uint8_t>(~worker_flag::kHousingLost);
  const double contacts = contacts_housed * (unhoused ? p_.unhoused_multiplier : 1.0);

  // Income. A minor meets fewer buyers: most turn away from her.
  const double keep = keep_share(h);
  const double accepted =
      minor ? p_.seeks_minors_share + (1.0 - p_.seeks_minors_share) * (1.0 - p_.minor_aversion) : 1.0;
  const double heat = online ? 0.0 : patrol_heat_[area];
  const double price = p_.price * std::max(0.5, 1.0 - p_.heat_price_drop * heat);
  const double base_income = p_.rate_per_day * accepted * price * 30.0;  // gross 30-day income at multiplier 1
  double multiplier = 1.0;
  if (p_.income_need_30d > 0 && keep > 0 && base_income > 0)
    multiplier = std::sqrt(p_.income_need_30d / (base_income * keep));
  multiplier = std::clamp(multiplier, 1.0 / p_.max_rate_multiplier, p_.max_rate_multiplier);
  const double gross = base_income * multiplier;
  const double pressure = p_.income_need_30d > 0 ? std::clamp(gross * keep / p_.income_need_30d, 0.25, 1.0) : 1.0;
  set_income(h, gross, t);

  // Violence by buyers, exploiters and police, each its own process.
  const double negotiation = heat > 0.0 ? negotiation_share(heat) : 1.0;
  const double encounters = p_.rate_per_day * multiplier * accepted;
  double screening = p_.screening_sensitivity * negotiation * pressure;
  if (online) screening += p_.online_screening_gain * (1.0 - screening);
  const double buyer_rate = encounters * p_.violent_share * (1.0 - screening) * violence_base_[s][kind] *
                            (unhoused ? p_.violence_multiplier : 1.0) * (drugs ? p_.drug_use_violence_multiplier : 1.0);
  double exploiter_rate = 0.0;
  if (controlled) {
    const bool quota_unmet = gross < p_.quota_share_of_need * p_.income_need_30d;
    exploiter_rate = exploiter_violence_base(h) * (quota_unmet ? p_.quota_violence_multiplier : 1.0);
  }
  // Police contacts under the three laws (policing.cpp, police_contact):
  // criminalised, an arrest or else a citation, and on any contact without
  // arrest a move-along, condoms taken, coercion; under end demand no arrest
  // or citation of hers, and the others on every contact; decriminalised,
  // fewer contacts and only coercion, less often.
  const double arrest = p_.arrest_per_contact, coercion = p_.coercion_per_contact;
  const double decriminalized_contacts = contacts * iv_.decriminalization.police_contact_share;
  const double decriminalized_coercion =
      decriminalized_contacts * coercion * iv_.decriminalization.police_coercion_share;
  const PoliceRates police_violence{contacts * (arrest * p_.police_violence + (1.0 - arrest) * coercion),
                                    contacts * coercion, decriminalized_coercion};
  ws.last_violence[static_cast<int>(Perpetrator::Buyer)][i] = last_event(buyer_rate);
  ws.last_violence[static_cast<int>(Perpetrator::Exploiter)][i] = last_event(exploiter_rate);
  ws.last_violence[static_cast<int>(Perpetrator::Police)][i] = last_police_event(police_violence);
  ws.hot[i].violence_last = std::max({ws.last_violence[0][i], ws.last_violence[1][i], ws.last_violence[2][i]});

  // Condomless sex, with buyers who push for it and while police have left
  // her without condoms.
  const double no_condoms_share =
      std::min(1.0, contacts * (1.0 - arrest) * p_.condom_confiscation_per_contact * p_.condom_gap_days);
  const double per_encounter =
      (p_.refuses_condoms_share * (1.0 - p_.condom_insistence) + (1.0 - p_.refuses_condoms_share) * p_.condomless_base) *
      (1.0 + p_.rush_condom_effect * (1.0 - negotiation * (0.5 + 0.5 * pressure)));
  const double condomless_rate =
      encounters * ((1.0 - no_condoms_share) * per_encounter +
                    no_condoms_share * std::max(per_encounter, p_.no_condom_condomless));
  h.last_condomless = last_event(condomless_rate);

  // Police actions: arrests, move-alongs (street) and the others.
  const double move_along = p_.move_along_per_contact, confiscation = p_.condom_confiscation_per_contact;
  ws.last_arrest[i] = last_police_event({contacts * arrest, 0.0, 0.0});
  ws.last_displaced[i] =
      street ? last_police_event({contacts * (1.0 - arrest) * move_along, contacts * move_along, 0.0}) : kNever;
  const PoliceRates other{
      contacts * (1.0 - arrest) * (1.0 - (1.0 - p_.citation_per_contact) * (1.0 - confiscation) * (1.0 - coercion)),
      contacts * (1.0 - (1.0 - confiscation) * (1.0 - coercion)), decriminalized_coercion};
  ws.last_policed[i] = std::max({ws.last_arrest[i], ws.last_displaced[i], last_police_event(other)});

  // A debt owed at the start is partly repaid: repayment at a steady pace
  // leaves a uniformly distributed remainder.
  if ((h.flags & worker_flag::kInDebt) != 0) ws.hot[i].debt *= static_cast<float>(rng_.uniform_pos());
}

void Simulation::inherit_history(std::uint32_t i, double t) {
  // An entrant's past is that of a worker drawn at random from those already
  // working in her sector with her traits: the market's own distribution of
  // pasts, whatever
  // the policies, so that turnover alone (exits, deportations, replacements)
  // changes no rate. The analytic steady state of draw_history is kept for
  // the first workers and for a sector with nobody in it yet.
  Workers& ws = world_.workers;
  const auto n = static_cast<std::uint32_t>(ws.size());
  constexpr int kTries = 64;
  std::uint32_t donor = kNone;
  for (int k = 0; k < kTries && n > 1; ++k) {
    const std::uint32_t d = rng_.below(n);
    if (d != i && ws.hot[d].status == Status::Active && ws.hot[d].sector == ws.hot[i].sector &&
        ws.hot[d].traits == ws.hot[i].traits) {
      donor = d;
      break;
    }
  }
  if (donor == kNone) {
    draw_history(i, t);
    return;
  }
  WorkerHot& h = ws.hot[i];
  const WorkerHot& from = ws.hot[donor];
  for (auto& v : ws.last_violence) v[i] = v[donor];
  h.violence_last = from.violence_last;
  h.last_condomless = from.last_condomless;
  h.income = from.income;
  h.fines = from.fines;
  ws.last_arrest[i] = ws.last_arrest[donor];
  ws.last_displaced[i] = ws.last_displaced[donor];
  ws.last_policed[i] = ws.last_policed[donor];
  ws.arrests[i] = ws.arrests[donor];
  constexpr std::uint8_t kUnhoused = worker_flag::kHousingLost;
  h.flags = static_cast<std::uint8_t>((h.flags & ~kUnhoused) | (from.flags & kUnhoused));
}

void Simulation::init_worker(std::uint32_t i, Sector s, double t) {
  Workers& ws = world_.workers;
  ws.hot[i].sector = s;
  ws.hot[i].status = Status::Active;
  std::uint8_t f = 0;
  if (rng_.bernoulli(p_.minor_share)) f |= worker_flag::kMinor;
  const double undocumented = s == Sector::Venue ? p_.undocumented_share_venue : p_.undocumented_share_other;
  if (rng_.bernoulli(undocumented)) f |= worker_flag::kUndocumented;
  ws.hot[i].flags = f;
  const double drugs = s == Sector::Street ? p_.drug_use_share_street : p_.drug_use_share_other;
  ws.hot[i].traits = rng_.bernoulli(drugs) ? worker_trait::kDrugUse : 0;
  ws.arrests[i] = 0;
  const auto settled = static_cast<std::uint32_t>(p_.areas - p_.isolated_areas);
  ws.hot[i].area = ws.hot[i].home_area =
      static_cast<AreaId>(settled > 0 ? rng_.below(settled) : rng_.below(static_cast<std::uint32_t>(p_.areas)));
  ws.hot[i].exploiter = kNone;
  ws.hot[i].venue = kNone;
  ws.hot[i].debt = 0;
  ws.hot[i].fines = 0;
  ws.trust[i] = static_cast<float>(std::clamp(2.0 * p_.trust_mean * rng_.uniform(), 0.0, 1.0));
  // Start at the income of a worker who meets her need (draw_history sets
  // her steady-state income once her situation is known).
  set_income(ws.hot[i], p_.income_need_30d, t);
  ws.status_until[i] = 0;
  ws.hot[i].engaged_until = kNever;
  for (auto& v : ws.last_violence) v[i] = kNever;
  ws.hot[i].violence_last = kNever;
  ws.last_arrest[i] = kNever;
  ws.last_displaced[i] = kNever;
  ws.last_policed[i] = kNever;
  ws.hot[i].condoms_back = kNever;
  ws.hot[i].wary_until = kNever;
  ws.hot[i].last_condomless = kNever;
}

}  // namespace harmsim::model
