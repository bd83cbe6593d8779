// The trampolines through which OpenSSL asks the user's DTLS cookie callbacks
// (Context::set_cookie_generate_callback / set_cookie_verify_callback) during
// Connection::DTLSv1_listen and a DTLS server's handshake. Like OpenSSL, which calls the
// callbacks of the SSL's current SSL_CTX, they run the current Context's callables (after
// Connection::set_context, the new one's). They follow the one callback pattern of
// ssl_state.hpp: find the Connection from the SSL, run the callable through its
// exception_stash, and let the Connection call that is running rethrow.
#pragma once

#include <cstddef>
#include <cstring>
#include <string>
#include <string_view>

#include <openssl/dtls1.h>
#include <openssl/ssl.h>

#include "pyossl/detail/config.hpp"
#include "pyossl/ssl/detail/ssl_state.hpp"

namespace pyossl::detail {

// SSL_CTX_set_cookie_generate_cb's callback: the cookie to send in a HelloVerifyRequest.
// One longer than DTLS allows (255 bytes) fails the operation, and so does an empty one:
// the client's retry would look cookieless and no client could ever pass. The
// Connection's error then says how long it was.
PYOSSL_DECL int cookie_generate_trampoline(SSL* ssl, unsigned char* cookie, unsigned int* length) noexcept;

// SSL_CTX_set_cookie_verify_cb's callback: whether a ClientHello's cookie is one we made.
// A refused cookie is treated as no cookie (a new HelloVerifyRequest), as RFC 6347 says.
PYOSSL_DECL int cookie_verify_trampoline(SSL* ssl, const unsigned char* cookie, unsigned int length) noexcept;

}  // namespace pyossl::detail

// Definitions: inline, or compiled once in the compiled mode (pyossl/detail/config.hpp).
#if PYOSSL_DEFINITIONS

namespace pyossl::detail {

PYOSSL_DECL int cookie_generate_trampoline(SSL* ssl, unsigned char* cookie, unsigned int* length) noexcept {
  connection_link* link = link_of(ssl);
  if (link == nullptr || !link->current->cookie_generate || link->stash.pending()) return 0;
  return link->stash.guard(
      [&] {
        const std::string made = link->current->cookie_generate(*link->owner);
        if (made.empty() || made.size() > DTLS1_COOKIE_LENGTH) {
          link->unusable_cookie = made.size();
          return 0;
        }
        std::memcpy(cookie, made.data(), made.size());
        *length = static_cast<unsigned int>(made.size());
        return 1;
      },
      0);
}

PYOSSL_DECL int cookie_verify_trampoline(SSL* ssl, const unsigned char* cookie,
                                         unsigned int length) noexcept {
  connection_link* link = link_of(ssl);
  if (link == nullptr || !link->current->cookie_verify || link->stash.pending()) return 0;
  return link->stash.guard(
      [&] {
        const std::string_view offered(reinterpret_cast<const char*>(cookie), length);
        return link->current->cookie_verify(*link->owner, offered) ? 1 : 0;
      },
      0);
}

}  // namespace pyossl::detail
#endif  // PYOSSL_DEFINITIONS
