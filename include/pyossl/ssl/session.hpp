// pyossl::ssl::Session — modern pyOpenSSL's SSL.Session (beyond the 0.10 manual): a TLS
// session that a later Connection made with the same Context can resume.
#pragma once

#include <utility>

#include <openssl/ssl.h>

#include "pyossl/detail/config.hpp"
#include "pyossl/detail/handle.hpp"

namespace pyossl::ssl {

class Connection;

// Made by Connection::get_session; used by Connection::set_session. Remembers the Context
// that made it: set_session on a Connection of any other Context is errc::invalid_argument.
// An established session does not change, so copies share it (by reference count), as
// PKey does.
class Session {
 public:
  // An empty session, as pyOpenSSL's Session() makes: nothing to resume, so set_session
  // refuses it (errc::invalid_argument). Sessions come from Connection::get_session.
  Session() noexcept = default;
  Session(const Session& other) noexcept
      : session_(detail::up_ref(other.session_.get())), context_(detail::up_ref(other.context_.get())) {}
  Session& operator=(const Session& other) noexcept;
  Session(Session&&) noexcept = default;
  Session& operator=(Session&&) noexcept = default;
  ~Session() = default;

  // Whether the session can still be resumed (false once OpenSSL marked it not
  // resumable, e.g. a TLS 1.3 session whose ticket was never received). Calls
  // SSL_SESSION_is_resumable.
  // An empty Session is never resumable.
  [[nodiscard]] bool is_resumable() const noexcept;

  // Whether this is an empty Session (default-constructed or moved from).
  [[nodiscard]] bool empty() const noexcept { return !session_; }

  // The SSL_SESSION, for calls pyossl does not wrap; nullptr for an empty Session.
  [[nodiscard]] SSL_SESSION* native_handle() const noexcept { return session_.get(); }

 private:
  friend class Connection;
  Session(detail::handle<SSL_SESSION> session, detail::handle<SSL_CTX> context) noexcept
      : session_(std::move(session)), context_(std::move(context)) {}

  detail::handle<SSL_SESSION> session_;
  detail::handle<SSL_CTX> context_;  // the context that made it
};

}  // namespace pyossl::ssl

// Definitions: inline, or compiled once in the compiled mode (pyossl/detail/config.hpp).
#if PYOSSL_DEFINITIONS

namespace pyossl::ssl {

PYOSSL_DECL Session& Session::operator=(const Session& other) noexcept {
  if (this != &other) *this = Session(other);
  return *this;
}

PYOSSL_DECL bool Session::is_resumable() const noexcept {
  return session_ && SSL_SESSION_is_resumable(session_.get()) == 1;
}

}  // namespace pyossl::ssl
#endif  // PYOSSL_DEFINITIONS
