#pragma once
#include "policy/policy.hpp"

namespace harmsim::policy {

// Buyer sting / end demand: decoy officers and bots that text buyers
// [seed 004]. Buyers are arrested and every buyer's perceived risk rises, so
// demand falls; workers then earn less and compensate with riskier encounters.
#define HARMSIM_BUYER_STING_PARAMS(X)                                                                      \
  HARMSIM_SCHEDULE_PARAMS(X, buyer_sting, 0, 1, 14)                                                       \
  X(buyer_sting, decoy_officers, double, 10, 0, 100000, "officers", "policy input", "decoy officers per day")  \
  X(buyer_sting, arrests_per_officer_day, double, 1.0, 0, 100, "arrests", "assumed",                       \
    "buyer arrests per decoy officer-day")                                                                 \
  X(buyer_sting, bot_risk_per_day, double, 0.05, 0, 10, "risk", "assumed; seed 004",                       \
    "rise in buyers' perceived risk per day from bots texting buyers")                                     \
  X(buyer_sting, areas, IntList, IntList{}, 0, 60000, "area ids", "policy input", "street areas; empty: every area") \
  X(buyer_sting, heat_per_officer_day, double, 0.02, 0, 100, "heat", "assumed",                            \
    "police heat per officer-day where decoys work (street and online)")

HARMSIM_PARAM_STRUCT(BuyerSting, HARMSIM_BUYER_STING_PARAMS);

void validate(const BuyerSting& s, const model::Params& p, std::vector<PolicyProblem>& problems);
void apply(const BuyerSting& s, const model::Params& p, model::Interventions& out);

}  // namespace harmsim::policy
