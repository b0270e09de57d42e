// Encounter (MODEL.md §3): a worker meets a buyer. Police heat shortens the
// negotiation, so violent buyers are screened out less often and condoms are
// negotiated away more often; heat also lowers the price, so more encounters
// are needed for the same income [seed 002]. Economic stress makes a worker
// less able to turn anyone away. Violence risk depends on where the
// encounter happens: isolated areas raise it, peers nearby lower it.
#include <algorithm>
#include <cmath>

#include "model/simulation.hpp"

namespace harmsim::model {

void Simulation::on_encounter(std::uint32_t w, double t) {
  Workers& ws = world_.workers;
  if (ws.status[w] != Status::Active) return;

  const double heat = worker_heat(w, t);
  const double negotiation = negotiation_share(heat);
  const double net = net_income_now(w, t);
  // Income below need: seek more encounters, screen less (pressure < 1).
  const double need_ratio = p_.income_need_30d > 0 ? net / p_.income_need_30d : 1.0;
  const double pressure = std::clamp(need_ratio, 0.25, 1.0);
  const double rate_multiplier =
      std::clamp(need_ratio > 0 ? 1.0 / need_ratio : p_.max_rate_multiplier, 1.0 / p_.max_rate_multiplier,
                 p_.max_rate_multiplier);
  queue_.push(t + rng_.exponential(p_.rate_per_day * rate_multiplier),
              static_cast<std::uint16_t>(EventKind::Encounter), w, ws.generation[w]);

  // A closed venue has no clients for its workers until it re-opens.
  if (ws.venue[w] != kNone && t < world_.venues.closed_until[ws.venue[w]]) return;

  const std::uint32_t b = rng_.below(static_cast<std::uint32_t>(world_.buyers.size()));
  const std::uint8_t buyer = world_.buyers.flags[b];
  // Enforcement risk deters some buyers: the contact is lost demand.
  ++contacts_today_;
  const double risk = buyer_risk(t);
  if (risk > 0.0 && rng_.uniform() < static_cast<double>(world_.buyers.deterrence[b]) * std::min(1.0, risk)) {
    ++deterred_today_;
    return;
  }

  const bool violent = (buyer & buyer_flag::kViolent) != 0;
  const double screening = p_.screening_sensitivity * negotiation * pressure;
  if (violent && rng_.uniform() < screening) return;  // refused after screening

  count(Metric::encounters, w);
  if (violent) {
    const Sector s = ws.sector[w];
    const AreaKind k = world_.areas.kind[ws.area[w]];
    double p = p_.violence_given_violent_buyer;
    if (s == Sector::Venue || (s == Sector::Street && k == AreaKind::Central)) p *= p_.peer_violence_multiplier;
    else if (s == Sector::Street && k == AreaKind::Isolated) p *= p_.isolated_violence_multiplier;
    if (engaged(w, t)) p *= 1.0 - p_.safety_violence_reduction;
    if (rng_.uniform() < p) record_violence(w, Perpetrator::Buyer, t);
  }
  // Condom use: a buyer who refuses one wins unless the negotiation holds;
  // shorter or pressured negotiations hold less often (the exponent is the
  // strength of the negotiation: 1 when unhurried and unpressured).
  const double condomless = (buyer & buyer_flag::kRefusesCondoms) != 0
                                ? std::pow(1.0 - p_.condom_insistence, negotiation * (0.5 + 0.5 * pressure))
                                : p_.condomless_base;
  if (condomless > 0.0 && rng_.uniform() < condomless) {
    count(Metric::condomless_acts, w);
    ws.last_condomless[w] = static_cast<float>(t);
  }

  const double price = p_.price * std::max(0.5, 1.0 - p_.heat_price_drop * heat);
  ws.income[w] = static_cast<float>(income_now(w, t) + price);
  ws.income_time[w] = static_cast<float>(t);
  // Fines are paid down from what she earns.
  if (ws.fines[w] > 0.0f) ws.fines[w] = std::max(0.0f, ws.fines[w] - static_cast<float>(0.2 * price));
}

}  // namespace harmsim::model
