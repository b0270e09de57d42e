#pragma once
// The state of one replicate: every population as a structure of arrays,
// indexed by integer ids (MODEL.md §2). Times stored per person are float
// days: ample precision for day-level windows over a 100-year horizon.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "core/rng.hpp"

namespace harmsim::model {

inline constexpr std::uint32_t kNone = std::numeric_limits<std::uint32_t>::max();
inline constexpr float kNever = -1.0e30f;  // "long before the simulation"
// An area's id: population.areas is at most 60,000 (parameters.hpp).
using AreaId = std::uint16_t;

enum class Sector : std::uint8_t { Street = 0, Venue = 1, Online = 2 };
enum class AreaKind : std::uint8_t { Central = 0, Peripheral = 1, Isolated = 2 };
enum class Status : std::uint8_t {
  Active,      // selling or trading sex
  Jailed,      // until status_until
  Detained,    // immigration detention until status_until
  InServices,  // identified or diverted: with a service provider until status_until
  Deported,    // gone; the slot is vacant
  Exited,      // left the market; the slot is vacant
};
enum class Perpetrator : std::uint8_t { Buyer = 0, Exploiter = 1, Police = 2 };

// Worker flag bits.
namespace worker_flag {
inline constexpr std::uint8_t kMinor = 1u << 0;
inline constexpr std::uint8_t kUndocumented = 1u << 1;
inline constexpr std::uint8_t kCoerced = 1u << 2;       // force, fraud or coercion
inline constexpr std::uint8_t kHousingLost = 1u << 3;  // unhoused
inline constexpr std::uint8_t kIdentified = 1u << 4;    // identified as a trafficking victim
// Police took her condoms (or carrying them became too risky): until
// WorkerHot::condoms_back she works without them.
inline constexpr std::uint8_t kNoCondoms = 1u << 5;
// A coerced worker who still owes her exploiter (Workers::debt): the debt
// binds her, she cannot leave the market until it is repaid [seed 000].
inline constexpr std::uint8_t kInDebt = 1u << 6;
// A police contact has made her wary: until WorkerHot::wary_until she rushes
// negotiations so as not to be seen [seed 002: "shorter negotiation times"].
inline constexpr std::uint8_t kWary = 1u << 7;
}  // namespace worker_flag

// Lasting traits of a worker (WorkerHot::traits).
namespace worker_trait {
// Uses drugs daily: more visible to police (Footer et al. 2019: more kinds of
// abusive police encounters among those who use heroin), more often unhoused
// (Duff et al. 2011) and more exposed to violence (Shannon et al. 2009, BMJ).
inline constexpr std::uint8_t kDrugUse = 1u << 0;
}  // namespace worker_trait

namespace buyer_flag {
inline constexpr std::uint8_t kViolent = 1u << 0;
inline constexpr std::uint8_t kRefusesCondoms = 1u << 1;
inline constexpr std::uint8_t kSeeksMinors = 1u << 2;
}  // namespace buyer_flag

// Heat and buyers' risk (here and World's online levels) are raised only
// through Simulation::add_area_heat and its siblings: an encounter reads them
// only once one of those has raised a level (Simulation::levels_raised_).
struct Areas {
  std::vector<AreaKind> kind;
  std::vector<std::uint8_t> community;
  std::vector<double> heat;       // police heat of operations at heat_time (routine patrols come on top)
  std::vector<double> heat_time;
  std::vector<double> patrol;     // routine policing relative to a central area (policing.*_share)
  std::vector<double> buyer_risk;       // perceived enforcement risk of the area's buyers at buyer_risk_time
  std::vector<double> buyer_risk_time;
  std::vector<AreaId> of_kind[3];  // area ids by kind

  [[nodiscard]] std::size_t size() const { return kind.size(); }
};

struct Venues {
  std::vector<AreaId> area;
  std::vector<std::uint32_t> operator_id;  // exploiter who runs it
  std::vector<std::uint32_t> capacity;
  std::vector<std::uint32_t> workers;      // workers attached (any status but vacant)
  // When each venue re-opens (closed while t < closed_until(v)), by slot:
  // slot 0 is no venue's and holds -inf, never closed, and venue v is slot
  // v + 1, so that closed_until(kNone) reads slot 0 (kNone + 1 wraps to 0).
  // An encounter so looks up her venue's with no test of whether she has one.
  std::vector<double> closed_slots;
  std::vector<std::uint32_t> pending_hires;  // recruitment events queued

  [[nodiscard]] std::size_t size() const { return area.size(); }
  [[nodiscard]] double& closed_until(std::uint32_t v) { return closed_slots[std::size_t{v + 1u}]; }
  [[nodiscard]] double closed_until(std::uint32_t v) const { return closed_slots[std::size_t{v + 1u}]; }
};

// What every encounter reads and writes of a worker, packed in one 64-byte
// cache line so that an event touches one line of worker state, not one per
// attribute: at a million workers each line is a miss to main memory, and the
// event loop can prefetch one line ahead (Simulation::prefetch). The times a
// flag points to (wary_until, condoms_back) and the debt an encounter pays
// down are here too: under everyday policing many workers are wary or in
// debt, and in arrays of their own each cost a second miss per encounter
// (docs/performance.md, "Where the time goes"). So are her home area and the
// latest violence against her, which the daily pass over every worker reads
// (sample_day): spare bytes of the line, where they save that pass four
// streams. Other attributes an encounter does not touch stay in arrays of
// their own (Workers below).
struct alignas(64) WorkerHot {
  Status status;
  Sector sector;
  std::uint8_t flags;         // worker_flag bits
  std::uint8_t traits = 0;    // worker_trait bits
  std::uint16_t generation;   // bumps invalidate pending events
  AreaId area;                // where she works now
  AreaId home_area;           // her usual area (area differs only while police keep her away)
  std::uint32_t exploiter;    // kNone: independent
  std::uint32_t venue;        // kNone: not a venue worker
  float income;               // 30-day gross income, scaled to the income epoch
                              // (Simulation::income_now gives it in currency)
  float engaged_until;        // engaged with services (safety planning)
  float fines;                // fines owed
  float last_condomless;      // last condomless act
  float debt;                 // owed to her exploiter (worker_flag::kInDebt)
  float wary_until;           // with worker_flag::kWary: when she stops rushing negotiations
  float condoms_back;         // with worker_flag::kNoCondoms: when she has condoms again
  float violence_last;        // the latest of Workers::last_violence (the daily sample reads it)
};
static_assert(sizeof(WorkerHot) == 64, "a worker's hot state must stay within one cache line");

struct Workers {
  std::vector<WorkerHot> hot;
  std::vector<std::uint16_t> arrests;     // arrest record
  std::vector<float> trust;
  std::vector<float> status_until;
  std::vector<float> last_violence[3];    // by perpetrator
  std::vector<float> last_arrest;
  std::vector<float> last_displaced;
  std::vector<float> last_policed;   // last repressive police action: arrest, citation, move-along,
                                     // displacement, condoms taken, police violence (Platt et al. 2018)

  [[nodiscard]] std::size_t size() const { return hot.size(); }
  // How far ahead a pass over every record in order loads them
  // (Simulation::pass_over_workers).
  static constexpr std::size_t kPassAhead = 32;
  [[nodiscard]] bool has(std::uint32_t w, std::uint8_t bit) const { return (hot[w].flags & bit) != 0; }
  [[nodiscard]] bool is_victim(std::uint32_t w) const {
    return (hot[w].flags & (worker_flag::kMinor | worker_flag::kCoerced)) != 0;
  }
  void resize(std::size_t n);
  void reserve(std::size_t n);
  // Bytes of state per worker (for `--dry-run`, the memory check and
  // bench/model_bench).
  static constexpr std::size_t bytes_per_worker() {
    return sizeof(WorkerHot) + 2 + 4 * 2 + 4 * 3 + 4 * 3;
  }
};

// Buyers are not stored: a buyer's attributes are a fixed function of the
// replicate's buyer seed and the buyer's id (a counter-based draw,
// core::splitmix64), so the same buyer is the same person at every encounter
// while the population costs no memory and an encounter no memory access,
// whatever its size (docs/model.md, "Buyers").
//
// Buyers are tied to a place: ids are cut into segments, one per street area,
// one per area's venues and one for online work, each sized by the workers
// who work there (segment_of), so that a displaced worker meets the buyers of
// the place she is displaced to and enforcement in one area deters that
// area's buyers.
struct Buyers {
  std::uint32_t count = 0;
  std::uint64_t seed = 0;
  std::uint32_t areas = 0;
  std::vector<std::uint32_t> first;  // [segment]: first buyer id of the segment
  std::vector<std::uint32_t> segment_size;  // [segment]: its buyers (at least 1)
  // Thresholds on 21-bit draws: a buyer is violent iff her draw is below
  // violent_below, and so on (shares resolved to 2^-21).
  std::uint32_t violent_below = 0, refuses_condoms_below = 0, seeks_minors_below = 0;
  double deterrence_mean = 0;
  double violent_deterrence = 1;

  [[nodiscard]] std::size_t size() const { return count; }
  // Segment of a worker's sector and area: street areas first, then venues'
  // areas, then online.
  [[nodiscard]] std::uint32_t segment_of(Sector s, std::uint32_t area) const noexcept {
    // (Online is 2: its one segment is 2 × areas, after those of the street
    // and the venues; the sum avoids a branch on the sector.)
    return static_cast<std::uint32_t>(s) * areas + (s == Sector::Online ? 0u : area);
  }
  // buyer_flag bits of buyer b.
  [[nodiscard]] std::uint8_t flags(std::uint32_t b) const noexcept {
    const std::uint64_t h = core::splitmix64(seed + b);
    constexpr std::uint64_t kMask = (std::uint64_t{1} << 21) - 1;
    return static_cast<std::uint8_t>(((h & kMask) < violent_below ? buyer_flag::kViolent : 0) |
                                     (((h >> 21) & kMask) < refuses_condoms_below ? buyer_flag::kRefusesCondoms : 0) |
                                     (((h >> 42) & kMask) < seeks_minors_below ? buyer_flag::kSeeksMinors : 0));
  }
  // How much enforcement risk deters buyer b, in [0, 1]: uniform with mean
  // deterrence_mean, clipped to [0, 1], and scaled by violent_deterrence for a
  // violent buyer (enforcement drives away the safer clients first: Krüsi et
  // al. 2014).
  [[nodiscard]] double deterrence(std::uint32_t b, bool violent) const noexcept {
    const std::uint64_t h = core::splitmix64(core::splitmix64(seed + b) ^ 0xD1B54A32D192ED03ULL);
    const double u = static_cast<double>(h >> 11) * 0x1.0p-53;
    return std::clamp(2.0 * deterrence_mean * u, 0.0, 1.0) * (violent ? violent_deterrence : 1.0);
  }
  // The threshold that a 21-bit draw falls below with probability `share`.
  [[nodiscard]] static std::uint32_t threshold(double share) noexcept {
    return static_cast<std::uint32_t>(std::ceil(std::clamp(share, 0.0, 1.0) * 2097152.0));
  }
};

struct Exploiters {
  std::vector<std::uint8_t> active;
  std::vector<float> custody_until;
  std::vector<std::uint32_t> workers;  // workers controlled
  std::vector<std::uint32_t> venue;    // kNone: a pimp rather than an operator
  [[nodiscard]] std::size_t size() const { return active.size(); }
};

struct World {
  // Empties every array, keeping its storage, and resets every other field:
  // a world to build again (Simulation's ReplicateStorage) that holds what a
  // new World holds, so that it builds the same state.
  void clear();

  Areas areas;
  Venues venues;
  Workers workers;
  Buyers buyers;
  Exploiters exploiters;
  std::vector<std::uint32_t> vacant;  // worker slots free for new entrants
  double online_heat = 0, online_heat_time = 0;  // decoy and bot stings online
  double buyer_risk = 0, buyer_risk_time = 0;    // online buyers' perceived enforcement risk
};

}  // namespace harmsim::model
