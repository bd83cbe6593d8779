// The state behind ssl::Context and ssl::Connection that OpenSSL's C callbacks reach, and
// the trampolines through which OpenSSL calls the user's verify, info and servername
// callbacks (passphrases go through crypto/passphrase.hpp's one trampoline).
//
// Ownership: a Context and every Connection made from it share one context_state (a
// shared_ptr), which holds the SSL_CTX and the user's callables, so a callable lives as
// long as any SSL that may call it. Once a Connection exists the Context refuses changes
// (as pyOpenSSL 26 does). A callable can still lose its last owner while it runs: one that
// calls Connection::set_context (or set_verify) may drop the only reference to its own
// Context. The holder (detail::callback) keeps a running callable alive until it returns,
// so the trampolines here and in cookie_callbacks.hpp call it where they find it.
//
// Exceptions: each Connection owns a connection_link at a stable heap address, stored in
// its SSL's ex_data; a trampoline finds it from the SSL*, runs the callable through the
// link's exception_stash, and the Connection call that started the operation rethrows.
// Passphrase callbacks run during Context calls: their stash lives on that call's stack
// (detail::passphrase_request).
//
// A Connection may also have its own verify callable (Connection::set_verify); it lives in
// the link, and is kept alive while it runs like the others.
#pragma once

#include <algorithm>
#include <any>
#include <atomic>
#include <cstddef>
#include <memory>
#include <new>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include "pyossl/crypto/x509.hpp"
#include "pyossl/detail/callback.hpp"
#include "pyossl/detail/config.hpp"
#include "pyossl/detail/handle.hpp"
#include "pyossl/detail/verify_failure.hpp"
#include "pyossl/error.hpp"

namespace pyossl::ssl {
class Connection;
}

namespace pyossl::detail {

using verify_function = callback<bool(ssl::Connection&, crypto::X509&, int, int, int)>;
using info_function = callback<void(ssl::Connection&, int, int)>;
using passwd_function = callback<std::string(std::size_t, bool, const std::any&)>;
using servername_function = callback<void(ssl::Connection&)>;
using cookie_generate_function = callback<std::string(ssl::Connection&)>;
using cookie_verify_function = callback<bool(ssl::Connection&, std::string_view)>;
using alpn_select_function =
    callback<std::optional<std::string>(ssl::Connection&, const std::vector<std::string>&)>;
using keylog_function = callback<void(ssl::Connection&, std::string_view)>;
using ocsp_server_function = callback<std::string(ssl::Connection&)>;
using ocsp_client_function = callback<bool(ssl::Connection&, std::string_view)>;

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
  alpn_select_function alpn_select;
  keylog_function keylog;
  ocsp_server_function ocsp_server;
  ocsp_client_function ocsp_client;
  bool check_hostname = false;  // client Connections must have an expected host name
};

// A callable's answer that made OpenSSL fail the handshake, for the error to explain: the
// OpenSSL reason it leads to (SSL_R_*), and what the callable did, in words.
struct callback_refusal {
  int reason = 0;
  std::string text;
};

// What OpenSSL's callbacks find through an SSL's ex_data.
struct connection_link {
  ssl::Connection* owner = nullptr;  // updated when the Connection moves
  // As OpenSSL does after SSL_set_SSL_CTX: the verify and servername callbacks stay those of
  // the Context the Connection was made with; the info, ALPN, key-log and OCSP callbacks are
  // the current Context's.
  const context_state* context = nullptr;
  const context_state* current = nullptr;
  exception_stash stash;
  std::optional<verify_failure> last_verify_failure;  // the chain rejection seen last
  // DTLS: the length of a cookie the generate callable made that cannot be sent (empty, or
  // over 255 bytes), if any.
  std::optional<std::size_t> unusable_cookie;
  // A call failed this connection (errc::ssl or errc::syscall): OpenSSL then answers every
  // call with SSL_ERROR_SYSCALL and no errno, which for DTLS, where there is no end of file,
  // must not read as "Unexpected EOF".
  bool failed = false;
  // Connection::set_verify: this connection's own verify callable replaces the Context's.
  bool own_verify = false;
  verify_function verify;
  std::string expected_host;      // Connection::set_verify_hostname, for error messages
  bool hostname_missing = false;  // a hostname-checking client without an expected name yet
  std::string alpn_selected;      // what the ALPN select callable chose, while OpenSSL reads it
  callback_refusal refusal;       // why a callable's answer failed the handshake, if it did
  // The certificate last_verify_failure is about: OpenSSL keeps no peer certificate it
  // rejected, and the mismatch message lists its subjectAltNames.
  handle<::X509> last_rejected;
};

// The SSL ex_data slot that holds a Connection's link; allocated once per process.
[[nodiscard]] PYOSSL_DECL int connection_ex_index() noexcept;

[[nodiscard]] PYOSSL_DECL connection_link* link_of(const SSL* ssl) noexcept;

// Whether `code` says the certificate does not name what the connection expected (a host
// name, an IP address or an email address). OpenSSL reports these only when one was set.
[[nodiscard]] constexpr bool is_name_mismatch(long code) noexcept {
  return code == X509_V_ERR_HOSTNAME_MISMATCH || code == X509_V_ERR_IP_ADDRESS_MISMATCH ||
         code == X509_V_ERR_EMAIL_MISMATCH;
}

// SSL_CTX_set_verify's callback: runs the Context's verify callable, if any, with
// pyOpenSSL's arguments; its answer decides. Without one, OpenSSL's own verdict stands.
// One exception: a name mismatch stays a rejection whatever the callable answers (it is
// still called, and sees the error), because an "accept everything" callable must not
// silently turn host-name checking off (Python's check_hostname cannot be waived either).
// A rejection is remembered so the failing handshake's error can say which certificate.
PYOSSL_DECL int verify_trampoline(int preverify_ok, X509_STORE_CTX* store) noexcept;

// SSL_CTX_set_info_callback's callback: runs the current Context's info callable, if any.
PYOSSL_DECL void info_trampoline(const SSL* ssl, int where, int ret) noexcept;

// The tlsext servername callback: runs the Context's callable; an exception aborts the
// handshake with a fatal alert.
PYOSSL_DECL int servername_trampoline(SSL* ssl, int* /*alert*/, void* /*arg*/) noexcept;

// The trampolines below run the current Context's callables (after Connection::set_context,
// the new one's), because OpenSSL calls the callbacks of the SSL's current SSL_CTX.

// SSL_CTX_set_alpn_select_cb's callback (server): hands the client's offered protocols to
// the Context's callable. nullopt goes on without ALPN; a protocol the client did not offer
// (noted in link->refusal), or an exception, fails the handshake with a fatal alert.
PYOSSL_DECL int alpn_select_trampoline(SSL* ssl, const unsigned char** out, unsigned char* outlen,
                                       const unsigned char* in, unsigned int inlen, void* /*arg*/) noexcept;

// SSL_CTX_set_keylog_callback's callback: one NSS key-log line for the Context's callable.
// It cannot fail the handshake: an exception comes out of the Connection call that ran it.
PYOSSL_DECL void keylog_trampoline(const SSL* ssl, const char* line) noexcept;

// SSL_CTX_set_tlsext_status_cb's callback, which OpenSSL calls on both ends, and only when
// the client asked for a status (request_ocsp). Server: staples what the server callable
// returns (empty: nothing). Client: the client callable judges what was stapled (empty
// when nothing was); false fails the handshake (noted in link->refusal).
PYOSSL_DECL int ocsp_trampoline(SSL* ssl, void* /*arg*/) noexcept;

}  // namespace pyossl::detail

// Definitions: inline, or compiled once in the compiled mode (pyossl/detail/config.hpp).
#if PYOSSL_DEFINITIONS

namespace pyossl::detail {

PYOSSL_DECL int connection_ex_index() noexcept {
  static const int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

PYOSSL_DECL connection_link* link_of(const SSL* ssl) noexcept {
  if (ssl == nullptr) return nullptr;
  return static_cast<connection_link*>(SSL_get_ex_data(ssl, connection_ex_index()));
}

PYOSSL_DECL int verify_trampoline(int preverify_ok, X509_STORE_CTX* store) noexcept {
  auto* ssl = static_cast<SSL*>(X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx()));
  connection_link* link = link_of(ssl);
  if (link == nullptr) return preverify_ok;
  if (link->stash.pending()) return 0;
  int verdict = preverify_ok;
  if (link->own_verify ? static_cast<bool>(link->verify) : static_cast<bool>(link->context->verify)) {
    const bool name_mismatch = is_name_mismatch(X509_STORE_CTX_get_error(store));
    verdict = link->stash.guard(
        [&]() -> int {
          // The callable may replace itself (Connection::set_verify) while it runs: the
          // holder keeps it alive (detail::callback).
          const verify_function& callback = link->own_verify ? link->verify : link->context->verify;
          ::X509* current = X509_STORE_CTX_get_current_cert(store);
          crypto::X509 cert = current != nullptr ? crypto::X509(up_ref(current)) : crypto::X509();
          const bool accepted = callback(*link->owner, cert, X509_STORE_CTX_get_error(store),
                                         X509_STORE_CTX_get_error_depth(store), preverify_ok);
          return accepted ? 1 : 0;
        },
        0);
    if (name_mismatch) verdict = 0;  // the expected name is not the callable's to waive
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
          ::X509* rejected = X509_STORE_CTX_get_current_cert(store);
          link->last_rejected = rejected != nullptr ? up_ref(rejected) : handle<::X509>();
          return 0;
        },
        0);
  }
  return verdict;
}

PYOSSL_DECL void info_trampoline(const SSL* ssl, int where, int ret) noexcept {
  connection_link* link = link_of(ssl);
  if (link == nullptr || !link->current->info || link->stash.pending()) return;
  link->stash.guard(
      [&] {
        link->current->info(*link->owner, where, ret);
        return 0;
      },
      0);
}

PYOSSL_DECL int servername_trampoline(SSL* ssl, int* /*alert*/, void* /*arg*/) noexcept {
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

PYOSSL_DECL int alpn_select_trampoline(SSL* ssl, const unsigned char** out, unsigned char* outlen,
                                       const unsigned char* in, unsigned int inlen, void* /*arg*/) noexcept {
  connection_link* link = link_of(ssl);
  if (link == nullptr || !link->current->alpn_select) return SSL_TLSEXT_ERR_NOACK;
  if (link->stash.pending()) return SSL_TLSEXT_ERR_ALERT_FATAL;
  return link->stash.guard(
      [&] {
        std::vector<std::string> offered;
        for (unsigned int at = 0; at < inlen && at + 1 + in[at] <= inlen; at += 1U + in[at]) {
          offered.emplace_back(reinterpret_cast<const char*>(in + at + 1), in[at]);
        }
        std::optional<std::string> chosen = link->current->alpn_select(*link->owner, offered);
        if (!chosen) return SSL_TLSEXT_ERR_NOACK;
        if (std::find(offered.begin(), offered.end(), *chosen) == offered.end()) {
          link->refusal = {SSL_R_NO_APPLICATION_PROTOCOL, "the ALPN select callback chose \"" + *chosen +
                                                              "\", which the client did not offer"};
          return SSL_TLSEXT_ERR_ALERT_FATAL;
        }
        link->alpn_selected = std::move(*chosen);
        *out = reinterpret_cast<const unsigned char*>(link->alpn_selected.data());
        *outlen = static_cast<unsigned char>(link->alpn_selected.size());
        return SSL_TLSEXT_ERR_OK;
      },
      SSL_TLSEXT_ERR_ALERT_FATAL);
}

PYOSSL_DECL void keylog_trampoline(const SSL* ssl, const char* line) noexcept {
  connection_link* link = link_of(ssl);
  if (link == nullptr || !link->current->keylog || link->stash.pending() || line == nullptr) return;
  link->stash.guard(
      [&] {
        link->current->keylog(*link->owner, std::string_view(line));
        return 0;
      },
      0);
}

PYOSSL_DECL int ocsp_trampoline(SSL* ssl, void* /*arg*/) noexcept {
  connection_link* link = link_of(ssl);
  const bool server = SSL_is_server(ssl) != 0;
  if (link == nullptr) return server ? SSL_TLSEXT_ERR_NOACK : 1;
  if (server) {
    if (!link->current->ocsp_server) return SSL_TLSEXT_ERR_NOACK;
    if (link->stash.pending()) return SSL_TLSEXT_ERR_ALERT_FATAL;
    return link->stash.guard(
        [&] {
          const std::string response = link->current->ocsp_server(*link->owner);
          if (response.empty()) return SSL_TLSEXT_ERR_NOACK;
          handle<unsigned char> copy =
              adopt(static_cast<unsigned char*>(OPENSSL_memdup(response.data(), response.size())));
          if (!copy) throw std::bad_alloc();
          if (SSL_set_tlsext_status_ocsp_resp(ssl, copy.get(), static_cast<long>(response.size())) != 1) {
            return SSL_TLSEXT_ERR_ALERT_FATAL;
          }
          (void)copy.release();  // the SSL owns it now
          return SSL_TLSEXT_ERR_OK;
        },
        SSL_TLSEXT_ERR_ALERT_FATAL);
  }
  if (!link->current->ocsp_client) return 1;
  if (link->stash.pending()) return -1;
  return link->stash.guard(
      [&] {
        const unsigned char* response = nullptr;
        const long length = SSL_get_tlsext_status_ocsp_resp(ssl, &response);
        const std::string_view stapled =
            response != nullptr && length > 0
                ? std::string_view(reinterpret_cast<const char*>(response), static_cast<std::size_t>(length))
                : std::string_view();
        if (link->current->ocsp_client(*link->owner, stapled)) return 1;
        link->refusal = {SSL_R_INVALID_STATUS_RESPONSE,
                         stapled.empty() ? "the OCSP client callback returned false (nothing was stapled)"
                                         : "the OCSP client callback rejected the stapled response"};
        return 0;
      },
      -1);
}

}  // namespace pyossl::detail
#endif  // PYOSSL_DEFINITIONS
