// The one trampoline pattern for user callbacks that OpenSSL calls from C.
//
// A C++ exception must never unwind through OpenSSL's C frames. So every trampoline runs
// the user's callable through exception_stash::guard(): an exception is caught there,
// stored, and the trampoline returns the value that makes OpenSSL fail the operation.
// The pyossl call that started the operation then calls rethrow_pending(), so the
// exception comes out of that call, on that object, as if nothing had been in between.
//
// callback<R(Args...)> is the one holder for every user callable pyossl keeps (verify,
// info, passphrase...): any callable, move-only ones included, without std::function.
#pragma once

#include <cstddef>
#include <exception>
#include <memory>
#include <type_traits>
#include <utility>

#include <openssl/err.h>

#include "pyossl/detail/config.hpp"

namespace pyossl::detail {

template <class Signature>
class callback;

// A user's callable `R(Args...)`, or nothing. The callable lives once, on the heap; copies
// of the holder share it (OpenSSL may still call the old one while a new one is set).
template <class R, class... Args>
class callback<R(Args...)> {
 public:
  callback() noexcept = default;
  callback(std::nullptr_t) noexcept {}  // NOLINT: "no callback", as for std::function
  template <class F>
  requires(!std::is_same_v<std::remove_cvref_t<F>, callback> &&
           std::is_invocable_r_v<R, std::decay_t<F>&, Args...>) explicit callback(F&& callable)
      : target_(std::make_shared<std::decay_t<F>>(std::forward<F>(callable))),
        call_(&invoke<std::decay_t<F>>) {}

  explicit operator bool() const noexcept { return call_ != nullptr; }
  // Runs the callable; calling an empty callback is a bug (check it first). The call holds
  // its own reference to the callable: one may drop this holder's last reference while it
  // runs (it replaces itself, or switches its Connection to another Context) and must
  // outlive that. So a trampoline can call the holder where it finds it.
  R operator()(Args... arguments) const {
    const std::shared_ptr<void> keep = target_;
    return call_(keep.get(), std::forward<Args>(arguments)...);
  }

 private:
  template <class F>
  static R invoke(void* target, Args&&... arguments) {
    if constexpr (std::is_void_v<R>) {
      (*static_cast<F*>(target))(std::forward<Args>(arguments)...);
    } else {
      return (*static_cast<F*>(target))(std::forward<Args>(arguments)...);
    }
  }

  std::shared_ptr<void> target_;
  R (*call_)(void*, Args&&...) = nullptr;
};

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
  void rethrow_pending();

  // Forgets a stored exception without throwing it (e.g. the object is being destroyed).
  void discard() noexcept { pending_ = nullptr; }

 private:
  std::exception_ptr pending_;
};

}  // namespace pyossl::detail

// Definitions: inline, or compiled once in the compiled mode (pyossl/detail/config.hpp).
#if PYOSSL_DEFINITIONS

namespace pyossl::detail {

PYOSSL_DECL void exception_stash::rethrow_pending() {
  if (!pending_) return;
  ERR_clear_error();
  std::exception_ptr caught = std::exchange(pending_, nullptr);
  std::rethrow_exception(caught);
}

}  // namespace pyossl::detail
#endif  // PYOSSL_DEFINITIONS
