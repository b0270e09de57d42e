#pragma once
// Pending-event sets compared with core::EventQueue by bench/event_queue_bench
// and bench/phold_bench (docs/performance.md). Every one pops in exact
// order of time and, among equal times, of push, like core::EventQueue (the
// heaps and lists number their events: core::Numbered), and none allocates
// once it has grown to its working size. Interface: push(time, subject),
// pop() -> Event, size(), reserve(n).
//
//   BucketCalendar     harmsim's core::EventQueue (sorted-on-open buckets)
//   FourAryHeap        core::EventHeap, an implicit 4-ary heap (the engine's
//                      queue until the calendar replaced it)
//   FourAryBranchless  the same heap, the smallest child found branch-free
//   FourAryLazyPop     the same, and pop() leaves the root for the next push
//   BinaryHeap         std::priority_queue<Event> (implicit binary heap)
//   PairingHeap        a pairing heap on an index-linked node pool
//   Calendar           Brown's calendar queue on an index-linked node pool
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <queue>
#include <utility>
#include <vector>

#include "core/event.hpp"
#include "core/event_heap.hpp"
#include "core/event_queue.hpp"

namespace harmsim::bench {

using core::before;
using core::Event;
using core::Numbered;
using core::Time;

inline constexpr std::uint32_t kNil = std::numeric_limits<std::uint32_t>::max();

inline Event make_event(Time time, std::uint32_t subject) {
  Event e;
  e.time = time;
  e.subject = subject;
  return e;
}
inline Numbered make_event(Time time, std::uint64_t seq, std::uint32_t subject) {
  return Numbered{make_event(time, subject), seq};
}

class BucketCalendar {
 public:
  static constexpr const char* kName = "BucketCalendar";
  void reserve(std::size_t n) { q_.reserve(n); }
  void push(Time t, std::uint32_t subject) { q_.push(t, 0, subject); }
  Event pop() { return q_.pop(); }
  [[nodiscard]] const Event& top() { return q_.top(); }
  [[nodiscard]] std::size_t size() const noexcept { return q_.size(); }

 private:
  core::EventQueue q_;
};

class FourAryHeap {
 public:
  static constexpr const char* kName = "FourAryHeap";
  void reserve(std::size_t n) { q_.reserve(n); }
  void push(Time t, std::uint32_t subject) { q_.push(make_event(t, subject)); }
  Event pop() noexcept { return q_.pop(); }
  [[nodiscard]] const Event& top() const noexcept { return q_.top(); }
  [[nodiscard]] std::size_t size() const noexcept { return q_.size(); }

 private:
  core::EventHeap q_;  // numbers its events itself
};

class BinaryHeap {
 public:
  static constexpr const char* kName = "BinaryHeap";
  void reserve(std::size_t n) {
    std::vector<Numbered> storage;
    storage.reserve(n);
    q_ = Queue(Later{}, std::move(storage));
  }
  void push(Time t, std::uint32_t subject) { q_.push(make_event(t, seq_++, subject)); }
  Event pop() {
    const Event e = q_.top().event;
    q_.pop();
    return e;
  }
  [[nodiscard]] std::size_t size() const noexcept { return q_.size(); }

 private:
  struct Later {
    bool operator()(const Numbered& a, const Numbered& b) const noexcept { return before(b, a); }
  };
  using Queue = std::priority_queue<Numbered, std::vector<Numbered>, Later>;
  Queue q_;
  std::uint64_t seq_ = 0;
};

// Two variants of the 4-ary heap that keep its layout and its exact order,
// to measure changes proposed for core::EventQueue (docs/performance.md):
//  - Branchless: the smallest of four children is found with a branch-free
//    tournament on (time, push), instead of three unpredictable branches.
//  - LazyPop: pop() leaves a hole at the root; a push that follows (the
//    handler scheduling its next event, the common case in a discrete-event
//    loop) fills the hole and sifts down once, instead of a sift-down for the
//    pop and a sift-up for the push (Python's heapreplace). A pop or top()
//    with a hole pending closes it first. Comparisons as in core::EventQueue.
[[nodiscard]] inline bool earlier(const Numbered& a, const Numbered& b) noexcept {
  return (a.event.time < b.event.time) | ((a.event.time == b.event.time) & (a.seq < b.seq));
}

template <bool Lazy, bool Branchless>
class FourAryVariant {
 public:
  static constexpr const char* kName = Lazy ? "FourAryLazyPop" : "FourAryBranchless";
  void reserve(std::size_t n) { heap_.reserve(n); }
  void push(Time t, std::uint32_t subject) {
    const Numbered e = make_event(t, seq_++, subject);
    if (Lazy && hole_) {
      hole_ = false;
      sift_down(e);
      return;
    }
    heap_.push_back(e);
    sift_up(heap_.size() - 1);
  }
  Event pop() noexcept {
    if (Lazy && hole_) close_hole();
    const Event out = heap_.front().event;
    if (Lazy) {
      hole_ = true;
    } else {
      const Numbered last = heap_.back();
      heap_.pop_back();
      if (!heap_.empty()) sift_down(last);
    }
    return out;
  }
  [[nodiscard]] std::size_t size() const noexcept { return heap_.size() - (hole_ ? 1 : 0); }
  // The earliest event (the queue is not empty); closes a pending hole.
  [[nodiscard]] const Event& top() noexcept {
    if (Lazy && hole_) close_hole();
    return heap_.front().event;
  }

 private:
  static bool less(const Numbered& a, const Numbered& b) noexcept {
    return Branchless ? earlier(a, b) : before(a, b);
  }
  void close_hole() noexcept {
    hole_ = false;
    const Numbered last = heap_.back();
    heap_.pop_back();
    if (!heap_.empty()) sift_down(last);
  }
  void sift_up(std::size_t i) noexcept {
    const Numbered e = heap_[i];
    while (i > 0) {
      const std::size_t parent = (i - 1) / 4;
      if (!less(e, heap_[parent])) break;
      heap_[i] = heap_[parent];
      i = parent;
    }
    heap_[i] = e;
  }
  void sift_down(const Numbered& e) noexcept {
    const std::size_t n = heap_.size();
    const Numbered* h = heap_.data();
    std::size_t i = 0;
    for (;;) {
      const std::size_t first = 4 * i + 1;
      if (first >= n) break;
      std::size_t best;
      if (Branchless && first + 4 <= n) {
        const std::size_t a = first + static_cast<std::size_t>(earlier(h[first + 1], h[first]));
        const std::size_t b = first + 2 + static_cast<std::size_t>(earlier(h[first + 3], h[first + 2]));
        const std::size_t pick_b = 0 - static_cast<std::size_t>(earlier(h[b], h[a]));
        best = a ^ ((a ^ b) & pick_b);
      } else {
        const std::size_t end = first + 4 < n ? first + 4 : n;
        best = first;
        for (std::size_t c = first + 1; c < end; ++c)
          if (before(h[c], h[best])) best = c;
      }
      if (!less(h[best], e)) break;
      heap_[i] = h[best];
      i = best;
    }
    heap_[i] = e;
  }

  std::vector<Numbered> heap_;
  std::uint64_t seq_ = 0;
  bool hole_ = false;
};
using FourAryBranchless = FourAryVariant<false, true>;
using FourAryLazyPop = FourAryVariant<true, false>;

// Nodes live in one vector and link by 32-bit index; freed nodes are reused,
// so a hold operation never allocates.
class PairingHeap {
 public:
  static constexpr const char* kName = "PairingHeap";
  void reserve(std::size_t n) { nodes_.reserve(n); }
  void push(Time t, std::uint32_t subject) {
    const std::uint32_t n = allocate();
    nodes_[n].e = make_event(t, seq_++, subject);
    nodes_[n].child = nodes_[n].sibling = kNil;
    root_ = root_ == kNil ? n : meld(root_, n);
    ++size_;
  }
  Event pop() noexcept {
    const std::uint32_t old = root_;
    const Event out = nodes_[old].e.event;
    // Two-pass pairing: meld the children in pairs left to right (collected
    // in reverse on `acc`), then meld the pairs right to left.
    std::uint32_t first = nodes_[old].child;
    std::uint32_t acc = kNil;
    while (first != kNil) {
      const std::uint32_t a = first;
      const std::uint32_t b = nodes_[a].sibling;
      if (b == kNil) {
        nodes_[a].sibling = acc;
        acc = a;
        break;
      }
      first = nodes_[b].sibling;
      nodes_[a].sibling = nodes_[b].sibling = kNil;
      const std::uint32_t m = meld(a, b);
      nodes_[m].sibling = acc;
      acc = m;
    }
    std::uint32_t r = acc;
    if (r != kNil) {
      acc = nodes_[r].sibling;
      nodes_[r].sibling = kNil;
      while (acc != kNil) {
        const std::uint32_t next = nodes_[acc].sibling;
        nodes_[acc].sibling = kNil;
        r = meld(r, acc);
        acc = next;
      }
    }
    root_ = r;
    nodes_[old].sibling = free_;
    free_ = old;
    --size_;
    return out;
  }
  [[nodiscard]] std::size_t size() const noexcept { return size_; }

 private:
  struct Node {
    Numbered e;
    std::uint32_t child;
    std::uint32_t sibling;  // next sibling, or next free node
  };
  static_assert(sizeof(Node) == 32);

  std::uint32_t allocate() {
    if (free_ != kNil) {
      const std::uint32_t n = free_;
      free_ = nodes_[n].sibling;
      return n;
    }
    nodes_.emplace_back();
    return static_cast<std::uint32_t>(nodes_.size() - 1);
  }
  // Both roots have no siblings; the later one becomes the first child.
  std::uint32_t meld(std::uint32_t a, std::uint32_t b) noexcept {
    if (before(nodes_[b].e, nodes_[a].e)) std::swap(a, b);
    nodes_[b].sibling = nodes_[a].child;
    nodes_[a].child = b;
    return a;
  }

  std::vector<Node> nodes_;
  std::uint32_t root_ = kNil;
  std::uint32_t free_ = kNil;
  std::size_t size_ = 0;
  std::uint64_t seq_ = 0;
};

// Brown's calendar queue (CACM 31(10), 1988). Bucket b holds the events whose
// "virtual bucket" v = floor(time / width) has v mod nbuckets = b, as a list
// sorted by (time, push). `cur_` is the virtual bucket of the earliest event, or
// below it: popping scans forward from it and takes the head of a bucket only
// if its virtual bucket is the one being scanned, which makes the pop order
// exactly (time, push). An event pushed before `cur_` moves `cur_` back, so the
// order stays exact even for pushes into the past. The bucket count doubles
// when the queue holds more than twice as many events and halves below half;
// each resize re-estimates the width as three times the mean gap between the
// first events (gaps over twice the mean left out), as Brown does.
class Calendar {
 public:
  static constexpr const char* kName = "Calendar";
  Calendar() { rebuild(kMinBuckets, 1.0); }
  void reserve(std::size_t n) { nodes_.reserve(n); }
  void push(Time t, std::uint32_t subject) {
    const std::uint32_t n = allocate();
    nodes_[n].e = make_event(t, seq_++, subject);
    link(n);
    ++size_;
    if (size_ > 2 * heads_.size()) resize(heads_.size() * 2);
  }
  Event pop() {
    const std::uint32_t n = unlink_first();
    const Event out = nodes_[n].e.event;
    nodes_[n].next = free_;
    free_ = n;
    --size_;
    if (heads_.size() > kMinBuckets && size_ < heads_.size() / 2) resize(heads_.size() / 2);
    return out;
  }
  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  // The earliest event (the queue is not empty).
  [[nodiscard]] const Event& top() noexcept { return nodes_[*first_slot()].e.event; }

 private:
  struct Node {
    Numbered e;
    std::uint32_t next;  // next in the bucket, or next free node
    std::uint32_t pad;
  };
  static_assert(sizeof(Node) == 32);
  static constexpr std::size_t kMinBuckets = 2;
  static constexpr std::size_t kSample = 25;

  [[nodiscard]] std::uint64_t vbucket(Time t) const noexcept {
    return static_cast<std::uint64_t>(t * inv_width_);
  }

  std::uint32_t allocate() {
    if (free_ != kNil) {
      const std::uint32_t n = free_;
      free_ = nodes_[n].next;
      return n;
    }
    nodes_.emplace_back();
    return static_cast<std::uint32_t>(nodes_.size() - 1);
  }

  // Inserts node n in its bucket, after every event before it.
  void link(std::uint32_t n) noexcept {
    const Numbered& e = nodes_[n].e;
    const std::uint64_t v = vbucket(e.event.time);
    if (linked_ == 0 || v < cur_) cur_ = v;
    ++linked_;
    std::uint32_t* at = &heads_[v & mask_];
    while (*at != kNil && before(nodes_[*at].e, e)) at = &nodes_[*at].next;
    nodes_[n].next = *at;
    *at = n;
  }

  // The slot (a bucket head) holding the earliest node; moves cur_ to its
  // virtual bucket. The queue is not empty.
  std::uint32_t* first_slot() noexcept {
    const std::size_t nb = heads_.size();
    for (std::size_t k = 0; k < nb; ++k) {
      const std::uint64_t v = cur_ + k;
      std::uint32_t& head = heads_[v & mask_];
      if (head != kNil && vbucket(nodes_[head].e.event.time) == v) {
        cur_ = v;
        return &head;
      }
    }
    // A whole year without an event: jump to the earliest head directly.
    std::uint32_t* best = nullptr;
    for (std::uint32_t& head : heads_)
      if (head != kNil && (best == nullptr || before(nodes_[head].e, nodes_[*best].e))) best = &head;
    cur_ = vbucket(nodes_[*best].e.event.time);
    return best;
  }

  // Removes and returns the earliest node (the queue is not empty).
  std::uint32_t unlink_first() noexcept {
    std::uint32_t* slot = first_slot();
    const std::uint32_t n = *slot;
    *slot = nodes_[n].next;
    --linked_;
    return n;
  }

  void resize(std::size_t buckets) {
    // Width from the gaps between the first events (Brown's sampling).
    double width = width_;
    const std::size_t k = std::min(kSample, linked_);
    if (k >= 2) {
      std::uint32_t sample[kSample];
      for (std::size_t i = 0; i < k; ++i) sample[i] = unlink_first();
      const double span = nodes_[sample[k - 1]].e.event.time - nodes_[sample[0]].e.event.time;
      const double mean = span / static_cast<double>(k - 1);
      double sum = 0;
      std::size_t used = 0;
      for (std::size_t i = 1; i < k; ++i) {
        const double gap = nodes_[sample[i]].e.event.time - nodes_[sample[i - 1]].e.event.time;
        if (gap <= 2.0 * mean) {
          sum += gap;
          ++used;
        }
      }
      const double estimate = used > 0 ? 3.0 * sum / static_cast<double>(used) : 3.0 * mean;
      if (estimate > 0.0) width = estimate;
      for (std::size_t i = 0; i < k; ++i) link(sample[i]);
    }
    // Relink every node into the new buckets.
    const std::vector<std::uint32_t> old = std::move(heads_);
    rebuild(buckets, width);
    for (std::uint32_t head : old)
      for (std::uint32_t n = head; n != kNil;) {
        const std::uint32_t next = nodes_[n].next;
        link(n);
        n = next;
      }
  }

  void rebuild(std::size_t buckets, double width) {
    heads_.assign(buckets, kNil);
    mask_ = buckets - 1;
    width_ = width;
    inv_width_ = 1.0 / width;
    linked_ = 0;
    cur_ = 0;
  }

  std::vector<Node> nodes_;
  std::vector<std::uint32_t> heads_;
  std::uint64_t mask_ = 0;
  double width_ = 1.0;
  double inv_width_ = 1.0;
  std::uint64_t cur_ = 0;
  std::size_t linked_ = 0;  // nodes in buckets
  std::size_t size_ = 0;
  std::uint32_t free_ = kNil;
  std::uint64_t seq_ = 0;
};

}  // namespace harmsim::bench
