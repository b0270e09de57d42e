// Decriminalisation: the model stops arrests of workers and buyers from the
// start day (operation.cpp, policing.cpp), changes routine policing
// (policing.cpp), lowers stigma and raises trust (simulation.cpp).
#include "policy/decriminalization.hpp"

namespace harmsim::policy {

void validate(const Decriminalization&, const model::Params&, std::vector<PolicyProblem>&) {}

void apply(const Decriminalization& s, const model::Params&, model::Interventions& out) {
  out.decriminalization.enabled = true;
  out.decriminalization.start_day = s.start_day;
  out.decriminalization.stigma = s.stigma;
  out.decriminalization.trust_gain = s.trust_gain;
  out.decriminalization.police_contact_share = s.police_contact_share;
  out.decriminalization.police_coercion_share = s.police_coercion_share;
}

}  // namespace harmsim::policy
