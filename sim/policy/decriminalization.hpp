#pragma once
#include "policy/policy.hpp"

namespace harmsim::policy {

// Decriminalisation: no arrests of workers or buyers; exploitation, coercion
// and the exploitation of minors stay criminal (investigations and operations
// against exploiters go on); stigma falls and trust in services rises.
// Routine policing changes too: fewer contacts, none of which arrests, cites,
// moves along or takes condoms, and less police violence and coercion.
#define HARMSIM_DECRIMINALIZATION_PARAMS(X)                                                                \
  X(decriminalization, start_day, double, 0, 0, 36500, "day", "policy input", "day the law changes")            \
  X(decriminalization, stigma, double, 0.2, 0, 1, "0-1", "assumed; seed 003",                              \
    "stigma after decriminalisation (replaces services.stigma)")                                           \
  X(decriminalization, trust_gain, double, 0.2, 0, 1, "0-1", "assumed",                                    \
    "one-off rise in every worker's trust in services")                                                    \
  X(decriminalization, police_contact_share, double, 0.3, 0, 1, "share", "policy input",                        \
    "routine police contacts that remain, relative to before (none enforces against selling or buying)")  \
  X(decriminalization, police_coercion_share, double, 0.25, 0, 1, "ratio", "assumed; Decker et al. 2015", \
    "police violence and coercion per remaining contact, relative to before (no threat of arrest)")

HARMSIM_PARAM_STRUCT(Decriminalization, HARMSIM_DECRIMINALIZATION_PARAMS);

void validate(const Decriminalization& s, const model::Params& p, std::vector<PolicyProblem>& problems);
void apply(const Decriminalization& s, const model::Params& p, model::Interventions& out);

}  // namespace harmsim::policy
