#pragma once
#include "policy/policy.hpp"

namespace harmsim::policy {

// Statewide operation: many task forces at once over a few days, online and
// on the street, searching for minors. Operation Reclaim and Rebuild 2019: 93
// task forces, 3 days, 339 arrests, about 50 victims of whom 14 minors
// [seed 004].
#define HARMSIM_STATEWIDE_OPERATION_PARAMS(X)                                                              \
  HARMSIM_SCHEDULE_PARAMS(X, statewide_operation, 30, 3, 0)                                               \
  X(statewide_operation, task_forces, double, 93, 0, 100000, "task forces", "seed 004",                   \
    "task forces working each day")                                                                        \
  X(statewide_operation, arrests_per_task_force_day, double, 1.2151, 0, 1000, "arrests", "seed 004",      \
    "arrests per task-force day (339 arrests by 93 task forces in 3 days)")                               \
  X(statewide_operation, buyer_share, double, 0.45, 0, 1, "share", "assumed; seed 004",                    \
    "share of arrests that are buyers (bots, decoys)")                                                    \
  X(statewide_operation, exploiter_share, double, 0.08, 0, 1, "share", "assumed; seed 004",                \
    "share of arrests that are pimps and traffickers")                                                    \
  X(statewide_operation, minor_priority, double, 10, 1, 10000, "ratio", "assumed; seed 004",               \
    "how much more likely a minor is to be found than an adult (searches for minors)")                    \
  X(statewide_operation, heat_per_task_force_day, double, 0.01, 0, 100, "heat", "assumed",                 \
    "police heat per task-force day, spread over every area and online")                                  \
  X(statewide_operation, screening_sensitivity, double, 0.5, -1, 1, "probability", "assumed; seed 004",   \
    "screening sensitivity for adult victims in a trafficking-focused operation")                        \
  X(statewide_operation, ice_cooperation, double, 0, 0, 1, "probability", "policy input",                       \
    "chance an undocumented arrestee is handed to immigration")

HARMSIM_PARAM_STRUCT(StatewideOperation, HARMSIM_STATEWIDE_OPERATION_PARAMS);

void validate(const StatewideOperation& s, const model::Params& p, std::vector<PolicyProblem>& problems);
void apply(const StatewideOperation& s, const model::Params& p, model::Interventions& out);

}  // namespace harmsim::policy
