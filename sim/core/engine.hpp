#pragma once
// The event loop: pop the earliest event and hand it to the model until the
// horizon. The model is a template parameter, so dispatch is a direct call
// (the model switches on the event kind): no virtual call, std::function or
// allocation per event.
#include <cstddef>
#include <cstdint>

#include "core/event_queue.hpp"

namespace harmsim::core {

// How many events ahead the loop offers to the model's prefetch(): far
// enough for a load from main memory to arrive before the event is handled.
inline constexpr std::size_t kPrefetchDistance = 6;

// Model must provide: void handle(const Event&). It may provide
// void prefetch(const Event&), called for an event a few places ahead of the
// one being handled, to start loading the state that event will touch, with
// bool prefetching() saying whether it is worth it (a state that fits in the
// cache gains nothing from a prefetch, and looking ahead costs about 20
// instructions an event).
// Returns the number of events processed. Events at or after `until` stay in
// the queue.
template <class Model>
std::uint64_t run_until(EventQueue& queue, Model& model, Time until) {
  std::uint64_t processed = 0;
  while (const Event* next = queue.next_before(until)) {
    const Event e = *next;
    queue.drop_next();
    if constexpr (requires(Model& m, const Event& ahead) { m.prefetch(ahead); }) {
      if (model.prefetching())
        if (const Event* ahead = queue.peek(kPrefetchDistance)) model.prefetch(*ahead);
    }
    model.handle(e);
    ++processed;
  }
  return processed;
}

}  // namespace harmsim::core
