#pragma once
// What policies ask of the model, as plain data. The policy layer
// (sim/policy/) turns each policy of a scenario into these records; the
// model's processes carry them out. Days count from day 0 of the report.
#include <array>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace harmsim::model {

inline constexpr double kForever = std::numeric_limits<double>::infinity();

enum class OperationKind : std::uint8_t {
  Arrests,        // police arrest workers, buyers and exploiters in target areas/sectors
  VenueRaid,      // police raid venues and arrest the workers present
  Investigation,  // investigators pursue exploiters; their workers are referred, not arrested
};

// One police operation: active on its operation days
//   start_day + k * repeat_every_days + j,  j < duration_days,  until end_day.
struct Operation {
  OperationKind kind = OperationKind::Arrests;
  std::string policy;          // the policy that created it (for messages)
  bool routine = false;        // everyday policing rather than a special operation
  double start_day = 0;
  double duration_days = 1;
  double repeat_every_days = 0;  // 0: once
  double end_day = kForever;

  // Arrests per operation day (officers × arrests per officer-day).
  double arrests_per_day = 0;
  double buyer_share = 0;       // of arrests: buyers (decoys, bots)
  double exploiter_share = 0;   // of arrests: pimps and traffickers
  std::array<bool, 3> sectors{true, true, true};  // street, venue, online targeted
  std::vector<std::uint32_t> areas;               // empty: every area
  double heat_per_day = 0;      // added to each targeted area per operation day
  double minor_priority = 1;    // weight of a minor when choosing whom to arrest
  double buyer_risk_per_day = 0;  // rise in buyers' perceived risk (decoy texts, arrests)

  // Venue raids.
  std::vector<std::uint32_t> venues;  // explicit targets; empty: the largest open venues
  std::uint32_t venue_count = 1;
  double arrest_share_present = 1;    // of the workers present
  bool pursue_operators = false;

  // Arrest handling.
  double ice_cooperation = 0;         // chance an undocumented arrestee is handed to immigration
  double screening_adult = -1;        // < 0: the model default
  double screening_minor = -1;

  // Exploiters.
  double exploiters_per_day = 0;      // investigations: exploiters arrested per day
  bool refer_exploited_workers = false;  // an arrested exploiter's victims are identified and referred
};

// Whether report day `day` (an integer) is a working day of a schedule that
// starts on start_day, works duration_days, starts again every
// repeat_every_days (0: once) and has no working day on or after end_day.
[[nodiscard]] inline bool scheduled_on(double start_day, double duration_days, double repeat_every_days,
                                       double end_day, double day) {
  const double start = std::ceil(start_day);
  if (day < start || day >= end_day) return false;
  const double offset = repeat_every_days > 0 ? std::fmod(day - start, repeat_every_days) : day - start;
  return offset < duration_days;
}

// Low-barrier outreach: contacts workers where they are, no arrest needed.
struct OutreachProgram {
  std::string policy;
  double start_day = 0;
  double duration_days = kForever;
  double repeat_every_days = 0;
  double end_day = kForever;
  double contacts_per_day = 0;
  std::vector<std::uint32_t> areas;  // empty: every area
  std::array<bool, 3> sectors{true, true, true};
  double trust_gain = -1;            // < 0: the model default
};

struct Diversion {
  bool enabled = false;
  double start_day = 0;
  double end_day = kForever;
  double capacity_per_day = 0;   // referrals the programme can take per day
  double offer_share = 0;        // arrested people not identified as victims who are offered it
};

struct Decriminalization {
  bool enabled = false;
  double start_day = 0;
  double stigma = 0.2;            // stigma after decriminalisation
  double trust_gain = 0.2;        // one-off rise in every worker's trust at the start
  double police_contact_share = 0.3;   // routine police contacts that remain (no arrest, citation or move-along)
  double police_coercion_share = 0.25; // police violence and coercion per remaining contact, relative to before
};

// An end-demand law (criminalising the purchase, not the sale): from its
// start, routine police contacts no longer arrest or cite workers; they arrest
// buyers instead, which raises the perceived risk of the area's buyers.
struct EndDemand {
  bool enabled = false;
  double start_day = 0;
  double buyer_arrest_per_contact = 0.05;
};

// Police trained in victim-centred practice: screening at routine arrests
// while an investigation policy runs.
struct RoutineScreening {
  bool enabled = false;
  double start_day = 0;
  double end_day = kForever;
  double sensitivity_adult = -1;  // < 0: the model default
};

struct Advocacy {
  bool enabled = false;
  double start_day = 0;
  double release_probability = 1;  // detained workers released instead of deported
};

struct Interventions {
  std::vector<Operation> operations;
  std::vector<OutreachProgram> outreach;
  Diversion diversion;
  Decriminalization decriminalization;
  EndDemand end_demand;
  RoutineScreening routine_screening;
  Advocacy advocacy;
};

}  // namespace harmsim::model
