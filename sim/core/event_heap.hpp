#pragma once
// An implicit 4-ary min-heap of events in the order of their time and, among
// equal times, of their pushes: it numbers the events it is given (Numbered),
// so it can hold part of a larger queue that keeps that order
// (core::EventQueue keeps its far-future events here). A 4-ary heap halves
// the depth of a binary heap and keeps the four children of a node on one or
// two cache lines; bench/event_queue_bench measures it beside the
// alternatives (docs/performance.md).
#include <algorithm>
#include <cassert>
#include <cstdint>
#include <cstddef>
#include <vector>

#include "core/event.hpp"
#include "core/memory.hpp"

namespace harmsim::core {

class EventHeap {
 public:
  void reserve(std::size_t n) { reserve_huge(heap_, n); }
  [[nodiscard]] bool empty() const noexcept { return heap_.empty(); }
  [[nodiscard]] std::size_t size() const noexcept { return heap_.size(); }
  [[nodiscard]] std::size_t capacity() const noexcept { return heap_.capacity(); }
  [[nodiscard]] const Event& top() const noexcept {
    assert(!heap_.empty());
    return heap_.front().event;
  }
  void clear() noexcept {
    heap_.clear();
    pushed_ = 0;
  }

  void push(const Event& e) {
    heap_.push_back(Numbered{e, pushed_++});
    sift_up(heap_.size() - 1);
  }

  Event pop() noexcept {
    assert(!heap_.empty());
    const Event out = heap_.front().event;
    const Numbered last = heap_.back();
    heap_.pop_back();
    if (!heap_.empty()) sift_down(last);
    return out;
  }

  // Moves every event out in the order pop() would give, leaving the heap
  // empty (a sort in place: no allocation).
  template <class Sink>
  void drain(Sink&& sink) {
    std::sort(heap_.begin(), heap_.end(), [](const Numbered& a, const Numbered& b) { return before(a, b); });
    for (const Numbered& n : heap_) sink(n.event);
    clear();
  }

 private:
  static constexpr std::size_t kArity = 4;

  void sift_up(std::size_t i) noexcept {
    const Numbered e = heap_[i];
    while (i > 0) {
      std::size_t parent = (i - 1) / kArity;
      if (!before(e, heap_[parent])) break;
      heap_[i] = heap_[parent];
      i = parent;
    }
    heap_[i] = e;
  }

  // Places `e` (the former last element) starting from the root.
  void sift_down(const Numbered& e) noexcept {
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

  std::vector<Numbered> heap_;
  std::uint64_t pushed_ = 0;  // numbers the pushes since the heap was last empty by clear() or drain()
};

}  // namespace harmsim::core
