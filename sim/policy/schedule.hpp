#pragma once
// Checks and conversions the policy files share.
#include <string>

#include <fmt/format.h>
#include <vector>

#include "model/interventions.hpp"
#include "policy/policy.hpp"

namespace harmsim::policy {

// Every area id must exist.
void check_areas(const IntList& areas, const model::Params& p, std::vector<PolicyProblem>& problems);
std::vector<std::uint32_t> to_ids(const IntList& ids);

// Schedule checks: a repeat shorter than the operation overlaps itself; an
// end before the start means the policy never runs.
template <class S>
void check_schedule(const S& s, std::vector<PolicyProblem>& problems) {
  if (s.repeat_every_days > 0 && s.repeat_every_days < s.duration_days)
    problems.push_back({"repeat_every_days", fmt::format("0 or at least duration_days = {}", s.duration_days),
                        fmt::format("{}", s.repeat_every_days)});
  if (s.end_day <= s.start_day)
    problems.push_back({"end_day", fmt::format("a day after start_day = {}", s.start_day),
                        fmt::format("{}", s.end_day)});
}

// Heat an operation leaves in each area it works per day: its officers'
// heat shared among the areas (every area when the list is empty).
inline double heat_per_area(double officers, double heat_per_officer_day, const IntList& areas,
                            const model::Params& p) {
  const auto n = static_cast<double>(areas.empty() ? p.areas : static_cast<std::int64_t>(areas.size()));
  return officers * heat_per_officer_day / (n > 1.0 ? n : 1.0);
}

template <class S>
void copy_schedule(const S& s, model::Operation& op) {
  op.start_day = s.start_day;
  op.duration_days = s.duration_days;
  op.repeat_every_days = s.repeat_every_days;
  op.end_day = s.end_day;
}

}  // namespace harmsim::policy
