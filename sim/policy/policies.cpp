// The registry of policy types and the checks they share.
#include "policy/policies.hpp"

#include <string>

#include "policy/schedule.hpp"

namespace harmsim::policy {

namespace {
template <std::size_t I = 0>
bool make_at(std::string_view type, Policy& out) {
  if constexpr (I < std::variant_size_v<Policy>) {
    if (kPolicyTypes[I].type == type) {
      out.emplace<I>();
      return true;
    }
    return make_at<I + 1>(type, out);
  } else {
    return false;
  }
}
}  // namespace

bool make_policy(std::string_view type, Policy& out) { return make_at(type, out); }

std::vector<PolicyProblem> validate(const Policy& p, const model::Params& params) {
  std::vector<PolicyProblem> problems;
  std::visit(
      [&](const auto& s) {
        // Every policy has a first day: on or after the last reported day it
        // would never act, and the scenario would be the baseline under
        // another name.
        if (s.start_day >= static_cast<double>(params.days))
          problems.push_back({"start_day",
                              fmt::format("a day before simulation.days = {} (starting later, it would never act "
                                          "in the reported days)",
                                          params.days),
                              fmt::format("{}", s.start_day)});
        validate(s, params, problems);
      },
      p);
  return problems;
}

model::Interventions compile(const std::vector<Policy>& policies, const model::Params& params) {
  model::Interventions out;
  for (const Policy& p : policies) std::visit([&](const auto& s) { apply(s, params, out); }, p);
  return out;
}

void check_areas(const IntList& areas, const model::Params& p, std::vector<PolicyProblem>& problems) {
  for (std::int64_t a : areas)
    if (a >= p.areas)
      problems.push_back({"areas", "area ids below population.areas = " + std::to_string(p.areas),
                          std::to_string(a)});
}

std::vector<std::uint32_t> to_ids(const IntList& ids) {
  std::vector<std::uint32_t> out;
  out.reserve(ids.size());
  for (std::int64_t v : ids) out.push_back(static_cast<std::uint32_t>(v));
  return out;
}

}  // namespace harmsim::policy
