#pragma once
// A global operator new that counts every heap allocation, for the programs
// that show the event loop allocates nothing (bench/phold_bench,
// bench/model_bench, tests/allocation). It replaces the global allocation
// functions, so include it in exactly one source file of a program.
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <new>

namespace harmsim::counting {

inline std::atomic<std::uint64_t> allocations{0};

// Heap allocations made so far by the program.
inline std::uint64_t count() { return allocations.load(std::memory_order_relaxed); }

// Out of line, so that GCC does not pair a visible free() with operator new
// (-Wmismatched-new-delete).
[[gnu::noinline]] inline void release(void* p) noexcept { std::free(p); }

[[gnu::noinline]] inline void* allocate(std::size_t n, std::size_t alignment) {
  allocations.fetch_add(1, std::memory_order_relaxed);
  void* p = alignment <= alignof(std::max_align_t)
                ? std::malloc(n == 0 ? 1 : n)
                : std::aligned_alloc(alignment, (n + alignment - 1) / alignment * alignment);
  if (p == nullptr) throw std::bad_alloc();
  return p;
}

}  // namespace harmsim::counting

void* operator new(std::size_t n) { return harmsim::counting::allocate(n, alignof(std::max_align_t)); }
void* operator new[](std::size_t n) { return harmsim::counting::allocate(n, alignof(std::max_align_t)); }
void* operator new(std::size_t n, std::align_val_t a) {
  return harmsim::counting::allocate(n, static_cast<std::size_t>(a));
}
void* operator new[](std::size_t n, std::align_val_t a) {
  return harmsim::counting::allocate(n, static_cast<std::size_t>(a));
}
void operator delete(void* p) noexcept { harmsim::counting::release(p); }
void operator delete[](void* p) noexcept { harmsim::counting::release(p); }
void operator delete(void* p, std::size_t) noexcept { harmsim::counting::release(p); }
void operator delete[](void* p, std::size_t) noexcept { harmsim::counting::release(p); }
void operator delete(void* p, std::align_val_t) noexcept { harmsim::counting::release(p); }
void operator delete[](void* p, std::align_val_t) noexcept { harmsim::counting::release(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { harmsim::counting::release(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { harmsim::counting::release(p); }
