// Daily sample (MODEL.md §3, §5): the day's counts by stratum, plus the
// levels and shares of the population at the end of the day; and, at the end
// of a run, the exposure × outcome tables among active workers.
#include <algorithm>

#include "model/simulation.hpp"

namespace harmsim::model {

namespace {
struct StratumTally {
  double active = 0, controlled = 0, victims = 0, street = 0, street_isolated = 0, violence_12m = 0,
         income = 0;
};
}  // namespace

void Simulation::sample_day(std::size_t report_day, double t) {
  const Workers& ws = world_.workers;
  const std::size_t strata = recorder_.strata();
  tally_.assign(strata * 7, 0.0);
  auto add = [&](std::uint32_t w, std::size_t field, double v) {
    tally_[field * strata] += v;
    tally_[field * strata + cell_of(w)] += v;
    tally_[field * strata + 1 + kCellStrata + community_of(w)] += v;
  };
  const auto year_ago = static_cast<float>(t - 365.0);
  for (std::uint32_t w = 0; w < ws.size(); ++w) {
    if (ws.hot[w].status != Status::Active) continue;
    add(w, 0, 1.0);
    if (ws.hot[w].exploiter != kNone) add(w, 1, 1.0);
    if (ws.is_victim(w)) add(w, 2, 1.0);
    if (ws.hot[w].sector == Sector::Street) {
      add(w, 3, 1.0);
      if (world_.areas.kind[ws.hot[w].area] == AreaKind::Isolated) add(w, 4, 1.0);
    }
    if (std::max({ws.last_violence[0][w], ws.last_violence[1][w], ws.last_violence[2][w]}) >= year_ago)
      add(w, 5, 1.0);
    add(w, 6, net_income_now(w, t));
  }
  auto ratio = [](double num, double den) { return den > 0 ? num / den : 0.0; };
  for (std::size_t s = 0; s < strata; ++s) {
    const double active = tally_[s];
    recorder_.set(Metric::workers_active, s, active);
    recorder_.set(Metric::share_controlled, s, ratio(tally_[strata + s], active));
    recorder_.set(Metric::victims_exploited, s, tally_[2 * strata + s]);
    recorder_.set(Metric::share_isolated, s, ratio(tally_[4 * strata + s], tally_[3 * strata + s]));
    recorder_.set(Metric::violence_12m, s, ratio(tally_[5 * strata + s], active));
    recorder_.set(Metric::income_mean, s, ratio(tally_[6 * strata + s], active));
  }
  double exploiters_active = 0;
  for (std::uint8_t a : world_.exploiters.active) exploiters_active += a;
  recorder_.set(Metric::exploiters_active, 0, exploiters_active);
  double venues_open = 0;
  for (double until : world_.venues.closed_until) venues_open += t >= until ? 1.0 : 0.0;
  recorder_.set(Metric::venues_open, 0, venues_open);
  recorder_.set(Metric::buyer_demand, 0,
                contacts_today_ > 0 ? 1.0 - static_cast<double>(deterred_today_) / static_cast<double>(contacts_today_)
                                    : 1.0);
  contacts_today_ = deterred_today_ = 0;

  ReplicateResult& out = *out_;
  const std::vector<double>& today = recorder_.today_all();
  for (std::size_t m = 0; m < kMetricCount; ++m)
    for (std::size_t s = 0; s < strata; ++s)
      out.series[(m * out.days + report_day) * strata + s] = static_cast<float>(today[m * strata + s]);
}

void Simulation::record_exposure(double t, ReplicateResult& out) const {
  const Workers& ws = world_.workers;
  const auto since = static_cast<float>(t - p_.window_days);
  out.exposure.fill(0);
  for (std::uint32_t w = 0; w < ws.size(); ++w) {
    if (ws.hot[w].status != Status::Active) continue;
    const bool arrested = ws.last_arrest[w] >= since;
    const bool displaced = ws.last_displaced[w] >= since;
    const bool exposures[3] = {arrested, displaced, arrested || displaced};
    const bool violence =
        std::max({ws.last_violence[0][w], ws.last_violence[1][w], ws.last_violence[2][w]}) >= since;
    const bool outcomes[2] = {violence, ws.hot[w].last_condomless >= since};
    for (std::size_t e = 0; e < 3; ++e)
      for (std::size_t o = 0; o < 2; ++o) {
        const std::size_t cell = (exposures[e] ? 0 : 2) + (outcomes[o] ? 0 : 1);
        ++out.exposure[(e * 2 + o) * 4 + cell];
      }
  }
}

}  // namespace harmsim::model
