#pragma once
// The model's parameter table: every parameter of MODEL.md §2–3, declared
// once. The list drives the Params struct, TOML parsing and validation
// (sim/io/scenario.cpp), `harmsim params` and docs/parameters.md.
// Source tags: "seed NNN" is an article in shared/seeds, "assumed" a modelling
// assumption a sweep should vary, otherwise a published study (docs/literature.md).
#include <array>
#include <cstdint>
#include <span>

#include "core/param_spec.hpp"

namespace harmsim::model {

using core::IntList;
using i64 = std::int64_t;

// X(section, key, type, default, min, max, unit, source, description)
#define HARMSIM_MODEL_PARAMS(X)                                                                          \
  X(simulation, days, i64, 365, 1, 36500, "days", "MODEL.md §3", "reported horizon after the warm-up")     \
  X(simulation, warmup_days, i64, 90, 0, 3650, "days", "MODEL.md §3",                                      \
    "days simulated before day 0 and not reported")                                                       \
  X(simulation, replicates, i64, 10, 1, 1000000, "runs", "assumed",                                         \
    "independent replicates per scenario")                                                                 \
  X(simulation, seed, i64, 20181121, 0, 9007199254740991.0, "", "assumed", "master seed of all RNG streams") \
  X(population, workers, i64, 2000, 1, 50000000, "people", "MODEL.md §2", "people who sell or trade sex")   \
  X(population, exploiters, i64, 200, 0, 5000000, "people", "MODEL.md §2",                                 \
    "pimps, traffickers and venue operators")                                                              \
  X(population, buyers, i64, 40000, 1, 1000000000, "people", "MODEL.md §2", "people who buy sex")           \
  X(population, areas, i64, 12, 1, 60000, "areas", "MODEL.md §2", "areas of the city")                     \
  X(population, isolated_areas, i64, 3, 0, 60000, "areas", "assumed",                                      \
    "areas of kind isolated (few peers, little help)")                                                     \
  X(population, peripheral_areas, i64, 4, 0, 60000, "areas", "assumed",                                    \
    "areas of kind peripheral; the rest are central")                                                      \
  X(population, communities, i64, 3, 1, 64, "groups", "seed 002",                                          \
    "community labels for equity strata, assigned to areas in turn")                                       \
  X(population, venues, i64, 30, 0, 1000000, "venues", "MODEL.md §2; seeds 000, 003",                     \
    "clubs and massage parlors, each run by an exploiter")                                                 \
  X(population, share_street, double, 0.35, 0, 1, "share", "assumed", "workers in the street sector")       \
  X(population, share_venue, double, 0.35, 0, 1, "share", "assumed",                                       \
    "workers in venues; the rest work online")                                                             \
  X(population, minor_share, double, 0.02, 0, 1, "share", "assumed; seed 004",                             \
    "workers under 18 (at start and among entrants)")                                                      \
  X(population, undocumented_share_venue, double, 0.40, 0, 1, "share", "assumed; seed 000",                \
    "venue workers without immigration documents")                                                         \
  X(population, undocumented_share_other, double, 0.10, 0, 1, "share", "assumed",                          \
    "street and online workers without immigration documents")                                             \
  X(population, controlled_share, double, 0.20, 0, 1, "share", "assumed",                                  \
    "street and online workers under a pimp at start (venue workers are all under their operator)")       \
  X(population, coerced_share, double, 0.30, 0, 1, "share", "assumed; seed 000",                           \
    "controlled adults held by force, fraud or coercion (debt bondage)")                                   \
  X(population, minor_controlled_share, double, 0.5, 0, 1, "share", "assumed; seed 004",                  \
    "entrants under 18 recruited by an exploiter (runaways, online recruitment)")                        \
  X(population, trust_mean, double, 0.35, 0, 1, "0-1", "assumed; seed 003",                                \
    "mean initial trust in services (stigma keeps it low)")                                                \
  X(buyers, violent_share, double, 0.05, 0, 1, "share", "assumed", "buyers who may be violent")            \
  X(buyers, refuses_condoms_share, double, 0.20, 0, 1, "share", "assumed", "buyers who push for no condom") \
  X(buyers, seeks_minors_share, double, 0.005, 0, 1, "share", "assumed", "buyers who seek minors")         \
  X(buyers, deterrence_mean, double, 0.5, 0, 1, "0-1", "assumed",                                          \
    "mean sensitivity of a buyer's demand to enforcement risk")                                            \
  X(encounter, rate_per_day, double, 1.0, 0.001, 100, "1/day", "assumed",                                  \
    "encounters a worker seeks per day when her income meets her need")                                    \
  X(encounter, negotiation_minutes, double, 10, 0.1, 240, "minutes", "assumed",                            \
    "negotiation time without police heat")                                                                \
  X(encounter, heat_halves_negotiation, double, 1.0, 0.01, 100, "heat", "seed 002",                        \
    "police heat at which negotiation time is halved (\"shorter negotiation times\")")                     \
  X(encounter, screening_sensitivity, double, 0.6, 0, 1, "probability", "assumed",                         \
    "chance a full negotiation spots and refuses a violent buyer")                                         \
  X(encounter, violence_given_violent_buyer, double, 0.05, 0, 1, "probability", "calibrated (docs/model.md)", \
    "chance an encounter with a violent buyer who was not refused turns violent")                          \
  X(encounter, isolated_violence_multiplier, double, 2.5, 0, 100, "ratio", "assumed; MODEL.md §3",         \
    "violence risk in isolated areas relative to peripheral ones")                                         \
  X(encounter, peer_violence_multiplier, double, 0.6, 0, 100, "ratio", "assumed; MODEL.md §3",             \
    "violence risk where peers are present (central areas, venues)")                                       \
  X(encounter, condom_insistence, double, 0.99, 0, 1, "probability", "assumed",                             \
    "chance a full negotiation keeps a condom with a buyer who refuses one")                               \
  X(encounter, condomless_base, double, 0.001, 0, 1, "probability", "assumed",                              \
    "condomless share with buyers who do not push for it")                                                 \
  X(encounter, price, double, 60, 0, 100000, "currency", "assumed", "price of an encounter without heat")  \
  X(encounter, heat_price_drop, double, 0.15, 0, 1, "share per heat", "seed 002",                          \
    "fractional price fall per unit of heat (\"more clients for less money\"), floored at half price")     \
  X(encounter, income_need_30d, double, 1800, 0, 1e9, "currency", "assumed",                               \
    "30-day income a worker needs; below it she seeks more encounters and screens less")                   \
  X(encounter, max_rate_multiplier, double, 2.0, 1, 10, "ratio", "assumed",                                \
    "most a worker can raise her encounter rate under income stress")                                      \
  X(encounter, exploiter_take, double, 0.5, 0, 1, "share", "assumed; seed 000",                            \
    "share of a controlled worker's income taken by the exploiter")                                        \
  X(exploiter, violence_per_year, double, 0.5, 0, 365, "1/year", "assumed",                                \
    "violent incidents per controlled worker per year when quotas are met")                                \
  X(exploiter, quota_violence_multiplier, double, 3.0, 1, 100, "ratio", "seed 000",                        \
    "exploiter violence multiplier when the worker's income is below the quota")                           \
  X(exploiter, quota_share_of_need, double, 1.0, 0, 10, "ratio", "seed 000",                               \
    "nightly quota expressed as a share of the worker's income need")                                      \
  X(exploiter, recruit_delay_days, double, 7, 0.01, 3650, "days", "seed 001",                              \
    "mean delay before an exploiter replaces a lost worker")                                               \
  X(exploiter, custody_days, double, 365, 1, 36500, "days", "assumed", "mean custody of an arrested exploiter") \
  X(venue, reopen_days, double, 7, 0.01, 3650, "days", "seed 001",                                         \
    "mean days a raided venue stays closed (the club re-hired within a week)")                             \
  X(heat, half_life_days, double, 21, 0.1, 3650, "days", "assumed", "half-life of police heat in an area")  \
  X(heat, displacement_threshold, double, 1.0, 0, 1000, "heat", "assumed; seed 002",                       \
    "heat above which street workers leave an area")                                                       \
  X(heat, return_threshold, double, 0.4, 0, 1000, "heat", "assumed",                                       \
    "heat below which displaced street workers drift back home")                                           \
  X(heat, displacement_rate_per_day, double, 0.5, 0, 1, "probability/day", "assumed",                      \
    "daily chance a street worker in an over-threshold area moves")                                        \
  X(heat, return_rate_per_day, double, 0.1, 0, 1, "probability/day", "assumed",                            \
    "daily chance a displaced worker returns once her home area has cooled")                              \
  X(heat, isolated_destination_share, double, 0.6, 0, 1, "share", "seed 002",                              \
    "share of displaced workers who move to an isolated rather than peripheral area")                     \
  X(stress, control_per_year, double, 0.5, 0, 365, "1/year", "assumed; seed 002",                          \
    "rate at which a stressed independent worker turns to a third party")                                  \
  X(stress, income_stress_ratio, double, 0.8, 0, 10, "ratio", "assumed",                                   \
    "30-day income below this share of need counts as stress")                                             \
  X(market, exit_per_year, double, 0.10, 0, 100, "1/year", "MODEL.md §3 (assumed)",                        \
    "base rate at which workers leave the market")                                                         \
  X(market, services_exit_per_year, double, 0.8, 0, 100, "1/year", "assumed",                              \
    "exit rate while engaged with services (exit support)")                                                \
  X(market, entry_delay_days, double, 30, 0.01, 3650, "days", "assumed",                                   \
    "mean delay before a departed worker is replaced by a new entrant (supply follows demand)")           \
  X(arrest, jail_days, double, 3, 0, 3650, "days", "assumed", "mean days in jail after an arrest")         \
  X(arrest, fine, double, 500, 0, 1e9, "currency", "assumed; seed 002", "court fines and fees per arrest")  \
  X(arrest, housing_loss, double, 0.15, 0, 1, "probability", "assumed; seed 002",                          \
    "chance an arrest costs the person her housing")                                                       \
  X(arrest, trust_loss, double, 0.15, 0, 1, "0-1", "assumed; seed 003", "fall in trust in services after an arrest") \
  X(arrest, police_violence, double, 0.10, 0, 1, "probability", "assumed",                                 \
    "chance an arrest involves violence or coercion by police")                                            \
  X(arrest, screening_sensitivity_adult, double, 0.3, 0, 1, "probability", "MODEL.md §4 (assumed); seed 003", \
    "chance police screening identifies an adult trafficking victim")                                      \
  X(arrest, screening_sensitivity_minor, double, 0.8, 0, 1, "probability", "assumed",                      \
    "chance police screening identifies a minor")                                                          \
  X(arrest, buyer_deterrence_gain, double, 0.2, 0, 1, "0-1", "assumed",                                    \
    "rise in a buyer's perceived risk after buyer arrests in the market")                                  \
  X(immigration, detention_days, double, 45, 1, 3650, "days", "assumed",                                   \
    "mean days in immigration detention before the outcome")                                               \
  X(immigration, deportation_probability, double, 0.85, 0, 1, "probability", "assumed; seed 000",          \
    "chance detention ends in deportation without advocacy")                                               \
  X(services, stigma, double, 0.5, 0, 1, "0-1", "seed 003",                                                \
    "stigma: scales down trust gained per contact and self-disclosure")                                    \
  X(services, disclosure, double, 0.5, 0, 1, "probability", "assumed",                                     \
    "chance a fully trusting victim discloses at a contact (scaled by trust)")                             \
  X(services, trust_gain, double, 0.15, 0, 1, "0-1", "assumed", "trust gained per outreach contact")       \
  X(services, reach_peripheral, double, 0.7, 0, 1, "0-1", "assumed",                                      \
    "outreach reach in peripheral areas relative to central ones")                                         \
  X(services, reach_isolated, double, 0.35, 0, 1, "0-1", "assumed; seed 002",                              \
    "outreach reach in isolated areas (\"less able to rely on ... service providers\")")                   \
  X(services, exit_support, double, 0.5, 0, 1, "probability", "assumed",                                   \
    "chance a person in services after identification or diversion leaves the market with support")       \
  X(services, engaged_days, double, 90, 1, 3650, "days", "assumed",                                        \
    "days a contact keeps a worker engaged (safety planning, exit support)")                               \
  X(services, safety_violence_reduction, double, 0.3, 0, 1, "share", "assumed",                            \
    "fall in buyer and exploiter violence while engaged (safety planning)")                                \
  X(exposure, window_days, double, 180, 1, 3650, "days", "MODEL.md §5",                                    \
    "look-back window of exposure histories for odds ratios")

struct Params {
  HARMSIM_MODEL_PARAMS(HARMSIM_PARAM_FIELD)
};

inline constexpr core::ParamSpec kModelParamSpecs[] = {HARMSIM_MODEL_PARAMS(HARMSIM_PARAM_SPEC)};

// Calls f(spec, field) for every parameter, in declaration order.
template <class Obj, class F>
void for_each_param(Obj& obj, F&& f) {
  const auto& specs = kModelParamSpecs;
  std::size_t i = 0;
  HARMSIM_MODEL_PARAMS(HARMSIM_PARAM_VISIT)
}

}  // namespace harmsim::model
