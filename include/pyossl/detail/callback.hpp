// The one trampoline pattern for user callbacks that OpenSSL calls from C.
//
// A C++ exception must never unwind through OpenSSL's C frames. So every trampoline runs
// the user's callable through exception_stash::guard(): an exception is caught there,
// stored, and the trampoline returns the value that makes OpenSSL fail the operation.
// The pyossl call that started the operation then calls rethrow_pending(), so the
// exception comes out of that call, on that object, as if nothing had been in between.
#pragma once

#include <exception>
#include <utility>

#include <openssl/err.h>

namespace pyossl::detail {

class exception_stash {
 public:
  // Runs f(); if it throws, keeps the exception and returns on_exception instead.
  template <class F, class R>
  R guard(F&& f, R on_exception) noexcept {
    try {
      return std::forward<F>(f)();
    } catch (...) {
      // Keep the first exception: it is the cause, later ones are consequences.
      if (!pending_) pending_ = std::current_exception();
      return on_exception;
    }
  }

  [[nodiscard]] bool pending() const noexcept { return static_cast<bool>(pending_); }

  // Throws the stored exception, if any, and forgets it. What OpenSSL queued for the
  // operation the exception aborted is dropped: the exception is the report.
  void rethrow_pending() {
    if (!pending_) return;
    ERR_clear_error();
    std::exception_ptr caught = std::exchange(pending_, nullptr);
    std::rethrow_exception(caught);
  }

  // Forgets a stored exception without throwing it (e.g. the object is being destroyed).
  void discard() noexcept { pending_ = nullptr; }

 private:
  std::exception_ptr pending_;
};

}  // namespace pyossl::detail
