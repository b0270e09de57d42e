// Venue raid [seeds 000, 001, 003]: arrests of the workers present in the
// raided venues, which close and re-open to re-hire.
#include "policy/venue_raid.hpp"

#include "policy/schedule.hpp"

namespace harmsim::policy {

void validate(const VenueRaid& s, const model::Params& p, std::vector<PolicyProblem>& problems) {
  check_schedule(s, problems);
  const std::int64_t venues = std::min(p.venues, p.exploiters);
  for (std::int64_t v : s.venues)
    if (v >= venues)
      problems.push_back({"venues", "venue ids below the number of venues (" + std::to_string(venues) + ")",
                          std::to_string(v)});
}

void apply(const VenueRaid& s, const model::Params&, model::Interventions& out) {
  model::Operation op;
  op.kind = model::OperationKind::VenueRaid;
  op.policy = "venue_raid";
  copy_schedule(s, op);
  op.venues = to_ids(s.venues);
  op.venue_count = static_cast<std::uint32_t>(s.venue_count);
  op.arrest_share_present = s.arrest_share_present;
  op.ice_cooperation = s.ice_cooperation;
  op.pursue_operators = s.pursue_operators;
  op.heat_per_day = s.heat;
  op.screening_adult = s.screening_sensitivity;
  out.operations.push_back(std::move(op));
}

}  // namespace harmsim::policy
