// pyossl::ssl's protocol methods: what Context::create(method) makes a context speak.
//
// The values are pyOpenSSL's. SSLv23_METHOD is TLS_METHOD (OpenSSL's flexible method,
// every version this OpenSSL allows). The legacy one-version methods (SSLv3_METHOD,
// TLSv1_METHOD, TLSv1_1_METHOD, TLSv1_2_METHOD) are TLS_METHOD pinned to that one version
// with SSL_CTX_set_min/max_proto_version, as modern pyOpenSSL does; a version this
// OpenSSL cannot speak makes Context::create fail with errc::unsupported (SSLv2 always:
// OpenSSL removed it in 1.1.0; SSLv3 where OpenSSL was built without it, as Debian's is).
//
// TLS 1.0 and 1.1: OpenSSL 3 allows them only at security level 0. Context::create does
// not lower the level (neither does modern pyOpenSSL): call
// set_cipher_list("DEFAULT:@SECLEVEL=0") on both ends to handshake with those versions.
#pragma once

#include <openssl/ssl.h>

#include "pyossl/detail/config.hpp"

namespace pyossl::ssl {

enum class method : int {
  sslv2 = 1,
  sslv3 = 2,
  tls = 3,  // SSLv23_METHOD and TLS_METHOD
  tlsv1 = 4,
  tlsv1_1 = 5,
  tlsv1_2 = 6,
  tls_server = 8,
  tls_client = 9,
  dtls = 10,
  dtls_server = 11,
  dtls_client = 12,
};

inline constexpr method SSLv2_METHOD = method::sslv2;
inline constexpr method SSLv3_METHOD = method::sslv3;
inline constexpr method SSLv23_METHOD = method::tls;
inline constexpr method TLSv1_METHOD = method::tlsv1;
// Beyond the manual, as modern pyOpenSSL has them.
inline constexpr method TLSv1_1_METHOD = method::tlsv1_1;
inline constexpr method TLSv1_2_METHOD = method::tlsv1_2;
inline constexpr method TLS_METHOD = method::tls;
inline constexpr method TLS_SERVER_METHOD = method::tls_server;
inline constexpr method TLS_CLIENT_METHOD = method::tls_client;
// Datagram TLS (pyOpenSSL 26): every DTLS version this OpenSSL allows (1.0 and 1.2), or
// only its server or client side. DTLS 1.0, as TLS 1.0, works only at security level 0
// (set_cipher_list("DEFAULT:@SECLEVEL=0") on both ends). A DTLS Connection over memory BIOs keeps datagram
// boundaries (see Connection::bio_read); over a socket it needs a UDP one (Socket::udp).
inline constexpr method DTLS_METHOD = method::dtls;
inline constexpr method DTLS_SERVER_METHOD = method::dtls_server;
inline constexpr method DTLS_CLIENT_METHOD = method::dtls_client;

}  // namespace pyossl::ssl

namespace pyossl::detail {

// What one method means to OpenSSL: which SSL_METHOD, pinned to which version (0: none).
struct method_spec {
  const SSL_METHOD* (*make)() = nullptr;  // nullptr: OpenSSL 3 has no such protocol
  int version = 0;
  const char* name = "";
};

[[nodiscard]] PYOSSL_DECL method_spec spec_of(ssl::method m) noexcept;

}  // namespace pyossl::detail

// Definitions: inline, or compiled once in the compiled mode (pyossl/detail/config.hpp).
#if PYOSSL_DEFINITIONS

namespace pyossl::detail {

PYOSSL_DECL method_spec spec_of(ssl::method m) noexcept {
  switch (m) {
    case ssl::method::sslv2:
      return {nullptr, 0, "SSLv2"};
    case ssl::method::sslv3:
      return {TLS_method, SSL3_VERSION, "SSLv3"};
    case ssl::method::tls:
      return {TLS_method, 0, "TLS"};
    case ssl::method::tlsv1:
      return {TLS_method, TLS1_VERSION, "TLSv1"};
    case ssl::method::tlsv1_1:
      return {TLS_method, TLS1_1_VERSION, "TLSv1.1"};
    case ssl::method::tlsv1_2:
      return {TLS_method, TLS1_2_VERSION, "TLSv1.2"};
    case ssl::method::tls_server:
      return {TLS_server_method, 0, "TLS server"};
    case ssl::method::tls_client:
      return {TLS_client_method, 0, "TLS client"};
    case ssl::method::dtls:
      return {DTLS_method, 0, "DTLS"};
    case ssl::method::dtls_server:
      return {DTLS_server_method, 0, "DTLS server"};
    case ssl::method::dtls_client:
      return {DTLS_client_method, 0, "DTLS client"};
  }
  return {nullptr, -1, "unknown"};
}

}  // namespace pyossl::detail
#endif  // PYOSSL_DEFINITIONS
