// The state behind ssl::Context and ssl::Connection that OpenSSL's C callbacks reach, and
// the trampolines through which OpenSSL calls the user's verify, info and passphrase
// callbacks.
//
// Ownership: a Context and every Connection made from it share one context_state (a
// shared_ptr), which holds the SSL_CTX and the user's callables, so a callable lives as
// long as any SSL that may call it. Once a Connection exists the Context refuses changes
// (as pyOpenSSL 26 does), so the callables never change under a running handshake.
//
// Exceptions: each Connection owns a connection_link at a stable heap address, stored in
// its SSL's ex_data; a trampoline finds it from the SSL*, runs the callable through the
// link's exception_stash, and the Connection call that started the operation rethrows.
// Passphrase callbacks run during Context calls: their stash lives on that call's stack.
#pragma once

#include <algorithm>
#include <any>
#include <atomic>
#include <cstddef>
#include <cstring>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "pyossl/crypto/x509.hpp"
#include "pyossl/detail/callback.hpp"
#include "pyossl/detail/handle.hpp"
#include "pyossl/detail/verify_failure.hpp"
#include "pyossl/error.hpp"

namespace pyossl::ssl {
class Connection;
}

namespace pyossl::detail {

using verify_function = std::function<bool(ssl::Connection&, crypto::X509&, int, int, int)>;
using info_function = std::function<void(ssl::Connection&, int, int)>;
using passwd_function = std::function<std::string(std::size_t, bool, const std::any&)>;
using servername_function = std::function<void(ssl::Connection&)>;
using cookie_generate_function = std::function<std::string(ssl::Connection&)>;
using cookie_verify_function = std::function<bool(ssl::Connection&, std::string_view)>;

// Wraps any callable, move-only ones included, into something std::function can hold:
// the callable itself lives once, on the heap, shared by the copies std::function makes.
template <class F>
[[nodiscard]] auto shared_callable(F&& callable) {
  auto shared = std::make_shared<std::decay_t<F>>(std::forward<F>(callable));
  return [shared](auto&&... arguments) -> decltype(auto) {
    return (*shared)(std::forward<decltype(arguments)>(arguments)...);
  };
}

struct context_state {
  handle<SSL_CTX> ctx;
  std::atomic<bool> used{false};  // a Connection has been made: no more changes
  std::any app_data;
  verify_function verify;
  info_function info;
  passwd_function passwd;
  std::any passwd_userdata;
  servername_function servername;
  cookie_generate_function cookie_generate;  // DTLS
  cookie_verify_function cookie_verify;      // DTLS
};

// What OpenSSL's callbacks find through an SSL's ex_data.
struct connection_link {
  ssl::Connection* owner = nullptr;  // updated when the Connection moves
  // As OpenSSL does after SSL_set_SSL_CTX: the verify and servername callbacks stay those of
  // the Context the Connection was made with; the info callback is the current Context's.
  const context_state* context = nullptr;
  const context_state* current = nullptr;
  exception_stash stash;
  std::optional<verify_failure> last_verify_failure;  // the chain rejection seen last
  std::size_t oversized_cookie = 0;  // DTLS: the length of a cookie too long to send, if any
};

// The SSL ex_data slot that holds a Connection's link; allocated once per process.
[[nodiscard]] inline int connection_ex_index() noexcept {
  static const int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

[[nodiscard]] inline connection_link* link_of(const SSL* ssl) noexcept {
  if (ssl == nullptr) return nullptr;
  return static_cast<connection_link*>(SSL_get_ex_data(ssl, connection_ex_index()));
}

// SSL_CTX_set_verify's callback: runs the Context's verify callable, if any, with
// pyOpenSSL's arguments; its answer decides. Without one, OpenSSL's own verdict stands.
// A rejection is remembered so the failing handshake's error can say which certificate.
inline int verify_trampoline(int preverify_ok, X509_STORE_CTX* store) noexcept {
  auto* ssl = static_cast<SSL*>(X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx()));
  connection_link* link = link_of(ssl);
  if (link == nullptr) return preverify_ok;
  if (link->stash.pending()) return 0;
  int verdict = preverify_ok;
  if (link->context->verify) {
    verdict = link->stash.guard(
        [&]() -> int {
          ::X509* current = X509_STORE_CTX_get_current_cert(store);
          crypto::X509 cert = current != nullptr ? crypto::X509(up_ref(current)) : crypto::X509();
          const bool accepted = link->context->verify(*link->owner, cert, X509_STORE_CTX_get_error(store),
                                                      X509_STORE_CTX_get_error_depth(store), preverify_ok);
          return accepted ? 1 : 0;
        },
        0);
    if (verdict == 1) {
      X509_STORE_CTX_set_error(store, X509_V_OK);
    } else if (X509_STORE_CTX_get_error(store) == X509_V_OK) {
      X509_STORE_CTX_set_error(store, X509_V_ERR_APPLICATION_VERIFICATION);
    }
  }
  if (verdict == 0) {
    link->stash.guard(
        [&] {
          link->last_verify_failure = verify_failure_of(store);
          return 0;
        },
        0);
  }
  return verdict;
}

// SSL_CTX_set_info_callback's callback: runs the current Context's info callable, if any.
inline void info_trampoline(const SSL* ssl, int where, int ret) noexcept {
  connection_link* link = link_of(ssl);
  if (link == nullptr || !link->current->info || link->stash.pending()) return;
  link->stash.guard(
      [&] {
        link->current->info(*link->owner, where, ret);
        return 0;
      },
      0);
}

// The tlsext servername callback: runs the Context's callable; an exception aborts the
// handshake with a fatal alert.
inline int servername_trampoline(SSL* ssl, int* /*alert*/, void* /*arg*/) noexcept {
  connection_link* link = link_of(ssl);
  if (link == nullptr || !link->context->servername) return SSL_TLSEXT_ERR_OK;
  if (link->stash.pending()) return SSL_TLSEXT_ERR_ALERT_FATAL;
  return link->stash.guard(
      [&] {
        link->context->servername(*link->owner);
        return SSL_TLSEXT_ERR_OK;
      },
      SSL_TLSEXT_ERR_ALERT_FATAL);
}

// One Context call that may ask for a passphrase (use_privatekey_file, ...): the callable
// and userdata to use, and the stash for what it throws, on that call's stack.
struct passphrase_call {
  const passwd_function* callback = nullptr;
  const std::any* userdata = nullptr;
  exception_stash stash;
  bool too_long = false;  // the callable returned more than OpenSSL's buffer holds
};

// SSL_CTX_set_default_passwd_cb's callback. Without a callable it supplies no passphrase
// (OpenSSL's default would prompt on the terminal; a library must not). A passphrase
// longer than OpenSSL's buffer (maxlen) is refused: pyOpenSSL 0.10 cut it to fit, which
// only ever turned it into a wrong passphrase, so pyossl fails and says why instead.
inline int passwd_trampoline(char* buffer, int size, int rwflag, void* userdata) noexcept {
  auto* call = static_cast<passphrase_call*>(userdata);
  if (call == nullptr || call->callback == nullptr || !*call->callback || call->stash.pending() ||
      size <= 0) {
    return -1;
  }
  return call->stash.guard(
      [&] {
        std::string passphrase =
            (*call->callback)(static_cast<std::size_t>(size), rwflag != 0, *call->userdata);
        if (passphrase.size() > static_cast<std::size_t>(size)) {
          call->too_long = true;
          OPENSSL_cleanse(passphrase.data(), passphrase.size());
          return -1;
        }
        std::memcpy(buffer, passphrase.data(), passphrase.size());
        OPENSSL_cleanse(passphrase.data(), passphrase.size());
        return static_cast<int>(passphrase.size());
      },
      -1);
}

}  // namespace pyossl::detail
