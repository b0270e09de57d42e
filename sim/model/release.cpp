// Release and detention outcomes (MODEL.md §3): jail ends; immigration
// detention ends in deportation or release (advocacy can win the release of
// all: the Club 907 women were all freed after a petition [seed 001]);
// time in services ends in a supported exit or a return to work; exploiters
// come out of custody and recruit again.
#include <algorithm>

#include "model/simulation.hpp"

namespace harmsim::model {

void Simulation::on_release(std::uint32_t w, double t) {
  Workers& ws = world_.workers;
  const Status was = ws.hot[w].status;
  if (was == Status::Detained) {
    const bool advocacy = iv_.advocacy.enabled && t >= report_time(iv_.advocacy.start_day);
    const double deport = advocacy ? (1.0 - iv_.advocacy.release_probability) * p_.deportation_probability
                                   : p_.deportation_probability;
    if (rng_.bernoulli(deport)) {
      count(Metric::deportations, w);
      remove_worker(w, Status::Deported, t);
      return;
    }
    count(Metric::detention_releases, w);
  } else if (was == Status::InServices) {
    // Identified victims and diverted people leave with support, or return.
    if (ws.has(w, worker_flag::kMinor) || rng_.bernoulli(p_.exit_support)) {
      count(Metric::exits, w);
      count(Metric::exits_helped, w);
      remove_worker(w, Status::Exited, t);
      return;
    }
  }
  ws.hot[w].status = Status::Active;
  // A venue worker whose place was filled while she was away works
  // independently from now on.
  const std::uint32_t v = ws.hot[w].venue;
  if (v != kNone && world_.venues.workers[v] > world_.venues.capacity[v]) release_from_exploiter(w, t);
  ws.hot[w].area = ws.hot[w].home_area;
  start_chains(w, t);
}

void Simulation::on_custody_end(std::uint32_t e, double t) {
  Exploiters& ex = world_.exploiters;
  ex.active[e] = 1;
  const std::uint32_t v = ex.venue[e];
  if (v != kNone) {
    // The venue re-opens and hires up to its capacity.
    Venues& venues = world_.venues;
    const std::uint32_t wanted = venues.capacity[v] > venues.workers[v] + venues.pending_hires[v]
                                     ? venues.capacity[v] - venues.workers[v] - venues.pending_hires[v]
                                     : 0;
    for (std::uint32_t i = 0; i < wanted; ++i) {
      ++venues.pending_hires[v];
      queue_.push(t + rng_.exponential(1.0 / p_.recruit_delay_days), static_cast<std::uint16_t>(EventKind::VenueHire),
                  v);
    }
  } else {
    queue_.push(t + rng_.exponential(1.0 / p_.recruit_delay_days), static_cast<std::uint16_t>(EventKind::Recruit), e);
  }
}

}  // namespace harmsim::model
