// Post-arrest diversion [seed 002]: a daily capacity of referrals, reached
// only through arrest and police screening (arrest.cpp).
#include "policy/post_arrest_diversion.hpp"

#include <fmt/format.h>

namespace harmsim::policy {

void validate(const PostArrestDiversion& s, const model::Params&, std::vector<PolicyProblem>& problems) {
  if (s.end_day <= s.start_day)
    problems.push_back({"end_day", fmt::format("a day after start_day = {}", s.start_day), fmt::format("{}", s.end_day)});
}

void apply(const PostArrestDiversion& s, const model::Params&, model::Interventions& out) {
  out.diversion.enabled = true;
  out.diversion.start_day = s.start_day;
  out.diversion.end_day = s.end_day;
  out.diversion.capacity_per_day = s.capacity_per_day;
  out.diversion.offer_share = s.offer_share;
}

}  // namespace harmsim::policy
