#pragma once
// A scheduled event: a small plain record, 16 bytes, copied by value.
// The core knows nothing of what `kind`, `subject` or `aux` mean; the model
// gives them meaning (EventKind in sim/model/simulation.hpp).
//
// Events at the same time run in the order they were pushed. The record
// carries no number for that: core::EventQueue keeps the order of pushes
// among equal times by how it moves events (sim/core/event_queue.hpp), and
// the structures that do not, heaps, number what they hold (Numbered). The
// 24-byte record it replaced, with a 64-bit sequence number, cost PHOLD
// 1.1-1.6 ns an event in copies, the model about 1 ns at 2,000 workers and
// 11 ns at 10^6 (docs/performance.md).
#include <cstdint>

namespace harmsim::core {

using Time = double;  // simulation time in days

struct Event {
  Time time = 0.0;            // when it happens (days)
  std::uint32_t subject = 0;  // an agent, venue or operation id
  std::uint16_t kind = 0;     // the model's event kind
  std::uint16_t aux = 0;      // a small argument (e.g. a generation counter)
};
static_assert(sizeof(Event) == 16, "events must stay small and plain");

// Earlier time first. Equal times are not ordered here: by the order of
// their pushes, which the queue keeps.
[[nodiscard]] inline bool before(const Event& a, const Event& b) noexcept { return a.time < b.time; }

// An event with the number of its push, for a structure that does not keep
// the order of pushes among equal times by itself (a heap): strict order by
// (time, seq).
struct Numbered {
  Event event;
  std::uint64_t seq = 0;
};
[[nodiscard]] inline bool before(const Numbered& a, const Numbered& b) noexcept {
  return a.event.time < b.event.time || (a.event.time == b.event.time && a.seq < b.seq);
}

}  // namespace harmsim::core
