#pragma once
// What one replicate of one scenario produces, and the summaries across
// replicates. Plain data: the io layer writes it (docs/output.md), the app
// prints it.
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "model/metrics.hpp"

namespace harmsim::model {

// Exposure × outcome 2×2 tables among workers active on the last day, as a
// cross-sectional survey would collect them (MODEL.md §5).
inline constexpr std::array<std::string_view, 3> kExposures = {"arrested_180d", "displaced_180d",
                                                               "policed_180d"};
inline constexpr std::array<std::string_view, 2> kOutcomes = {"violence_180d", "condomless_180d"};
// Cell order of each 2×2 table.
inline constexpr std::array<std::string_view, 4> kExposureCells = {
    "exposed_outcome", "exposed_no_outcome", "unexposed_outcome", "unexposed_no_outcome"};
using ExposureTable = std::array<std::uint64_t, kExposures.size() * kOutcomes.size() * 4>;

struct ReplicateResult {
  std::uint64_t replicate = 0;
  std::uint64_t seed = 0;           // this replicate's stream seed (sim/core/rng.hpp)
  std::size_t days = 0;             // reported days
  std::size_t strata = 0;           // strata_count(communities)
  std::vector<float> series;        // [metric][day][stratum], kMetricCount × days × strata
  std::array<double, kMetricCount> totals{};  // horizon total (Count) or mean (Level, Share), stratum "all"
  ExposureTable exposure{};
  std::uint64_t events = 0;         // events processed, warm-up included

  [[nodiscard]] float& at(Metric m, std::size_t day, std::size_t stratum) {
    return series[(index(m) * days + day) * strata + stratum];
  }
  [[nodiscard]] float at(Metric m, std::size_t day, std::size_t stratum) const {
    return series[(index(m) * days + day) * strata + stratum];
  }
};

// Statistics across replicates, in this order (docs/output.md).
inline constexpr std::array<std::string_view, 5> kSummaryStatistics = {"mean", "sd", "q025", "q500",
                                                                       "q975"};

// Across-replicate summary of one metric's daily series: [statistic][day][stratum].
struct SeriesSummary {
  std::vector<double> values;
};

// Horizon totals of one metric across replicates.
struct TotalSummary {
  double mean = 0, sd = 0, ci_low = 0, ci_high = 0;  // 95 % interval of the mean (t)
  std::size_t n = 0;
};

}  // namespace harmsim::model
