// Ties the processes together: construction, the event switch, the daily
// schedule and the model functions several processes share.
#include "model/simulation.hpp"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <limits>

namespace harmsim::model {

namespace {
constexpr double kLn2 = 0.69314718055994530942;
}

Simulation::Simulation(const Params& params, const Interventions& interventions, std::uint64_t seed,
                       ReplicateStorage&& storage)
    : p_(params),
      iv_(interventions),
      world_(std::move(storage.world)),
      queue_(std::move(storage.queue)),
      rng_(seed),
      seed_(seed),
      patrol_heat_(std::move(storage.patrol_heat)),
      scratch_(std::move(storage.scratch)),
      area_mask_(std::move(storage.area_mask)),
      heat_today_(std::move(storage.heat_today)),
      tally_(std::move(storage.tally)),
      tally_counts_(std::move(storage.tally_counts)),
      series_storage_(std::move(storage.series)),
      stratum_totals_storage_(std::move(storage.stratum_totals)) {
  // Recycled storage holds the last replicate's values: empty it all.
  world_.clear();
  queue_.clear();
  patrol_heat_.clear();
  scratch_.clear();
  area_mask_.clear();
  heat_today_.clear();
  tally_.clear();
  tally_counts_.clear();
  condom_refusal_wins_ = 1.0 - p_.condom_insistence;
  heat_decay_rate_ = kLn2 / p_.half_life_days;
  inv_heat_halves_ = 1.0 / p_.heat_halves_negotiation;
  inv_income_need_ = p_.income_need_30d > 0 ? 1.0 / p_.income_need_30d : 0.0;
  mean_gap_ = 1.0 / p_.rate_per_day;
  min_gap_factor_ = 1.0 / p_.max_rate_multiplier;
  keep_share_[0] = 1.0;
  keep_share_[1] = 1.0 - p_.exploiter_take;
  keep_share_[2] = 1.0 - p_.venue_take;
  recorder_.reset(static_cast<std::size_t>(p_.communities));
  // The replicate's series, zeroed here with the rest of its storage: a
  // fresh buffer's first touch (some 750 page faults at the default
  // horizon) is a cost of building the replicate, not of its events.
  series_storage_.assign(kMetricCount * static_cast<std::size_t>(p_.days) * recorder_.strata(), 0.0f);
  // Routine policing's arrests: no operation's screening or ICE cooperation
  // but the model's own (policing.ice_referral).
  routine_op_.policy = "routine policing";
  routine_op_.routine = true;
  routine_op_.ice_cooperation = p_.ice_referral;
  build_world();
  // Working storage of the daily processes, sized once (no allocation while
  // the run goes on: tests/allocation).
  heat_today_.assign(world_.areas.size(), 0.0);
  area_mask_.reserve(world_.areas.size());
  tally_.reserve((kCellStrata * recorder_.communities() + recorder_.strata()) * kTallyFields);
  tally_counts_.reserve(kTallyCopies * kCellStrata * recorder_.communities() * kTallyLanes);
  pair_stride_ = 3 * recorder_.communities();
  area_pair_.resize(world_.areas.size());
  for (std::size_t a = 0; a < world_.areas.size(); ++a)
    area_pair_[a] =
        static_cast<std::uint32_t>(world_.areas.kind[a]) * static_cast<std::uint32_t>(recorder_.communities()) +
        world_.areas.community[a];
  end_time_ = static_cast<double>(p_.warmup_days + p_.days);
  queue_.push(1.0, static_cast<std::uint16_t>(EventKind::Day), 0);
  for (std::uint32_t op = 0; op < iv_.operations.size(); ++op) schedule_operation(op, 0.0);
}

ReplicateStorage Simulation::take_storage() {
  return {std::move(world_),        std::move(queue_),        std::move(patrol_heat_),
          std::move(heat_today_),   std::move(tally_),        std::move(scratch_),
          std::move(tally_counts_), std::move(area_mask_),    std::move(series_storage_),
          std::move(stratum_totals_storage_)};
}

std::uint64_t Simulation::advance_to(double until) {
  const std::uint64_t n = core::run_until(queue_, *this, until);
  now_ = std::max(now_, until);
  return n;
}

ReplicateResult Simulation::run(DayHook hook, void* hook_context) {
  ReplicateResult result;
  result.seed = seed_;
  result.days = static_cast<std::size_t>(p_.days);
  result.strata = recorder_.strata();
  // Zeroed by the constructor: a simulation runs once.
  assert(series_storage_.size() == kMetricCount * result.days * result.strata);
  result.series = std::move(series_storage_);
  out_ = &result;
  std::uint64_t events = 0;
  const auto total_days = p_.warmup_days + p_.days;
  // Step a day at a time so that long runs can report progress.
  for (std::int64_t day = 1; day <= total_days; ++day) {
    events += advance_to(static_cast<double>(day) + 0.5);
    if (hook != nullptr) hook(hook_context, day, total_days);
  }
  out_ = nullptr;
  result.events = events;
  record_exposure(end_time_, result);
  // Horizon totals (a count's sum, a level's or share's mean) in every
  // stratum; `totals` is stratum "all" of them.
  const std::size_t strata = result.strata;
  result.stratum_totals = std::move(stratum_totals_storage_);
  result.stratum_totals.assign(kMetricCount * strata, 0.0);
  for (std::size_t m = 0; m < kMetricCount; ++m) {
    double* sums = &result.stratum_totals[m * strata];
    for (std::size_t d = 0; d < result.days; ++d) {
      const float* day = &result.series[(m * result.days + d) * strata];
      for (std::size_t s = 0; s < strata; ++s) sums[s] += day[s];
    }
    if (kMetrics[m].kind != MetricKind::Count)
      for (std::size_t s = 0; s < strata; ++s) sums[s] /= static_cast<double>(result.days);
    result.totals[m] = sums[0];
  }
  return result;
}

// Inlined into the event loop (core::run_until, in advance_to): the loop
// keeps its registers from one event to the next, where a call to handle()
// saved and restored them and set up its frame every time, about 33 of an
// event's 620 instructions (callgrind): 2.5 ns an event at 2,000 workers
// (docs/performance.md).
[[gnu::always_inline]] inline void Simulation::handle(const core::Event& e) {
  const double t = e.time;
  now_ = t;
  const Workers& ws = world_.workers;
  switch (static_cast<EventKind>(e.kind)) {
    case EventKind::Encounter:
      if (ws.hot[e.subject].generation == e.aux) on_encounter(e.subject, t);
      break;
    case EventKind::ExploiterViolence:
      if (ws.hot[e.subject].generation == e.aux) on_exploiter_violence(e.subject, t);
      break;
    case EventKind::Release:
      if (ws.hot[e.subject].generation == e.aux) on_release(e.subject, t);
      break;
    case EventKind::Day: on_day(t); break;
    case EventKind::OperationDay: on_operation_day(e.subject, t); break;
    case EventKind::Recruit: on_recruit(e.subject, t); break;
    case EventKind::VenueHire: on_venue_hire(e.subject, t); break;
    case EventKind::CustodyEnd: on_custody_end(e.subject, t); break;
  }
}

void Simulation::on_day(double t) {
  const auto day = static_cast<std::int64_t>(t);
  start_income_day(t);
  // The day that just ended is sampled first, then today's processes run.
  const std::int64_t ended = day - 1;
  if (ended >= p_.warmup_days && out_ != nullptr)
    sample_day(static_cast<std::size_t>(ended - p_.warmup_days), t);
  recorder_.close_day();
  recorder_.clear_day();
  // Buyers' demand relative to no enforcement, smoothed over about 30 days:
  // what new entrants respond to (entry_step).
  if (contacts_today_ > 0) {
    const double share = 1.0 - static_cast<double>(deterred_today_) / static_cast<double>(contacts_today_);
    demand_index_ += (share - demand_index_) / 30.0;
  }
  contacts_today_ = deterred_today_ = 0;  // every day, warm-up days included

  if (iv_.decriminalization.enabled && !decrim_applied_ && decriminalized(t)) {
    decrim_applied_ = true;
    // Police on patrol no longer threaten arrest: nobody rushes because of them.
    std::fill(patrol_heat_.begin(), patrol_heat_.end(), 0.0);
    Workers& ws = world_.workers;
    for (std::size_t w = 0; w < ws.size(); ++w)
      ws.trust[w] = std::min(1.0f, ws.trust[w] + static_cast<float>(iv_.decriminalization.trust_gain));
  }
  diversion_left_ = (iv_.diversion.enabled && t >= report_time(iv_.diversion.start_day) &&
                     t < report_time(iv_.diversion.end_day))
                        ? iv_.diversion.capacity_per_day
                        : 0.0;
  if (day >= static_cast<std::int64_t>(end_time_)) return;  // the last sample
  policing_step(t);
  displacement_step(t);
  housing_step(t);
  economic_stress_step(t);
  exit_step(t);
  entry_step(t);
  outreach_step(t);
  queue_.push(t + 1.0, static_cast<std::uint16_t>(EventKind::Day), 0);
}

void Simulation::start_income_day(double t) {
  // Every two years the epoch moves to today: stored incomes are rescaled so
  // that they stay below about e^25 times an income.
  constexpr double kEpochDays = 730.0;
  if (t - income_epoch_ >= kEpochDays) {
    const double rescale = std::exp(-(t - income_epoch_) / 30.0);
    for (WorkerHot& h : world_.workers.hot) h.income = static_cast<float>(static_cast<double>(h.income) * rescale);
    income_epoch_ = t;
  }
  day_start_ = t;
  day_decay_ = std::exp(-(t - income_epoch_) / 30.0);
}

void Simulation::raise_level(double& level, double& since, double amount, double t) {
  level = decayed(level, since, t) + amount;
  since = t;
  levels_raised_ = true;
}

void Simulation::add_area_heat(std::uint32_t area, double amount, double t) {
  raise_level(world_.areas.heat[area], world_.areas.heat_time[area], amount, t);
}

void Simulation::add_online_heat(double amount, double t) {
  raise_level(world_.online_heat, world_.online_heat_time, amount, t);
}

void Simulation::add_area_buyer_risk(std::uint32_t area, double amount, double t) {
  raise_level(world_.areas.buyer_risk[area], world_.areas.buyer_risk_time[area], amount, t);
}

void Simulation::add_online_buyer_risk(double amount, double t) {
  raise_level(world_.buyer_risk, world_.buyer_risk_time, amount, t);
}

double Simulation::worker_heat(std::uint32_t w, double t) const {
  const WorkerHot& h = world_.workers.hot[w];
  return h.sector == Sector::Online ? online_heat(t) : area_heat(h.area, t) + patrol_heat_[h.area];
}

double Simulation::net_income_now(std::uint32_t w, double t) const {
  return income_now(w, t) * keep_share(world_.workers.hot[w]);
}

double Simulation::decriminalized_from() const {
  return iv_.decriminalization.enabled ? report_time(iv_.decriminalization.start_day)
                                       : std::numeric_limits<double>::infinity();
}

double Simulation::end_demand_from() const {
  return iv_.end_demand.enabled ? report_time(iv_.end_demand.start_day) : std::numeric_limits<double>::infinity();
}

double Simulation::stigma(double t) const {
  return decriminalized(t) ? iv_.decriminalization.stigma : p_.stigma;
}

void Simulation::record_violence(std::uint32_t w, Perpetrator who, double t) {
  static constexpr Metric kMetricOf[3] = {Metric::violence_buyer, Metric::violence_exploiter,
                                          Metric::violence_police};
  count(kMetricOf[static_cast<int>(who)], w);
  world_.workers.last_violence[static_cast<int>(who)][w] = static_cast<float>(t);
  world_.workers.hot[w].violence_last = static_cast<float>(t);  // time only moves on
}

void Simulation::start_chains(std::uint32_t w, double t) {
  Workers& ws = world_.workers;
  const std::uint16_t gen = ++ws.hot[w].generation;
  queue_.push(t + rng_.exponential(p_.rate_per_day), static_cast<std::uint16_t>(EventKind::Encounter), w, gen);
  if (ws.hot[w].exploiter != kNone) {
    const double max_rate = exploiter_violence_ceiling();
    if (max_rate > 0)
      queue_.push(t + rng_.exponential(max_rate), static_cast<std::uint16_t>(EventKind::ExploiterViolence), w,
                  gen);
  }
}

}  // namespace harmsim::model

// The encounter, most of the model's events, compiled here so that it is
// inlined into handle() and the event loop: no call, and no saving and
// restoring of registers around it (1.6 ns an event at 2,000 workers,
// docs/performance.md). sim/CMakeLists.txt leaves encounter.cpp out of the
// library's own sources.
#include "model/encounter.cpp"  // NOLINT(bugprone-suspicious-include)
