// The one place that turns "an OpenSSL call just failed" into a pyossl::error.
//
// Every wrapper decides failure from the call's return value, then calls fail() (or
// openssl_error()), which drains OpenSSL's thread-local error queue into the error, so no
// stale entry survives to be misread by a later call.
#pragma once

#include <cstdio>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include <openssl/err.h>

#include "pyossl/detail/config.hpp"
#include "pyossl/error.hpp"

namespace pyossl::detail {

// OpenSSL's name for part of an error code, or "lib(N)" / "reason(N)" where it has none.
[[nodiscard]] PYOSSL_DECL std::string error_code_text(const char* text, const char* part, int number);

// The text of an errno value ("No such file or directory"); thread-safe, unlike strerror.
[[nodiscard]] PYOSSL_DECL std::string errno_text(int errnum);

// Pops every entry off this thread's OpenSSL error queue, oldest first.
//
// This and the two below run only when something failed: `cold` lets the compiler build
// them for size and keep them out of the way of the code that succeeds (about 14 % of a
// small TLS program's code, bench/README.md).
[[nodiscard, gnu::cold]] PYOSSL_DECL std::vector<error_queue_entry> drain_error_queue();

// The error for an operation that just failed: its kind, its name, and the drained queue.
// `reason` explains failures that OpenSSL queues nothing for (or pyossl's own checks).
[[nodiscard, gnu::cold]] PYOSSL_DECL error openssl_error(errc kind, std::string_view operation,
                                                         std::string_view reason = {});

// The same, ready to return from a function that returns result<T>.
[[nodiscard, gnu::cold]] PYOSSL_DECL unexpected<error> fail(errc kind, std::string_view operation,
                                                            std::string_view reason = {});

// The error for a failure that names static text (see static_text): allocates nothing when
// OpenSSL queued nothing, as for want_read; drains the queue into it otherwise.
[[nodiscard]] PYOSSL_DECL error static_error(errc kind, static_text operation, static_text reason = {});

// Empties this thread's error queue before a call whose failure is classified by it
// (SSL_get_error reads the queue). ERR_clear_error costs hundreds of nanoseconds even on
// an empty queue in OpenSSL 3.0 (bench/README.md), so hot paths peek first: the queue is
// just as empty afterwards, and the common case pays only the peek.
PYOSSL_DECL void clear_error_queue() noexcept;

// Drops what OpenSSL queues in a scope: ERR_set_mark on entry, ERR_pop_to_mark on exit.
// For cleanup that runs while an error is being reported (frees, rollbacks), and for
// calls whose failure is expected and not reported (a probe, a fallback). keep() keeps
// what was queued since the mark, for the caller to report (ERR_clear_last_mark on exit).
class error_queue_mark {
 public:
  error_queue_mark() noexcept { ERR_set_mark(); }
  ~error_queue_mark();
  error_queue_mark(const error_queue_mark&) = delete;
  error_queue_mark& operator=(const error_queue_mark&) = delete;

  void keep() noexcept { kept_ = true; }

 private:
  bool kept_ = false;
};

}  // namespace pyossl::detail

// Definitions: inline, or compiled once in the compiled mode (pyossl/detail/config.hpp).
#if PYOSSL_DEFINITIONS

namespace pyossl::detail {

PYOSSL_DECL std::string error_code_text(const char* text, const char* part, int number) {
  if (text != nullptr) return text;
  char fallback[48];
  std::snprintf(fallback, sizeof(fallback), "%s(%d)", part, number);
  return fallback;
}

PYOSSL_DECL std::string errno_text(int errnum) { return std::system_category().message(errnum); }

PYOSSL_DECL std::vector<error_queue_entry> drain_error_queue() {
  std::vector<error_queue_entry> entries;
  const char* func = nullptr;
  const char* data = nullptr;
  int flags = 0;
  while (unsigned long code = ERR_get_error_all(nullptr, nullptr, &func, &data, &flags)) {
    error_queue_entry& entry = entries.emplace_back();
    entry.code = code;
    entry.lib = error_code_text(ERR_lib_error_string(code), "lib", ERR_GET_LIB(code));
    if (func != nullptr) entry.func = func;
    if (ERR_SYSTEM_ERROR(code)) {
      // OpenSSL 3 packs errno into a system error's reason and has no text for it.
      entry.reason = errno_text(ERR_GET_REASON(code));
    } else {
      entry.reason = error_code_text(ERR_reason_error_string(code), "reason", ERR_GET_REASON(code));
    }
    if (data != nullptr && (flags & ERR_TXT_STRING) != 0) entry.data = data;
  }
  return entries;
}

PYOSSL_DECL error openssl_error(errc kind, std::string_view operation, std::string_view reason) {
  return error(kind, std::string(operation), drain_error_queue(), std::string(reason));
}

PYOSSL_DECL unexpected<error> fail(errc kind, std::string_view operation, std::string_view reason) {
  return unexpected<error>(openssl_error(kind, operation, reason));
}

PYOSSL_DECL error static_error(errc kind, static_text operation, static_text reason) {
  if (ERR_peek_error() == 0) return error(kind, operation, reason);
  return openssl_error(kind, *operation.text, reason.text != nullptr ? std::string_view(*reason.text) : "");
}

PYOSSL_DECL void clear_error_queue() noexcept {
  if (ERR_peek_error() != 0) ERR_clear_error();
}

PYOSSL_DECL error_queue_mark::~error_queue_mark() {
  if (kept_) {
    ERR_clear_last_mark();
  } else {
    ERR_pop_to_mark();
  }
}

}  // namespace pyossl::detail
#endif  // PYOSSL_DEFINITIONS
