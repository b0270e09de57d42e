// Buyer sting / end demand [seed 004]: buyer arrests and bot texts raise
// buyers' perceived risk; the heat of decoys still reaches workers.
#include "policy/buyer_sting.hpp"

#include "policy/schedule.hpp"

namespace harmsim::policy {

void validate(const BuyerSting& s, const model::Params& p, std::vector<PolicyProblem>& problems) {
  check_schedule(s, problems);
  check_areas(s.areas, p, problems);
}

void apply(const BuyerSting& s, const model::Params& p, model::Interventions& out) {
  model::Operation op;
  op.kind = model::OperationKind::Arrests;
  op.policy = "buyer_sting";
  copy_schedule(s, op);
  op.arrests_per_day = s.decoy_officers * s.arrests_per_officer_day;
  op.buyer_share = 1.0;
  op.sectors = {true, false, true};
  op.areas = to_ids(s.areas);
  op.heat_per_day = heat_per_area(s.decoy_officers, s.heat_per_officer_day, s.areas, p);
  op.buyer_risk_per_day = s.bot_risk_per_day;
  out.operations.push_back(std::move(op));
}

}  // namespace harmsim::policy
