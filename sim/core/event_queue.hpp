#pragma once
// The pending-event set: a two-level calendar of unsorted buckets whose
// earliest bucket is sorted only when the clock reaches it (in the family of
// Brown's calendar queue, 1988, and Tang, Goh and Thng's ladder queue, 2005),
// with a 4-ary heap for the far future. bench/event_queue_bench compares it
// with a 4-ary heap, a binary heap, a pairing heap and Brown's calendar
// queue; docs/performance.md has the figures.
//
//   time ─▶ [current][fine][fine]…[fine] [coarse][coarse]…[coarse] [far heap]
//            sorted   the fine buckets   coarse buckets of F fine   beyond the
//            (pop at  of one coarse      ones each, a ring of C     coarse ring
//             back)   bucket (F slots)   slots
//
// A push appends to the bucket of its time: O(1), and sequential in memory,
// since the coarse ring has few slots whose tails stay in cache. A pop takes
// the back of the sorted current bucket: O(1). When the current bucket runs
// out, the next non-empty fine bucket is sorted (a few events: the width is
// chosen so that fine buckets hold about kTargetPerBucket; up to 16 events
// with distinct times are placed by counting the earlier times, with no
// branch on the times to mispredict; other buckets are sorted by insertion,
// or by a merge sort beyond 24 events); when the fine buckets run out, the
// next coarse bucket is spread over them in one sequential pass. Events
// further ahead than the coarse ring wait in the heap and move into the ring
// as the clock approaches. So each event is written a few times in
// sequential runs instead of landing at a random place in a large
// structure, and queues of millions of events cost little more per event
// than small ones.
//
// The geometry (width, F, C) is chosen again when the queue doubles or
// shrinks fourfold. When the fine buckets it opens hold about 2^j times their
// target (j not 0), the fine buckets are made 2^j times narrower and F 2^j
// times larger (refine()): the coarse buckets keep their width, so only the
// active coarse bucket's fine buckets are re-spread, not the whole queue.
// (The width estimated while the model's world is built, from the events
// then pending, is about twice too wide at 10^6 workers once the run goes.)
// Only when F would leave its range, or outgrow the 2F fine buckets made with
// the geometry, is the whole queue rebuilt at the corrected width.
// Storage is reused: once the queue has grown to its working size, push and
// pop allocate nothing (tests/allocation).
//
// Order is exactly by time and, among equal times, by push, whatever the
// geometry: bucket b holds the times in [b·w, (b+1)·w), so every event of an
// earlier bucket is earlier, and within a bucket the sort is by time. Events
// carry no sequence number (a 16-byte Event; sim/core/event.hpp): the order
// of pushes among equal times is kept by how events move. Events at one time
// always share a place (the far heap, a coarse chain, a fine bucket or the
// current bucket), since the place depends on the time alone, and they move
// together to the next one, in order: the far heap pops in (time, push)
// order (it numbers what it holds), a chain and a fine bucket append and
// are read in order, a pass of refine() or rebuild() reads them in order,
// and each sort of a bucket is stable on what it is given (rank_sort() gives
// up on equal times; insertion_sort() moves an event before an equal one;
// sort_stable() above 24 events). So two runs that push the same events in
// the same order pop them in the same order, and results never depend on
// anything but the seed and the inputs.
#include <algorithm>
#include <bit>
#include <cassert>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <vector>

#include "core/event.hpp"
#include "core/event_heap.hpp"
#include "core/memory.hpp"

namespace harmsim::core {

class EventQueue {
 public:
  // Events a fine bucket holds on average when it is opened and sorted.
  // Since rank_sort() takes up to 16 events, 8 rather than 6: fewer buckets
  // to visit, hardly any to sort by insertion (PHOLD 22.9 -> 21.1 ns an
  // event; 10 and 12 were slower than 8; docs/performance.md).
  static constexpr double kTargetPerBucket = 8.0;

  EventQueue() { set_geometry(kMinFine, kMinCoarse, 1.0, 0.0); }
  explicit EventQueue(std::size_t expected) : EventQueue() { reserve(expected); }

  // Makes room for about `n` pending events, up to half of them in the far
  // future (a reservation: pages that are never used cost no memory).
  void reserve(std::size_t n) {
    const std::size_t blocks = n / kBlockEvents + 2 * coarse_.size() + 16;
    reserve_huge(pool_, blocks * kBlockEvents);
    next_.reserve(blocks);
    far_.reserve(n / 2);
    current_.reserve(kFineReserve);
    reserve_huge(scratch_, n);
    reserve_huge(times_, n);
  }
  [[nodiscard]] bool empty() const noexcept { return size_ == 0; }
  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  // Events pushed since the queue was made or cleared.
  [[nodiscard]] std::uint64_t pushed() const noexcept { return pushed_; }

  void clear() noexcept {
    size_ = 0;
    pushed_ = 0;
    current_.clear();
    for (std::vector<Event>& f : fine_) f.clear();
    for (Chain& c : coarse_) c = Chain{};
    pool_.clear();
    next_.clear();
    free_ = kNil;
    far_.clear();
    set_geometry(fine_count(), coarse_.size(), 1.0, 0.0);
    set_thresholds(0);
    restart_counts();
  }

  void push(Time time, std::uint16_t kind, std::uint32_t subject, std::uint16_t aux = 0) {
    ++pushed_;
    const EventBits e = event_bits(time, kind, subject, aux);
    // The common cases inline: a fine bucket of the active coarse one, or a
    // coarse bucket of the ring whose tail block has room.
    const std::int64_t f = fine_bucket(time);
    const std::int64_t c = coarse_of(f);
    if (f > cur_ && c == active_) {
      std::vector<Event>& bucket = fine_[static_cast<std::size_t>(f) & fine_mask_];
      bucket.emplace_back();
      store(bucket.back(), e);
      ++in_fine_;
    } else if (f > cur_ && c < ring_end_) {
      Chain& chain = coarse_[static_cast<std::size_t>(c) & coarse_mask_];
      if (chain.cursor % kBlockEvents != 0) [[likely]] {
        store(pool_[chain.cursor++], e);
        ++in_coarse_;
      } else {
        place(as_event(e), f);
      }
    } else {
      place(as_event(e), f);
    }
    if (++size_ > grow_at_) rebuild();
  }

  // The earliest event (the queue is not empty).
  [[nodiscard]] const Event& top() {
    assert(size_ > 0);
    if (current_.empty()) open_next();
    return current_.back();
  }

  Event pop() {
    assert(size_ > 0);
    if (current_.empty()) open_next();
    const Event out = current_.back();
    drop_next();
    return out;
  }

  // The event loop's pair: the earliest event if there is one before
  // `until`, else nullptr; then, after copying it, drop_next() removes it.
  [[nodiscard]] const Event* next_before(Time until) {
    if (size_ == 0) return nullptr;
    if (current_.empty()) open_next();
    const Event& e = current_.back();
    return e.time < until ? &e : nullptr;
  }
  void drop_next() {
    current_.pop_back();
    if (--size_ < shrink_at_) rebuild();
  }

  // The fine bucket current_ came from (it changes when the next one opens).
  [[nodiscard]] std::int64_t bucket() const noexcept { return cur_; }
  // Geometry, for tests and benchmarks: the width of a fine bucket, the fine
  // buckets per coarse one, and how often the whole queue was rebuilt and
  // the fine buckets alone re-spread (refine()).
  [[nodiscard]] double bucket_width() const noexcept { return width_; }
  [[nodiscard]] std::size_t fine_per_coarse() const noexcept { return fine_count(); }
  [[nodiscard]] std::uint64_t rebuilds() const noexcept { return rebuilds_; }
  [[nodiscard]] std::uint64_t refines() const noexcept { return refines_; }
  // The events of the fine bucket `d` after the current one, in no order,
  // when it is one of the active coarse bucket's (else none): the events that
  // come after the next bucket's. Lets the event loop prefetch the state
  // they will touch, each event once (except around a refine(), which
  // re-spreads the fine buckets: a hint only).
  template <class F>
  void for_each_ahead(std::int64_t d, F&& f) const {
    const std::int64_t b = cur_ + d;
    if (b >= (active_ + 1) << fine_shift_) return;
    for (const Event& e : fine_[static_cast<std::size_t>(b) & fine_mask_]) f(e);
  }

 private:
  static constexpr std::uint32_t kNil = std::numeric_limits<std::uint32_t>::max();
  static constexpr std::uint32_t kBlockEvents = 64;  // 1,024 bytes
  // Blocks are numbered, and the pool's slots counted, in 32 bits: a chain's
  // cursor, one past its tail block when that is full, stays below 2^32
  // with fewer than 2^26 blocks of 64 events (64 GB of them).
  static constexpr std::uint32_t kMaxBlocks = (std::uint32_t{1} << 26) - 1;
  static constexpr std::size_t kMinFine = 16, kMaxFine = 4096, kMinCoarse = 16;
  static constexpr std::size_t kMinBasis = 64;
  // Room in each fine bucket: in a steady stream the occupancy check keeps
  // the mean under about 1.5 times the target (about twice, where F is at
  // the end of its range or of the fine buckets made; up to about 2.5 times
  // for a while when the density changes several-fold, tests/cpp), and a
  // Poisson count of mean 12 exceeds 48 with probability 1e-15 (of mean 16,
  // 3e-11), so fine buckets do not grow once made (but for many events at
  // one time, which no width splits; a bucket that grows keeps its room).
  // It is also as many events, and distinct times, as the occupancy check
  // counts in a bucket. (64 cost PHOLD 0.2 ns an event.)
  static constexpr std::size_t kFineReserve = 48;
  static constexpr std::int64_t kLastBucket = std::int64_t{1} << 60;  // clamp: beyond any ring
  static constexpr std::int64_t kNoFar = std::numeric_limits<std::int64_t>::max();
  // Fine-bucket visits, or events opened, between two checks of their
  // occupancy, whichever come first: at least this many, and at least an
  // eighth of the pending events (open_next()). Wherever buckets hold more
  // than one event on average the events come first, so at the target a
  // check comes about every 4,096 / 8 visits; the visits count only where
  // buckets are mostly empty. Counted in visits alone, a stream that turned
  // much denser waited 4,096 buckets of (say) a hundred events each.
  static constexpr std::uint64_t kCheckEvery = 4096;
  // A correction when the occupancy is off by more than 2^0.6 (about 1.5)
  // either way: after one, the buckets are within 2^0.4 of the target, so a
  // density near a threshold does not flip the geometry back and forth.
  static constexpr double kRefineAbove = 0.6;
  static constexpr unsigned kMinFineShift = std::countr_zero(kMinFine), kMaxFineShift = std::countr_zero(kMaxFine);
  // Buckets of up to this many events are sorted by rank_sort(); of up to
  // kInsertionSortMax by insertion_sort(), larger ones by sort_stable().
  static constexpr std::size_t kRankSortMax = 16;
  static constexpr std::size_t kInsertionSortMax = 24;

  // A coarse bucket: a chain of blocks of kBlockEvents events, block b at
  // pool_[b × kBlockEvents], every block full but the tail. The chain keeps
  // the slot of the pool its next event goes to: in the tail block, so a
  // multiple of kBlockEvents only when the tail is full or there is none.
  // An append reads the chain (8 bytes; the ring stays in cache) and writes
  // the line it fills, with no look-up of the tail block or its fill.
  struct Chain {
    std::uint32_t cursor = 0;
    std::uint32_t head = kNil;  // kNil: no block
  };
  // The first event of block b.
  [[nodiscard]] const Event* block(std::uint32_t b) const noexcept { return &pool_[std::size_t{b} * kBlockEvents]; }
  [[nodiscard]] static std::uint32_t tail_of(const Chain& chain) noexcept { return (chain.cursor - 1) / kBlockEvents; }
  // The events block `b` of the chain holds.
  [[nodiscard]] static std::uint32_t count_of(const Chain& chain, std::uint32_t b) noexcept {
    return b == tail_of(chain) ? chain.cursor - b * kBlockEvents : kBlockEvents;
  }

  // Fine bucket of a time: floor((t - origin) / width), clamped so that it
  // is monotone in t and cannot overflow (times before the origin are "now").
  [[nodiscard]] std::int64_t fine_bucket(Time t) const noexcept {
    const double x = (t - origin_) * inv_width_;
    if (!(x >= 0.0)) return -1;
    if (!(x < static_cast<double>(kLastBucket))) return kLastBucket;
    return static_cast<std::int64_t>(x);
  }
  // The same for a time known to be in the coarse ring (placed there since
  // the geometry was last set; refine() keeps every such time in the ring
  // and below the clamp), where the clamps cannot apply.
  [[nodiscard]] std::int64_t fine_bucket_in_ring(Time t) const noexcept {
    return static_cast<std::int64_t>((t - origin_) * inv_width_);
  }
  [[nodiscard]] std::int64_t coarse_of(std::int64_t fine) const noexcept { return fine >> fine_shift_; }

  // Orders the current bucket with the earliest event at the back (by time
  // alone: sorts that use it keep the order of equal times, see above).
  static bool later(const Event& a, const Event& b) noexcept { return before(b, a); }

  void place(const Event& e) { place(e, fine_bucket(e.time)); }
  void place(const Event& e, std::int64_t f) {
    if (f <= cur_) {
      // Now or (a push into the past) earlier: into the sorted bucket,
      // before (so popped after) the events at its time already there.
      current_.insert(std::lower_bound(current_.begin(), current_.end(), e, later), e);
      return;
    }
    const std::int64_t c = coarse_of(f);
    if (c == active_) {
      fine_[static_cast<std::size_t>(f) & fine_mask_].push_back(e);
      ++in_fine_;
    } else if (c < ring_end_) {
      append(coarse_[static_cast<std::size_t>(c) & coarse_mask_], e);
      ++in_coarse_;
    } else {
      far_.push(e);
      if (c < far_coarse_) far_coarse_ = c;
    }
  }

  void append(Chain& chain, const Event& e) {
    if (chain.cursor % kBlockEvents == 0) {
      const std::uint32_t n = new_block();
      if (chain.head == kNil)
        chain.head = n;
      else
        next_[tail_of(chain)] = n;
      chain.cursor = n * kBlockEvents;
    }
    pool_[chain.cursor++] = e;
  }

  std::uint32_t new_block() {
    std::uint32_t n = free_;
    if (n != kNil) {
      free_ = next_[n];
    } else {
      n = static_cast<std::uint32_t>(next_.size());
      if (n >= kMaxBlocks)
        throw std::length_error("event queue: its coarse buckets need more than 2^26 - 1 blocks of 64 events");
      next_.push_back(kNil);
      pool_.resize(pool_.size() + kBlockEvents);
    }
    next_[n] = kNil;
    return n;
  }

  // The first coarse bucket beyond the ring when `active` is the active
  // one: C buckets on, but not beyond the coarse bucket of the clamp
  // (kLastBucket). That bucket holds only clamped events (2^60 bucket
  // widths or more past the origin, +inf among them), which share one
  // bucket number however far apart their times: spread from a chain by
  // their times (fine_bucket_in_ring) or re-spread by refine(), they would
  // land in buckets of times they are not at. So they wait in the far heap,
  // in order, until their coarse bucket is the active one (ring_end_ ==
  // active_ then), and go to its one fine bucket for them.
  [[nodiscard]] std::int64_t ring_end_after(std::int64_t active) const noexcept {
    return std::min(active + static_cast<std::int64_t>(coarse_.size()), std::max(active, kLastBucket >> fine_shift_));
  }

  // Moves far-future events that the coarse ring now reaches into it (or,
  // for the clamp's coarse bucket, into the active fine buckets).
  void migrate() {
    while (far_coarse_ < ring_end_ || far_coarse_ == active_) {
      place(far_.pop());
      far_coarse_ = far_front_coarse();
    }
  }
  // Coarse bucket of the far heap's earliest event; kNoFar if it is empty.
  [[nodiscard]] std::int64_t far_front_coarse() const {
    return far_.empty() ? kNoFar : coarse_of(fine_bucket(far_.top().time));
  }
  // Appends the events of every fine bucket to `out` and empties the buckets.
  void take_fine(std::vector<Event>& out) {
    for (std::vector<Event>& f : fine_) {
      out.insert(out.end(), f.begin(), f.end());
      f.clear();
    }
  }

  // Advances to the next non-empty fine bucket and sorts it into current_.
  // The queue is not empty and current_ is.
  void open_next() {
    if (std::max(fine_visits_, fine_opened_) >= std::max<std::uint64_t>(kCheckEvery, size_ / 8)) {
      check_occupancy();
      if (!current_.empty()) return;  // wider buckets: the current one took in the next ones' events
    }
    for (;;) {
      if (in_fine_ > 0) {
        for (;;) {
          ++cur_;
          ++fine_visits_;
          std::vector<Event>& bucket = fine_[static_cast<std::size_t>(cur_) & fine_mask_];
          if (bucket.empty()) continue;
          const std::size_t n = bucket.size();
          in_fine_ -= n;
          fine_opened_ += std::min(n, kFineReserve);
          // Distinct times (rank_sort() gives up on equal ones):
          const bool sorted = n <= 8    ? rank_sort<8>(bucket)
                              : n <= 12 ? rank_sort<12>(bucket)
                                        : n <= kRankSortMax && rank_sort<kRankSortMax>(bucket);
          if (sorted) return;
          current_.swap(bucket);
          break;
        }
        const std::size_t n = current_.size();
        if (n <= kInsertionSortMax) insertion_sort(current_.data(), n);
        else sort_stable();
        fine_tied_ += std::min(n, kFineReserve) - std::min(distinct_times(), kFineReserve);
        return;
      }
      next_coarse();
    }
  }

  // The number of distinct times in current_, which is sorted.
  [[nodiscard]] std::size_t distinct_times() const noexcept {
    std::size_t distinct = 1;
    for (std::size_t i = 1; i < current_.size(); ++i) distinct += current_[i].time != current_[i - 1].time ? 1 : 0;
    return distinct;
  }

  // The fine buckets are used up: makes the next non-empty coarse bucket the
  // active one and spreads its events over the fine buckets.
  void next_coarse() {
    if (in_coarse_ == 0) active_ = far_coarse_ - 1;  // only the far future is left: jump
    for (;;) {
      ++active_;
      ring_end_ = ring_end_after(active_);
      migrate();  // may put events straight into the fine buckets of the new active_
      if (in_fine_ > 0 || coarse_[static_cast<std::size_t>(active_) & coarse_mask_].head != kNil) break;
    }
    cur_ = (active_ << fine_shift_) - 1;
    Chain& chain = coarse_[static_cast<std::size_t>(active_) & coarse_mask_];
    for (std::uint32_t b = chain.head; b != kNil;) {
      const std::uint32_t next = next_[b];
      // The blocks were written long ago and lie anywhere in the pool: the
      // next one is loaded while this one is spread.
      if (next != kNil) {
        const char* const ahead = reinterpret_cast<const char*>(block(next));
        for (std::size_t at = 0; at < kBlockEvents * sizeof(Event); at += 64) {
          __builtin_prefetch(ahead + at);
          asm volatile("" : : "r"(ahead + at));  // else GCC deletes a loop of nothing but prefetches
        }
      }
      const Event* const events = block(b);
      const std::uint32_t count = count_of(chain, b);
      for (std::uint32_t i = 0; i < count; ++i) {
        const Event& e = events[i];
        fine_[static_cast<std::size_t>(fine_bucket_in_ring(e.time)) & fine_mask_].push_back(e);
      }
      in_coarse_ -= count;
      in_fine_ += count;
      next_[b] = free_;
      free_ = b;
      b = next;
    }
    chain = Chain{};
  }

  // Sorts a bucket of at most kLanes events into current_ with no branch on
  // their times: an event's place is the number of events of the bucket with
  // an earlier time. The counts of all kLanes lanes go up together, in pairs
  // (two doubles to an SSE2 register), one event of the bucket at a time, so
  // the work grows with the events the bucket holds times kLanes / 2, not
  // with kLanes squared: 8 lanes for up to 8 events, 12 for up to 12, 16
  // beyond (a 12-lane step: PHOLD 0.58 ns an event faster). (Counted
  // for each event on its own over 16 padded times, buckets of 9 to 16
  // events had been slower than insertion sort; docs/performance.md.)
  // Returns false, leaving both as they were, when two times are equal
  // (their order is then that of the bucket).
  template <std::size_t kLanes>
  bool rank_sort(std::vector<Event>& bucket) noexcept {
    typedef double Times __attribute__((vector_size(16)));         // two times: an SSE2 register
    typedef std::int64_t Counts __attribute__((vector_size(16)));  // two counts
    static_assert(kLanes % 2 == 0 && kLanes <= 16, "lanes in pairs, at most 16: the check below takes a bit per count");
    constexpr std::size_t kPairs = kLanes / 2;
    const std::size_t n = bucket.size();
    assert(n <= kLanes);
    const Event* in = bucket.data();
    Times times[kPairs] = {};  // lanes beyond n are compared, but their counts are never read
    for (std::size_t i = 0; i < n; ++i) times[i / 2][i % 2] = in[i].time;
    Counts earlier[kPairs] = {};
    for (std::size_t j = 0; j < n; ++j) {
      const Times t = {in[j].time, in[j].time};
      for (std::size_t k = 0; k < kPairs; ++k) earlier[k] -= times[k] > t;  // a true lane is -1
    }
    std::uint32_t seen = 0;
    for (std::size_t i = 0; i < n; ++i) seen |= 1u << earlier[i / 2][i % 2];
    if (seen != (1u << n) - 1) [[unlikely]] return false;
    current_.resize(n);
    Event* out = current_.data() + n - 1;  // latest first
    for (std::size_t i = 0; i < n; ++i) out[-static_cast<std::ptrdiff_t>(earlier[i / 2][i % 2])] = in[i];
    bucket.clear();
    return true;
  }

  // Sorts a[0, n), part of a bucket as it was filled, latest first. An event
  // goes before every event of its time already sorted, which came before it
  // in the bucket: so among equal times the first in the bucket is popped
  // first.
  static void insertion_sort(Event* a, std::size_t n) noexcept {
    for (std::size_t i = 1; i < n; ++i) {
      const Event e = a[i];
      std::size_t j = i;
      while (j > 0 && !later(a[j - 1], e)) {
        a[j] = a[j - 1];
        --j;
      }
      a[j] = e;
    }
  }

  // The same order for current_ at any size in O(n log n) and without
  // allocating (once scratch_ has held as many events): runs of
  // kInsertionSortMax sorted by insertion_sort(), then merged in passes
  // through scratch_, each run merged as the first range with the run
  // before it (std::merge takes equal elements from its first range first,
  // and the later run holds the later events of a time). It uses scratch_,
  // so it runs only where rebuild() and refine() are not using it.
  void sort_stable() {
    Event* a = current_.data();
    const std::size_t n = current_.size();
    for (std::size_t begin = 0; begin < n; begin += kInsertionSortMax)
      insertion_sort(a + begin, std::min(kInsertionSortMax, n - begin));
    if (n <= kInsertionSortMax) return;
    // (Left at its size afterwards, not cleared: rebuild() and refine()
    // clear it before use, and a resize to a size it had writes nothing.)
    if (scratch_.size() < n) scratch_.resize(n);
    Event* from = a;
    Event* to = scratch_.data();
    for (std::size_t run = kInsertionSortMax; run < n; run *= 2) {
      for (std::size_t begin = 0; begin < n; begin += 2 * run) {
        const std::size_t mid = std::min(begin + run, n), end = std::min(begin + 2 * run, n);
        std::merge(from + mid, from + end, from + begin, from + mid, to + begin, later);
      }
      std::swap(from, to);
    }
    if (from != a) std::copy(from, from + n, a);
  }

  // Fine buckets about 2^j times fuller than the target (j = log2 of the
  // ratio, rounded, when it is more than kRefineAbove from 0; the ratio is
  // of the buckets' mean distinct times to the target when they are too
  // full, of their mean events when too empty, each bucket counted up to
  // kFineReserve):
  // refine(j), which costs about as much as opening the
  // active coarse bucket's fine buckets once (all F of them are emptied and
  // the unopened events re-spread). If F would leave its range or outgrow
  // the fine buckets already made, the whole queue is rebuilt at the
  // corrected width instead, and only if the fine buckets are more than
  // twice or less than half as full as the target and, since the last
  // rebuild, the checks have counted at least as many visits or events
  // opened (each check the larger of the two) as there are events pending,
  // so that a rebuild's cost is amortised, O(1) a visit or an event, however
  // the density moves.
  [[gnu::noinline]] void check_occupancy() {
    const double visits = static_cast<double>(fine_visits_);
    const double events_ratio = std::max(static_cast<double>(fine_opened_) / visits, 1e-3) / kTargetPerBucket;
    const double distinct_ratio =
        std::max(static_cast<double>(fine_opened_ - fine_tied_) / visits, 1e-3) / kTargetPerBucket;
    counted_since_rebuild_ += std::max(fine_visits_, fine_opened_);
    fine_opened_ = fine_tied_ = fine_visits_ = 0;
    // Narrower buckets only if they would split what they hold: its
    // distinct times (events at one time count once, so that a burst of
    // them, or a stream of nothing but such bursts, is not taken for a
    // denser stream). Wider ones only if the buckets hold few events to
    // sort (ties included, so that such a stream is not taken for a sparser
    // one either). Distinct times never outnumber events: never both.
    double ratio = 1.0;
    if (std::log2(distinct_ratio) > kRefineAbove) ratio = distinct_ratio;
    else if (std::log2(events_ratio) < -kRefineAbove) ratio = events_ratio;
    else return;
    const double log_ratio = std::log2(ratio);
    const long j = std::lround(log_ratio);
    // As far as F's range and the fine buckets already made allow (so that
    // a correction allocates nothing); a correction that does not fit, of
    // more than a factor two, rebuilds.
    const long now = static_cast<long>(fine_shift_);
    long max_shift = std::min<long>(kMaxFineShift, static_cast<long>(std::bit_width(fine_.size())) - 1);
    // Narrower buckets number the times of the ring 2^j times higher: they
    // must stay far below the clamp (kLastBucket), else a rebuild, which
    // moves the origin to the earliest pending time, is the correction.
    // (That also keeps a narrower refine from the C coarse buckets below
    // the clamp's, where the ring ends at it: ring_end_after(). A wider one
    // only moves the clamp's coarse bucket further out. And no check comes
    // while that bucket is the active one: its events are all in current_
    // once it opens, so current_ empties only with the queue.)
    while (max_shift > now && ring_end_ >= (kLastBucket >> (max_shift + 4))) --max_shift;
    const long shift = std::clamp<long>(now + j, kMinFineShift, max_shift);
    if (shift == now + j) {
      refine(static_cast<int>(j));
    } else if ((ratio > 2.0 || ratio < 0.5) && counted_since_rebuild_ >= size_) {
      rebuild(width_ / ratio);
    } else if (shift != now) {
      refine(static_cast<int>(shift - now));
    }
  }

  // Makes the fine buckets 2^j times narrower (j < 0: wider) and F 2^j times
  // larger, so that the coarse buckets keep their width: every coarse bucket,
  // the far heap and the origin stay as they are (the coarse bucket of a
  // time is the same, since scaling by a power of two is exact, for times
  // below the clamp, which check_occupancy() keeps the ring far from). The
  // active coarse bucket's unopened events are spread again (through
  // scratch_, in the order of the buckets: events at one time come from one
  // bucket, in order); with wider buckets, those that fall in the current
  // bucket's new range join current_, which is empty when this is called
  // (check_occupancy() runs only when a bucket is to be opened).
  [[gnu::noinline]] void refine(int j) {
    const unsigned shift = static_cast<unsigned>(static_cast<int>(fine_shift_) + j);
    const std::size_t fine = std::size_t{1} << shift;
    std::vector<Event>& pending = scratch_;
    pending.clear();
    take_fine(pending);
    assert(fine <= fine_.size());
    fine_shift_ = shift;
    fine_mask_ = fine - 1;
    width_ = std::ldexp(width_, -j);
    inv_width_ = std::ldexp(inv_width_, j);
    // The last new bucket within the current one's range (j > 0), or the new
    // bucket that holds it (j < 0); -1 stays -1.
    cur_ = j > 0 ? ((cur_ + 1) << j) - 1 : cur_ >> -j;
    in_fine_ = 0;
    assert(current_.empty());
    for (const Event& e : pending) {
      const std::int64_t f = fine_bucket(e.time);
      if (f <= cur_) {
        current_.push_back(e);
      } else {
        fine_[static_cast<std::size_t>(f) & fine_mask_].push_back(e);
        ++in_fine_;
      }
    }
    pending.clear();
    if (!current_.empty()) sort_stable();  // after scratch_ is free
    far_coarse_ = far_front_coarse();
    ++refines_;
  }

  [[nodiscard]] std::size_t fine_count() const noexcept { return fine_mask_ + 1; }
  // Fine buckets beyond the F in use: twice F (at most kMaxFine) are made
  // when the geometry is chosen, room for refine() to double F without
  // allocating, and kept.
  void grow_fine(std::size_t fine) {
    const std::size_t before = fine_.size();
    fine_.resize(fine);
    for (std::size_t i = before; i < fine; ++i) fine_[i].reserve(kFineReserve);
  }

  // Chooses the geometry for the events now pending and re-places them all;
  // the width is `width` if given, else estimated from the pending events.
  // They are gathered and placed again in an order that keeps equal times
  // in the order of their pushes (current_ read from its back).
  void rebuild(double width = 0.0) {
    std::vector<Event>& all = scratch_;
    all.clear();
    all.insert(all.end(), current_.rbegin(), current_.rend());
    current_.clear();
    take_fine(all);
    for (Chain& c : coarse_) {
      for (std::uint32_t b = c.head; b != kNil; b = next_[b])
        all.insert(all.end(), block(b), block(b) + count_of(c, b));
      c = Chain{};
    }
    pool_.clear();
    next_.clear();
    free_ = kNil;
    far_.drain([&all](const Event& e) { all.push_back(e); });
    const std::size_t n = all.size();
    assert(n == size_);

    const bool estimate_width = !(width > 0.0);
    if (estimate_width) width = width_;
    double origin = origin_;
    if (n >= 2) {
      // The width that puts kTargetPerBucket events in a fine bucket at the
      // density of the earliest eighth of the pending events (from a copy
      // of their times: `all` keeps its order).
      const std::size_t m = std::max<std::size_t>(1, n / 8);
      std::vector<Time>& times = times_;
      times.clear();
      for (const Event& e : all) times.push_back(e.time);
      std::nth_element(times.begin(), times.begin() + static_cast<std::ptrdiff_t>(m), times.end());
      const Time t_m = times[m];
      const Time t_0 = *std::min_element(times.begin(), times.begin() + static_cast<std::ptrdiff_t>(m));
      times.clear();
      const double estimate = kTargetPerBucket * (t_m - t_0) / static_cast<double>(m);
      // No width finer than a 10^-12 part of the earliest eighth's times
      // (nor than the smallest normal double), so that bucket numbers stay
      // far from their clamp: an estimate below it keeps the width as it
      // was, and so does a correction to a narrower one; a correction that
      // overflows is refused.
      const double finest =
          std::max(1e-12 * std::max(std::abs(t_0), std::abs(t_m)), std::numeric_limits<double>::min());
      if (estimate_width && std::isfinite(estimate) && estimate > finest) width = estimate;
      if (!estimate_width && !(std::isfinite(width) && width > finest))
        width = std::isfinite(width) ? std::max(width_, width) : width_;
      if (std::isfinite(t_0)) origin = t_0;
    } else if (n == 1 && std::isfinite(all[0].time)) {
      origin = all[0].time;
    }
    // F fine buckets per coarse one: about the square root of the number of
    // fine buckets the pending events fill at the front's density, so that
    // the fine buckets being filled and opened stay few enough for the
    // first-level cache. (A single level of up to 1,024 fine buckets for
    // small queues, as before, put each push of the model at 2,000 workers
    // into a line of its own outside that cache: PHOLD 25.0 -> 23.4 ns and
    // the model about 2 ns faster without it; docs/performance.md.)
    // C coarse buckets, covering four times that span.
    // A correction of the width alone (estimate_width false) keeps F, C and
    // the size thresholds: a queue whose size is steady is never rebuilt
    // with new storage.
    std::size_t fine = fine_count(), coarse = coarse_.size();
    if (estimate_width) {
      const double buckets = static_cast<double>(n) / kTargetPerBucket;
      fine = kMinFine;
      while (fine < kMaxFine && static_cast<double>(fine * fine) < buckets) fine *= 2;
      coarse = kMinCoarse;
      while (static_cast<double>(coarse * fine) < 4.0 * buckets) coarse *= 2;
    }
    set_geometry(fine, coarse, width, origin);
    if (estimate_width) set_thresholds(n);
    restart_counts();
    ++rebuilds_;
    for (const Event& e : all) place(e);
    all.clear();
  }

  void set_thresholds(std::size_t n) {
    const std::size_t basis = std::max(n, kMinBasis);
    grow_at_ = 2 * basis;
    shrink_at_ = basis > kMinBasis ? basis / 4 : 0;
  }
  // A new geometry: the occupancy is counted afresh, and rebuilds earned anew.
  void restart_counts() noexcept {
    fine_opened_ = fine_tied_ = fine_visits_ = 0;
    counted_since_rebuild_ = 0;
  }

  void set_geometry(std::size_t fine, std::size_t coarse, double width, double origin) {
    if (fine_.size() < std::min(2 * fine, kMaxFine)) grow_fine(std::min(2 * fine, kMaxFine));
    fine_mask_ = fine - 1;
    fine_shift_ = 0;
    while ((std::size_t{1} << fine_shift_) < fine) ++fine_shift_;
    coarse_.assign(coarse, Chain{});
    coarse_mask_ = coarse - 1;
    width_ = width;
    inv_width_ = 1.0 / width;
    origin_ = origin;
    // The fine bucket before the origin's is "current" (and empty), in coarse
    // bucket 0's range, so the first pop opens the origin's bucket.
    cur_ = -1;
    active_ = 0;
    ring_end_ = ring_end_after(0);
    in_fine_ = in_coarse_ = 0;
    far_coarse_ = far_front_coarse();
  }

  std::vector<Event> current_;             // the opened fine bucket, latest first
  std::vector<std::vector<Event>> fine_;   // the fine buckets of the active coarse bucket
  std::vector<Chain> coarse_;              // the ring of coarse buckets
  std::vector<Event> pool_;                // the coarse buckets' blocks of events
  std::vector<std::uint32_t> next_;        // each block's next in its chain, or in the free list
  std::uint32_t free_ = kNil;              // free blocks, linked by next_
  EventHeap far_;                          // events beyond the coarse ring
  std::vector<Event> scratch_;             // reused by rebuild(), refine() and sort_stable()
  std::vector<Time> times_;                // reused by rebuild()

  double width_ = 1.0, inv_width_ = 1.0, origin_ = 0.0;  // of a fine bucket
  std::size_t fine_mask_ = 0, coarse_mask_ = 0;
  unsigned fine_shift_ = 0;            // log2 of the fine buckets per coarse bucket
  std::int64_t cur_ = -1;              // fine bucket of current_
  std::int64_t active_ = 0;            // coarse bucket whose fine buckets are in fine_
  std::int64_t ring_end_ = 0;          // the first coarse bucket beyond the ring (ring_end_after)
  std::int64_t far_coarse_ = kNoFar;   // coarse bucket of far_.top(); kNoFar if none
  std::size_t in_fine_ = 0, in_coarse_ = 0;
  std::size_t size_ = 0;
  std::size_t grow_at_ = 2 * kMinBasis, shrink_at_ = 0;
  // Since the last check: fine buckets visited, the events of those opened,
  // and how many of those events repeat a time of their bucket, each bucket
  // counted up to kFineReserve events and distinct times.
  std::uint64_t fine_opened_ = 0, fine_tied_ = 0, fine_visits_ = 0;
  std::uint64_t counted_since_rebuild_ = 0;
  std::uint64_t rebuilds_ = 0, refines_ = 0;  // for tests and benchmarks
  std::uint64_t pushed_ = 0;
};

}  // namespace harmsim::core
