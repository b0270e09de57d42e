#pragma once
// The event loop: pop the earliest event and hand it to the model until the
// horizon. The model is a template parameter, so dispatch is a direct call
// (the model switches on the event kind): no virtual call, std::function or
// allocation per event.
#include <cstddef>
#include <cstdint>

#include "core/event_queue.hpp"

namespace harmsim::core {

// Model must provide: void handle(const Event&). It may provide
// void prefetch(const Event&), to start loading the state an upcoming event
// will touch, with bool prefetching() saying whether it is worth it (a state
// that fits in the cache gains nothing from a prefetch).
//
// Each time a fine bucket of the queue opens, the loop offers prefetch() the
// events of the bucket kPrefetchBuckets after it (EventQueue::for_each_ahead):
// nearly every event once (not those of the first two fine buckets of a
// coarse bucket, still in its chain), some 10 to 20 events before it is
// handled: far enough for a load from main memory to arrive. (Offering one
// event a fixed number of places ahead at every pop, as before, missed
// events wherever a bucket was sorted after its events had been looked at,
// and cost about 20 instructions an event; docs/performance.md.)
inline constexpr std::int64_t kPrefetchBuckets = 2;

namespace detail {
template <bool kPrefetch, class Model>
std::uint64_t run_events(EventQueue& queue, Model& model, Time until) {
  std::uint64_t processed = 0;
  std::int64_t opened = queue.bucket() - 1;
  while (const Event* next = queue.next_before(until)) {
    const Event e = *next;
    queue.drop_next();
    if constexpr (kPrefetch) {
      if (queue.bucket() != opened) [[unlikely]] {
        opened = queue.bucket();
        queue.for_each_ahead(kPrefetchBuckets, [&model](const Event& ahead) {
          model.prefetch(ahead);
          asm volatile("" : : "r"(&ahead));  // else GCC deletes a loop of nothing but prefetches
        });
      }
    }
    model.handle(e);
    ++processed;
  }
  return processed;
}
}  // namespace detail

// Returns the number of events processed. Events at or after `until` stay in
// the queue.
template <class Model>
std::uint64_t run_until(EventQueue& queue, Model& model, Time until) {
  if constexpr (requires(Model& m, const Event& ahead) { m.prefetch(ahead); }) {
    if (model.prefetching()) return detail::run_events<true>(queue, model, until);
  }
  return detail::run_events<false>(queue, model, until);
}

}  // namespace harmsim::core
