#pragma once
// Statistics across replicates (docs/output.md): the daily summary series
// written next to each metric, and the horizon totals with intervals that the
// comparison table prints. Computed in double from the float32 series.
#include <vector>

#include "model/metrics.hpp"
#include "model/results.hpp"

namespace harmsim::model {

// The q-quantile of `values` by linear interpolation between order statistics,
// as numpy's default `np.quantile(values, q)` (method "linear": h = (n-1)q),
// including its interpolation formula, so values agree to the last bit. NaN if
// any value is NaN; throws std::invalid_argument on an empty sample or q
// outside [0, 1].
[[nodiscard]] double linear_quantile(std::vector<double> values, double q);

// Summary of one metric's daily series across replicates, laid out
// [statistic][day][stratum] in the order of kSummaryStatistics: mean, sample
// sd (n-1; 0 when there is one replicate), 2.5 %, 50 % and 97.5 % quantiles.
// A (day, stratum) cell with a NaN in any replicate gets NaN for every
// statistic, as numpy would. Throws std::invalid_argument when `reps` is empty
// or the replicates disagree on days or strata.
[[nodiscard]] std::vector<double> summarize_series(const std::vector<ReplicateResult>& reps,
                                                   Metric m);

// Mean, sample sd and 95 % interval of the mean (Student t, n-1 degrees of
// freedom) of a sample; with one value the interval is [mean, mean] and sd 0.
// Throws std::invalid_argument on an empty sample.
[[nodiscard]] TotalSummary summarize_sample(const std::vector<double>& values);

// summarize_sample of reps[i].totals[index(m)], the horizon totals of metric m.
[[nodiscard]] TotalSummary summarize_totals(const std::vector<ReplicateResult>& reps, Metric m);

// mean(a) - mean(b) of two independent sets of replicates, with Welch's 95 %
// interval (Welch–Satterthwaite degrees of freedom). In the result, `mean` is
// the difference, `sd` its standard error and `n` the number of values in
// both samples. When either sample has a single value, or both have no
// spread, the interval is [difference, difference] and `sd` 0, as with
// summarize_sample of one value. Throws std::invalid_argument on an empty
// sample.
[[nodiscard]] TotalSummary difference_of_means(const std::vector<double>& a,
                                               const std::vector<double>& b);

}  // namespace harmsim::model
