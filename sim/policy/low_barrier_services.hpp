#pragma once
#include "policy/policy.hpp"

namespace harmsim::policy {

// Low-barrier outreach: services reach workers where they are, with no arrest
// needed [seed 002: resources "available before an arrest or booking"].
#define HARMSIM_LOW_BARRIER_SERVICES_PARAMS(X)                                                             \
  HARMSIM_SCHEDULE_PARAMS(X, low_barrier_services, 0, 36500, 0)                                           \
  X(low_barrier_services, contacts_per_day, double, 20, 0, 1000000, "contacts", "policy input",                \
    "outreach contacts the services can make per day")                                                     \
  X(low_barrier_services, areas, IntList, IntList{}, 0, 60000, "area ids", "policy input",                      \
    "areas covered on foot; empty: every area (online outreach is not tied to an area)")                  \
  X(low_barrier_services, trust_gain, double, -1, -1, 1, "0-1", "policy input",                                 \
    "trust gained per contact; -1 uses services.trust_gain")

HARMSIM_PARAM_STRUCT(LowBarrierServices, HARMSIM_LOW_BARRIER_SERVICES_PARAMS);

void validate(const LowBarrierServices& s, const model::Params& p, std::vector<PolicyProblem>& problems);
void apply(const LowBarrierServices& s, const model::Params& p, model::Interventions& out);

}  // namespace harmsim::policy
