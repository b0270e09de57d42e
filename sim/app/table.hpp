#pragma once
// The comparison table printed after a run: each metric's mean and 95 %
// interval per scenario and the difference to the baseline (the first
// scenario) with its Welch interval; or, when the replicates ran over
// parameter draws (run --posterior), the difference paired by draw with the
// 2.5 and 97.5 % quantiles of the per-draw differences and the share of
// draws where the scenario's value is lower (as harmsim_analysis.effects).
#include <cstdio>
#include <string>
#include <vector>

#include "io/scenario.hpp"
#include "model/results.hpp"

namespace harmsim::app {

// A number for a table: four decimals below 0.01, three below 10, one
// below 1000, none above.
std::string number(double v);

struct ScenarioTotals {
  std::string name;
  std::vector<model::ReplicateResult> const* replicates = nullptr;
  // With parameter draws: replicate r ran draw r / replicates_per_draw
  // (0: no draws).
  std::size_t replicates_per_draw = 0;
};

// Draw-paired comparison of one metric: the per-draw means of `values` and of
// `base` (replicate r in draw r / per_draw), their differences, the mean of
// those, their 2.5 and 97.5 % quantiles (linear interpolation, as numpy's
// default) and the share of draws where `values` is lower (a tie counts half).
struct PairedDifference {
  double mean = 0, low = 0, high = 0, p_lower = 0;
};
PairedDifference paired_by_draw(const std::vector<double>& values, const std::vector<double>& base,
                                std::size_t per_draw);

std::string comparison_table(const std::vector<ScenarioTotals>& scenarios, std::size_t reported_days);

// The figures scenarios should reproduce beside what the model gave; empty
// when no scenario has targets. `all_met` tells whether every one was met.
std::string targets_table(const std::vector<io::Scenario>& scenarios,
                          const std::vector<std::vector<model::ReplicateResult>>& results, bool& all_met);

}  // namespace harmsim::app
