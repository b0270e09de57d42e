#pragma once
#include "policy/policy.hpp"

namespace harmsim::policy {

// Post-arrest diversion: services reached only through arrest and police
// screening [seed 002: 10 of 33 arrested were sent to providers after police
// screening], routine arrests and operations' alike.
#define HARMSIM_POST_ARREST_DIVERSION_PARAMS(X)                                                            \
  X(post_arrest_diversion, start_day, double, 0, 0, 36500, "day", "policy input", "first day of the programme") \
  X(post_arrest_diversion, end_day, double, 36500, 0, 36500, "day", "policy input", "no referral on or after this day") \
  X(post_arrest_diversion, capacity_per_day, double, 10, 0, 1000000, "people", "policy input",                 \
    "referrals the programme can take per day")                                                            \
  X(post_arrest_diversion, offer_share, double, 0.3, 0, 1, "share", "seed 002",                            \
    "share of arrested people not identified as victims whom police screening refers")

HARMSIM_PARAM_STRUCT(PostArrestDiversion, HARMSIM_POST_ARREST_DIVERSION_PARAMS);

void validate(const PostArrestDiversion& s, const model::Params& p, std::vector<PolicyProblem>& problems);
void apply(const PostArrestDiversion& s, const model::Params& p, model::Interventions& out);

}  // namespace harmsim::policy
