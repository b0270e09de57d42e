#pragma once
#include "policy/policy.hpp"

namespace harmsim::policy {

// Venue raid: police raid clubs or massage parlors and arrest the workers
// present; buyers are sent home; immigration may be called in; operators may
// or may not be pursued. Club 907 [seeds 000, 001]; Brooklyn massage parlors
// [seed 003].
#define HARMSIM_VENUE_RAID_PARAMS(X)                                                                       \
  HARMSIM_SCHEDULE_PARAMS(X, venue_raid, 30, 1, 0)                                                        \
  X(venue_raid, venues, IntList, IntList{}, 0, 1000000, "venue ids", "seed 000",                           \
    "venues raided; empty: the largest open venues")                                                       \
  X(venue_raid, venue_count, i64, 1, 0, 1000000, "venues", "seed 000",                                    \
    "venues raided per operation day when `venues` is empty")                                              \
  X(venue_raid, arrest_share_present, double, 1.0, 0, 1, "share", "seed 000",                              \
    "share of the workers present who are arrested (81 of the women at Club 907)")                        \
  X(venue_raid, ice_cooperation, double, 1.0, 0, 1, "probability", "seed 000",                             \
    "chance an undocumented arrestee is handed to immigration (most sent toward deportation)")            \
  X(venue_raid, pursue_operators, bool, false, 0, 1, "", "seed 000",                                        \
    "whether the operator is arrested (Club 907: management not charged)")                                \
  X(venue_raid, heat, double, 0.5, 0, 100, "heat", "assumed", "police heat left in the venue's area")     \
  X(venue_raid, screening_sensitivity, double, -1, -1, 1, "probability", "assumed; seed 003",              \
    "police screening sensitivity for adult victims; -1 uses arrest.screening_sensitivity_adult")

HARMSIM_PARAM_STRUCT(VenueRaid, HARMSIM_VENUE_RAID_PARAMS);

void validate(const VenueRaid& s, const model::Params& p, std::vector<PolicyProblem>& problems);
void apply(const VenueRaid& s, const model::Params& p, model::Interventions& out);

}  // namespace harmsim::policy
