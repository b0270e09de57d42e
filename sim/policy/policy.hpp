#pragma once
// Policies (MODEL.md §4). Each policy is one file in this folder with its own
// parameter list (declared once; part of the single parameter table), and a
// function that turns it into model-level interventions. Policies compose: a
// scenario lists any number of them.
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/param_spec.hpp"
#include "model/interventions.hpp"
#include "model/parameters.hpp"

namespace harmsim::policy {

using core::IntList;
using i64 = std::int64_t;

// Schedule keys shared by every policy that runs for a while.
#define HARMSIM_SCHEDULE_PARAMS(X, policy, start, duration, repeat)                                           \
  X(policy, start_day, double, start, 0, 36500, "day", "policy input", "first day (day 0 is the first reported day)") \
  X(policy, duration_days, double, duration, 1, 36500, "days", "policy input", "days it works each time")           \
  X(policy, repeat_every_days, double, repeat, 0, 36500, "days", "policy input",                                   \
    "days between the starts of repeats; 0 for once")                                                         \
  X(policy, end_day, double, 36500, 0, 36500, "day", "policy input", "no working day on or after this day")

// One policy of a scenario: its type and its parameters.
struct StreetSting;
struct VenueRaid;
struct BuyerSting;
struct StatewideOperation;
struct VictimCenteredInvestigation;
struct LowBarrierServices;
struct PostArrestDiversion;
struct Decriminalization;
struct EndDemand;
struct Advocacy;

// A validation problem in one policy: the key and what was wrong.
struct PolicyProblem {
  std::string key;
  std::string expected;
  std::string found;
};

// Description of a policy type for the CLI, the docs and the parser.
struct PolicyInfo {
  std::string_view type;         // as written in scenario files: type = "street_sting"
  std::string_view summary;      // one line
  std::string_view motivation;   // the seed article(s) behind it
  std::span<const core::ParamSpec> params;
};

}  // namespace harmsim::policy
