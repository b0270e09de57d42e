// Street sting [seed 002]: an arrest operation on the street sector of its
// areas; its heat is what displaces workers and shortens negotiations.
#include "policy/street_sting.hpp"

#include "policy/schedule.hpp"

namespace harmsim::policy {

void validate(const StreetSting& s, const model::Params& p, std::vector<PolicyProblem>& problems) {
  check_schedule(s, problems);
  check_areas(s.areas, p, problems);
}

void apply(const StreetSting& s, const model::Params& p, model::Interventions& out) {
  model::Operation op;
  op.kind = model::OperationKind::Arrests;
  op.policy = "street_sting";
  copy_schedule(s, op);
  op.arrests_per_day = s.officers * s.arrests_per_officer_day;
  op.buyer_share = s.buyer_share;
  op.sectors = {true, false, false};
  op.areas = to_ids(s.areas);
  op.heat_per_day = heat_per_area(s.officers, s.heat_per_officer_day, s.areas, p);
  op.ice_cooperation = s.ice_cooperation;
  op.screening_adult = s.screening_sensitivity;
  out.operations.push_back(std::move(op));
}

}  // namespace harmsim::policy
