// Victim-centred investigation [seed 003]: exploiters arrested one case at a
// time; no worker is arrested and no heat is raised; routine arrests screen
// better while it runs.
#include "policy/victim_centered_investigation.hpp"

#include "policy/schedule.hpp"

namespace harmsim::policy {

void validate(const VictimCenteredInvestigation& s, const model::Params&, std::vector<PolicyProblem>& problems) {
  check_schedule(s, problems);
}

void apply(const VictimCenteredInvestigation& s, const model::Params&, model::Interventions& out) {
  model::Operation op;
  op.kind = model::OperationKind::Investigation;
  op.policy = "victim_centered_investigation";
  copy_schedule(s, op);
  op.exploiters_per_day = s.investigators * s.cases_per_investigator_year / 365.0;
  op.refer_exploited_workers = true;
  out.operations.push_back(std::move(op));
  if (s.routine_screening_sensitivity >= 0) {
    out.routine_screening.enabled = true;
    out.routine_screening.start_day = s.start_day;
    out.routine_screening.end_day = s.end_day;
    out.routine_screening.sensitivity_adult = s.routine_screening_sensitivity;
  }
}

}  // namespace harmsim::policy
