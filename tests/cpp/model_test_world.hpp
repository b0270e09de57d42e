#pragma once
// Shared set-up for the model-mechanism tests (test_model_*.cpp).
//
// Every parameter a mechanism test depends on is set here or in the test
// itself, never taken from the defaults of parameters.hpp, which change with
// calibration. The base world is deliberately quiet: street workers only, no
// exploiters, no exits, no displacement, no price fall under heat, no
// economic stress turning into control. Each test switches on the mechanism
// it looks at, so that nothing else can produce the effect it asserts.
#include <cstdint>
#include <vector>

#include "model/interventions.hpp"
#include "model/parameters.hpp"
#include "model/simulation.hpp"

namespace harmsim::model::testing {

inline Params quiet_world() {
  Params p;
  // simulation
  p.warmup_days = 0;
  p.days = 365;
  // population
  p.workers = 2000;
  p.exploiters = 0;
  p.venues = 0;
  p.buyers = 20000;
  p.areas = 4;
  p.isolated_areas = 0;
  p.peripheral_areas = 0;
  p.communities = 1;
  p.share_street = 1.0;
  p.share_venue = 0.0;
  p.minor_share = 0.0;
  p.undocumented_share_venue = 0.0;
  p.undocumented_share_other = 0.0;
  p.controlled_share = 0.0;
  p.coerced_share = 0.0;
  p.minor_controlled_share = 0.0;
  p.drug_use_share_street = 0.0;
  p.drug_use_share_other = 0.0;
  p.trust_mean = 0.35;
  // buyers
  p.violent_share = 0.2;
  p.refuses_condoms_share = 0.2;
  p.seeks_minors_share = 0.0;
  p.minor_aversion = 0.0;
  p.deterrence_mean = 0.5;
  p.violent_deterrence_ratio = 1.0;
  // encounter
  p.rate_per_day = 1.0;
  p.heat_halves_negotiation = 1.0;
  p.risk_rush = 0.0;
  p.screening_sensitivity = 0.6;
  p.online_screening_gain = 0.0;
  p.violence_given_violent_buyer = 0.3;
  p.street_violence_multiplier = 1.0;
  p.drug_use_violence_multiplier = 1.0;
  p.isolated_violence_multiplier = 2.5;
  p.peer_violence_multiplier = 0.6;
  p.venue_violence_multiplier = 0.6;
  p.condom_insistence = 0.8;
  p.rush_condom_effect = 1.0;
  p.condomless_base = 0.03;
  p.price = 60;
  p.heat_price_drop = 0.0;
  p.income_need_30d = 1800;
  p.max_rate_multiplier = 2.0;
  p.exploiter_take = 0.5;
  p.venue_take = 0.5;
  // exploiters and venues
  p.violence_per_year = 0.5;
  p.operator_violence_per_year = 0.5;
  p.debt_months = 0.0;  // no debt unless a test turns it on
  p.debt_repayment_share = 0.3;
  p.quota_violence_multiplier = 3.0;
  p.quota_share_of_need = 1.0;
  p.recruit_delay_days = 7;
  p.pimp_capacity = 1000;
  p.custody_days = 365;
  p.reopen_days = 7;
  // heat and displacement
  p.half_life_days = 21;
  p.displacement_threshold = 1000;  // off unless a test turns it on
  p.return_threshold = 0.4;
  p.displacement_rate_per_day = 0.5;
  p.return_rate_per_day = 0.1;
  p.isolated_destination_share = 0.6;
  // routine policing: off unless a test turns it on
  p.contacts_per_year_street = 0.0;
  p.contacts_per_year_venue = 0.0;
  p.contacts_per_year_online = 0.0;
  p.peripheral_share = 1.0;
  p.isolated_share = 1.0;
  p.unhoused_multiplier = 1.0;
  p.known_multiplier = 1.0;
  p.drug_use_multiplier = 1.0;
  p.wary_days = 0.0;
  p.wary_heat = 0.0;
  p.arrest_per_contact = 0.0;
  p.citation_per_contact = 0.0;
  p.move_along_per_contact = 0.0;
  p.coercion_per_contact = 0.0;
  p.condom_confiscation_per_contact = 0.0;
  p.condom_gap_days = 3;
  p.no_condom_condomless = 0.5;
  p.patrol_heat = 0.0;
  p.ice_referral = 0.0;
  // housing: nobody loses or regains it unless a test turns it on
  p.loss_per_year_street = 0.0;
  p.loss_per_year_other = 0.0;
  p.regain_per_year = 0.0;
  p.violence_multiplier = 1.0;
  p.drug_use_loss_multiplier = 1.0;
  // economic stress
  p.control_per_year = 0.0;
  p.leave_control_per_year = 0.0;
  p.income_stress_ratio = 0.8;
  // market
  p.exit_per_year = 0.0;
  p.services_exit_per_year = 0.0;
  p.entry_delay_days = 30;
  p.supply_elasticity = 1.0;
  // arrest
  p.jail_days = 3;
  p.fine = 500;
  p.housing_loss = 0.15;
  p.trust_loss = 0.15;
  p.police_violence = 0.1;
  p.screening_sensitivity_adult = 0.3;
  p.screening_sensitivity_minor = 0.8;
  p.buyer_deterrence_gain = 0.2;
  // immigration
  p.detention_days = 45;
  p.deportation_probability = 0.85;
  // services
  p.stigma = 0.5;
  p.disclosure = 0.5;
  p.trust_gain = 0.15;
  p.reach_peripheral = 0.7;
  p.reach_isolated = 0.35;
  p.housing_offer = 0.0;
  p.exit_support = 0.5;
  p.engaged_days = 90;
  p.safety_violence_reduction = 0.3;
  p.window_days = 180;
  return p;
}

// An operation that works every day from start_day on.
inline Operation daily_operation(OperationKind kind, double start_day) {
  Operation op;
  op.kind = kind;
  op.policy = "test";
  op.start_day = start_day;
  op.duration_days = 1;
  op.repeat_every_days = 1;
  return op;
}

// Change of the running total of some metrics between two moments.
struct Window {
  double encounters = 0, violence_buyer = 0, condomless = 0, violence_exploiter = 0;
};

inline Window totals(Simulation& sim) {
  Window w;
  w.encounters = sim.recorder().total(Metric::encounters);
  w.violence_buyer = sim.recorder().total(Metric::violence_buyer);
  w.condomless = sim.recorder().total(Metric::condomless_acts);
  w.violence_exploiter = sim.recorder().total(Metric::violence_exploiter);
  return w;
}

inline Window operator-(const Window& a, const Window& b) {
  return {a.encounters - b.encounters, a.violence_buyer - b.violence_buyer, a.condomless - b.condomless,
          a.violence_exploiter - b.violence_exploiter};
}

// Counts over the active workers matching a predicate.
template <class Pred>
std::size_t count_workers(const World& world, Pred pred) {
  std::size_t n = 0;
  for (std::uint32_t w = 0; w < world.workers.size(); ++w)
    if (pred(w)) ++n;
  return n;
}

// num / den, and 0 when there is nothing to divide by.
inline double ratio(double num, double den) { return den > 0 ? num / den : 0.0; }

}  // namespace harmsim::model::testing
