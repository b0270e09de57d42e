#pragma once
#include "policy/policy.hpp"

namespace harmsim::policy {

// End demand: a law that criminalises buying sex and not selling it (the
// "Nordic model"; Canada's 2014 law). Routine police contacts no longer
// arrest or cite workers; they arrest buyers, whose fear of arrest deters
// some and rushes negotiations with the rest, while police remain visible,
// move workers along and take condoms (Krüsi et al. 2014; the J Urban Health
// 2017 rushed-negotiation study). Combine it with buyer_sting for decoy and
// bot operations.
#define HARMSIM_END_DEMAND_PARAMS(X)                                                                       \
  X(end_demand, start_day, double, 0, 0, 36500, "day", "policy input", "day the law takes effect")             \
  X(end_demand, buyer_arrest_per_contact, double, 0.05, 0, 1, "probability", "policy input",                     \
    "chance a routine police contact ends in the arrest of one of the area's buyers")

HARMSIM_PARAM_STRUCT(EndDemand, HARMSIM_END_DEMAND_PARAMS);

void validate(const EndDemand& s, const model::Params& p, std::vector<PolicyProblem>& problems);
void apply(const EndDemand& s, const model::Params& p, model::Interventions& out);

}  // namespace harmsim::policy
