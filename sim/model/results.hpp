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
// cross-sectional survey would collect them (MODEL.md §5), one set per
// sector of the worker on the last day, so that the analysis can report
// sector-adjusted (Mantel–Haenszel) odds ratios beside the crude ones, as
// surveys do (Platt et al. 2018 adjust for sector among other things).
inline constexpr std::array<std::string_view, 3> kExposureStrata = {"street", "venue", "online"};
inline constexpr std::array<std::string_view, 3> kExposures = {"arrested_180d", "displaced_180d",
                                                               "policed_180d"};
inline constexpr std::array<std::string_view, 3> kOutcomes = {"violence_180d", "buyer_violence_180d",
                                                              "condomless_180d"};
// Cell order of each 2×2 table.
inline constexpr std::array<std::string_view, 4> kExposureCells = {
    "exposed_outcome", "exposed_no_outcome", "unexposed_outcome", "unexposed_no_outcome"};
// [stratum][exposure][outcome][cell], row-major.
using ExposureTable =
    std::array<std::uint64_t, kExposureStrata.size() * kExposures.size() * kOutcomes.size() * kExposureCells.size()>;

// The place of a cell in an ExposureTable.
[[nodiscard]] constexpr std::size_t exposure_index(std::size_t stratum, std::size_t exposure, std::size_t outcome,
                                                   std::size_t cell) noexcept {
  return ((stratum * kExposures.size() + exposure) * kOutcomes.size() + outcome) * kExposureCells.size() + cell;
}

struct ReplicateResult {
  std::uint64_t replicate = 0;
  std::uint64_t seed = 0;           // this replicate's stream seed (sim/core/rng.hpp)
  std::size_t days = 0;             // reported days
  std::size_t strata = 0;           // strata_count(communities)
  std::vector<float> series;        // [metric][day][stratum], kMetricCount × days × strata
  std::array<double, kMetricCount> totals{};  // horizon total (Count) or mean (Level, Share), stratum "all"
  // The same in every stratum, [metric][stratum] (kMetricCount × strata):
  // what targets of a stratum need (app/evaluate.hpp), kept even where the
  // daily series are not (sweeps).
  std::vector<double> stratum_totals;
  ExposureTable exposure{};
  std::uint64_t events = 0;         // events processed, warm-up included

  [[nodiscard]] float& at(Metric m, std::size_t day, std::size_t stratum) {
    return series[(index(m) * days + day) * strata + stratum];
  }
  [[nodiscard]] float at(Metric m, std::size_t day, std::size_t stratum) const {
    return series[(index(m) * days + day) * strata + stratum];
  }
  // Strata of stratum_totals (equal to `strata` when the series are kept).
  [[nodiscard]] std::size_t totals_strata() const noexcept { return stratum_totals.size() / kMetricCount; }
  [[nodiscard]] double stratum_total(Metric m, std::size_t stratum) const {
    return stratum_totals[index(m) * totals_strata() + stratum];
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
