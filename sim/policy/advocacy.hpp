#pragma once
#include "policy/policy.hpp"

namespace harmsim::policy {

// Advocacy: legal advocates and petitions win the release of detained
// workers instead of deportation (Club 907: all the women were released
// after CHIRLA, AILA and a petition [seed 001]).
#define HARMSIM_ADVOCACY_PARAMS(X)                                                                         \
  X(advocacy, start_day, double, 0, 0, 36500, "day", "policy input", "first day advocates work")               \
  X(advocacy, release_probability, double, 1.0, 0, 1, "probability", "seed 001",                          \
    "chance a detained worker is released instead of deported")

HARMSIM_PARAM_STRUCT(Advocacy, HARMSIM_ADVOCACY_PARAMS);

void validate(const Advocacy& s, const model::Params& p, std::vector<PolicyProblem>& problems);
void apply(const Advocacy& s, const model::Params& p, model::Interventions& out);

}  // namespace harmsim::policy
