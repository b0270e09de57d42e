#pragma once
// Transparent huge pages for a replicate's large arrays. At a million workers
// the worker records (64 MB) and the event queue's storage (about 30 MB) are
// read at random places; with 4 kB pages nearly every such read also misses
// the TLB, and a page walk (two-dimensional in a virtual machine) costs more
// than the cache miss itself, which the event loop's prefetch cannot hide.
// Backed by 2 MB pages they need a few dozen TLB entries instead of tens of
// thousands (docs/performance.md, "The full model"). Linux gives huge pages
// to ranges advised with MADV_HUGEPAGE when transparent huge pages are set to
// "madvise" (Debian's default) or "always"; elsewhere this does nothing. The
// advice changes no value, so results are the same either way.
#include <cstddef>
#include <cstdint>

#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace harmsim::core {

inline constexpr std::size_t kHugePageBytes = std::size_t{2} << 20;

// Advises the whole 2 MB pages inside [data, data + bytes): call it before
// the range is first written, so that its pages are huge from the start.
inline void advise_huge_pages(const void* data, std::size_t bytes) noexcept {
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  const auto begin = reinterpret_cast<std::uintptr_t>(data);
  const std::uintptr_t first = (begin + kHugePageBytes - 1) & ~(kHugePageBytes - 1);
  const std::uintptr_t last = (begin + bytes) & ~(kHugePageBytes - 1);
  if (last > first) (void)::madvise(reinterpret_cast<void*>(first), last - first, MADV_HUGEPAGE);
#else
  (void)data;
  (void)bytes;
#endif
}

// v.reserve(n), with the reserved storage advised for huge pages (arrays
// under 2 MB are left alone: they have no whole huge page).
template <class Vector>
void reserve_huge(Vector& v, std::size_t n) {
  v.reserve(n);
  advise_huge_pages(v.data(), v.capacity() * sizeof(typename Vector::value_type));
}

}  // namespace harmsim::core
