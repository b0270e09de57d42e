#pragma once
// The comparison table printed after a run: each metric's mean and 95 %
// interval per scenario and the difference to the baseline (the first
// scenario) with its Welch interval.
#include <cstdio>
#include <string>
#include <vector>

#include "model/results.hpp"

namespace harmsim::app {

struct ScenarioTotals {
  std::string name;
  std::vector<model::ReplicateResult> const* replicates = nullptr;
};

std::string comparison_table(const std::vector<ScenarioTotals>& scenarios, std::size_t reported_days);

}  // namespace harmsim::app
