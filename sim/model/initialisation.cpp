// Initialisation (ODD "Initialisation"): areas, venues, exploiters, workers
// and buyers drawn from the parameter table, and a pre-history of violence
// and condomless sex consistent with the model's own baseline rates.
#include <algorithm>
#include <cmath>

#include "model/simulation.hpp"

namespace harmsim::model {

void Workers::resize(std::size_t n) {
  WorkerHot vacant{};
  vacant.status = Status::Exited;
  vacant.exploiter = kNone;
  vacant.venue = kNone;
  vacant.last_condomless = kNever;
  vacant.engaged_until = kNever;
  hot.resize(n, vacant);
  arrests.resize(n);
  home_area.resize(n);
  debt.resize(n);
  trust.resize(n);
  status_until.resize(n);
  for (auto& v : last_violence) v.resize(n, kNever);
  last_arrest.resize(n, kNever);
  last_displaced.resize(n, kNever);
}

void Workers::reserve(std::size_t n) {
  hot.reserve(n);
  arrests.reserve(n);
  home_area.reserve(n);
  debt.reserve(n);
  trust.reserve(n);
  status_until.reserve(n);
  for (auto& v : last_violence) v.reserve(n);
  last_arrest.reserve(n);
  last_displaced.reserve(n);
}

void Simulation::build_world() {
  World& w = world_;
  const auto n_areas = static_cast<std::uint32_t>(p_.areas);
  Areas& areas = w.areas;
  areas.kind.resize(n_areas);
  areas.community.resize(n_areas);
  areas.heat.assign(n_areas, 0.0);
  areas.heat_time.assign(n_areas, 0.0);
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
  for (std::uint32_t v = 0; v < n_venues; ++v) {
    venues.area.push_back(home_area());
    venues.operator_id.push_back(v);
    // Venue workers split evenly; the remainder goes to the first venues.
    venues.capacity.push_back(venue_workers / n_venues + (v < venue_workers % n_venues ? 1u : 0u));
    venues.workers.push_back(0);
    venues.closed_until.push_back(0.0);
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
  queue_.reserve(2 * room);  // an encounter and an exploiter-violence event each
  std::uint32_t next_venue = 0;
  for (std::uint32_t i = 0; i < n_workers; ++i) {
    Sector s;
    if (i < venue_workers) s = Sector::Venue;
    else s = rng_.uniform() * (1.0 - share_venue) < p_.share_street ? Sector::Street : Sector::Online;
    init_worker(i, s, 0.0);
    if (s == Sector::Venue) {
      while (venues.workers[next_venue] >= venues.capacity[next_venue]) next_venue = (next_venue + 1) % n_venues;
      ws.hot[i].venue = next_venue;
      ws.hot[i].area = ws.home_area[i] = venues.area[next_venue];
      ++venues.workers[next_venue];
      place_under_control(i, venues.operator_id[next_venue], 0.0);
    } else if (n_exploiters > n_venues && rng_.bernoulli(p_.controlled_share)) {
      place_under_control(i, n_venues + rng_.below(n_exploiters - n_venues), 0.0);
    }
  }

  // Buyers: drawn on demand from their seed (world.hpp).
  Buyers& b = w.buyers;
  b.count = static_cast<std::uint32_t>(p_.buyers);
  b.seed = rng_.next_u64();
  b.violent_below = Buyers::threshold(p_.violent_share);
  b.refuses_condoms_below = Buyers::threshold(p_.refuses_condoms_share);
  b.seeks_minors_below = Buyers::threshold(p_.seeks_minors_share);
  b.deterrence_mean = p_.deterrence_mean;

  // Pre-history: the time since the last violent incident and condomless act
  // of a Poisson process is exponential with the process's rate, so drawing
  // it from the model's own steady-state rates gives day 0 of the warm-up a
  // past year consistent with the model (docs/model.md, "Initialisation").
  // The steady state of a worker's income balances her encounter rate
  // (raised while her net income is below need) against her income, with no
  // police heat; controlled workers keep only part of what they earn.
  struct SteadyState {
    double gross, rate_multiplier, pressure;
  };
  auto steady_state = [&](bool controlled) {
    const double keep = controlled ? 1.0 - p_.exploiter_take : 1.0;
    const double base_income = p_.rate_per_day * p_.price * 30.0;  // gross 30-day income at multiplier 1
    double multiplier = 1.0;
    if (p_.income_need_30d > 0 && keep > 0 && base_income > 0)
      multiplier = std::sqrt(p_.income_need_30d / (base_income * keep));
    multiplier = std::clamp(multiplier, 1.0 / p_.max_rate_multiplier, p_.max_rate_multiplier);
    const double gross = base_income * multiplier;
    const double pressure =
        p_.income_need_30d > 0 ? std::clamp(gross * keep / p_.income_need_30d, 0.25, 1.0) : 1.0;
    return SteadyState{gross, multiplier, pressure};
  };
  const SteadyState independent = steady_state(false), controlled = steady_state(true);
  for (std::uint32_t i = 0; i < n_workers; ++i) {
    const bool is_controlled = ws.hot[i].exploiter != kNone;
    const SteadyState& st = is_controlled ? controlled : independent;
    set_income(ws.hot[i], st.gross, 0.0);
    const double n = negotiation_share(0.0);
    const Sector s = ws.hot[i].sector;
    const AreaKind k = w.areas.kind[ws.hot[i].area];
    // As in encounter.cpp: peers are present in venues and on central streets;
    // online work carries the same risk in every area.
    const double place = s == Sector::Venue || (s == Sector::Street && k == AreaKind::Central)
                             ? p_.peer_violence_multiplier
                         : (s == Sector::Street && k == AreaKind::Isolated) ? p_.isolated_violence_multiplier
                                                                            : 1.0;
    const double encounter_rate = p_.rate_per_day * st.rate_multiplier;
    const double buyer_rate = encounter_rate * p_.violent_share * (1.0 - p_.screening_sensitivity * n * st.pressure) *
                              p_.violence_given_violent_buyer * place;
    double exploiter_rate = 0.0;
    if (is_controlled) {
      const bool quota_unmet = st.gross < p_.quota_share_of_need * p_.income_need_30d;
      exploiter_rate = p_.violence_per_year / 365.0 * (quota_unmet ? p_.quota_violence_multiplier : 1.0);
    }
    const double rate = buyer_rate + exploiter_rate;
    if (rate > 0) ws.last_violence[0][i] = static_cast<float>(-rng_.exponential(rate));
    const double condomless_rate =
        encounter_rate *
        (p_.refuses_condoms_share * std::pow(1.0 - p_.condom_insistence, n * (0.5 + 0.5 * st.pressure)) +
         (1.0 - p_.refuses_condoms_share) * p_.condomless_base);
    if (condomless_rate > 0) ws.hot[i].last_condomless = static_cast<float>(-rng_.exponential(condomless_rate));
  }
  for (std::uint32_t i = 0; i < n_workers; ++i) start_chains(i, 0.0);
  building_ = false;
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
  ws.arrests[i] = 0;
  const auto settled = static_cast<std::uint32_t>(p_.areas - p_.isolated_areas);
  ws.hot[i].area = ws.home_area[i] =
      static_cast<AreaId>(settled > 0 ? rng_.below(settled) : rng_.below(static_cast<std::uint32_t>(p_.areas)));
  ws.hot[i].exploiter = kNone;
  ws.hot[i].venue = kNone;
  ws.debt[i] = 0;
  ws.hot[i].fines = 0;
  ws.trust[i] = static_cast<float>(std::clamp(2.0 * p_.trust_mean * rng_.uniform(), 0.0, 1.0));
  // Start at the income of a worker who meets her need.
  set_income(ws.hot[i], p_.income_need_30d, t);
  ws.status_until[i] = 0;
  ws.hot[i].engaged_until = kNever;
  for (auto& v : ws.last_violence) v[i] = kNever;
  ws.last_arrest[i] = kNever;
  ws.last_displaced[i] = kNever;
  ws.hot[i].last_condomless = kNever;
}

}  // namespace harmsim::model
