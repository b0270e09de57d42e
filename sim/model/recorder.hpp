#pragma once
// Daily counters by stratum. Processes add to today's counters as things
// happen; the daily sample (sampling.cpp) adds the levels and shares and
// moves the day into the replicate's series.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "model/metrics.hpp"

namespace harmsim::model {

class Recorder {
 public:
  void reset(std::size_t communities) {
    communities_ = communities;
    strata_ = strata_count(communities);
    today_.assign(kMetricCount * strata_, 0.0);
    encounter_counts_.assign(kCellStrata * communities, 0);
  }

  // Adds v to a worker's metric: to "all", her cell and her community.
  void add(Metric m, std::size_t cell, std::size_t community, double v = 1.0) noexcept {
    double* row = &today_[index(m) * strata_];
    row[0] += v;
    row[cell] += v;
    row[1 + kCellStrata + community] += v;
  }
  // Counts an encounter, and whether it was condomless, in her (cell,
  // community) pair (Simulation::pair_of, strata_of_pair): one integer add
  // in place of six additions to three strata of two metrics, in the
  // model's hottest path. The counts
  // reach those strata when the day is read (fold_encounters). Both metrics
  // add only 0 or 1, so their sums are exact whichever way they are formed.
  void count_encounter(std::size_t pair, bool condomless) noexcept {
    encounter_counts_[pair] += 1 + (static_cast<std::uint64_t>(condomless) << 32);
  }
  // Adds v to a metric that belongs to no worker (stratum "all" only).
  void add_global(Metric m, double v = 1.0) noexcept { today_[index(m) * strata_] += v; }
  void set(Metric m, std::size_t stratum, double v) noexcept { today_[index(m) * strata_ + stratum] = v; }

  [[nodiscard]] double today(Metric m, std::size_t stratum = 0) const noexcept {
    fold_encounters();
    return today_[index(m) * strata_ + stratum];
  }
  [[nodiscard]] std::size_t strata() const noexcept { return strata_; }
  [[nodiscard]] std::size_t communities() const noexcept { return communities_; }
  [[nodiscard]] const std::vector<double>& today_all() const noexcept {
    fold_encounters();
    return today_;
  }
  void clear_day() noexcept {
    std::fill(today_.begin(), today_.end(), 0.0);
    std::fill(encounter_counts_.begin(), encounter_counts_.end(), 0);
  }

  // Running total of a count over the whole run so far (warm-up included),
  // stratum "all"; for tests.
  [[nodiscard]] double total(Metric m) const noexcept {
    fold_encounters();
    return totals_[index(m)] + today_[index(m) * strata_];
  }
  void close_day() noexcept {
    fold_encounters();
    for (std::size_t m = 0; m < kMetricCount; ++m) totals_[m] += today_[m * strata_];
  }

 private:
  // Moves the encounter counts into today's strata and zeroes them (const:
  // every reader of the day sees them folded first; so a read writes, and
  // the recorder is not for other threads to read while its replicate
  // runs). A pair's two counts are 32-bit halves, folded at least once a
  // day (close_day), far below 2^32 encounters a day in one pair.
  void fold_encounters() const noexcept {
    double* const encounters = &today_[index(Metric::encounters) * strata_];
    double* const condomless = &today_[index(Metric::condomless_acts) * strata_];
    for (std::size_t pair = 0; pair < encounter_counts_.size(); ++pair) {
      const std::uint64_t counts = encounter_counts_[pair];
      if (counts == 0) continue;
      encounter_counts_[pair] = 0;
      for (const std::size_t s : strata_of_pair(pair, communities_)) {
        encounters[s] += static_cast<double>(counts & 0xffffffffu);
        condomless[s] += static_cast<double>(counts >> 32);
      }
    }
  }

  std::size_t communities_ = 0;
  std::size_t strata_ = 0;
  mutable std::vector<double> today_;
  mutable std::vector<std::uint64_t> encounter_counts_;  // by pair: encounters, and condomless acts << 32
  double totals_[kMetricCount] = {};
};

}  // namespace harmsim::model
