// End demand: routine policing enforces against buyers instead of workers
// from the start day (policing.cpp), and no operation arrests workers
// (operation.cpp).
#include "policy/end_demand.hpp"

namespace harmsim::policy {

void validate(const EndDemand&, const model::Params&, std::vector<PolicyProblem>&) {}

void apply(const EndDemand& s, const model::Params&, model::Interventions& out) {
  out.end_demand.enabled = true;
  out.end_demand.start_day = s.start_day;
  out.end_demand.buyer_arrest_per_contact = s.buyer_arrest_per_contact;
}

}  // namespace harmsim::policy
