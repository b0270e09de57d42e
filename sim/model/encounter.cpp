// Encounter (MODEL.md §3): a worker meets a buyer. Police heat shortens the
// negotiation, so violent buyers are screened out less often and condoms are
// negotiated away more often; heat also lowers the price, so more encounters
// are needed for the same income [seed 002]. Economic stress makes a worker
// less able to turn anyone away. Violence risk depends on where the
// encounter happens: isolated areas raise it, peers nearby lower it.
//
// This is the model's hottest path (most events are encounters): it reads and
// writes only the worker's WorkerHot record, and takes no exponential unless
// police heat or a buyer who refuses condoms calls for one.
#include <algorithm>
#include <cmath>

#include "model/simulation.hpp"

namespace harmsim::model {

void Simulation::on_encounter(std::uint32_t w, double t) {
  WorkerHot& h = world_.workers.hot[w];
  if (h.status != Status::Active) return;

  const double heat = h.sector == Sector::Online ? online_heat(t) : area_heat(h.area, t);
  const double negotiation = heat > 0.0 ? negotiation_share(heat) : 1.0;
  const double decay = income_decay(t);
  const double income = static_cast<double>(h.income) * decay;
  const double net = h.exploiter == kNone ? income : income * (1.0 - p_.exploiter_take);
  // Income below need: seek more encounters, screen less (pressure < 1).
  const double need_ratio = p_.income_need_30d > 0 ? net / p_.income_need_30d : 1.0;
  const double pressure = std::clamp(need_ratio, 0.25, 1.0);
  const double rate_multiplier =
      std::clamp(need_ratio > 0 ? 1.0 / need_ratio : p_.max_rate_multiplier, 1.0 / p_.max_rate_multiplier,
                 p_.max_rate_multiplier);
  queue_.push(t + rng_.exponential(p_.rate_per_day * rate_multiplier),
              static_cast<std::uint16_t>(EventKind::Encounter), w, h.generation);

  // A closed venue has no clients for its workers until it re-opens.
  if (h.venue != kNone && t < world_.venues.closed_until[h.venue]) return;

  // The buyer, and from the same draw the uniform that settles condom use.
  double condom_draw;
  const std::uint32_t b = rng_.below(static_cast<std::uint32_t>(world_.buyers.size()), condom_draw);
  const std::uint8_t buyer = world_.buyers.flags(b);
  // Enforcement risk deters some buyers: the contact is lost demand.
  ++contacts_today_;
  const double risk = buyer_risk(t);
  if (risk > 0.0 && rng_.uniform() < world_.buyers.deterrence(b) * std::min(1.0, risk)) {
    ++deterred_today_;
    return;
  }

  const bool violent = (buyer & buyer_flag::kViolent) != 0;
  const double screening = p_.screening_sensitivity * negotiation * pressure;
  if (violent && rng_.uniform() < screening) return;  // refused after screening

  const std::size_t cell = cell_of(w), community = community_of(w);
  recorder_.add(Metric::encounters, cell, community);
  if (violent) {
    const AreaKind k = world_.areas.kind[h.area];
    double p = p_.violence_given_violent_buyer;
    if (h.sector == Sector::Venue || (h.sector == Sector::Street && k == AreaKind::Central))
      p *= p_.peer_violence_multiplier;
    else if (h.sector == Sector::Street && k == AreaKind::Isolated)
      p *= p_.isolated_violence_multiplier;
    if (engaged(w, t)) p *= 1.0 - p_.safety_violence_reduction;
    if (rng_.uniform() < p) record_violence(w, Perpetrator::Buyer, t);
  }
  // Condom use: a buyer who refuses one wins unless the negotiation holds;
  // shorter or pressured negotiations hold less often (the exponent is the
  // strength of the negotiation: 1 when unhurried and unpressured):
  // (1 - condom_insistence)^strength, as exp(strength × log(1 - insistence)).
  const double condomless = (buyer & buyer_flag::kRefusesCondoms) != 0
                                ? std::exp(negotiation * (0.5 + 0.5 * pressure) * log_condom_refusal_)
                                : p_.condomless_base;
  if (condom_draw < condomless) {
    recorder_.add(Metric::condomless_acts, cell, community);
    h.last_condomless = static_cast<float>(t);
  }

  const double price = p_.price * std::max(0.5, 1.0 - p_.heat_price_drop * heat);
  set_income_decayed(h, income + price, decay);
  // Fines are paid down from what she earns.
  if (h.fines > 0.0f) h.fines = std::max(0.0f, h.fines - static_cast<float>(0.2 * price));
}

}  // namespace harmsim::model
