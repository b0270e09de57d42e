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
  X(simulation, days, i64, 365, 1, 36500, "days", "run setting", "reported horizon after the warm-up")     \
  X(simulation, warmup_days, i64, 365, 0, 3650, "days", "run setting",                                         \
    "days simulated before day 0 and not reported (long enough for control, housing and debt to settle)")                                                       \
  X(simulation, replicates, i64, 10, 1, 1000000, "runs", "run setting",                                         \
    "independent replicates per scenario")                                                                 \
  X(simulation, seed, i64, 20181121, 0, 9007199254740991.0, "", "run setting", "master seed of all RNG streams") \
  X(population, workers, i64, 2000, 1, 50000000, "people", "scenario input (MODEL.md §2)", "people who sell or trade sex")   \
  X(population, exploiters, i64, 200, 0, 5000000, "people", "scenario input (MODEL.md §2)",                                 \
    "pimps, traffickers and venue operators")                                                              \
  X(population, buyers, i64, 40000, 1, 1000000000, "people", "scenario input (MODEL.md §2)", "people who buy sex")           \
  X(population, areas, i64, 12, 1, 60000, "areas", "scenario input (MODEL.md §2)", "areas of the city")                     \
  X(population, isolated_areas, i64, 3, 0, 60000, "areas", "scenario input",                                      \
    "areas of kind isolated (few peers, little help)")                                                     \
  X(population, peripheral_areas, i64, 4, 0, 60000, "areas", "scenario input",                                    \
    "areas of kind peripheral; the rest are central")                                                      \
  X(population, communities, i64, 3, 1, 64, "groups", "seed 002",                                          \
    "community labels for equity strata, assigned to areas in turn")                                       \
  X(population, venues, i64, 30, 0, 1000000, "venues", "MODEL.md §2; seeds 000, 003",                     \
    "clubs and massage parlors, each run by an exploiter")                                                 \
  X(population, share_street, double, 0.35, 0, 1, "share", "scenario input; context Elmes et al. 2021 (46 % street-based, East London)", "workers in the street sector")       \
  X(population, share_venue, double, 0.35, 0, 1, "share", "scenario input",                                       \
    "workers in venues; the rest work online")                                                             \
  X(population, minor_share, double, 0.02, 0, 1, "share", "assumed; context Goldenberg et al. 2014",        \
    "workers under 18 (at start and among entrants)")                                                      \
  X(population, undocumented_share_venue, double, 0.40, 0, 1, "share", "seed 000; Goldenberg et al. 2017", \
    "venue workers without immigration documents")                                                         \
  X(population, undocumented_share_other, double, 0.10, 0, 1, "share", "Goldenberg et al. 2017",           \
    "street and online workers without immigration documents")                                             \
  X(population, drug_use_share_street, double, 0.6, 0, 1, "share", "assumed; context Shannon et al. 2009 (BMJ); Footer et al. 2019", \
    "street workers who use drugs daily (most street-based cohorts recruit among people who use drugs)")   \
  X(population, drug_use_share_other, double, 0.0713492, 0, 1, "share", "calibrated (scenarios/calibration.toml)",                               \
    "venue and online workers who use drugs daily")                                                        \
  X(population, controlled_share, double, 0.25, 0, 1, "share", "assumed; context Goldenberg et al. 2014",  \
    "street and online workers under a pimp at start and among adult entrants (venue workers are all under their operator)") \
  X(population, coerced_share, double, 0.30, 0, 1, "share", "assumed; seed 000",                           \
    "controlled adults held by force, fraud or coercion (debt bondage) when control begins")               \
  X(population, minor_controlled_share, double, 0.5, 0, 1, "share", "assumed; seed 004",                  \
    "entrants under 18 recruited by an exploiter (runaways, online recruitment)")                        \
  X(population, trust_mean, double, 0.35, 0, 1, "0-1", "assumed; seed 003; McBride et al. 2020",           \
    "mean initial trust in services (stigma keeps it low)")                                                \
  X(buyers, violent_share, double, 0.05, 0, 1, "share", "assumed", "buyers who may be violent")            \
  X(buyers, refuses_condoms_share, double, 0.214224, 0, 1, "share", "calibrated (scenarios/calibration.toml); context Decker et al. 2019",   \
    "buyers who push for no condom")                                                                       \
  X(buyers, seeks_minors_share, double, 0.005, 0, 1, "share", "assumed", "buyers who seek minors")         \
  X(buyers, minor_aversion, double, 0.7, 0, 1, "probability", "assumed",                                   \
    "chance a buyer who does not seek minors turns away from a worker under 18")                          \
  X(buyers, deterrence_mean, double, 0.5, 0, 1, "0-1", "assumed; Demand Abolition 2018",                   \
    "mean sensitivity of a buyer's demand to enforcement risk")                                            \
  X(buyers, violent_deterrence_ratio, double, 0.5, 0, 1, "ratio", "Krüsi et al. 2014 (qualitative)",        \
    "deterrence of a violent buyer relative to others: enforcement drives away the safer clients first")  \
  X(encounter, rate_per_day, double, 1.0, 0.001, 100, "1/day", "assumed",                                  \
    "encounters a worker seeks per day when her income meets her need")                                   \
  X(encounter, heat_halves_negotiation, double, 1.0, 0.01, 100, "heat", "seed 002",                        \
    "police heat at which negotiation time is halved (\"shorter negotiation times\")")                     \
  X(encounter, risk_rush, double, 0.5, 0, 100, "heat per risk", "assumed; J Urban Health 2017 rushed-negotiation study; Krüsi et al. 2014", \
    "heat-equivalent of buyers' perceived risk in the negotiation: buyers who fear arrest rush it")        \
  X(encounter, screening_sensitivity, double, 0.6, 0, 1, "probability", "assumed",                         \
    "chance a full negotiation spots and refuses a violent buyer")                                         \
  X(encounter, online_screening_gain, double, 0.627504, 0, 1, "share", "calibrated (scenarios/calibration.toml)",                               \
    "share of the violent buyers missed in person that online pre-screening (messages, references) catches") \
  X(encounter, violence_given_violent_buyer, double, 0.0135256, 0, 1, "probability", "calibrated (scenarios/calibration.toml)",              \
    "chance an encounter with a violent buyer who was not refused turns violent")                          \
  X(encounter, street_violence_multiplier, double, 2.08733, 0, 100, "ratio", "calibrated (scenarios/calibration.toml); context Shannon et al. 2009 (AJPH); Church et al. 2001", \
    "violence risk of street work (cars, public spaces) relative to indoor work without peers")           \
  X(encounter, drug_use_violence_multiplier, double, 1.89956, 1, 100, "ratio", "calibrated (scenarios/calibration.toml); context Shannon et al. 2009 (BMJ); Deering et al. 2014", \
    "buyer violence risk of a worker who uses drugs daily relative to one who does not")                   \
  X(encounter, isolated_violence_multiplier, double, 3.85715, 0, 100, "ratio", "calibrated (scenarios/calibration.toml); context Walker et al. 2024; Platt et al. 2018", \
    "violence risk in isolated areas relative to peripheral ones")                                         \
  X(encounter, peer_violence_multiplier, double, 0.6, 0, 100, "ratio", "assumed; MODEL.md §3",             \
    "violence risk on central streets, where peers are present, relative to peripheral ones")             \
  X(encounter, venue_violence_multiplier, double, 2.33507, 0, 100, "ratio", "calibrated (scenarios/calibration.toml); context Church et al. 2001", \
    "violence risk in a venue (peers and management nearby) relative to an encounter arranged online (the base rate violence_given_violent_buyer)")\
  X(encounter, condom_insistence, double, 0.995587, 0, 1, "probability", "calibrated (scenarios/calibration.toml)",                          \
    "chance a full negotiation keeps a condom with a buyer who refuses one")                               \
  X(encounter, rush_condom_effect, double, 1.69036, 0, 100, "ratio", "calibrated (scenarios/calibration.toml); context Shannon et al. 2009 (AJPH)",     \
    "rise in the chance of condomless sex per unit of negotiation strength lost to rush or pressure")      \
  X(encounter, condomless_base, double, 0.001, 0, 1, "probability", "assumed",                           \
    "condomless share with buyers who do not push for it")                                                 \
  X(encounter, price, double, 60, 0, 100000, "currency", "assumed", "price of an encounter without heat")  \
  X(encounter, heat_price_drop, double, 0.15, 0, 1, "share per heat", "seed 002",                          \
    "fractional price fall per unit of heat (\"more clients for less money\"), floored at half price")     \
  X(encounter, income_need_30d, double, 1800, 0, 1e9, "currency", "assumed",                               \
    "30-day income a worker needs; below it she seeks more encounters and screens less")                   \
  X(encounter, max_rate_multiplier, double, 2.0, 1, 10, "ratio", "assumed",                                \
    "most a worker can raise her encounter rate under income stress")                                      \
  X(encounter, exploiter_take, double, 0.5, 0, 1, "share", "assumed; Dank et al. 2014",                    \
    "share of a pimp-controlled worker's income taken by the pimp")                                        \
  X(encounter, venue_take, double, 0.4, 0, 1, "share", "assumed; seed 000",                                \
    "share of a venue worker's income taken by the venue (house fees, quotas)")                           \
  X(exploiter, violence_per_year, double, 0.5, 0, 365, "1/year", "assumed",                                \
    "violent incidents by a pimp per controlled worker per year when quotas are met")                      \
  X(exploiter, operator_violence_per_year, double, 0.0350105, 0, 365, "1/year", "calibrated (scenarios/calibration.toml)",                       \
    "violent incidents by a venue operator per worker per year when quotas are met")                       \
  X(exploiter, quota_violence_multiplier, double, 3.0, 1, 100, "ratio", "seed 000",                        \
    "exploiter violence multiplier when the worker's income is below the quota")                           \
  X(exploiter, quota_share_of_need, double, 1.0, 0, 10, "ratio", "seed 000",                               \
    "nightly quota expressed as a share of the worker's income need")                                      \
  X(exploiter, debt_months, double, 3.0, 0, 1000, "months of need", "assumed; seed 000; Polaris 2018",     \
    "debt a coerced worker owes when bondage begins, in months of income need")                            \
  X(exploiter, debt_repayment_share, double, 0.3, 0, 1, "share", "assumed; seed 000",                      \
    "share of each price that goes to the debt, which binds her: no exit until it is repaid") \
  X(exploiter, pimp_capacity, double, 2, 0, 1000, "workers", "assumed; Dank et al. 2014",                 \
    "most workers one pimp controls at once; he recruits only while he has fewer")                         \
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
  X(heat, return_rate_per_day, double, 0.156007, 0, 1, "probability/day", "calibrated (scenarios/calibration.toml)",                            \
    "daily chance a displaced worker returns once her home area has cooled")                              \
  X(heat, isolated_destination_share, double, 0.6, 0, 1, "share", "seed 002; Shannon et al. 2009 (AJPH)", \
    "share of displaced workers who move to an isolated rather than peripheral area")                     \
  X(policing, contacts_per_year_street, double, 2.79791, 0, 3650, "1/year", "calibrated (scenarios/calibration.toml); context Footer et al. 2019",               \
    "routine police contacts of a street worker in a central area per year (patrols, stops)")              \
  X(policing, contacts_per_year_venue, double, 1.0, 0, 3650, "1/year", "McBride et al. 2019",              \
    "routine police contacts of a venue worker per year (workplace inspections, visits)")                  \
  X(policing, contacts_per_year_online, double, 0.5, 0, 3650, "1/year", "assumed",                         \
    "routine police contacts of an online worker per year (checks of advertisements, call-outs)")          \
  X(policing, peripheral_share, double, 0.5, 0, 10, "ratio", "assumed",                                    \
    "routine police contacts in peripheral areas relative to central ones")                                \
  X(policing, isolated_share, double, 0.2, 0, 10, "ratio", "assumed",                                      \
    "routine police contacts in isolated areas relative to central ones")                                  \
  X(policing, unhoused_multiplier, double, 2.07363, 1, 100, "ratio", "calibrated (scenarios/calibration.toml); context Walker et al. 2024",                     \
    "routine police contacts of an unhoused worker relative to a housed one (more visible)")               \
  X(policing, drug_use_multiplier, double, 1.56, 1, 100, "ratio", "Footer et al. 2019",                     \
    "routine police contacts of a worker who uses drugs daily relative to others (2.5 against 1.6 kinds of abusive encounter)") \
  X(policing, known_multiplier, double, 1.81781, 1, 100, "ratio", "calibrated (scenarios/calibration.toml); context Fehrenbacher et al. 2020",       \
    "routine police contacts of a worker arrested in the past year relative to others (known to police)") \
  X(policing, wary_days, double, 50.1151, 0, 365, "days", "calibrated (scenarios/calibration.toml); context seed 002",                                  \
    "days after a police contact during which she rushes negotiations so as not to be seen")               \
  X(policing, wary_heat, double, 3.4199, 0, 100, "heat", "calibrated (scenarios/calibration.toml); context seed 002",                                 \
    "heat-equivalent of a wary worker's rush in her negotiations")                                        \
  X(policing, arrest_per_contact, double, 0.0973401, 0, 1, "probability", "calibrated (scenarios/calibration.toml); context Socías et al. 2015",     \
    "chance a routine police contact ends in arrest")                                                      \
  X(policing, citation_per_contact, double, 0.05, 0, 1, "probability", "assumed",                          \
    "chance a routine contact without arrest ends in a citation (a fine, no jail)")                        \
  X(policing, move_along_per_contact, double, 0.504848, 0, 1, "probability", "calibrated (scenarios/calibration.toml); context Walker et al. 2024",  \
    "chance a routine contact without arrest moves a street worker away from where she works")            \
  X(policing, coercion_per_contact, double, 0.0227576, 0, 1, "probability", "calibrated (scenarios/calibration.toml); context Footer et al. 2019",   \
    "chance a routine contact involves police violence or sexual coercion")                                \
  X(policing, condom_confiscation_per_contact, double, 0.0214014, 0, 1, "probability", "calibrated (scenarios/calibration.toml); context Goldenberg et al. 2020", \
    "chance a routine contact takes her condoms or makes carrying them risky (condoms as evidence)")      \
  X(policing, condom_gap_days, double, 3, 0, 365, "days", "assumed",                                       \
    "days a worker works without condoms after they are taken")                                            \
  X(policing, no_condom_condomless, double, 0.5, 0, 1, "probability", "assumed",                           \
    "chance an encounter is condomless while she has no condoms")                                          \
  X(policing, patrol_heat, double, 0.1, 0, 100, "heat", "assumed; J Urban Health 2017 rushed-negotiation study",                   \
    "standing police heat of routine patrols in a central area (scaled like contacts in other areas)")     \
  X(policing, ice_referral, double, 0.1, 0, 1, "probability", "assumed",                                   \
    "chance an undocumented worker arrested by routine policing is handed to immigration")                \
  X(housing, loss_per_year_street, double, 2.34753, 0, 365, "1/year", "calibrated (scenarios/calibration.toml); context Duff et al. 2011",          \
    "rate at which a housed street worker loses housing, arrests aside")                                   \
  X(housing, loss_per_year_other, double, 0.1, 0, 365, "1/year", "assumed",                                \
    "rate at which a housed venue or online worker loses housing, arrests aside")                          \
  X(housing, drug_use_loss_multiplier, double, 1.65, 1, 100, "ratio", "Duff et al. 2011",                        \
    "housing loss of a worker who uses drugs daily relative to others (daily crack use, aOR 1.65)")       \
  X(housing, regain_per_year, double, 1.4, 0, 365, "1/year", "Walker et al. 2024",                         \
    "rate at which an unhoused worker finds housing again")                                                \
  X(housing, violence_multiplier, double, 3.53728, 1, 100, "ratio", "calibrated (scenarios/calibration.toml); context Shannon et al. 2009 (BMJ); Walker et al. 2024", \
    "buyer violence risk of an unhoused worker relative to a housed one (no indoor place to work)")       \
  X(stress, control_per_year, double, 0.5, 0, 365, "1/year", "assumed; seed 002",                          \
    "rate at which a stressed independent worker turns to a third party")                                  \
  X(stress, leave_control_per_year, double, 0.5, 0, 365, "1/year", "assumed",                           \
    "rate at which an adult worker under a pimp leaves him, once no debt binds her")                 \
  X(stress, income_stress_ratio, double, 0.8, 0, 10, "ratio", "assumed",                                   \
    "30-day income below this share of need counts as stress")                                             \
  X(market, exit_per_year, double, 0.10, 0, 100, "1/year", "Ward and Day 2006",                            \
    "base rate at which workers leave the market")                                                         \
  X(market, services_exit_per_year, double, 0.2, 0, 100, "1/year", "Gaines et al. 2015",                   \
    "exit rate while engaged with services (exit support about doubles it)")                               \
  X(market, entry_delay_days, double, 30, 0.01, 3650, "days", "assumed",                                   \
    "mean delay with which new entrants close a gap between supply and demand")                            \
  X(market, supply_elasticity, double, 1.0, 0, 10, "ratio", "assumed",                                     \
    "how strongly the number of independent workers follows buyers' demand (1: in proportion)")           \
  X(arrest, jail_days, double, 3, 0, 3650, "days", "assumed", "mean days in jail after an arrest")         \
  X(arrest, fine, double, 250, 0, 1e9, "currency", "assumed; seed 002", "court fines and fees per arrest or citation") \
  X(arrest, housing_loss, double, 0.10, 0, 1, "probability", "assumed; Socías et al. 2015",                \
    "chance an arrest costs the person her housing")                                                       \
  X(arrest, trust_loss, double, 0.15, 0, 1, "0-1", "assumed; seed 003", "fall in trust in services after an arrest") \
  X(arrest, police_violence, double, 0.15, 0, 1, "probability", "assumed; Footer et al. 2019",             \
    "chance an arrest involves violence or coercion by police")                                            \
  X(arrest, screening_sensitivity_adult, double, 0.3, 0, 1, "probability", "seed 003; Ditmore 2009; Barrick et al. 2023", \
    "chance police screening identifies an adult trafficking victim")                                      \
  X(arrest, screening_sensitivity_minor, double, 0.8, 0, 1, "probability", "assumed",                      \
    "chance police screening identifies a minor")                                                          \
  X(arrest, buyer_deterrence_gain, double, 0.2, 0, 1, "0-1", "assumed",                                    \
    "rise in the perceived risk of an area's buyers per buyer arrested there, per 1,000 of them")          \
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
  X(services, housing_offer, double, 0.1, 0, 1, "probability", "assumed; Walker et al. 2024",              \
    "chance an outreach contact finds housing for an unhoused worker")                                     \
  X(services, exit_support, double, 0.5, 0, 1, "probability", "assumed",                                   \
    "chance a person in services after identification or diversion leaves the market with support")       \
  X(services, engaged_days, double, 90, 1, 3650, "days", "assumed",                                        \
    "days a contact keeps a worker engaged (safety planning, exit support)")                               \
  X(services, safety_violence_reduction, double, 0.3, 0, 1, "share", "assumed",                            \
    "fall in buyer and exploiter violence while engaged (safety planning)")                                \
  X(exposure, window_days, double, 180, 1, 3650, "days", "MODEL.md §5; Platt et al. 2018",                 \
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
