// Advocacy [seed 001]: detention ends in release rather than deportation
// (release.cpp).
#include "policy/advocacy.hpp"

namespace harmsim::policy {

void validate(const Advocacy&, const model::Params&, std::vector<PolicyProblem>&) {}

void apply(const Advocacy& s, const model::Params&, model::Interventions& out) {
  out.advocacy.enabled = true;
  out.advocacy.start_day = s.start_day;
  out.advocacy.release_probability = s.release_probability;
}

}  // namespace harmsim::policy
