// pyossl::crypto::passphrase — what load_privatekey and dump_privatekey take for pyOpenSSL's
// `passphrase` argument: a string, or a callable that returns one.
#pragma once

#include <cstring>
#include <functional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>

#include <openssl/pem.h>

#include "pyossl/detail/callback.hpp"
#include "pyossl/detail/openssl_error.hpp"
#include "pyossl/error.hpp"

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
  using callback_type = std::function<std::string(bool writing)>;

  // No passphrase: loading an encrypted key fails with errc::crypto; OpenSSL never
  // prompts on the terminal instead.
  passphrase() noexcept = default;
  passphrase(std::string_view text) : source_(std::in_place_index<1>, text) {}  // NOLINT: implicit by design
  passphrase(const std::string& text) : source_(std::in_place_index<1>, text) {}  // NOLINT
  // A null pointer is no passphrase, as the default.
  passphrase(const char* text) {  // NOLINT
    if (text != nullptr) source_.emplace<1>(text);
  }

  // Any callable `std::string(bool writing)` (a lambda may return a const char* too). An
  // exception it throws comes out of the load_privatekey / dump_privatekey call.
  template <class F>
  requires(!std::is_convertible_v<F&&, std::string_view> &&
           !std::is_same_v<std::remove_cvref_t<F>, passphrase> &&
           std::is_invocable_r_v<std::string, std::remove_cvref_t<F>&, bool>) passphrase(F&& callback)
      : source_(std::in_place_index<2>, callback_type(std::forward<F>(callback))) {}  // NOLINT

  // True when no passphrase was given.
  [[nodiscard]] bool empty() const noexcept { return source_.index() == 0; }

  // The passphrase: the string, or what the callable returns for `writing`; "" when none.
  [[nodiscard]] std::string get(bool writing) const {
    switch (source_.index()) {
      case 1:
        return std::get<1>(source_);
      case 2:
        return std::get<2>(source_)(writing);
      default:
        return {};
    }
  }

 private:
  std::variant<std::monostate, std::string, callback_type> source_;
};

}  // namespace pyossl::crypto

namespace pyossl::detail {

// One pyossl call's passphrase while OpenSSL runs: the passphrase_callback trampoline's
// userdata. It lives on that call's stack, with the stash for the callback's exception.
class passphrase_request {
 public:
  passphrase_request(const crypto::passphrase& source, bool writing) noexcept
      : source_(source), writing_(writing) {}
  passphrase_request(const passphrase_request&) = delete;
  passphrase_request& operator=(const passphrase_request&) = delete;

  // The pem_password_cb trampoline: copies the passphrase into OpenSSL's buffer and
  // returns its length, or returns -1 (failing the OpenSSL call) when there is none, it is
  // empty, it does not fit, or the user's callable threw (the exception is stashed).
  static int callback(char* buffer, int size, int /*rwflag*/, void* userdata) noexcept {
    auto& request = *static_cast<passphrase_request*>(userdata);
    return request.stash_.guard([&] { return request.supply(buffer, size); }, -1);
  }

  // After the OpenSSL call returned: rethrows what the user's callable threw, if anything.
  void rethrow_pending() { stash_.rethrow_pending(); }

  // After the OpenSSL call failed: the error, told by what happened to the passphrase.
  // A passphrase too long for OpenSSL's buffer is errc::invalid_argument; the rest crypto.
  [[nodiscard]] unexpected<error> failure(std::string_view operation) const {
    switch (problem_) {
      case problem::missing:
        return fail(errc::crypto, operation, "the key is encrypted and no passphrase was given");
      case problem::empty:
        return fail(errc::crypto, operation, "the passphrase is empty");
      case problem::too_long:
        return fail(errc::invalid_argument, operation,
                    "the passphrase is longer than the " + std::to_string(limit_) + " bytes OpenSSL accepts");
      case problem::none:
        break;
    }
    return fail(errc::crypto, operation);
  }

 private:
  enum class problem { none, missing, empty, too_long };

  int supply(char* buffer, int size) {
    if (source_.empty()) return refuse(problem::missing);
    const std::string text = source_.get(writing_);
    if (text.empty()) return refuse(problem::empty);
    if (size < 0 || text.size() > static_cast<std::size_t>(size)) {
      limit_ = size < 0 ? 0 : size;
      return refuse(problem::too_long);
    }
    std::memcpy(buffer, text.data(), text.size());
    problem_ = problem::none;
    return static_cast<int>(text.size());
  }

  int refuse(problem why) noexcept {
    problem_ = why;
    return -1;
  }

  const crypto::passphrase& source_;
  bool writing_;
  exception_stash stash_;
  problem problem_ = problem::none;
  int limit_ = 0;
};

// OpenSSL's pem_password_cb for a passphrase_request (see passphrase_request::callback).
inline constexpr pem_password_cb* passphrase_callback = &passphrase_request::callback;

}  // namespace pyossl::detail
