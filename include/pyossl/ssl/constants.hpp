// pyossl::ssl's constants: verify modes, options, shutdown states, file types and the
// info-callback codes of manual section 3.3 (the methods are in ssl/method.hpp).
//
// Flags are typed and combine with | (VERIFY_PEER | VERIFY_FAIL_IF_NO_PEER_CERT,
// OP_NO_SSLv3 | OP_NO_TLSv1); a plain int where OpenSSL hands pyossl a code it did not
// define (the info callback's `where`).
#pragma once

#include <cstdint>

#include <openssl/ssl.h>

#include "pyossl/crypto/filetype.hpp"
#include "pyossl/detail/bitmask.hpp"

namespace pyossl::ssl {

// ---- Verification (Context::set_verify, get_verify_mode) ----

// How a peer's certificate is asked for and checked. Calls SSL_CTX_set_verify's mode bits.
enum class verify_mode : int {
  none = SSL_VERIFY_NONE,  // do not ask a client; a client checks but never fails
  peer = SSL_VERIFY_PEER,  // ask for and check the peer's certificate
  fail_if_no_peer_cert = SSL_VERIFY_FAIL_IF_NO_PEER_CERT,  // server: a client without one fails
  client_once = SSL_VERIFY_CLIENT_ONCE,                    // server: ask only in the first handshake
  post_handshake = SSL_VERIFY_POST_HANDSHAKE,              // server, TLS 1.3: ask after the handshake
};
inline constexpr verify_mode VERIFY_NONE = verify_mode::none;
inline constexpr verify_mode VERIFY_PEER = verify_mode::peer;
inline constexpr verify_mode VERIFY_FAIL_IF_NO_PEER_CERT = verify_mode::fail_if_no_peer_cert;
inline constexpr verify_mode VERIFY_CLIENT_ONCE = verify_mode::client_once;
// Beyond the manual, as modern pyOpenSSL has it.
inline constexpr verify_mode VERIFY_POST_HANDSHAKE = verify_mode::post_handshake;

// ---- Options (Context::set_options) ----

// A set of SSL_OP_* bits (OpenSSL 3's 64-bit options).
enum class options : std::uint64_t {};

// The manual's options. OP_SINGLE_DH_USE and OP_EPHEMERAL_RSA are accepted and do
// nothing: OpenSSL 1.1 made fresh ephemeral keys the only behaviour and removed
// ephemeral RSA. OP_NO_SSLv2 is likewise 0: OpenSSL 3 has no SSLv2 to disable.
inline constexpr options OP_SINGLE_DH_USE{SSL_OP_SINGLE_DH_USE};
inline constexpr options OP_EPHEMERAL_RSA{SSL_OP_EPHEMERAL_RSA};
inline constexpr options OP_NO_SSLv2{SSL_OP_NO_SSLv2};
inline constexpr options OP_NO_SSLv3{SSL_OP_NO_SSLv3};
inline constexpr options OP_NO_TLSv1{SSL_OP_NO_TLSv1};
// Beyond the manual, as modern pyOpenSSL has them. Prefer Context::set_min_proto_version
// and set_max_proto_version to the OP_NO_TLS* bits.
inline constexpr options OP_NO_TLSv1_1{SSL_OP_NO_TLSv1_1};
inline constexpr options OP_NO_TLSv1_2{SSL_OP_NO_TLSv1_2};
inline constexpr options OP_NO_TLSv1_3{SSL_OP_NO_TLSv1_3};
inline constexpr options OP_NO_COMPRESSION{SSL_OP_NO_COMPRESSION};
inline constexpr options OP_NO_TICKET{SSL_OP_NO_TICKET};
inline constexpr options OP_NO_RENEGOTIATION{SSL_OP_NO_RENEGOTIATION};
inline constexpr options OP_CIPHER_SERVER_PREFERENCE{SSL_OP_CIPHER_SERVER_PREFERENCE};
inline constexpr options OP_NO_QUERY_MTU{SSL_OP_NO_QUERY_MTU};
inline constexpr options OP_COOKIE_EXCHANGE{SSL_OP_COOKIE_EXCHANGE};
inline constexpr options OP_TLS_ROLLBACK_BUG{SSL_OP_TLS_ROLLBACK_BUG};
inline constexpr options OP_DONT_INSERT_EMPTY_FRAGMENTS{SSL_OP_DONT_INSERT_EMPTY_FRAGMENTS};
inline constexpr options OP_LEGACY_SERVER_CONNECT{SSL_OP_LEGACY_SERVER_CONNECT};
inline constexpr options OP_ALLOW_UNSAFE_LEGACY_RENEGOTIATION{SSL_OP_ALLOW_UNSAFE_LEGACY_RENEGOTIATION};
inline constexpr options OP_IGNORE_UNEXPECTED_EOF{SSL_OP_IGNORE_UNEXPECTED_EOF};
inline constexpr options OP_ALL{SSL_OP_ALL};
// OpenSSL 3.0's servers refuse client-initiated renegotiation unless this is set.
inline constexpr options OP_ALLOW_CLIENT_RENEGOTIATION{SSL_OP_ALLOW_CLIENT_RENEGOTIATION};
// Bits OpenSSL no longer has, kept so ported code compiles; all 0.
inline constexpr options OP_NETSCAPE_CA_DN_BUG{SSL_OP_NETSCAPE_CA_DN_BUG};
inline constexpr options OP_MICROSOFT_SESS_ID_BUG{SSL_OP_MICROSOFT_SESS_ID_BUG};
inline constexpr options OP_SINGLE_ECDH_USE{SSL_OP_SINGLE_ECDH_USE};

// ---- Protocol versions (Context::set_min_proto_version, set_max_proto_version) ----
//
// pyOpenSSL spells them TLS1_VERSION, TLS1_1_VERSION, TLS1_2_VERSION, TLS1_3_VERSION:
// those are OpenSSL's own macros (<openssl/ssl.h>, included here), usable as they are in
// C++: ctx.set_min_proto_version(TLS1_2_VERSION); 0 means no limit. Connection::
// get_protocol_version returns the same values.

// ---- Session cache modes (Context::set_session_cache_mode) ----

inline constexpr long SESS_CACHE_OFF = SSL_SESS_CACHE_OFF;
inline constexpr long SESS_CACHE_CLIENT = SSL_SESS_CACHE_CLIENT;
inline constexpr long SESS_CACHE_SERVER = SSL_SESS_CACHE_SERVER;
inline constexpr long SESS_CACHE_BOTH = SSL_SESS_CACHE_BOTH;
inline constexpr long SESS_CACHE_NO_AUTO_CLEAR = SSL_SESS_CACHE_NO_AUTO_CLEAR;
inline constexpr long SESS_CACHE_NO_INTERNAL_LOOKUP = SSL_SESS_CACHE_NO_INTERNAL_LOOKUP;
inline constexpr long SESS_CACHE_NO_INTERNAL_STORE = SSL_SESS_CACHE_NO_INTERNAL_STORE;
inline constexpr long SESS_CACHE_NO_INTERNAL = SSL_SESS_CACHE_NO_INTERNAL;

// ---- Modes (Context::set_mode, clear_mode) ----

// Frees a connection's read and write buffers while it is idle (less memory per idle
// connection, an allocation when it wakes).
inline constexpr long MODE_RELEASE_BUFFERS = SSL_MODE_RELEASE_BUFFERS;
// Set by Context::create, as pyOpenSSL does: send may take part of the data, and may be
// retried with a buffer at another address.
inline constexpr long MODE_ENABLE_PARTIAL_WRITE = SSL_MODE_ENABLE_PARTIAL_WRITE;
inline constexpr long MODE_ACCEPT_MOVING_WRITE_BUFFER = SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER;
// On by default in OpenSSL 3: a blocking read retries after non-application records.
inline constexpr long MODE_AUTO_RETRY = SSL_MODE_AUTO_RETRY;

// ---- Shutdown state (Connection::get_shutdown, set_shutdown) ----

enum class shutdown_state : int {
  none = 0,
  sent = SSL_SENT_SHUTDOWN,          // we sent close_notify
  received = SSL_RECEIVED_SHUTDOWN,  // the peer's close_notify arrived
};
inline constexpr shutdown_state SENT_SHUTDOWN = shutdown_state::sent;
inline constexpr shutdown_state RECEIVED_SHUTDOWN = shutdown_state::received;

// ---- File types (Context::use_certificate_file, use_privatekey_file) ----

using crypto::filetype;
using crypto::FILETYPE_ASN1;
using crypto::FILETYPE_PEM;

// ---- The info callback's `where` bits (Context::set_info_callback) ----
//
// pyOpenSSL spells these SSL_CB_LOOP, SSL_ST_CONNECT, ...: those names are OpenSSL's own
// macros, usable as they are in C++ (`where & SSL_CB_HANDSHAKE_DONE`). A macro cannot be
// redeclared in a namespace, so pyossl's names drop the SSL_ prefix.
inline constexpr int ST_CONNECT = SSL_ST_CONNECT;
inline constexpr int ST_ACCEPT = SSL_ST_ACCEPT;
inline constexpr int ST_MASK = SSL_ST_MASK;
// pyOpenSSL 0.14's SSL_ST_INIT, SSL_ST_BEFORE, SSL_ST_OK, SSL_ST_RENEGOTIATE, which OpenSSL
// 1.1 dropped: OpenSSL 1.0's values, to read Connection::get_state with. No macro takes
// these names any more; they drop the prefix all the same, to read like their siblings.
inline constexpr int ST_INIT = SSL_ST_CONNECT | SSL_ST_ACCEPT;
inline constexpr int ST_BEFORE = 0x4000;
inline constexpr int ST_OK = 0x03;
inline constexpr int ST_RENEGOTIATE = 0x04 | ST_INIT;
inline constexpr int CB_LOOP = SSL_CB_LOOP;
inline constexpr int CB_EXIT = SSL_CB_EXIT;
inline constexpr int CB_READ = SSL_CB_READ;
inline constexpr int CB_WRITE = SSL_CB_WRITE;
inline constexpr int CB_ALERT = SSL_CB_ALERT;
inline constexpr int CB_READ_ALERT = SSL_CB_READ_ALERT;
inline constexpr int CB_WRITE_ALERT = SSL_CB_WRITE_ALERT;
inline constexpr int CB_ACCEPT_LOOP = SSL_CB_ACCEPT_LOOP;
inline constexpr int CB_ACCEPT_EXIT = SSL_CB_ACCEPT_EXIT;
inline constexpr int CB_CONNECT_LOOP = SSL_CB_CONNECT_LOOP;
inline constexpr int CB_CONNECT_EXIT = SSL_CB_CONNECT_EXIT;
inline constexpr int CB_HANDSHAKE_START = SSL_CB_HANDSHAKE_START;
inline constexpr int CB_HANDSHAKE_DONE = SSL_CB_HANDSHAKE_DONE;

// The bitmask operators for the flag types above.
using detail::bitmask_operators::operator|;
using detail::bitmask_operators::operator&;
using detail::bitmask_operators::operator^;
using detail::bitmask_operators::operator~;
using detail::bitmask_operators::operator|=;
using detail::bitmask_operators::operator&=;

}  // namespace pyossl::ssl

template <>
struct pyossl::detail::bitmask_enum<pyossl::ssl::verify_mode> : std::true_type {};
template <>
struct pyossl::detail::bitmask_enum<pyossl::ssl::options> : std::true_type {};
template <>
struct pyossl::detail::bitmask_enum<pyossl::ssl::shutdown_state> : std::true_type {};
