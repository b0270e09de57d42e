#pragma once
// Daily counters by stratum. Processes add to today's counters as things
// happen; the daily sample (sampling.cpp) adds the levels and shares and
// moves the day into the replicate's series.
#include <cstddef>
#include <vector>

#include "model/metrics.hpp"

namespace harmsim::model {

class Recorder {
 public:
  void reset(std::size_t communities) {
    communities_ = communities;
    strata_ = strata_count(communities);
    today_.assign(kMetricCount * strata_, 0.0);
  }

  // Adds v to a worker's metric: to "all", her cell and her community.
  void add(Metric m, std::size_t cell, std::size_t community, double v = 1.0) noexcept {
    double* row = &today_[index(m) * strata_];
    row[0] += v;
    row[cell] += v;
    row[1 + kCellStrata + community] += v;
  }
  // Adds v to a metric that belongs to no worker (stratum "all" only).
  void add_global(Metric m, double v = 1.0) noexcept { today_[index(m) * strata_] += v; }
  void set(Metric m, std::size_t stratum, double v) noexcept { today_[index(m) * strata_ + stratum] = v; }

  [[nodiscard]] double today(Metric m, std::size_t stratum = 0) const noexcept {
    return today_[index(m) * strata_ + stratum];
  }
  [[nodiscard]] std::size_t strata() const noexcept { return strata_; }
  [[nodiscard]] std::size_t communities() const noexcept { return communities_; }
  [[nodiscard]] const std::vector<double>& today_all() const noexcept { return today_; }
  void clear_day() noexcept { std::fill(today_.begin(), today_.end(), 0.0); }

  // Running total of a count over the whole run so far (warm-up included),
  // stratum "all"; for tests.
  [[nodiscard]] double total(Metric m) const noexcept {
    return totals_[index(m)] + today_[index(m) * strata_];
  }
  void close_day() noexcept {
    for (std::size_t m = 0; m < kMetricCount; ++m) totals_[m] += today_[m * strata_];
  }

 private:
  std::size_t communities_ = 0;
  std::size_t strata_ = 0;
  std::vector<double> today_;
  double totals_[kMetricCount] = {};
};

}  // namespace harmsim::model
