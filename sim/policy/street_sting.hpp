#pragma once
#include "policy/policy.hpp"

namespace harmsim::policy {

// Street sting: officers sweep street areas for a day, arresting workers and
// (through decoys) buyers, and leave police heat behind. Lynwood/Compton 2018:
// about 70 officers, one day, two areas, 33 arrests [seed 002].
#define HARMSIM_STREET_STING_PARAMS(X)                                                                    \
  HARMSIM_SCHEDULE_PARAMS(X, street_sting, 30, 1, 0)                                                     \
  X(street_sting, officers, double, 70, 0, 100000, "officers", "seed 002", "officers per operation day")   \
  X(street_sting, arrests_per_officer_day, double, 0.47143, 0, 100, "arrests", "seed 002",                  \
    "arrests per officer-day (33 arrests by about 70 officers in one day)")                               \
  X(street_sting, buyer_share, double, 0.3, 0, 1, "share", "assumed; seed 002",                            \
    "share of arrests that are buyers (solicitation, decoys)")                                             \
  X(street_sting, areas, IntList, IntList({0, 1}), 0, 60000, "area ids", "seed 002",                       \
    "areas swept (two communities in Lynwood/Compton); empty: every area")                                \
  X(street_sting, heat_per_officer_day, double, 0.04, 0, 100, "heat", "assumed",                           \
    "police heat left per officer-day, shared among the areas swept")                                     \
  X(street_sting, ice_cooperation, double, 0, 0, 1, "probability", "policy input",                              \
    "chance an undocumented arrestee is handed to immigration")                                            \
  X(street_sting, screening_sensitivity, double, -1, -1, 1, "probability", "policy input",                      \
    "police screening sensitivity for adult victims; -1 uses arrest.screening_sensitivity_adult")

HARMSIM_PARAM_STRUCT(StreetSting, HARMSIM_STREET_STING_PARAMS);

void validate(const StreetSting& s, const model::Params& p, std::vector<PolicyProblem>& problems);
void apply(const StreetSting& s, const model::Params& p, model::Interventions& out);

}  // namespace harmsim::policy
