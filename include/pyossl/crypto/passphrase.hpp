// pyossl::crypto::passphrase — what load_privatekey and dump_privatekey take for pyOpenSSL's
// `passphrase` argument: a string, or a callable that returns one. Also the one
// pem_password_cb trampoline (detail::passphrase_request) that every pyossl call asking
// OpenSSL for a passphrase uses, ssl::Context's set_passwd_cb included.
#pragma once

#include <cstddef>
#include <cstring>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include <openssl/crypto.h>
#include <openssl/pem.h>

#include "pyossl/detail/callback.hpp"
#include "pyossl/detail/config.hpp"
#include "pyossl/detail/openssl_error.hpp"
#include "pyossl/error.hpp"

namespace pyossl::detail {
class passphrase_request;
// Asks for a passphrase: (OpenSSL's buffer size, whether a key is being written).
using passphrase_source = callback<std::string(std::size_t maxlen, bool writing)>;
}  // namespace pyossl::detail

namespace pyossl::crypto {

// A passphrase for an encrypted private key: nothing (the default), a byte string, or a
// callable `std::string(bool writing)` asked only when OpenSSL needs the passphrase
// (`writing` is true when a key is being encrypted, as pyOpenSSL's callback argument).
// Built implicitly from either, so `load_privatekey(FILETYPE_PEM, pem, "secret")` and
// `load_privatekey(FILETYPE_PEM, pem, [](bool) { return ask_user(); })` both work.
// A passphrase is bytes: an embedded NUL is kept and used, never a place to cut it short.
// An empty passphrase (from a string or a callback) is refused when it is needed.
class passphrase {
 public:
  // No passphrase: loading an encrypted key fails with errc::crypto; OpenSSL never
  // prompts on the terminal instead.
  passphrase() noexcept = default;
  passphrase(std::string_view text) : text_(text), has_text_(true) {}    // NOLINT: implicit by design
  passphrase(const std::string& text) : text_(text), has_text_(true) {}  // NOLINT
  // A null pointer is no passphrase, as the default.
  passphrase(const char* text);

  // Any callable `std::string(bool writing)` (a lambda may return a const char* too),
  // move-only ones included. An exception it throws comes out of the load_privatekey /
  // dump_privatekey call.
  template <class F>
  requires(!std::is_convertible_v<F&&, std::string_view> &&
           !std::is_same_v<std::remove_cvref_t<F>, passphrase> &&
           std::is_invocable_r_v<std::string, std::decay_t<F>&, bool>) passphrase(F&& callback)  // NOLINT
      : ask_([callable = std::forward<F>(callback)](std::size_t, bool writing) mutable -> std::string {
          return callable(writing);
        }) {}

  // True when no passphrase was given.
  [[nodiscard]] bool empty() const noexcept { return !has_text_ && !ask_; }

  // The passphrase: the string, or what the callable returns for `writing`; "" when none.
  [[nodiscard]] std::string get(bool writing) const;

 private:
  friend class detail::passphrase_request;

  std::string text_;
  bool has_text_ = false;
  detail::passphrase_source ask_;
};

}  // namespace pyossl::crypto

namespace pyossl::detail {

// One pyossl call's passphrase while OpenSSL runs: the passphrase_callback trampoline's
// userdata. It lives on that call's stack, with the stash for the callback's exception.
// The one pem_password_cb of pyossl: crypto's load/dump functions and ssl::Context's
// *_file calls (set_passwd_cb) both go through it.
class passphrase_request {
 public:
  // The passphrase of a crypto call.
  passphrase_request(const crypto::passphrase& source, bool writing) noexcept
      : text_(source.has_text_ ? &source.text_ : nullptr), ask_(&source.ask_), writing_(writing) {}
  // A callable asked with OpenSSL's buffer size (ssl::Context's passwd callback); an
  // empty one gives no passphrase.
  passphrase_request(const passphrase_source& ask, bool writing) noexcept : ask_(&ask), writing_(writing) {}
  passphrase_request(const passphrase_request&) = delete;
  passphrase_request& operator=(const passphrase_request&) = delete;

  // The pem_password_cb trampoline: copies the passphrase into OpenSSL's buffer and
  // returns its length, or returns -1 (failing the OpenSSL call) when there is none, it is
  // empty, it does not fit, or the user's callable threw (the exception is stashed, and the
  // callable is not asked again during that call). A null userdata gives no passphrase.
  static int callback(char* buffer, int size, int /*rwflag*/, void* userdata) noexcept;

  // After the OpenSSL call returned: rethrows what the user's callable threw, if anything.
  void rethrow_pending() { stash_.rethrow_pending(); }

  // After the OpenSSL call failed: the error, told by what happened to the passphrase.
  // A passphrase too long for OpenSSL's buffer is errc::invalid_argument; the rest `kind`
  // (errc::crypto for crypto's functions, errc::ssl for ssl::Context's).
  [[nodiscard]] unexpected<error> failure(std::string_view operation, errc kind = errc::crypto) const;

 private:
  enum class problem { none, missing, empty, too_long };

  int supply(char* buffer, int size);

  int copy(char* buffer, std::size_t limit, const std::string& text) noexcept;

  int refuse(problem why) noexcept {
    problem_ = why;
    return -1;
  }

  const std::string* text_ = nullptr;
  const passphrase_source* ask_;
  bool writing_;
  exception_stash stash_;
  problem problem_ = problem::none;
  std::size_t limit_ = 0;
};

// OpenSSL's pem_password_cb for a passphrase_request (see passphrase_request::callback).
inline constexpr pem_password_cb* passphrase_callback = &passphrase_request::callback;

}  // namespace pyossl::detail

// Definitions: inline, or compiled once in the compiled mode (pyossl/detail/config.hpp).
#if PYOSSL_DEFINITIONS

namespace pyossl::crypto {

PYOSSL_DECL passphrase::passphrase(const char* text) : has_text_(text != nullptr) {  // NOLINT
  if (text != nullptr) text_ = text;
}

PYOSSL_DECL std::string passphrase::get(bool writing) const {
  if (ask_) return ask_(0, writing);
  return text_;
}

}  // namespace pyossl::crypto

namespace pyossl::detail {

PYOSSL_DECL int passphrase_request::callback(char* buffer, int size, int /*rwflag*/,
                                             void* userdata) noexcept {
  if (userdata == nullptr) return -1;
  auto& request = *static_cast<passphrase_request*>(userdata);
  if (request.stash_.pending()) return -1;
  return request.stash_.guard([&] { return request.supply(buffer, size); }, -1);
}

PYOSSL_DECL unexpected<error> passphrase_request::failure(std::string_view operation, errc kind) const {
  switch (problem_) {
    case problem::missing:
      return fail(kind, operation, "the key is encrypted and no passphrase was given");
    case problem::empty:
      return fail(kind, operation, "the passphrase is empty");
    case problem::too_long:
      return fail(errc::invalid_argument, operation,
                  "the passphrase is longer than the " + std::to_string(limit_) +
                      " bytes OpenSSL accepts (maxlen); it is never cut to fit");
    case problem::none:
      break;
  }
  return fail(kind, operation);
}

PYOSSL_DECL int passphrase_request::supply(char* buffer, int size) {
  const std::size_t limit = size < 0 ? 0 : static_cast<std::size_t>(size);
  if (*ask_) {
    std::string text = (*ask_)(limit, writing_);
    const int supplied = copy(buffer, limit, text);
    OPENSSL_cleanse(text.data(), text.size());
    return supplied;
  }
  if (text_ == nullptr) return refuse(problem::missing);
  return copy(buffer, limit, *text_);
}

PYOSSL_DECL int passphrase_request::copy(char* buffer, std::size_t limit, const std::string& text) noexcept {
  if (text.empty()) return refuse(problem::empty);
  if (text.size() > limit) {
    limit_ = limit;
    return refuse(problem::too_long);
  }
  std::memcpy(buffer, text.data(), text.size());
  problem_ = problem::none;
  return static_cast<int>(text.size());
}

}  // namespace pyossl::detail
#endif  // PYOSSL_DEFINITIONS
