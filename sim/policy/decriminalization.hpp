#pragma once
#include "policy/policy.hpp"

namespace harmsim::policy {

// Decriminalisation: no arrests of workers or buyers; exploitation, coercion
// and the exploitation of minors stay criminal (investigations and operations
// against exploiters go on); stigma falls and trust in services rises.
#define HARMSIM_DECRIMINALIZATION_PARAMS(X)                                                                \
  X(decriminalization, start_day, double, 0, 0, 36500, "day", "assumed", "day the law changes")            \
  X(decriminalization, stigma, double, 0.2, 0, 1, "0-1", "assumed; seed 003",                              \
    "stigma after decriminalisation (replaces services.stigma)")                                           \
  X(decriminalization, trust_gain, double, 0.2, 0, 1, "0-1", "assumed",                                    \
    "one-off rise in every worker's trust in services")

HARMSIM_PARAM_STRUCT(Decriminalization, HARMSIM_DECRIMINALIZATION_PARAMS);

void validate(const Decriminalization& s, const model::Params& p, std::vector<PolicyProblem>& problems);
void apply(const Decriminalization& s, const model::Params& p, model::Interventions& out);

}  // namespace harmsim::policy
