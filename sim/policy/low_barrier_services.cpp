// Low-barrier services [seed 002]: outreach contacts every day of its period.
#include "policy/low_barrier_services.hpp"

#include "policy/schedule.hpp"

namespace harmsim::policy {

void validate(const LowBarrierServices& s, const model::Params& p, std::vector<PolicyProblem>& problems) {
  check_schedule(s, problems);
  check_areas(s.areas, p, problems);
}

void apply(const LowBarrierServices& s, const model::Params&, model::Interventions& out) {
  model::OutreachProgram prog;
  prog.policy = "low_barrier_services";
  prog.start_day = s.start_day;
  prog.duration_days = s.duration_days;
  prog.repeat_every_days = s.repeat_every_days;
  prog.end_day = s.end_day;
  prog.contacts_per_day = s.contacts_per_day;
  prog.areas = to_ids(s.areas);
  prog.trust_gain = s.trust_gain;
  out.outreach.push_back(std::move(prog));
}

}  // namespace harmsim::policy
