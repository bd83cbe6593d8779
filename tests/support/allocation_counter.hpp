// Counts heap allocations: C++'s (a replaced global operator new, every form) and OpenSSL's
// own (CRYPTO_set_mem_functions). Include it in exactly one file of a program: it defines
// the replacement operators. Used by tests/test_connection_alloc.cpp and bench/echo_round.cpp.
#pragma once

#include <atomic>
#include <cstdlib>
#include <new>
#include <utility>

#include <openssl/crypto.h>

namespace pyossl_test {

inline std::atomic<long> cxx_allocations{0};      // operator new, every form
inline std::atomic<long> openssl_allocations{0};  // OpenSSL's malloc and realloc

struct allocation_counts {
  long cxx = 0;
  long openssl = 0;
};

[[nodiscard]] inline allocation_counts allocations_so_far() noexcept {
  return {cxx_allocations.load(), openssl_allocations.load()};
}

// Heap allocations (both kinds) made while running f.
template <class F>
[[nodiscard]] allocation_counts allocations_during(F&& f) {
  const allocation_counts before = allocations_so_far();
  std::forward<F>(f)();
  const allocation_counts after = allocations_so_far();
  return {after.cxx - before.cxx, after.openssl - before.openssl};
}

namespace detail {
inline void* counted_new(std::size_t size) noexcept {
  cxx_allocations.fetch_add(1, std::memory_order_relaxed);
  return std::malloc(size == 0 ? 1 : size);
}
inline void* counted_openssl_malloc(std::size_t size, const char* /*file*/, int /*line*/) {
  openssl_allocations.fetch_add(1, std::memory_order_relaxed);
  return std::malloc(size);
}
inline void* counted_openssl_realloc(void* address, std::size_t size, const char* /*file*/, int /*line*/) {
  openssl_allocations.fetch_add(1, std::memory_order_relaxed);
  return std::realloc(address, size);
}
inline void openssl_free(void* address, const char* /*file*/, int /*line*/) { std::free(address); }
}  // namespace detail

// OpenSSL accepts the counting functions only before it has allocated anything: call this
// first in main, or from a static initialiser. false when it was too late.
[[nodiscard]] inline bool count_openssl_allocations() noexcept {
  return CRYPTO_set_mem_functions(detail::counted_openssl_malloc, detail::counted_openssl_realloc,
                                  detail::openssl_free) == 1;
}

}  // namespace pyossl_test

// Every replaceable form, so that no allocation escapes the count and every one is freed by
// the matching function (the sanitizers check the pairing). All stay out of line:
// inlined, g++ would see `free` of what `operator new` returned (or `delete` of a malloc) and
// warn of a mismatch.
[[gnu::noinline]] void* operator new(std::size_t size) {
  if (void* p = pyossl_test::detail::counted_new(size)) return p;
  throw std::bad_alloc();
}
[[gnu::noinline]] void* operator new[](std::size_t size) {
  if (void* p = pyossl_test::detail::counted_new(size)) return p;
  throw std::bad_alloc();
}
[[gnu::noinline]] void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
  return pyossl_test::detail::counted_new(size);
}
[[gnu::noinline]] void* operator new[](std::size_t size, const std::nothrow_t&) noexcept {
  return pyossl_test::detail::counted_new(size);
}
[[gnu::noinline]] void operator delete(void* p) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete[](void* p) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete(void* p, std::size_t) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }
