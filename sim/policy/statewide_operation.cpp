// Statewide operation [seed 004]: one arrest operation worked by many task
// forces at once, online, on the street and in venues, weighted toward minors.
#include "policy/statewide_operation.hpp"

#include <fmt/format.h>

#include "policy/schedule.hpp"

namespace harmsim::policy {

void validate(const StatewideOperation& s, const model::Params&, std::vector<PolicyProblem>& problems) {
  check_schedule(s, problems);
  if (s.buyer_share + s.exploiter_share > 1.0)
    problems.push_back({"exploiter_share", "buyer_share + exploiter_share at most 1",
                        fmt::format("{}", s.buyer_share + s.exploiter_share)});
}

void apply(const StatewideOperation& s, const model::Params& p, model::Interventions& out) {
  model::Operation op;
  op.kind = model::OperationKind::Arrests;
  op.policy = "statewide_operation";
  copy_schedule(s, op);
  op.arrests_per_day = s.task_forces * s.arrests_per_task_force_day;
  op.buyer_share = s.buyer_share;
  op.exploiter_share = s.exploiter_share;
  op.sectors = {true, true, true};
  op.minor_priority = s.minor_priority;
  op.heat_per_day = s.task_forces * s.heat_per_task_force_day / static_cast<double>(p.areas);
  op.screening_adult = s.screening_sensitivity;
  op.ice_cooperation = s.ice_cooperation;
  op.refer_exploited_workers = true;
  out.operations.push_back(std::move(op));
}

}  // namespace harmsim::policy
