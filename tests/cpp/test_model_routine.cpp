// Routine policing and the mechanisms added with it (MODEL.md §7; commit
// 35752d2): police contacts by sector and area and what a contact can do,
// wariness, condoms taken, decriminalisation and end demand, housing, buyers
// tied to places, violent buyers deterred less, minors and the buyers who
// seek them, debt that binds, supply that follows demand, the steady-state
// past of entrants, and whom a sting picks. Each test starts from the quiet
// world of model_test_world.hpp and switches on only what it looks at; the
// expected values are worked out in the comments, and every assertion would
// fail by many standard deviations if the mechanism were missing.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <memory>
#include <vector>

#include "model_test_world.hpp"

using namespace harmsim::model;
using namespace harmsim::model::testing;

namespace {

// Sum of a metric's daily series over reported days [from, to) in one stratum.
double stratum_sum(const ReplicateResult& r, Metric m, std::size_t stratum, std::size_t from = 0,
                   std::size_t to = static_cast<std::size_t>(-1)) {
  double sum = 0;
  for (std::size_t d = from; d < std::min(to, r.days); ++d) sum += r.at(m, d, stratum);
  return sum;
}

// Stratum of documented adults of a sector in an area kind.
std::size_t cell(Sector s, AreaKind k, bool minor = false) {
  return cell_stratum(static_cast<unsigned>(s), false, minor, static_cast<unsigned>(k));
}

std::size_t community_stratum(std::size_t c) { return 1 + kCellStrata + c; }

// A count per worker-year in a stratum: the count over reported days
// [from, to) divided by the worker-days of those days (workers_active is the
// level at the end of each day, and counts of day d happen in [d, d + 1)).
double per_worker_year(const ReplicateResult& r, Metric m, std::size_t stratum, std::size_t from, std::size_t to) {
  return 365.0 * ratio(stratum_sum(r, m, stratum, from, to), stratum_sum(r, Metric::workers_active, stratum, from, to));
}

// Encounters per worker-day in a stratum over reported days [from, to).
double encounters_per_worker_day(const ReplicateResult& r, std::size_t stratum, std::size_t from, std::size_t to) {
  return per_worker_year(r, Metric::encounters, stratum, from, to) / 365.0;
}

// Independent (non-venue) workers in the market: what entry_step compares
// with the number buyers' demand supports.
std::size_t independent_present(const World& world) {
  return count_workers(world, [&](std::uint32_t w) {
    const WorkerHot& h = world.workers.hot[w];
    return h.status != Status::Exited && h.status != Status::Deported && h.venue == kNone;
  });
}

// No income pressure: a worker's encounter rate and screening do not respond
// to her income (need 0: her rate multiplier and pressure stay at 1), for
// tests in which lost demand or lost income must not be made up.
void no_income_pressure(Params& p) {
  p.income_need_30d = 0;
  p.max_rate_multiplier = 1.0;
}

}  // namespace

// --- 1. Contacts ------------------------------------------------------------

TEST_CASE("routine police contacts per worker-year follow the sector's rate and the patrol share of the area",
          "[model][routine][policing]") {
  // Area 0 central, 1 peripheral, 2 isolated; street workers put in each in
  // turn; venues and online workers where initialisation put them (central
  // or peripheral). Nothing a contact can do is switched on.
  Params p = quiet_world();
  p.workers = 3000;
  p.share_street = 0.5;
  p.share_venue = 0.2;  // the rest online
  p.venues = 10;
  p.exploiters = 10;
  p.areas = 3;
  p.peripheral_areas = 1;
  p.isolated_areas = 1;
  p.rate_per_day = 0.1;  // encounters play no part
  no_income_pressure(p);
  p.contacts_per_year_street = 40;
  p.contacts_per_year_venue = 20;
  p.contacts_per_year_online = 10;
  p.peripheral_share = 0.5;
  p.isolated_share = 0.25;
  p.days = 200;
  const Interventions iv;
  Simulation sim(p, iv, 2001);
  Workers& ws = sim.world().workers;
  for (std::uint32_t w = 0; w < ws.size(); ++w)
    if (ws.hot[w].sector == Sector::Street) ws.hot[w].area = ws.hot[w].home_area = static_cast<AreaId>(w % 3);
  const ReplicateResult r = sim.run();

  // Policing runs on days 1 .. 199.
  const auto rate = [&](Sector s, AreaKind k) { return per_worker_year(r, Metric::police_contacts, cell(s, k), 1, 200); };
  for (const Sector s : {Sector::Street, Sector::Venue, Sector::Online})
    for (const AreaKind k : {AreaKind::Central, AreaKind::Peripheral})
      REQUIRE(stratum_sum(r, Metric::workers_active, cell(s, k), 1, 200) > 150.0 * 199);
  REQUIRE(stratum_sum(r, Metric::workers_active, cell(Sector::Street, AreaKind::Isolated), 1, 200) > 400.0 * 199);

  const double street[3] = {rate(Sector::Street, AreaKind::Central), rate(Sector::Street, AreaKind::Peripheral),
                            rate(Sector::Street, AreaKind::Isolated)};
  const double venue[2] = {rate(Sector::Venue, AreaKind::Central), rate(Sector::Venue, AreaKind::Peripheral)};
  const double online[2] = {rate(Sector::Online, AreaKind::Central), rate(Sector::Online, AreaKind::Peripheral)};
  INFO("street: central " << street[0] << ", peripheral " << street[1] << ", isolated " << street[2]);
  INFO("venue: central " << venue[0] << ", peripheral " << venue[1]);
  INFO("online: central " << online[0] << ", peripheral " << online[1]);
  // Expected 40 / 20 / 10 on the street (about 10,900 / 5,500 / 2,700
  // contacts: sd at most 2 %); venues 20 / 10 (about 3,300 / 1,600); online
  // 10 wherever she lives (about 2,500 each). Margins of 8 % are > 3 sd.
  CHECK(street[0] == Approx(40.0).epsilon(0.05));
  CHECK(street[1] == Approx(20.0).epsilon(0.06));
  CHECK(street[2] == Approx(10.0).epsilon(0.08));
  CHECK(venue[0] == Approx(20.0).epsilon(0.08));
  CHECK(venue[1] == Approx(10.0).epsilon(0.1));
  CHECK(online[0] == Approx(10.0).epsilon(0.08));
  CHECK(online[1] == Approx(10.0).epsilon(0.08));
}

TEST_CASE("unhoused workers are contacted unhoused_multiplier times as often, and workers arrested in the past year "
          "known_multiplier times, until the year is over",
          "[model][routine][policing][housing]") {
  // 2,000 street workers in central areas at 20 contacts a year; nothing a
  // contact can do is on, so nobody's housing or record changes.
  Params p = quiet_world();
  p.rate_per_day = 0.1;
  no_income_pressure(p);
  p.contacts_per_year_street = 20;
  p.unhoused_multiplier = 3.0;
  p.known_multiplier = 2.0;
  const Interventions iv;

  // Contacts during the daily steps of days [from, to).
  auto contacts = [](Simulation& sim, double from, double to) {
    sim.advance_to(from);
    const double before = sim.recorder().total(Metric::police_contacts);
    sim.advance_to(to);
    return sim.recorder().total(Metric::police_contacts) - before;
  };
  // Every worker unhoused and/or arrested on day -265, i.e. known to police
  // through day 100 (a year later) and not after.
  auto make = [&](bool unhoused, bool known, std::uint64_t seed) {
    auto sim = std::make_unique<Simulation>(p, iv, seed);
    Workers& ws = sim->world().workers;
    for (std::uint32_t w = 0; w < ws.size(); ++w) {
      REQUIRE(!ws.has(w, worker_flag::kHousingLost));
      if (unhoused) ws.hot[w].flags |= worker_flag::kHousingLost;
      if (known) ws.last_arrest[w] = -265.0f;
    }
    return sim;
  };
  auto plain = make(false, false, 2101);
  auto unhoused = make(true, false, 2102);
  auto known = make(false, true, 2103);
  auto both = make(true, true, 2104);
  const double n_plain = contacts(*plain, 1.0, 96.0);  // 95 daily steps
  const double n_unhoused = contacts(*unhoused, 1.0, 96.0);
  const double n_known = contacts(*known, 1.0, 96.0);
  const double n_known_after = contacts(*known, 101.0, 196.0);  // 95 steps after the year is over
  const double n_both = contacts(*both, 1.0, 96.0);
  INFO("contacts in 95 days: housed " << n_plain << ", unhoused " << n_unhoused << ", known " << n_known
                                      << " (the 95 days after the year: " << n_known_after << "), both " << n_both);
  // 2,000 x 20 x 95 / 365 = 10,411 (sd 102) for housed workers not known.
  CHECK(n_plain == Approx(10411).epsilon(0.04));
  CHECK(n_unhoused / n_plain == Approx(3.0).epsilon(0.05));
  CHECK(n_known / n_plain == Approx(2.0).epsilon(0.05));
  CHECK(n_known_after / n_plain == Approx(1.0).epsilon(0.05));
  CHECK(n_both / n_plain == Approx(6.0).epsilon(0.05));
}

// --- 2. What a contact does -------------------------------------------------

TEST_CASE("routine contacts arrest, cite, move along, take condoms and involve police coercion at their "
          "per-contact probabilities; only street workers are moved, mostly to isolated areas",
          "[model][routine][policing][displacement]") {
  // Areas 0-1 central (every street worker's home), 2-3 peripheral, 4-5
  // isolated, all patrolled alike. A worker moved along drifts home the same
  // day (return_rate_per_day 1), so every contact happens at home and every
  // move-along finds somewhere to go. Arrests carry no police violence of
  // their own, so violence_police counts coercion on contacts only.
  Params p = quiet_world();
  p.workers = 3000;
  p.share_street = 0.6;
  p.share_venue = 0.2;
  p.venues = 10;
  p.exploiters = 10;
  p.areas = 6;
  p.peripheral_areas = 2;
  p.isolated_areas = 2;
  p.rate_per_day = 0.1;
  no_income_pressure(p);
  p.contacts_per_year_street = 30;
  p.contacts_per_year_venue = 30;
  p.contacts_per_year_online = 30;
  p.arrest_per_contact = 0.1;
  p.citation_per_contact = 0.2;
  p.move_along_per_contact = 0.3;
  p.condom_confiscation_per_contact = 0.25;
  p.coercion_per_contact = 0.15;
  p.police_violence = 0.0;
  p.housing_loss = 0.0;
  p.jail_days = 0.5;
  p.isolated_destination_share = 0.8;
  p.return_rate_per_day = 1.0;
  p.days = 150;
  const Interventions iv;
  Simulation sim(p, iv, 2201);
  Workers& ws = sim.world().workers;
  for (std::uint32_t w = 0; w < ws.size(); ++w)
    if (ws.hot[w].sector == Sector::Street) ws.hot[w].area = ws.hot[w].home_area = static_cast<AreaId>(w % 2);
  const ReplicateResult r = sim.run();
  const auto total = [&](Metric m) { return r.totals[index(m)]; };

  const double contacts = total(Metric::police_contacts);
  const double arrests = total(Metric::arrests_worker);
  const double not_arrested = contacts - arrests;
  const double street_contacts = stratum_sum(r, Metric::police_contacts, cell(Sector::Street, AreaKind::Central));
  const double street_arrests = stratum_sum(r, Metric::arrests_worker, cell(Sector::Street, AreaKind::Central));
  double moved_from_elsewhere = 0, to_isolated = 0, to_peripheral = 0;
  for (const Sector s : {Sector::Venue, Sector::Online})
    for (const AreaKind k : {AreaKind::Central, AreaKind::Peripheral, AreaKind::Isolated})
      moved_from_elsewhere += stratum_sum(r, Metric::displacements, cell(s, k));
  // A move-along is counted where she is moved to.
  to_isolated = stratum_sum(r, Metric::displacements, cell(Sector::Street, AreaKind::Isolated));
  to_peripheral = stratum_sum(r, Metric::displacements, cell(Sector::Street, AreaKind::Peripheral));
  const double moved = total(Metric::displacements);

  INFO("contacts " << contacts << " (street " << street_contacts << "), arrests " << arrests << ", citations "
                   << total(Metric::citations) << ", move-alongs " << moved << " (isolated " << to_isolated
                   << ", peripheral " << to_peripheral << "), condoms taken " << total(Metric::condoms_taken)
                   << ", police coercion " << total(Metric::violence_police));
  // About 3,000 x 30 x 149 / 365 = 36,700 contacts, 22,000 of street workers.
  REQUIRE(contacts > 30000);
  REQUIRE(street_contacts > 18000);
  // An arrest ends the contact; the rest are decided on contacts without
  // arrest (binomial sd below 0.004 for each share).
  CHECK(ratio(arrests, contacts) == Approx(0.1).margin(0.012));
  CHECK(ratio(total(Metric::citations), not_arrested) == Approx(0.2).margin(0.015));
  CHECK(ratio(total(Metric::condoms_taken), not_arrested) == Approx(0.25).margin(0.015));
  CHECK(ratio(total(Metric::violence_police), not_arrested) == Approx(0.15).margin(0.015));
  CHECK(ratio(moved, street_contacts - street_arrests) == Approx(0.3).margin(0.02));
  CHECK(moved_from_elsewhere == 0.0);  // venue and online workers are never moved along
  CHECK(to_isolated + to_peripheral == moved);
  CHECK(ratio(to_isolated, moved) == Approx(0.8).margin(0.03));  // sd 0.005 over ~6,000 moves
}

// --- 3. Wariness ------------------------------------------------------------

namespace {

// Street workers in a central area (0) and a peripheral one (1), contacted
// by police almost every day (300 a year: never 14 days without a contact),
// so that from the first days on every worker is wary when wary_days > 0.
// No income pressure; nothing a contact does but make her wary.
Params wary_world() {
  Params p = quiet_world();
  p.areas = 2;
  p.peripheral_areas = 1;
  no_income_pressure(p);
  p.contacts_per_year_street = 300;
  p.peripheral_share = 1.0;
  p.violent_share = 0.2;
  p.screening_sensitivity = 0.6;
  p.violence_given_violent_buyer = 0.3;
  p.peer_violence_multiplier = 0.6;
  p.refuses_condoms_share = 0.2;
  p.condom_insistence = 0.8;
  p.condomless_base = 0.03;
  p.rush_condom_effect = 1.0;
  p.days = 60;
  return p;
}

struct PerEncounter {
  double violence[2] = {}, condomless[2] = {}, encounters[2] = {};  // [central, peripheral]
};

// Per-encounter rates from day 5 on (everyone wary by then).
PerEncounter per_encounter(const ReplicateResult& r) {
  PerEncounter out;
  for (int k = 0; k < 2; ++k) {
    const std::size_t s = cell(Sector::Street, static_cast<AreaKind>(k));
    out.encounters[k] = stratum_sum(r, Metric::encounters, s, 5);
    out.violence[k] = ratio(stratum_sum(r, Metric::violence_buyer, s, 5), out.encounters[k]);
    out.condomless[k] = ratio(stratum_sum(r, Metric::condomless_acts, s, 5), out.encounters[k]);
  }
  return out;
}

}  // namespace

TEST_CASE("a worker made wary by a police contact rushes her negotiations: more buyer violence and more "
          "condomless sex per encounter when wary_heat > 0",
          "[model][routine][wary][encounter]") {
  Params calm = wary_world();
  calm.wary_days = 14;
  calm.wary_heat = 0.0;
  Params rushed = calm;
  rushed.wary_heat = 3.0;  // negotiation a quarter of its length
  const Interventions iv;
  Simulation sim_calm(calm, iv, 2301);
  Simulation sim_rushed(rushed, iv, 2302);
  const PerEncounter a = per_encounter(sim_calm.run());
  const PerEncounter c = per_encounter(sim_rushed.run());
  INFO("central: violence per encounter " << a.violence[0] << " -> " << c.violence[0] << ", condomless "
                                          << a.condomless[0] << " -> " << c.condomless[0]);
  INFO("peripheral: violence per encounter " << a.violence[1] << " -> " << c.violence[1] << ", condomless "
                                             << a.condomless[1] << " -> " << c.condomless[1]);
  REQUIRE(a.encounters[0] > 40000);
  REQUIRE(c.encounters[0] > 40000);
  // Screening 0.6 -> 0.15: violent buyers are 0.08 / 0.88 = 9.1 % of
  // encounters without rush and 0.17 / 0.97 = 17.5 % with it, each violent
  // with probability 0.3 (a wary street worker is out of her peers' sight in
  // both worlds): 0.0273 -> 0.0526 (x1.93; about 1,500 vs 3,000 incidents per
  // area). Condomless: 0.2 x 0.2 + 0.8 x 0.03 = 0.064, raised by
  // rush_condom_effect x 3/4 lost strength: 0.112 (x1.75).
  for (int k = 0; k < 2; ++k) {
    CHECK(a.violence[k] == Approx(0.0273).epsilon(0.1));
    CHECK(c.violence[k] / a.violence[k] == Approx(1.93).epsilon(0.12));
    CHECK(a.condomless[k] == Approx(0.064).epsilon(0.06));
    CHECK(c.condomless[k] / a.condomless[k] == Approx(1.75).epsilon(0.06));
  }
}

TEST_CASE("a wary street worker in a central area loses the protection of her peers, and nothing changes where "
          "there were none",
          "[model][routine][wary][encounter]") {
  Params never_wary = wary_world();
  never_wary.wary_days = 0;
  Params wary = never_wary;
  wary.wary_days = 14;  // wary_heat 0: no rush, only out of sight
  const Interventions iv;
  Simulation sim_never(never_wary, iv, 2311);
  Simulation sim_wary(wary, iv, 2312);
  const PerEncounter b = per_encounter(sim_never.run());
  const PerEncounter a = per_encounter(sim_wary.run());
  INFO("violence per encounter, never wary: central " << b.violence[0] << ", peripheral " << b.violence[1]);
  INFO("violence per encounter, wary: central " << a.violence[0] << ", peripheral " << a.violence[1]);
  // 9.1 % of encounters with a violent buyer; violent with probability
  // 0.3 x 0.6 = 0.18 among peers (central) and 0.3 alone: 0.0164 vs 0.0273
  // (about 1,000 and 1,600 incidents per area).
  CHECK(b.violence[0] / b.violence[1] == Approx(0.6).epsilon(0.12));
  CHECK(a.violence[0] / b.violence[0] == Approx(1.0 / 0.6).epsilon(0.12));
  CHECK(a.violence[1] / b.violence[1] == Approx(1.0).epsilon(0.12));
  CHECK(a.condomless[0] / b.condomless[0] == Approx(1.0).epsilon(0.06));  // no rush: condoms unchanged
}

// --- 4. Condoms taken -------------------------------------------------------

TEST_CASE("condoms taken by police raise condomless sex to no_condom_condomless for condom_gap_days, then not",
          "[model][routine][condoms][encounter]") {
  Params p = quiet_world();  // 2,000 street workers, an encounter a day each
  no_income_pressure(p);
  p.condom_gap_days = 3;
  p.no_condom_condomless = 0.4;
  const Interventions iv;
  Simulation sim(p, iv, 2401);
  sim.advance_to(1.0);
  const Window before = totals(sim);
  Workers& ws = sim.world().workers;
  for (std::uint32_t w = 0; w < ws.size(); ++w) sim.take_condoms(w, 1.0);
  sim.advance_to(4.0);  // condoms back at day 4
  const Window during = totals(sim) - before;
  const Window mark = totals(sim);
  sim.advance_to(14.0);
  const Window after = totals(sim) - mark;
  const double c_before = ratio(before.condomless, before.encounters);
  const double c_during = ratio(during.condomless, during.encounters);
  const double c_after = ratio(after.condomless, after.encounters);
  INFO("condomless per encounter: before " << c_before << ", without condoms " << c_during << " (" << during.encounters
                                           << " encounters), after " << c_after);
  CHECK(sim.recorder().total(Metric::condoms_taken) == Approx(static_cast<double>(ws.size())));
  // Without condoms max(0.064, 0.4) = 0.4 (about 5,300 encounters: sd 0.007);
  // afterwards 0.064 again (about 17,600: sd 0.002).
  REQUIRE(during.encounters > 4000);
  CHECK(c_during == Approx(0.4).margin(0.03));
  CHECK(c_after == Approx(0.064).margin(0.008));
}

// --- 5. Decriminalisation and end demand ------------------------------------

TEST_CASE("under decriminalisation routine contacts fall to police_contact_share, never arrest, cite, move along or "
          "take condoms, and involve police coercion police_coercion_share times as often",
          "[model][routine][decriminalization]") {
  // Street workers at home in central areas 0-1; somewhere to be moved to
  // (2 peripheral, 3 isolated); a moved worker goes home the same day. Short
  // jail, so that arrests hardly change who is there to be contacted.
  Params p = quiet_world();
  p.areas = 4;
  p.peripheral_areas = 1;
  p.isolated_areas = 1;
  p.rate_per_day = 0.1;
  no_income_pressure(p);
  p.contacts_per_year_street = 30;
  p.arrest_per_contact = 0.1;
  p.citation_per_contact = 0.2;
  p.move_along_per_contact = 0.3;
  p.condom_confiscation_per_contact = 0.2;
  p.coercion_per_contact = 0.2;
  p.police_violence = 0.0;
  p.housing_loss = 0.0;
  p.jail_days = 0.05;
  p.return_rate_per_day = 1.0;
  Interventions iv;
  iv.decriminalization.enabled = true;
  iv.decriminalization.start_day = 40;
  iv.decriminalization.police_contact_share = 0.3;
  iv.decriminalization.police_coercion_share = 0.25;
  Simulation sim(p, iv, 2501);
  Workers& ws = sim.world().workers;
  for (std::uint32_t w = 0; w < ws.size(); ++w) ws.hot[w].area = ws.hot[w].home_area = static_cast<AreaId>(w % 2);
  const Recorder& rec = sim.recorder();
  const Metric kinds[] = {Metric::police_contacts, Metric::arrests_worker, Metric::citations, Metric::displacements,
                          Metric::condoms_taken, Metric::violence_police};
  auto snapshot = [&]() {
    std::vector<double> v;
    for (Metric m : kinds) v.push_back(rec.total(m));
    return v;
  };
  sim.advance_to(1.0);
  const std::vector<double> t1 = snapshot();
  sim.advance_to(40.0);  // the daily steps of days 1-39: criminalised
  const std::vector<double> t40 = snapshot();
  sim.advance_to(120.0);  // days 40-119: decriminalised
  const std::vector<double> t120 = snapshot();
  std::vector<double> before(t1.size()), after(t1.size());
  for (std::size_t i = 0; i < t1.size(); ++i) {
    before[i] = t40[i] - t1[i];
    after[i] = t120[i] - t40[i];
  }
  INFO("days 1-39: contacts " << before[0] << ", arrests " << before[1] << ", citations " << before[2]
                              << ", move-alongs " << before[3] << ", condoms taken " << before[4] << ", coercion "
                              << before[5]);
  INFO("days 40-119: contacts " << after[0] << ", arrests " << after[1] << ", citations " << after[2]
                                << ", move-alongs " << after[3] << ", condoms taken " << after[4] << ", coercion "
                                << after[5]);
  // Criminalised: 2,000 x 30 / 365 = 164 contacts a day (6,400 in 39 days),
  // about 640 arrests, 1,150 citations, 1,730 move-alongs.
  REQUIRE(before[1] > 400);
  REQUIRE(before[2] > 800);
  REQUIRE(before[3] > 1200);
  REQUIRE(before[4] > 800);
  CHECK(after[1] == 0.0);
  CHECK(after[2] == 0.0);
  CHECK(after[3] == 0.0);
  CHECK(after[4] == 0.0);
  // Contacts a day: 0.3 x 164 = 49 (3,900 in 80 days: sd 1.6 %).
  CHECK((after[0] / 80.0) / (before[0] / 39.0) == Approx(0.3).epsilon(0.06));
  // Coercion per contact: 0.9 x 0.2 = 0.18 before (arrests end a contact),
  // 0.2 x 0.25 = 0.05 after (about 195 incidents: sd 0.0035).
  CHECK(ratio(before[5], before[0]) == Approx(0.18).margin(0.015));
  CHECK(ratio(after[5], after[0]) == Approx(0.05).margin(0.012));
}

TEST_CASE("under end demand no worker is arrested by routine contacts or operations; contacts arrest buyers and raise "
          "the perceived risk of the buyers of the areas policed, not of others",
          "[model][routine][end_demand]") {
  // Street workers in all four areas: 0-1 central, 2-3 isolated and never
  // patrolled (isolated_share 0). A daily street sting that would arrest 5
  // workers a day everywhere and raises no buyer risk of its own.
  Params p = quiet_world();
  p.areas = 4;
  p.isolated_areas = 2;
  p.isolated_share = 0.0;
  p.rate_per_day = 0.1;
  no_income_pressure(p);
  p.contacts_per_year_street = 30;
  p.arrest_per_contact = 0.2;
  p.jail_days = 0.05;
  p.buyer_deterrence_gain = 0.2;
  Operation sting = daily_operation(OperationKind::Arrests, 0);
  sting.arrests_per_day = 5;
  sting.buyer_share = 0.0;
  sting.sectors = {true, false, false};
  Interventions iv;
  iv.operations.push_back(sting);
  iv.end_demand.enabled = true;
  iv.end_demand.start_day = 20;
  iv.end_demand.buyer_arrest_per_contact = 0.1;
  Simulation sim(p, iv, 2511);
  Workers& ws = sim.world().workers;
  for (std::uint32_t w = 0; w < ws.size(); ++w) ws.hot[w].area = ws.hot[w].home_area = static_cast<AreaId>(w % 4);
  const Recorder& rec = sim.recorder();

  sim.advance_to(20.0);  // criminalised selling: days 0-19
  const double workers_before = rec.total(Metric::arrests_worker);
  const double operation_before = rec.total(Metric::operation_arrests);
  const double contacts_before = rec.total(Metric::police_contacts);
  CHECK(rec.total(Metric::arrests_buyer) == 0.0);
  for (std::uint32_t a = 0; a < 4; ++a) CHECK(sim.area_buyer_risk(a, 20.0) == 0.0);
  sim.advance_to(80.0);
  const double contacts = rec.total(Metric::police_contacts) - contacts_before;
  const double buyers = rec.total(Metric::arrests_buyer);
  INFO("before: " << workers_before << " workers arrested (" << operation_before << " by the sting)");
  INFO("after: " << contacts << " contacts, " << buyers << " buyers arrested; buyer risk by area "
                 << sim.area_buyer_risk(0, 80.0) << ", " << sim.area_buyer_risk(1, 80.0) << ", "
                 << sim.area_buyer_risk(2, 80.0) << ", " << sim.area_buyer_risk(3, 80.0));
  // Before: 1,000 patrolled workers x 30 / 365 x 0.2 = 16 routine arrests a
  // day plus the sting's 5.
  REQUIRE(workers_before > 250);
  REQUIRE(operation_before > 80);
  CHECK(rec.total(Metric::arrests_worker) == workers_before);
  CHECK(rec.total(Metric::operation_arrests) == operation_before);
  // 82 contacts a day, a tenth of them a buyer's arrest (about 490: sd 22).
  CHECK(ratio(buyers, contacts) == Approx(0.1).margin(0.015));
  CHECK(sim.area_buyer_risk(0, 80.0) > 0.5);
  CHECK(sim.area_buyer_risk(1, 80.0) > 0.5);
  CHECK(sim.area_buyer_risk(2, 80.0) == 0.0);
  CHECK(sim.area_buyer_risk(3, 80.0) == 0.0);
  CHECK(sim.online_buyer_risk(80.0) == 0.0);
}

TEST_CASE("a buyer arrested at a routine contact under end demand raises the risk of the area's buyers by "
          "buyer_deterrence_gain per 1,000 of them, as a buyer arrested by an operation there does",
          "[model][routine][end_demand][buyers]") {
  // Street and venue buyers of an area share one perceived risk
  // (Simulation::area_buyer_risk), so the rise per arrest is per 1,000 of
  // all of them (parameters.hpp, arrest.buyer_deterrence_gain: "per buyer
  // arrested there, per 1,000 of them"), as operation.cpp computes it for a
  // sting that works in both sectors. Half the workers in venues, so an
  // area's street and venue buyers are about equally many.
  Params p = quiet_world();
  p.share_street = 0.5;
  p.share_venue = 0.5;
  p.venues = 4;
  p.exploiters = 4;
  p.areas = 2;
  p.buyer_deterrence_gain = 0.2;
  p.rate_per_day = 0.1;
  no_income_pressure(p);
  const std::uint64_t seed = 2521;  // the same world in every simulation below

  Operation sting;  // one buyer arrested in area a on day 1, street and venue sectors
  sting.kind = OperationKind::Arrests;
  sting.start_day = 1;
  sting.arrests_per_day = 1;
  sting.buyer_share = 1.0;
  sting.sectors = {true, true, false};
  Interventions by_operation;
  Interventions end_demand;
  end_demand.end_demand.enabled = true;
  end_demand.end_demand.buyer_arrest_per_contact = 1.0;  // every contact arrests a buyer

  Simulation probe(p, end_demand, seed);
  const World& world = probe.world();
  const std::uint32_t a = world.venues.area[0];
  std::uint32_t street_worker = kNone, venue_worker = kNone;
  for (std::uint32_t w = 0; w < world.workers.size(); ++w) {
    const WorkerHot& h = world.workers.hot[w];
    if (h.area != a) continue;
    if (h.sector == Sector::Street && street_worker == kNone) street_worker = w;
    if (h.sector == Sector::Venue && venue_worker == kNone) venue_worker = w;
  }
  REQUIRE(street_worker != kNone);
  REQUIRE(venue_worker != kNone);
  const Buyers& b = world.buyers;
  const double street_buyers = b.segment_size[b.segment_of(Sector::Street, a)];
  const double venue_buyers = b.segment_size[b.segment_of(Sector::Venue, a)];
  const double expected = 0.2 * 1000.0 / (street_buyers + venue_buyers);

  sting.areas = {a};
  by_operation.operations.push_back(sting);
  Simulation operation(p, by_operation, seed);
  operation.advance_to(2.0);  // the sting works at t = 1.5
  const double after_operation = operation.area_buyer_risk(a, 1.5);

  auto after_contact = [&](std::uint32_t w) {
    Simulation sim(p, end_demand, seed);
    sim.advance_to(1.0);
    REQUIRE(sim.world().workers.hot[w].status == Status::Active);
    sim.police_contact(w, 1.0);
    CHECK(sim.area_buyer_risk(1 - a, 1.0) == 0.0);
    return sim.area_buyer_risk(a, 1.0);
  };
  const double after_street_contact = after_contact(street_worker);
  const double after_venue_contact = after_contact(venue_worker);
  INFO("area " << a << ": " << street_buyers << " street and " << venue_buyers << " venue buyers; expected rise "
               << expected);
  INFO("rise after one buyer arrested: by the sting " << after_operation << ", at a street worker's contact "
                                                     << after_street_contact << ", at a venue worker's contact "
                                                     << after_venue_contact);
  REQUIRE(street_buyers > 1000);
  REQUIRE(venue_buyers > 1000);
  CHECK(after_operation == Approx(expected));
  // At commit 35752d2 both fail by about a factor 2: policing.cpp divides by
  // the buyers of the contacted worker's segment only (street or venue),
  // while the risk it raises is that of the whole area's buyers.
  CHECK(after_street_contact == Approx(expected));
  CHECK(after_venue_contact == Approx(expected));
}

// --- 6. Housing --------------------------------------------------------------

TEST_CASE("the unhoused share settles near loss / (loss + regain) in each sector, where initialisation starts it",
          "[model][routine][housing]") {
  Params p = quiet_world();
  p.share_street = 0.5;  // the rest online
  p.rate_per_day = 0.1;
  no_income_pressure(p);
  p.loss_per_year_street = 2.0;
  p.loss_per_year_other = 0.5;
  p.regain_per_year = 3.0;
  const Interventions iv;
  Simulation sim(p, iv, 2601);
  const World& world = sim.world();
  const Workers& ws = world.workers;
  auto unhoused_share = [&](Sector s) {
    const double n = static_cast<double>(count_workers(world, [&](std::uint32_t w) { return ws.hot[w].sector == s; }));
    return ratio(static_cast<double>(count_workers(world, [&](std::uint32_t w) {
                   return ws.hot[w].sector == s && ws.has(w, worker_flag::kHousingLost);
                 })),
                 n);
  };
  // Street 2 / (2 + 3) = 0.4, online 0.5 / 3.5 = 0.143 (about 1,000 each:
  // sd 0.016 and 0.011).
  const double start_street = unhoused_share(Sector::Street), start_online = unhoused_share(Sector::Online);
  // Everyone housed; the steady state returns within a few 1 / (5 / 365) =
  // 73-day spells.
  Workers& mutable_ws = sim.world().workers;
  for (std::uint32_t w = 0; w < ws.size(); ++w)
    mutable_ws.hot[w].flags &= static_cast<std::uint8_t>(~worker_flag::kHousingLost);
  sim.advance_to(365.0);
  const double end_street = unhoused_share(Sector::Street), end_online = unhoused_share(Sector::Online);
  INFO("unhoused at the start: street " << start_street << ", online " << start_online);
  INFO("unhoused after a year from nobody: street " << end_street << ", online " << end_online);
  CHECK(start_street == Approx(0.4).margin(0.06));
  CHECK(start_online == Approx(0.143).margin(0.045));
  CHECK(end_street == Approx(0.4).margin(0.06));
  CHECK(end_online == Approx(0.143).margin(0.045));
  CHECK(sim.recorder().total(Metric::housing_regained) > 1000);  // ~4 a day once settled
}

TEST_CASE("a routine arrest costs a housed worker her housing with probability housing_loss",
          "[model][routine][housing][arrest]") {
  Params p = quiet_world();
  p.workers = 4000;
  p.rate_per_day = 0.1;
  no_income_pressure(p);
  p.contacts_per_year_street = 20;
  p.arrest_per_contact = 1.0;  // every contact an arrest
  p.housing_loss = 0.3;
  p.jail_days = 3;
  const Interventions iv;
  Simulation sim(p, iv, 2611);
  // Without regain the steady state initialisation draws is everyone
  // unhoused (arrests cost housing, nothing gives it back): start housed.
  Workers& ws = sim.world().workers;
  for (std::uint32_t w = 0; w < ws.size(); ++w) ws.hot[w].flags &= static_cast<std::uint8_t>(~worker_flag::kHousingLost);
  sim.advance_to(15.0);
  double once = 0, once_lost = 0, never = 0, never_lost = 0;
  for (std::uint32_t w = 0; w < ws.size(); ++w) {
    const bool lost = ws.has(w, worker_flag::kHousingLost);
    if (ws.arrests[w] == 1) {
      once += 1;
      once_lost += lost ? 1 : 0;
    } else if (ws.arrests[w] == 0) {
      never += 1;
      never_lost += lost ? 1 : 0;
    }
  }
  INFO("arrested once: " << once << ", of whom unhoused " << once_lost << "; never arrested: " << never
                         << ", unhoused " << never_lost << "; housing_lost metric "
                         << sim.recorder().total(Metric::housing_lost));
  // 14 days at 20 a year: about 1,700 arrested once (some twice).
  REQUIRE(once > 1200);
  CHECK(never_lost == 0);
  CHECK(ratio(once_lost, once) == Approx(0.3).margin(0.05));  // sd 0.013
  CHECK(sim.recorder().total(Metric::arrests_worker) == Approx(sim.recorder().total(Metric::police_contacts)));
}

TEST_CASE("an unhoused worker faces violence_multiplier times the buyer violence of a housed one per encounter with "
          "a violent buyer",
          "[model][routine][housing][encounter]") {
  // Every buyer violent and none screened out: each encounter is one with
  // a violent buyer, violent with probability 0.3 x 0.6 (peers) housed and
  // 2.5 times that unhoused.
  Params p = quiet_world();
  no_income_pressure(p);
  p.violent_share = 1.0;
  p.screening_sensitivity = 0.0;
  p.violence_given_violent_buyer = 0.3;
  p.peer_violence_multiplier = 0.6;
  p.violence_multiplier = 2.5;
  const Interventions iv;
  auto per_encounter = [&](bool unhoused, std::uint64_t seed) {
    Simulation sim(p, iv, seed);
    Workers& ws = sim.world().workers;
    for (std::uint32_t w = 0; w < ws.size(); ++w)
      if (unhoused) ws.hot[w].flags |= worker_flag::kHousingLost;
    sim.advance_to(10.0);
    const Window d = totals(sim);
    return ratio(d.violence_buyer, d.encounters);
  };
  const double housed = per_encounter(false, 2621);
  const double unhoused = per_encounter(true, 2622);
  INFO("buyer violence per encounter: housed " << housed << ", unhoused " << unhoused);
  // 0.18 vs 0.45 over about 20,000 encounters each (sd 0.003).
  CHECK(housed == Approx(0.18).margin(0.015));
  CHECK(unhoused == Approx(0.45).margin(0.015));
}

TEST_CASE("outreach finds housing for an unhoused worker it contacts with probability housing_offer, and for no one "
          "it does not contact",
          "[model][routine][housing][outreach]") {
  Params p = quiet_world();
  p.workers = 20000;
  p.rate_per_day = 0.01;
  no_income_pressure(p);
  p.housing_offer = 0.4;
  OutreachProgram program;
  program.start_day = 1;
  program.duration_days = 2;
  program.contacts_per_day = 1000;
  Interventions iv;
  iv.outreach.push_back(program);
  Simulation sim(p, iv, 2631);
  Workers& ws = sim.world().workers;
  for (std::uint32_t w = 0; w < ws.size(); ++w) ws.hot[w].flags |= worker_flag::kHousingLost;
  sim.advance_to(5.0);
  double contacted = 0, contacted_housed = 0, others_housed = 0;
  for (std::uint32_t w = 0; w < ws.size(); ++w) {
    const bool housed = !ws.has(w, worker_flag::kHousingLost);
    if (ws.hot[w].engaged_until > 0.0f) {
      contacted += 1;
      contacted_housed += housed ? 1 : 0;
    } else {
      others_housed += housed ? 1 : 0;
    }
  }
  const double contacts = sim.recorder().total(Metric::outreach_contacts);
  const double regained = sim.recorder().total(Metric::housing_regained);
  INFO("outreach contacts " << contacts << " (" << contacted << " people), housed " << regained << " ("
                            << contacted_housed << " of those contacted)");
  REQUIRE(contacts == Approx(2000));
  CHECK(others_housed == 0);
  CHECK(regained == contacted_housed);
  // About 5 % of the 2,000 contacts are second contacts, which house only
  // those still unhoused: 0.4 x (1 - 0.05 x 0.4) = 0.39 per contact (sd 0.011).
  CHECK(ratio(regained, contacts) == Approx(0.39).margin(0.04));
}

// --- 7. Buyers tied to places ------------------------------------------------

TEST_CASE("buyer risk raised in one area deters the encounters of the workers who work there, not of those in "
          "another area",
          "[model][routine][buyers]") {
  // Two central areas in two communities (community stratum = area). Risk
  // 100 in area 0 stays above 1 for the 60 days (half-life 21 days): half of
  // its buyers are deterred (mean deterrence 0.5). No income pressure, so
  // nobody makes up for lost demand.
  Params p = quiet_world();
  p.areas = 2;
  p.communities = 2;
  no_income_pressure(p);
  p.deterrence_mean = 0.5;
  p.days = 60;
  const Interventions iv;
  Simulation sim(p, iv, 2701);
  sim.add_area_buyer_risk(0, 100.0, 0.0);
  const ReplicateResult r = sim.run();
  const double there = encounters_per_worker_day(r, community_stratum(0), 1, 60);
  const double elsewhere = encounters_per_worker_day(r, community_stratum(1), 1, 60);
  INFO("encounters per worker-day: area with buyer risk " << there << ", other area " << elsewhere);
  // 1 x (1 - 0.2 x 0.6) = 0.88 elsewhere (violent buyers refused), half that
  // where buyers fear arrest: about 26,000 vs 52,000 encounters.
  CHECK(elsewhere == Approx(0.88).epsilon(0.03));
  CHECK(there / elsewhere == Approx(0.5).epsilon(0.05));
}

TEST_CASE("a displaced street worker meets the buyers of the area she is moved to, not those of her home",
          "[model][routine][buyers][displacement]") {
  // Area 0 central (every worker's home), area 1 isolated (where the
  // displaced go; they never return: return_rate_per_day 0).
  Params p = quiet_world();
  p.areas = 2;
  p.isolated_areas = 1;
  no_income_pressure(p);
  p.return_rate_per_day = 0.0;
  p.days = 40;
  const Interventions iv;

  SECTION("buyer segments are one per street area, one per venue area and one online, back to back") {
    Simulation sim(p, iv, 2711);
    const Buyers& b = sim.world().buyers;
    CHECK(b.segment_of(Sector::Street, 1) == 1);
    CHECK(b.segment_of(Sector::Venue, 1) == 3);
    CHECK(b.segment_of(Sector::Online, 0) == 4);
    CHECK(b.segment_of(Sector::Online, 1) == 4);
    REQUIRE(b.first.size() == 5);
    CHECK(b.first[0] == 0);
    // Every buyer is a street buyer here (no venue or online workers): the
    // two street segments split them without overlap.
    CHECK(b.first[1] == b.first[0] + b.segment_size[0]);
    CHECK(b.first[1] + b.segment_size[1] == 20000);
    // Nobody lives in the isolated area: its segment has the floor of a
    // quarter of an average street area's (2,000 / 2 / 4 = 250 workers'
    // worth of the 2,250 weights: 20,000 x 250 / 2,250 = 2,222 buyers).
    CHECK(b.segment_size[0] == Approx(20000.0 * 2000 / 2250).margin(1));
    CHECK(b.segment_size[1] == Approx(20000.0 * 250 / 2250).margin(1));
  }

  for (const std::uint32_t risky : {1u, 0u}) {
    DYNAMIC_SECTION("buyer risk in area " << risky) {
      Simulation sim(p, iv, 2712 + risky);
      Workers& ws = sim.world().workers;
      for (std::uint32_t w = 0; w < ws.size(); w += 2) REQUIRE(sim.displace(w, 0.0));
      sim.add_area_buyer_risk(risky, 100.0, 0.0);
      const ReplicateResult r = sim.run();
      const double home = encounters_per_worker_day(r, cell(Sector::Street, AreaKind::Central), 1, 40);
      const double moved = encounters_per_worker_day(r, cell(Sector::Street, AreaKind::Isolated), 1, 40);
      INFO("encounters per worker-day: at home " << home << ", displaced " << moved);
      // Half deterred where the risk is, 0.88 a day elsewhere.
      if (risky == 1) {
        CHECK(home == Approx(0.88).epsilon(0.03));
        CHECK(moved / home == Approx(0.5).epsilon(0.06));
      } else {
        CHECK(moved == Approx(0.88).epsilon(0.03));
        CHECK(home / moved == Approx(0.5).epsilon(0.06));
      }
    }
  }
}

// --- 8. Violent buyers deterred less ---------------------------------------------

TEST_CASE("violent buyers deterred less than others (violent_deterrence_ratio < 1) make up a larger share of the "
          "encounters where buyers fear arrest",
          "[model][routine][buyers][encounter]") {
  // Every encounter with a violent buyer turns violent and none is screened
  // out, so buyer violence per encounter is the share of violent buyers
  // among them.
  Params p = quiet_world();
  no_income_pressure(p);
  p.violent_share = 0.2;
  p.screening_sensitivity = 0.0;
  p.violence_given_violent_buyer = 1.0;
  p.peer_violence_multiplier = 1.0;
  p.deterrence_mean = 0.5;
  p.days = 30;
  const Interventions iv;
  auto violent_share = [&](double ratio_violent, bool risk, std::uint64_t seed) {
    Params q = p;
    q.violent_deterrence_ratio = ratio_violent;
    Simulation sim(q, iv, seed);
    if (risk)
      for (std::uint32_t a = 0; a < q.areas; ++a) sim.add_area_buyer_risk(a, 100.0, 0.0);
    const ReplicateResult r = sim.run();
    return ratio(r.totals[index(Metric::violence_buyer)], r.totals[index(Metric::encounters)]);
  };
  const double no_risk = violent_share(0.2, false, 2801);
  const double equal = violent_share(1.0, true, 2802);
  const double less = violent_share(0.2, true, 2803);
  INFO("violent buyers among encounters: no risk " << no_risk << ", risk and equal deterrence " << equal
                                                   << ", risk and violent buyers deterred 0.2 times as much " << less);
  // 0.2 without risk or with equal deterrence; with risk, others are
  // deterred half the time and violent buyers a tenth: 0.18 / (0.18 + 0.4)
  // = 0.31 (about 35,000 encounters: sd 0.0025; the segments' own violent
  // shares differ from 0.2 by about 0.006).
  CHECK(no_risk == Approx(0.2).margin(0.02));
  CHECK(equal == Approx(0.2).margin(0.02));
  CHECK(less == Approx(0.31).margin(0.025));
}

// --- 9. Minors -------------------------------------------------------------------

TEST_CASE("a minor meets about seeks + (1 - seeks)(1 - aversion) times the buyers an adult meets",
          "[model][routine][minors][encounter]") {
  // Half the workers minors; max_rate_multiplier 1 and no income need, so
  // that a minor does not raise her rate (or screen less) for lost income.
  Params p = quiet_world();
  p.minor_share = 0.5;
  no_income_pressure(p);
  p.seeks_minors_share = 0.05;
  p.days = 30;
  const Interventions iv;
  auto minor_to_adult = [&](double aversion, std::uint64_t seed) {
    Params q = p;
    q.minor_aversion = aversion;
    Simulation sim(q, iv, seed);
    const ReplicateResult r = sim.run();
    const double minor = encounters_per_worker_day(r, cell(Sector::Street, AreaKind::Central, true), 1, 30);
    const double adult = encounters_per_worker_day(r, cell(Sector::Street, AreaKind::Central, false), 1, 30);
    return ratio(minor, adult);
  };
  const double averse = minor_to_adult(0.8, 2901);
  const double indifferent = minor_to_adult(0.0, 2902);
  INFO("a minor's encounters relative to an adult's: aversion 0.8 " << averse << ", aversion 0 " << indifferent);
  // 0.05 + 0.95 x 0.2 = 0.24 (about 6,100 vs 25,500 encounters: sd 0.004;
  // the realised share of seekers in a segment of 5,000 buyers is 0.05 +-
  // 0.003, i.e. +-0.0025 on the ratio).
  CHECK(averse == Approx(0.24).margin(0.02));
  CHECK(indifferent == Approx(1.0).margin(0.04));
}

// --- 10. Debt ---------------------------------------------------------------------

TEST_CASE("a coerced worker in debt never leaves the market while she owes; her debt falls with each encounter and, "
          "once repaid, she can leave",
          "[model][routine][debt][exit]") {
  // Every worker under a pimp, half of them coerced and in debt (one month
  // of need, 1,800, partly repaid at the start). Workers leave at 6 a year;
  // no entrants; every buyer accepted (no violent buyers), one encounter a
  // day, 0.5 x 60 = 30 off the debt each.
  Params p = quiet_world();
  p.exploiters = 100;
  p.controlled_share = 1.0;
  p.coerced_share = 0.5;
  p.debt_months = 1.0;
  p.income_need_30d = 1800;
  p.violent_share = 0.0;
  p.exit_per_year = 6.0;
  p.entry_delay_days = 1.0e6;
  p.max_rate_multiplier = 1.0;  // one encounter a day whatever she keeps
  const Interventions iv;

  SECTION("a debt never repaid keeps her in the market") {
    p.debt_repayment_share = 0.0;
    Simulation sim(p, iv, 3001);
    const Workers& ws = sim.world().workers;
    std::vector<std::uint8_t> in_debt(ws.size());
    for (std::uint32_t w = 0; w < ws.size(); ++w) in_debt[w] = ws.has(w, worker_flag::kInDebt) ? 1 : 0;
    sim.advance_to(121.0);
    double bound = 0, bound_active = 0, free = 0, free_active = 0;
    for (std::uint32_t w = 0; w < ws.size(); ++w) {
      const bool active = ws.hot[w].status == Status::Active;
      (in_debt[w] ? bound : free) += 1;
      (in_debt[w] ? bound_active : free_active) += active ? 1 : 0;
    }
    INFO("after 120 days: in debt " << bound_active << " of " << bound << " still working, others " << free_active
                                    << " of " << free);
    REQUIRE(bound > 800);
    CHECK(bound_active == bound);
    // (1 - 6 / 365)^120 = 0.14 of the others remain.
    CHECK(ratio(free_active, free) == Approx(0.14).margin(0.04));
    CHECK(sim.recorder().total(Metric::debts_repaid) == 0.0);
  }

  SECTION("debts fall with encounters and are repaid; then she can leave") {
    p.debt_repayment_share = 0.5;
    Simulation sim(p, iv, 3002);
    const Workers& ws = sim.world().workers;
    const std::size_t n = ws.size();
    std::vector<std::uint8_t> started_in_debt(n);
    std::vector<float> debt_day1(n);
    double owing = 0;
    for (std::uint32_t w = 0; w < n; ++w) {
      started_in_debt[w] = ws.has(w, worker_flag::kInDebt) ? 1 : 0;
      owing += started_in_debt[w];
    }
    sim.advance_to(1.0);
    for (std::uint32_t w = 0; w < n; ++w) debt_day1[w] = ws.hot[w].debt;
    // Exits happen only at the start of a day: just before it, note who owes;
    // just after it, none of them may have left.
    bool none_left_owing = true;
    double falls = 0, fall_sum = 0;
    for (int day = 1; day <= 120; ++day) {
      const double t = static_cast<double>(day);
      sim.advance_to(t);
      if (day == 5) {
        // Debt above 600 on day 1 (20 encounters) is not repaid in 4 days.
        for (std::uint32_t w = 0; w < n; ++w)
          if (started_in_debt[w] && debt_day1[w] > 600.0f) {
            falls += 1;
            fall_sum += debt_day1[w] - ws.hot[w].debt;
          }
      }
      std::vector<std::uint32_t> owing_now;
      for (std::uint32_t w = 0; w < n; ++w)
        if (ws.has(w, worker_flag::kInDebt)) owing_now.push_back(w);
      sim.advance_to(t + 1e-7);
      for (std::uint32_t w : owing_now) none_left_owing = none_left_owing && ws.hot[w].status == Status::Active;
    }
    const double still_owing = static_cast<double>(count_workers(sim.world(), [&](std::uint32_t w) {
      return ws.has(w, worker_flag::kInDebt);
    }));
    double repaid_then_left = 0;
    for (std::uint32_t w = 0; w < n; ++w)
      if (started_in_debt[w] && ws.hot[w].status == Status::Exited) repaid_then_left += 1;
    const double repaid = sim.recorder().total(Metric::debts_repaid);
    INFO("in debt at the start: " << owing << "; mean fall over days 1-5 of debts above 600: " << fall_sum / falls
                              << "; repaid " << repaid << "; still owing on day 121 " << still_owing
                              << "; left after repaying " << repaid_then_left);
    REQUIRE(owing > 800);
    CHECK(none_left_owing);
    // 4 days x 1 encounter x 30 (sd of the mean 30 x 2 / sqrt(600) = 2.5).
    CHECK(fall_sum / falls == Approx(120.0).margin(12.0));
    // The largest debt, 1,800, needs 60 encounters: all repaid by day ~90.
    CHECK(repaid == owing);
    CHECK(still_owing == 0.0);
    // Free from about day 30 on average, they leave at 6 a year: about
    // 1 - exp(-6 x 90 / 365) = 0.77 of them by day 121.
    CHECK(repaid_then_left > 0.5 * owing);
  }
}

// --- 11. Supply follows demand ----------------------------------------------------

TEST_CASE("entrants replace workers who leave about entry_delay_days later, so the number of independent workers "
          "stays near its start",
          "[model][routine][supply]") {
  Params p = quiet_world();
  p.rate_per_day = 0.2;
  no_income_pressure(p);
  p.exit_per_year = 3.0;
  const Interventions iv;
  auto present_share = [&](double delay, std::uint64_t seed, double& entries, double& exits) {
    Params q = p;
    q.entry_delay_days = delay;
    Simulation sim(q, iv, seed);
    const double start = static_cast<double>(independent_present(sim.world()));
    sim.advance_to(300.5);
    entries = sim.recorder().total(Metric::entries);
    exits = sim.recorder().total(Metric::exits);
    return static_cast<double>(independent_present(sim.world())) / start;
  };
  double entries_fast = 0, exits_fast = 0, entries_slow = 0, exits_slow = 0;
  const double fast = present_share(5.0, 3101, entries_fast, exits_fast);
  const double slow = present_share(30.0, 3102, entries_slow, exits_slow);
  INFO("present after 300 days, relative to the start: delay 5 days " << fast << " (" << entries_fast << " entries, "
                                                                      << exits_fast << " exits), delay 30 days "
                                                                      << slow << " (" << entries_slow << " entries, "
                                                                      << exits_slow << " exits)");
  // Each day a share e = 3 / 365 of those present leaves and entrants close
  // q = 1 - exp(-1 / delay) of the gap: present / start = q / (e + q - qe)
  // = 0.964 for 5 days and 0.805 for 30 (sd about 0.01).
  CHECK(fast == Approx(0.964).margin(0.025));
  CHECK(slow == Approx(0.805).margin(0.03));
  // Some 4,800 leave in 300 days: the entrants make up nearly all of them.
  CHECK(exits_fast > 4000);
  CHECK(entries_fast / exits_fast == Approx(1.0).margin(0.03));
}

TEST_CASE("when buyers' demand falls fewer independent workers remain, unless supply does not respond to demand",
          "[model][routine][supply]") {
  // Buyer risk above 1 everywhere for the year (half-life 10 years): half
  // the buyers deterred, demand index 0.5.
  Params p = quiet_world();
  p.rate_per_day = 0.2;
  no_income_pressure(p);
  p.exit_per_year = 3.0;
  p.entry_delay_days = 30;
  p.half_life_days = 3650;
  const Interventions iv;
  auto present_after_300_days = [&](bool risk, double elasticity, std::uint64_t seed) {
    Params q = p;
    q.supply_elasticity = elasticity;
    Simulation sim(q, iv, seed);
    if (risk)
      for (std::uint32_t a = 0; a < q.areas; ++a) sim.add_area_buyer_risk(a, 10.0, 0.0);
    sim.advance_to(300.5);
    return static_cast<double>(independent_present(sim.world()));
  };
  const double no_risk = present_after_300_days(false, 1.0, 3111);
  const double risk = present_after_300_days(true, 1.0, 3112);
  const double inelastic = present_after_300_days(true, 0.0, 3113);
  INFO("independent workers after 300 days: no risk " << no_risk << ", risk " << risk << ", risk with elasticity 0 "
                                                      << inelastic);
  // Target 2,000 x 0.5^1 = 1,000 under risk: 0.805 x 1,000 = 805 present
  // against 1,610 without risk or with elasticity 0.
  CHECK(risk / no_risk == Approx(0.5).margin(0.06));
  CHECK(inelastic / no_risk == Approx(1.0).margin(0.04));
}

// --- 12. Turnover alone ---------------------------------------------------------------

TEST_CASE("turnover alone changes no rate: a market with a high exit rate has the past-year violence and the "
          "unhoused share of one with a low exit rate",
          "[model][routine][initialisation][supply]") {
  // Routine policing, housing and wariness on, at explicit values near the
  // provisional defaults. Entrants arrive within about two days of a gap,
  // so the market's size hardly differs; what differs is how much of the
  // population's past year was lived in the model (low exit rate: after a
  // year of warm-up, all of it) rather than drawn on entry by draw_history
  // (high exit rate: 4 a year, most of it).
  Params p = quiet_world();
  p.workers = 3000;
  p.share_street = 0.5;  // the rest online
  p.areas = 4;
  p.peripheral_areas = 1;
  p.isolated_areas = 1;
  p.violent_share = 0.1;
  p.violence_given_violent_buyer = 0.02;
  p.street_violence_multiplier = 2.0;
  p.online_screening_gain = 0.5;
  p.rate_per_day = 0.5;  // half an encounter a day: half the events of a year's warm-up
  p.income_need_30d = 900;
  p.max_rate_multiplier = 2.0;
  p.contacts_per_year_street = 20;
  p.contacts_per_year_online = 1;
  p.peripheral_share = 0.5;
  p.isolated_share = 0.2;
  p.unhoused_multiplier = 2.0;
  p.known_multiplier = 2.0;
  p.wary_days = 14;
  p.wary_heat = 1.0;
  p.arrest_per_contact = 0.03;
  p.citation_per_contact = 0.05;
  p.move_along_per_contact = 0.1;
  p.coercion_per_contact = 0.02;
  p.condom_confiscation_per_contact = 0.05;
  p.police_violence = 0.15;
  p.patrol_heat = 0.1;
  p.jail_days = 3;
  p.housing_loss = 0.1;
  p.loss_per_year_street = 1.5;
  p.loss_per_year_other = 0.1;
  p.regain_per_year = 1.4;
  p.violence_multiplier = 2.0;
  p.entry_delay_days = 2;
  p.warmup_days = 365;
  p.days = 60;
  const Interventions iv;
  // Means over 4 replicates of the horizon means. Between replicates (8
  // seeds each) the horizon mean of violence_12m has sd 0.010 at the low
  // exit rate and 0.006 at the high one, share_unhoused 0.011 and 0.005: the
  // differences of the two 4-replicate means have sd 0.006 (1.3 % of 0.44
  // and 2 % of 0.30).
  constexpr int kReplicates = 4;
  struct Means {
    double violence_12m = 0, unhoused = 0, active = 0, entries = 0;
  };
  auto run = [&](double exit_per_year, std::uint64_t seed) {
    Params q = p;
    q.exit_per_year = exit_per_year;
    Means m;
    for (int i = 0; i < kReplicates; ++i) {
      Simulation sim(q, iv, seed + static_cast<std::uint64_t>(i));
      const ReplicateResult r = sim.run();
      m.violence_12m += r.totals[index(Metric::violence_12m)] / kReplicates;
      m.unhoused += r.totals[index(Metric::share_unhoused)] / kReplicates;
      m.active += r.totals[index(Metric::workers_active)] / kReplicates;
      m.entries += r.totals[index(Metric::entries)] / kReplicates;
    }
    return m;
  };
  const Means low = run(0.05, 3201);
  const Means high = run(4.0, 3211);
  INFO("violence_12m: low turnover " << low.violence_12m << ", high turnover " << high.violence_12m);
  INFO("share_unhoused: low turnover " << low.unhoused << ", high turnover " << high.unhoused);
  INFO("workers active: low turnover " << low.active << ", high turnover " << high.active
                                       << "; entries in the high-turnover horizon " << high.entries);
  // 4 a year for 60 days: about 2,000 entrants, on top of those of the
  // warm-up year.
  REQUIRE(high.entries > 1500);
  REQUIRE(high.active == Approx(low.active).epsilon(0.03));
  // Margins of 7 %: 5.5 sd of the difference for violence_12m, 3.5 for
  // share_unhoused.
  //
  // At commit 35752d2 violence_12m fails (about 0.45 vs 0.38): the past that
  // draw_history (initialisation.cpp) gives an entrant leaves out the
  // wariness that follows police contacts (rush and, on central streets, no
  // peers), the known_multiplier of workers arrested in the past year, and
  // the ups and downs of a 30-day income under the clamped rate multiplier
  // and pressure; turnover then lowers past-year violence by about 15 %.
  CHECK(high.violence_12m == Approx(low.violence_12m).epsilon(0.07));
  CHECK(high.unhoused == Approx(low.unhoused).epsilon(0.07));
}

TEST_CASE("a worker's latest violence, which the daily sample reads, is the latest by any perpetrator through "
          "violence, exits and entries",
          "[model][routine][initialisation]") {
  // WorkerHot::violence_last repeats the latest of Workers::last_violence so
  // that the daily sample reads one record a worker: every path that sets
  // the one must set the other (draw_history, inherit_history,
  // record_violence by buyers, exploiters and police).
  Params p = quiet_world();
  p.workers = 2000;
  p.share_street = 0.5;
  p.violent_share = 0.2;
  p.violence_given_violent_buyer = 0.05;
  p.rate_per_day = 0.5;
  p.contacts_per_year_street = 20;
  p.arrest_per_contact = 0.03;
  p.police_violence = 0.3;
  p.exit_per_year = 4.0;
  p.entry_delay_days = 2;
  p.warmup_days = 60;
  p.days = 60;
  const Interventions iv;
  Simulation sim(p, iv, 4401);
  const ReplicateResult r = sim.run();
  REQUIRE(r.totals[index(Metric::entries)] > 500);
  REQUIRE(r.totals[index(Metric::violence_buyer)] > 100);
  REQUIRE(r.totals[index(Metric::violence_police)] > 10);
  const Workers& ws = sim.world().workers;
  std::size_t mismatched = 0, hurt = 0;
  for (std::uint32_t w = 0; w < ws.size(); ++w) {
    const float latest = std::max({ws.last_violence[0][w], ws.last_violence[1][w], ws.last_violence[2][w]});
    mismatched += ws.hot[w].violence_last == latest ? 0 : 1;
    hurt += latest >= 0.0f ? 1 : 0;  // hurt since the run began
  }
  CHECK(mismatched == 0);
  CHECK(hurt > 100);
}

// --- 13. Whom a sting picks ----------------------------------------------------------

TEST_CASE("a street sting picks unhoused and recently arrested workers more often than others",
          "[model][routine][operation][housing]") {
  // 12,000 street workers in three groups of 4,000: housed and not known to
  // police, unhoused, arrested on day 0 (known for a year). One sting day
  // arrests 1,200 of them.
  Params p = quiet_world();
  p.workers = 12000;
  p.rate_per_day = 0.01;
  no_income_pressure(p);
  p.unhoused_multiplier = 3.0;
  p.known_multiplier = 2.0;
  Operation sting;
  sting.kind = OperationKind::Arrests;
  sting.start_day = 2;
  sting.duration_days = 1;
  sting.arrests_per_day = 1200;
  sting.sectors = {true, false, false};
  Interventions iv;
  iv.operations.push_back(sting);
  Simulation sim(p, iv, 3301);
  Workers& ws = sim.world().workers;
  for (std::uint32_t w = 0; w < ws.size(); ++w) {
    if (w % 3 == 1) ws.hot[w].flags |= worker_flag::kHousingLost;
    if (w % 3 == 2) ws.last_arrest[w] = 0.0f;
  }
  sim.advance_to(3.0);
  double arrested[3] = {};
  for (std::uint32_t w = 0; w < ws.size(); ++w) arrested[w % 3] += ws.arrests[w] > 0 ? 1 : 0;
  INFO("arrested: neither " << arrested[0] << ", unhoused " << arrested[1] << ", known " << arrested[2]);
  REQUIRE(arrested[0] + arrested[1] + arrested[2] == 1200);
  // Weights 1 : 3 : 2, drawn without replacement from groups of 4,000
  // (dn_i = -w_i n_i / sum_j w_j n_j): about 207 : 590 : 403, i.e. ratios
  // 2.85 and 1.95 to the first group (sd of the ratios about 0.2 and 0.15).
  CHECK(arrested[1] / arrested[0] == Approx(2.85).margin(0.5));
  CHECK(arrested[2] / arrested[0] == Approx(1.95).margin(0.35));
  CHECK(arrested[1] > arrested[2]);
}
