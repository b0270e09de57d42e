#pragma once
// The event loop: pop the earliest event and hand it to the model until the
// horizon. The model is a template parameter, so dispatch is a direct call
// (the model switches on the event kind): no virtual call, std::function or
// allocation per event.
#include <cstdint>

#include "core/event_queue.hpp"

namespace harmsim::core {

// Model must provide: void handle(const Event&).
// Returns the number of events processed. Events at or after `until` stay in
// the queue.
template <class Model>
std::uint64_t run_until(EventQueue& queue, Model& model, Time until) {
  std::uint64_t processed = 0;
  while (!queue.empty() && queue.top().time < until) {
    const Event e = queue.pop();
    model.handle(e);
    ++processed;
  }
  return processed;
}

}  // namespace harmsim::core
