#pragma once
// Every policy type, as one variant, and the registry the parser, the CLI and
// the docs read.
#include <array>
#include <variant>

#include "policy/advocacy.hpp"
#include "policy/buyer_sting.hpp"
#include "policy/decriminalization.hpp"
#include "policy/end_demand.hpp"
#include "policy/low_barrier_services.hpp"
#include "policy/post_arrest_diversion.hpp"
#include "policy/statewide_operation.hpp"
#include "policy/street_sting.hpp"
#include "policy/venue_raid.hpp"
#include "policy/victim_centered_investigation.hpp"

namespace harmsim::policy {

using Policy = std::variant<StreetSting, VenueRaid, BuyerSting, StatewideOperation, VictimCenteredInvestigation,
                            LowBarrierServices, PostArrestDiversion, Decriminalization, EndDemand, Advocacy>;

// In the variant's order.
inline constexpr std::array<PolicyInfo, std::variant_size_v<Policy>> kPolicyTypes = {{
    {"street_sting", "officers sweep street areas, arresting workers and buyers; heat displaces workers",
     "seed 002 (Lynwood/Compton 2018)", StreetSting::kSpecs},
    {"venue_raid", "raids on clubs and massage parlors; arrests of the workers present; ICE cooperation",
     "seeds 000, 001 (Club 907), 003 (Brooklyn)", VenueRaid::kSpecs},
    {"buyer_sting", "end demand: decoy officers and bots arrest and deter buyers", "seed 004",
     BuyerSting::kSpecs},
    {"statewide_operation", "many task forces over a few days, online and on the street, searching for minors",
     "seed 004 (Operation Reclaim and Rebuild 2019)", StatewideOperation::kSpecs},
    {"victim_centered_investigation", "investigations of exploiters; their workers referred, not arrested",
     "seed 003", VictimCenteredInvestigation::kSpecs},
    {"low_barrier_services", "outreach that reaches workers before any arrest", "seed 002",
     LowBarrierServices::kSpecs},
    {"post_arrest_diversion", "services reached only through arrest and police screening", "seed 002",
     PostArrestDiversion::kSpecs},
    {"decriminalization", "no arrests of workers or buyers; exploitation and minors still pursued",
     "seed 003", Decriminalization::kSpecs},
    {"end_demand", "buying is a crime, selling is not: routine policing arrests buyers instead of workers",
     "Krüsi et al. 2014; J Urban Health 2017 rushed-negotiation study", EndDemand::kSpecs},
    {"advocacy", "detained workers released instead of deported", "seed 001", Advocacy::kSpecs},
}};

[[nodiscard]] inline const PolicyInfo& info(const Policy& p) { return kPolicyTypes[p.index()]; }

// A default-valued policy of the named type; false when there is no such type.
bool make_policy(std::string_view type, Policy& out);

// Calls f(spec, field) for every parameter of the policy.
template <class F>
void visit_params(Policy& p, F&& f) {
  std::visit([&](auto& s) { std::decay_t<decltype(s)>::visit(s, f); }, p);
}
template <class F>
void visit_params(const Policy& p, F&& f) {
  std::visit([&](const auto& s) { std::decay_t<decltype(s)>::visit(s, f); }, p);
}

std::vector<PolicyProblem> validate(const Policy& p, const model::Params& params);

// The model-level interventions of a scenario's policies.
model::Interventions compile(const std::vector<Policy>& policies, const model::Params& params);

}  // namespace harmsim::policy
