// Encounter (MODEL.md §3): a worker meets a buyer of the place where she
// works. Police heat (routine patrols and operations) and buyers' fear of
// arrest shorten the negotiation, so violent buyers are screened out less
// often and condoms are negotiated away more often; heat also lowers the
// price, so more encounters are needed for the same income [seed 002].
// Economic stress makes a worker less able to turn anyone away. Violence risk
// depends on the sector and the place: street work in cars and public spaces
// is riskier than indoor work (Shannon et al. 2009, AJPH), isolated areas
// raise it and peers nearby lower it; without housing she has no indoor place
// to work (Shannon et al. 2009, BMJ). Online work allows screening before
// meeting. A worker under 18 meets mostly buyers who seek minors.
//
// This is the model's hottest path (most events are encounters): it reads and
// writes the worker's WorkerHot record and touches her other arrays only when
// a flag calls for it (no condoms, a debt). Consecutive encounters are of
// workers drawn at random, so a branch on her sector, her venue or a draw
// mispredicts about as often as it goes either way: where both sides are
// cheap, both are computed and one is selected (pick), which gives the same
// result without a branch.
#include <algorithm>
#include <bit>
#include <cassert>
#include <cmath>

#include "model/simulation.hpp"

namespace harmsim::model {

namespace {
// a if c, else b, without a branch on c: a mask over the bits of the two
// values in place of the conditional jump a ternary on doubles usually
// compiles to.
inline double pick(bool c, double a, double b) noexcept {
  const std::uint64_t mask = std::uint64_t{0} - static_cast<std::uint64_t>(c);
  return std::bit_cast<double>((std::bit_cast<std::uint64_t>(a) & mask) | (std::bit_cast<std::uint64_t>(b) & ~mask));
}
}  // namespace

// (Compiled as part of simulation.cpp, see there; always inlined into
// handle().)
[[gnu::always_inline]] inline void Simulation::on_encounter(std::uint32_t w, double t) {
  WorkerHot& h = world_.workers.hot[w];
  if (h.status != Status::Active) return;

  const bool online = h.sector == Sector::Online;
  // Heat, and below buyers' risk: until an operation or a buyer's arrest
  // raises a level, every level is 0 and only the patrols' standing heat is
  // left (levels_raised_: the same values without reading and testing four
  // levels; a branch that goes one way for the whole run, or from the first
  // operation on).
  const bool raised = levels_raised_;
  assert(raised || (world_.online_heat == 0.0 && world_.buyer_risk == 0.0 && world_.areas.heat[h.area] == 0.0 &&
                    world_.areas.buyer_risk[h.area] == 0.0));  // raised through add_area_heat and its siblings only
  const double heat = raised ? pick(online, online_heat(t), area_heat(h.area, t) + patrol_heat_[h.area])
                             : pick(online, 0.0, patrol_heat_[h.area]);
  const double decay = income_decay(t);
  const double income = static_cast<double>(h.income) * decay;
  const double net = income * keep_share(h);
  // Income below need: seek more encounters, screen less (pressure < 1).
  // Encounters come at rate_per_day times need / income, within a factor
  // max_rate_multiplier of it either way: the mean gap to the next one is
  // 1 / rate_per_day times the need ratio, clamped to the same factor.
  const double need_ratio = p_.income_need_30d > 0 ? net * inv_income_need_ : 1.0;
  const double pressure = std::clamp(need_ratio, 0.25, 1.0);
  const double gap_factor = std::clamp(need_ratio, min_gap_factor_, p_.max_rate_multiplier);
  queue_.push(t + rng_.unit_exponential() * (mean_gap_ * gap_factor), static_cast<std::uint16_t>(EventKind::Encounter),
              w, h.generation);

  // A closed venue has no clients for its workers until it re-opens (a worker
  // of no venue reads a time that is never later than now: no test of
  // whether she has a venue, which went either way with the worker drawn).
  if (t < world_.venues.closed_until(h.venue)) return;

  // A buyer of her place, and from the same draw the uniform that settles
  // condom use.
  const Buyers& buyers = world_.buyers;
  const std::uint32_t segment = buyers.segment_of(h.sector, h.area);
  double condom_draw;
  const std::uint32_t b = buyers.first[segment] + rng_.below(buyers.segment_size[segment], condom_draw);
  const std::uint8_t buyer = buyers.flags(b);
  const bool violent = (buyer & buyer_flag::kViolent) != 0;
  // Most buyers turn away from a worker under 18; those who seek minors do not.
  if ((h.flags & worker_flag::kMinor) != 0 && (buyer & buyer_flag::kSeeksMinors) == 0 &&
      rng_.uniform() < p_.minor_aversion)
    return;
  // Enforcement risk deters some buyers: the contact is lost demand.
  ++contacts_today_;
  const double risk = raised ? pick(online, online_buyer_risk(t), area_buyer_risk(h.area, t)) : 0.0;
  if (risk > 0.0 && rng_.uniform() < buyers.deterrence(b, violent) * std::min(1.0, risk)) {
    ++deterred_today_;
    return;
  }

  // Police heat and buyers' fear of arrest rush the negotiation (J Urban
  // Health 2017, Vancouver: more rushed negotiations after the end-demand
  // guideline, 8.9 % to 14.8 % of women; docs/literature.md).
  // A wary worker rushes more; her wariness ends at wary_until.
  const bool flagged_wary = (h.flags & worker_flag::kWary) != 0;
  const bool wary = flagged_wary & (h.wary_until > t);
  if (flagged_wary != wary) h.flags &= static_cast<std::uint8_t>(~worker_flag::kWary);
  const double rush = heat + p_.risk_rush * risk + pick(wary, p_.wary_heat, 0.0);
  const double negotiation = negotiation_share(rush);  // exactly 1 when nothing rushes her
  const double offline_screening = p_.screening_sensitivity * negotiation * pressure;
  const double screening =
      pick(online, offline_screening + p_.online_screening_gain * (1.0 - offline_screening), offline_screening);
  if (violent && rng_.uniform() < screening) return;  // refused after screening

  if (violent) {
    // A wary street worker works out of sight, away from the peers who would
    // otherwise protect her (Platt et al. 2018: policing disrupts peer support).
    const int kind = static_cast<int>(world_.areas.kind[h.area]);
    double p = wary && h.sector == Sector::Street ? violence_alone_[kind]
                                                  : violence_base_[static_cast<int>(h.sector)][kind];
    if ((h.flags & worker_flag::kHousingLost) != 0) p *= p_.violence_multiplier;
    if ((h.traits & worker_trait::kDrugUse) != 0) p *= p_.drug_use_violence_multiplier;
    if (h.engaged_until > t) p *= 1.0 - p_.safety_violence_reduction;
    if (rng_.uniform() < p) record_violence(w, Perpetrator::Buyer, t);
  }
  // Condom use: a buyer who pushes for no condom wins unless the negotiation
  // holds; a rushed or pressured negotiation holds less often. Its strength is
  // 1 when unhurried and unpressured, and every condomless chance is raised
  // by rush_condom_effect times the strength lost.
  const double strength = negotiation * (0.5 + 0.5 * pressure);
  double condomless = pick((buyer & buyer_flag::kRefusesCondoms) != 0, condom_refusal_wins_, p_.condomless_base) *
                      (1.0 + p_.rush_condom_effect * (1.0 - strength));
  if ((h.flags & worker_flag::kNoCondoms) != 0) {
    if (h.condoms_back > t) condomless = std::max(condomless, p_.no_condom_condomless);
    else h.flags &= static_cast<std::uint8_t>(~worker_flag::kNoCondoms);
  }
  const bool condomless_act = condom_draw < condomless;
  recorder_.count_encounter(pair_of(h), condomless_act);
  h.last_condomless = condomless_act ? static_cast<float>(t) : h.last_condomless;

  const double price = p_.price * std::max(0.5, 1.0 - p_.heat_price_drop * heat);
  set_income_decayed(h, income + price, decay);
  // Fines are paid down from what she earns.
  // (a fine of 0 stays 0)
  h.fines = std::max(0.0f, h.fines - static_cast<float>(0.2 * price));
  // So is a debt, which binds her until it is repaid [seed 000].
  if ((h.flags & worker_flag::kInDebt) != 0) {
    float& debt = h.debt;
    debt -= static_cast<float>(p_.debt_repayment_share * price);
    if (debt <= 0.0f) {
      debt = 0.0f;
      h.flags &= static_cast<std::uint8_t>(~worker_flag::kInDebt);
      count(Metric::debts_repaid, w);
    }
  }
}

}  // namespace harmsim::model
