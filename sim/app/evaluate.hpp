#pragma once
// The model's value of each target of a targets file (io/targets.hpp), from
// the replicates of the scenarios it names: a pure function, the same for
// `harmsim targets` and for calibration, which evaluates the targets at
// every point of a sweep. It reads of a replicate only what sweeps keep too:
// `days`, `stratum_totals` and `exposure` (the daily series may be absent).
//
// How each kind is computed (docs/targets.md):
// - level: per replicate, the horizon mean of a share (or of a mean such as
//   income_mean) over the group's strata, each weighted by its horizon-mean
//   workers_active; a level that counts people or places (workers_active,
//   venues_open, ...) is summed over them. A one-stratum group is read as it is.
// - rate: per replicate, the count's horizon total over the group divided by
//   its worker-years, sum of workers_active horizon means × days / 365 (or
//   per 1000 worker-days).
// - total: per replicate, the count's horizon total over the group (× 365 /
//   days with per_year).
//   These three: the model value is the mean over replicates, its interval
//   the Student t interval of that mean.
// - odds_ratio: the tables of every replicate pooled (the survey of every
//   worker of every replicate): with adjust = "sector" the Mantel–Haenszel
//   ratio over the sectors with the Robins–Breslow–Greenland interval
//   (Robins, Breslow & Greenland 1986), sectors with nobody in them left out;
//   with adjust = "none" the crude ratio of the table summed over sectors,
//   with the Woolf interval and, when a cell is zero, 0.5 added to every
//   cell (Haldane–Anscombe), as harmsim_analysis.odds_ratios. Per replicate:
//   the same on that replicate's own tables.
// - ratio (A / B) and change (A / B - 1): mean(A) / mean(B), with a delta-
//   method interval on the log scale: var ln = var(mean A)/mean(A)² +
//   var(mean B)/mean(B)² − 2 cov/(mean A · mean B), the covariance taken when A
//   and B come from the same scenario (the same replicates, paired; t with
//   n − 1 degrees of freedom), none when they come from two (independent
//   streams; Welch–Satterthwaite degrees of freedom). Per replicate: A_r / B_r
//   when paired, none otherwise.
#include <array>
#include <cstddef>
#include <limits>
#include <string>
#include <vector>

#include "io/targets.hpp"
#include "model/results.hpp"

namespace harmsim::app {

struct TargetValue {
  static constexpr double kNone = std::numeric_limits<double>::quiet_NaN();
  double value = kNone;             // the model's value (NaN if it cannot be formed: `problem` says why)
  double low = kNone, high = kNone;  // its 95 % interval (NaN if there is none)
  // Standard error of `value` (for a ratio or an odds ratio, value × the
  // standard error of its logarithm): what calibration takes as the model's
  // Monte-Carlo error.
  double se = kNone;
  std::size_t replicates = 0;
  // The quantity of each replicate alone, in replicate order, where one is
  // defined (NaN for a replicate whose own tables or denominators do not
  // give one); empty for the ratio of two scenarios.
  std::vector<double> per_replicate;
  bool within = false;  // low <= value <= high of the target's interval
  std::string problem;  // why value (or its interval) is NaN; empty when both are there
};

// results[i]: the replicates of targets.scenarios[i] (at least one each, all
// with the same days and strata: std::invalid_argument otherwise). One value
// per target, in the order of targets.targets.
[[nodiscard]] std::vector<TargetValue> evaluate_targets(
    const io::TargetsFile& targets, const std::vector<const std::vector<model::ReplicateResult>*>& results);

// One target.
[[nodiscard]] TargetValue evaluate_target(const io::PublishedTarget& target,
                                          const std::vector<const std::vector<model::ReplicateResult>*>& results);

// The Mantel–Haenszel odds ratio of 2×2 tables (a, b, c, d per stratum:
// exposed with and without the outcome, unexposed with and without) and the
// standard error of its logarithm by Robins, Breslow and Greenland (1986).
// Strata with nobody in them are left out; NaN when Σ ad/n or Σ bc/n is 0.
struct OddsRatio {
  double ratio = TargetValue::kNone, log_se = TargetValue::kNone;
};
[[nodiscard]] OddsRatio mantel_haenszel(const std::vector<std::array<double, 4>>& strata);
// The crude odds ratio ad/bc with Woolf's standard error of its logarithm,
// 0.5 added to every cell when one is zero; NaN when a margin is empty.
[[nodiscard]] OddsRatio woolf(std::array<double, 4> cells);

}  // namespace harmsim::app
