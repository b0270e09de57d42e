#pragma once
// The pending-event set: an implicit 4-ary min-heap of Event records keyed on
// (time, seq). A 4-ary heap halves the depth of a binary heap and keeps the
// four children of a node on one or two cache lines; bench/event_queue_bench
// compares it with the alternatives (docs/performance.md).
//
// Ties are broken by insertion order, so two runs that push the same events in
// the same order pop them in the same order: results never depend on anything
// but the seed and the inputs.
#include <cassert>
#include <cstddef>
#include <vector>

#include "core/event.hpp"

namespace harmsim::core {

class EventQueue {
 public:
  EventQueue() = default;
  explicit EventQueue(std::size_t expected) { heap_.reserve(expected); }

  void reserve(std::size_t n) { heap_.reserve(n); }
  [[nodiscard]] bool empty() const noexcept { return heap_.empty(); }
  [[nodiscard]] std::size_t size() const noexcept { return heap_.size(); }
  [[nodiscard]] std::size_t capacity() const noexcept { return heap_.capacity(); }
  [[nodiscard]] const Event& top() const noexcept {
    assert(!heap_.empty());
    return heap_.front();
  }
  // Sequence numbers handed out so far (also the number of pushes).
  [[nodiscard]] std::uint64_t pushed() const noexcept { return next_seq_; }

  void clear() noexcept {
    heap_.clear();
    next_seq_ = 0;
  }

  void push(Time time, std::uint16_t kind, std::uint32_t subject, std::uint16_t aux = 0) {
    Event e;
    e.time = time;
    e.seq = next_seq_++;
    e.subject = subject;
    e.kind = kind;
    e.aux = aux;
    heap_.push_back(e);
    sift_up(heap_.size() - 1);
  }

  Event pop() noexcept {
    assert(!heap_.empty());
    Event out = heap_.front();
    Event last = heap_.back();
    heap_.pop_back();
    if (!heap_.empty()) sift_down(last);
    return out;
  }

 private:
  static constexpr std::size_t kArity = 4;

  void sift_up(std::size_t i) noexcept {
    Event e = heap_[i];
    while (i > 0) {
      std::size_t parent = (i - 1) / kArity;
      if (!before(e, heap_[parent])) break;
      heap_[i] = heap_[parent];
      i = parent;
    }
    heap_[i] = e;
  }

  // Places `e` (the former last element) starting from the root.
  void sift_down(const Event& e) noexcept {
    const std::size_t n = heap_.size();
    std::size_t i = 0;
    for (;;) {
      std::size_t first = i * kArity + 1;
      if (first >= n) break;
      std::size_t best = first;
      std::size_t end = first + kArity < n ? first + kArity : n;
      for (std::size_t c = first + 1; c < end; ++c)
        if (before(heap_[c], heap_[best])) best = c;
      if (!before(heap_[best], e)) break;
      heap_[i] = heap_[best];
      i = best;
    }
    heap_[i] = e;
  }

  std::vector<Event> heap_;
  std::uint64_t next_seq_ = 0;
};

}  // namespace harmsim::core
