#pragma once
// A scheduled event: a small plain record, 24 bytes, copied by value.
// The core knows nothing of what `kind`, `subject` or `aux` mean; the model
// gives them meaning (EventKind in sim/model/simulation.hpp).
#include <cstdint>

namespace harmsim::core {

using Time = double;  // simulation time in days

struct Event {
  Time time = 0.0;        // when it happens (days)
  std::uint64_t seq = 0;  // insertion order: breaks ties deterministically
  std::uint32_t subject = 0;  // an agent, venue or operation id
  std::uint16_t kind = 0;     // the model's event kind
  std::uint16_t aux = 0;      // a small argument (e.g. a generation counter)
};
static_assert(sizeof(Event) == 24, "events must stay small and plain");

// Strict order of events: earlier time first, then earlier insertion.
[[nodiscard]] inline bool before(const Event& a, const Event& b) noexcept {
  return a.time < b.time || (a.time == b.time && a.seq < b.seq);
}

}  // namespace harmsim::core
