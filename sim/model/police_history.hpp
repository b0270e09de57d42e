#pragma once
// The last police event of a worker's drawn past when the law changed
// before she entered (draw_history, initialisation.cpp; docs/model.md,
// "Entrants' past").
#include "model/world.hpp"

namespace harmsim::model {

// Rates per day of a police process under criminalised policing, end demand
// and decriminalisation.
struct PoliceRates {
  double criminalised = 0.0, end_demand = 0.0, decriminalized = 0.0;
};

// The time of the last event before t of a Poisson process whose rate is
// r.decriminalized from decriminalized_since on, else r.end_demand from
// end_demand_since on, else r.criminalised (decriminalisation where both
// laws are in force, as police_contact() has it; a law not enabled starts
// at +inf), given one unit exponential e: going back from t, each stretch
// of one law uses up its rate times its length of e, and the event lies in
// the stretch where e runs out, at its upper end minus what is left of e
// over its rate. The inverse of the cumulative rate back from t, so the
// event's time has the process's distribution. kNever when e outlasts every
// stretch of a positive rate. Before any change of law it is t - e / rate.
[[nodiscard]] inline float last_event_across_laws(double t, double e, const PoliceRates& r, double decriminalized_since,
                                                  double end_demand_since) noexcept {
  for (double upper = t;;) {
    const bool decriminalized = upper > decriminalized_since, end_demand = upper > end_demand_since;
    const double rate = decriminalized ? r.decriminalized : end_demand ? r.end_demand : r.criminalised;
    if (!decriminalized && !end_demand) return rate > 0.0 ? static_cast<float>(upper - e / rate) : kNever;
    const double lower = decriminalized ? decriminalized_since : end_demand_since;
    if (rate > 0.0 && rate * (upper - lower) >= e) return static_cast<float>(upper - e / rate);
    e -= rate * (upper - lower);
    upper = lower;
  }
}

}  // namespace harmsim::model
