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
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>

namespace harmsim::core {

using Time = double;  // simulation time in days

struct Event {
  Time time = 0.0;            // when it happens (days)
  std::uint32_t subject = 0;  // an agent, venue or operation id
  std::uint16_t kind = 0;     // the model's event kind
  std::uint16_t aux = 0;      // a small argument (e.g. a generation counter)
};
static_assert(sizeof(Event) == 16, "events must stay small and plain");

// An event as one 16-byte value in a vector register: its time's bits, then
// the other three fields packed as Event lays them out (on a little-endian
// machine). A push builds it in registers and stores it whole. Assigned
// field by field, an event was assembled on the stack by narrow stores and
// read back by one 16-byte load, which the processor cannot forward from
// them: the load waited for the stores to reach the cache, on every push
// (PHOLD 0.6 ns an event; docs/performance.md).
typedef std::uint64_t EventBits __attribute__((vector_size(16)));
[[nodiscard]] inline EventBits event_bits(Time time, std::uint16_t kind, std::uint32_t subject,
                                          std::uint16_t aux) noexcept {
  static_assert(std::endian::native == std::endian::little, "the packed word follows Event's little-endian layout");
  static_assert(offsetof(Event, subject) == 8 && offsetof(Event, kind) == 12 && offsetof(Event, aux) == 14);
  return EventBits{std::bit_cast<std::uint64_t>(time),
                   std::uint64_t{subject} | (std::uint64_t{kind} << 32) | (std::uint64_t{aux} << 48)};
}
inline void store(Event& to, EventBits e) noexcept { std::memcpy(static_cast<void*>(&to), &e, sizeof(Event)); }
[[nodiscard]] inline Event as_event(EventBits e) noexcept { return std::bit_cast<Event>(e); }

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
