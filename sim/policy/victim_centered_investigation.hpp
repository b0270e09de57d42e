#pragma once
#include "policy/policy.hpp"

namespace harmsim::policy {

// Victim-centred investigation: a few investigators pursue exploiters over a
// long period; the workers of an arrested exploiter are referred to services
// without being arrested, and the victims among them identified [seed 003:
// outreach and investigation work better than raids]. While it runs, police
// trained in victim-centred practice screen better at routine arrests.
#define HARMSIM_VICTIM_CENTERED_INVESTIGATION_PARAMS(X)                                                    \
  HARMSIM_SCHEDULE_PARAMS(X, victim_centered_investigation, 0, 36500, 0)                                  \
  X(victim_centered_investigation, investigators, double, 4, 0, 100000, "people", "policy input",              \
    "investigators assigned")                                                                              \
  X(victim_centered_investigation, cases_per_investigator_year, double, 6, 0, 1000, "exploiters", "policy input", \
    "exploiters an investigator brings to arrest per year")                                                \
  X(victim_centered_investigation, routine_screening_sensitivity, double, 0.5, -1, 1, "probability", "assumed; seed 003", \
    "police screening sensitivity for adult victims at routine arrests while it runs; -1 leaves arrest.screening_sensitivity_adult")

HARMSIM_PARAM_STRUCT(VictimCenteredInvestigation, HARMSIM_VICTIM_CENTERED_INVESTIGATION_PARAMS);

void validate(const VictimCenteredInvestigation& s, const model::Params& p, std::vector<PolicyProblem>& problems);
void apply(const VictimCenteredInvestigation& s, const model::Params& p, model::Interventions& out);

}  // namespace harmsim::policy
