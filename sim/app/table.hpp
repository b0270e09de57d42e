#pragma once
// The comparison table printed after a run: each metric's mean and 95 %
// interval per scenario and the difference to the baseline (the first
// scenario) with its Welch interval.
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
};

std::string comparison_table(const std::vector<ScenarioTotals>& scenarios, std::size_t reported_days);

// The figures scenarios should reproduce beside what the model gave; empty
// when no scenario has targets. `all_met` tells whether every one was met.
std::string targets_table(const std::vector<io::Scenario>& scenarios,
                          const std::vector<std::vector<model::ReplicateResult>>& results, bool& all_met);

}  // namespace harmsim::app
