#pragma once
// The state of one replicate: every population as a structure of arrays,
// indexed by integer ids (MODEL.md §2). Times stored per person are float
// days: ample precision for day-level windows over a 100-year horizon.
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

namespace harmsim::model {

inline constexpr std::uint32_t kNone = std::numeric_limits<std::uint32_t>::max();
inline constexpr float kNever = -1.0e30f;  // "long before the simulation"

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
inline constexpr std::uint8_t kHousingLost = 1u << 3;
inline constexpr std::uint8_t kIdentified = 1u << 4;    // identified as a trafficking victim
}  // namespace worker_flag

namespace buyer_flag {
inline constexpr std::uint8_t kViolent = 1u << 0;
inline constexpr std::uint8_t kRefusesCondoms = 1u << 1;
inline constexpr std::uint8_t kSeeksMinors = 1u << 2;
}  // namespace buyer_flag

struct Areas {
  std::vector<AreaKind> kind;
  std::vector<std::uint8_t> community;
  std::vector<double> heat;       // police heat at heat_time
  std::vector<double> heat_time;
  std::vector<std::uint32_t> of_kind[3];  // area ids by kind

  [[nodiscard]] std::size_t size() const { return kind.size(); }
};

struct Venues {
  std::vector<std::uint32_t> area;
  std::vector<std::uint32_t> operator_id;  // exploiter who runs it
  std::vector<std::uint32_t> capacity;
  std::vector<std::uint32_t> workers;      // workers attached (any status but vacant)
  std::vector<double> closed_until;        // closed while t < closed_until
  std::vector<std::uint32_t> pending_hires;  // recruitment events queued

  [[nodiscard]] std::size_t size() const { return area.size(); }
};

struct Workers {
  std::vector<Sector> sector;
  std::vector<Status> status;
  std::vector<std::uint8_t> flags;
  std::vector<std::uint16_t> generation;  // bumps invalidate pending events
  std::vector<std::uint16_t> arrests;     // arrest record
  std::vector<std::uint32_t> area;
  std::vector<std::uint32_t> home_area;
  std::vector<std::uint32_t> exploiter;   // kNone: independent
  std::vector<std::uint32_t> venue;       // kNone: not a venue worker
  std::vector<float> debt;
  std::vector<float> fines;
  std::vector<float> trust;
  std::vector<float> income;              // decaying 30-day gross income at income_time
  std::vector<float> income_time;
  std::vector<float> status_until;
  std::vector<float> engaged_until;       // engaged with services (safety planning)
  std::vector<float> last_violence[3];    // by perpetrator
  std::vector<float> last_arrest;
  std::vector<float> last_displaced;
  std::vector<float> last_condomless;

  [[nodiscard]] std::size_t size() const { return sector.size(); }
  [[nodiscard]] bool has(std::uint32_t w, std::uint8_t bit) const { return (flags[w] & bit) != 0; }
  [[nodiscard]] bool is_victim(std::uint32_t w) const {
    return (flags[w] & (worker_flag::kMinor | worker_flag::kCoerced)) != 0;
  }
  void resize(std::size_t n);
  // Bytes of state per worker (for `--dry-run` and the memory check).
  static constexpr std::size_t bytes_per_worker() {
    return sizeof(Sector) + sizeof(Status) + 1 + 2 * 2 + 4 * 4 + 4 * 7 + 4 * 3 + 4 * 3;
  }
};

struct Buyers {
  std::vector<std::uint8_t> flags;
  std::vector<float> deterrence;
  [[nodiscard]] std::size_t size() const { return flags.size(); }
};

struct Exploiters {
  std::vector<std::uint8_t> active;
  std::vector<float> custody_until;
  std::vector<std::uint32_t> workers;  // workers controlled
  std::vector<std::uint32_t> venue;    // kNone: a pimp rather than an operator
  [[nodiscard]] std::size_t size() const { return active.size(); }
};

struct World {
  Areas areas;
  Venues venues;
  Workers workers;
  Buyers buyers;
  Exploiters exploiters;
  std::vector<std::uint32_t> vacant;  // worker slots free for new entrants
  double online_heat = 0, online_heat_time = 0;  // decoy and bot stings online
  double buyer_risk = 0, buyer_risk_time = 0;    // buyers' perceived enforcement risk
};

}  // namespace harmsim::model
