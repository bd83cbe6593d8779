// The TLS set-up the SSL benchmarks share: one EC P-256 server identity made in-process,
// pyossl and raw-OpenSSL contexts with the same settings (TLS 1.3 only,
// TLS_AES_128_GCM_SHA256, X25519, the client verifying the server, Context::create's SSL
// modes), memory-BIO connections on both sides and the handshake that joins them.
// Used by bench_ssl (timings) and echo_round (instruction and allocation counts).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <new>
#include <span>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <pyossl/crypto/pkey.hpp>
#include <pyossl/crypto/x509.hpp>
#include <pyossl/crypto/x509_name.hpp>
#include <pyossl/crypto/x509_store.hpp>
#include <pyossl/detail/handle.hpp>
#include <pyossl/ssl/connection.hpp>
#include <pyossl/ssl/context.hpp>

namespace pyossl_bench {

namespace crypto = pyossl::crypto;
namespace ssl = pyossl::ssl;
using pyossl::errc;
using pyossl::detail::adopt;
using pyossl::detail::handle;

inline constexpr const char* cipher_suite = "TLS_AES_128_GCM_SHA256";
inline constexpr const char* key_exchange_group = "X25519";
// A TLS 1.3 AES-GCM record adds a 5-byte header, the 1-byte inner content type and a
// 16-byte tag to its plaintext: what bio_read_into must return for one send.
inline constexpr std::size_t record_overhead = 5 + 1 + 16;
inline constexpr std::size_t max_payload = 16 * 1024;             // one full TLS record
inline constexpr std::size_t wire_capacity = max_payload + 1024;  // a full record fits
inline constexpr std::size_t handshake_buffer = 16 * 1024;        // per bio_read while pumping

// Throws on a failed result: for the fixtures, made before any timing starts.
template <class R>
inline decltype(auto) must(R&& r, const char* what) {
  if (!r.has_value()) throw std::runtime_error(std::string(what) + ": " + r.error().message());
  if constexpr (!std::is_void_v<typename std::remove_cvref_t<R>::value_type>) return *std::forward<R>(r);
}

inline void must_native(bool ok, const char* what) {
  if (!ok) throw std::runtime_error(std::string(what) + " failed");
}

struct identity {
  crypto::X509 certificate;
  crypto::PKey key;
};

inline identity make_identity() {
  identity made;
  must(made.key.generate_key(crypto::TYPE_EC, 256), "generate_key");
  crypto::X509Name name;
  must(name.set("CN", "localhost"), "X509Name::set");
  must(made.certificate.set_version(2), "set_version");
  must(made.certificate.set_serial_number(1), "set_serial_number");
  must(made.certificate.gmtime_adj_notBefore(-3600), "gmtime_adj_notBefore");
  must(made.certificate.gmtime_adj_notAfter(24 * 3600), "gmtime_adj_notAfter");
  must(made.certificate.set_subject(name), "set_subject");
  must(made.certificate.set_issuer(name), "set_issuer");
  must(made.certificate.set_pubkey(made.key), "set_pubkey");
  must(made.certificate.sign(made.key, "sha256"), "sign");
  return made;
}

inline const identity& server_identity() {
  static const identity made = make_identity();
  return made;
}

// What both kinds of context set beyond their constructor: one suite, one group.
inline void pin_algorithms(SSL_CTX* ctx) {
  must_native(SSL_CTX_set_ciphersuites(ctx, cipher_suite) == 1, "SSL_CTX_set_ciphersuites");
  must_native(SSL_CTX_set1_groups_list(ctx, key_exchange_group) == 1, "SSL_CTX_set1_groups_list");
}

// ---- pyossl's side ----

struct pyossl_contexts {
  ssl::Context client;
  ssl::Context server;
};

inline pyossl_contexts make_pyossl_contexts() {
  const identity& id = server_identity();
  ssl::Context server = must(ssl::Context::create(ssl::TLS_SERVER_METHOD), "Context::create");
  must(server.set_min_proto_version(TLS1_3_VERSION), "set_min_proto_version");
  must(server.use_certificate(id.certificate), "use_certificate");
  must(server.use_privatekey(id.key), "use_privatekey");
  pin_algorithms(server.native_handle());

  ssl::Context client = must(ssl::Context::create(ssl::TLS_CLIENT_METHOD), "Context::create");
  must(client.set_min_proto_version(TLS1_3_VERSION), "set_min_proto_version");
  must(client.get_cert_store().add_cert(id.certificate), "add_cert");
  must(client.set_verify(ssl::VERIFY_PEER), "set_verify");
  pin_algorithms(client.native_handle());
  return {std::move(client), std::move(server)};
}

inline pyossl_contexts& shared_pyossl_contexts() {
  static pyossl_contexts contexts = make_pyossl_contexts();
  return contexts;
}

// Moves everything `from` wrote for its peer into `to`; false on any failure.
inline bool carry(ssl::Connection& from, ssl::Connection& to, std::span<std::byte> wire) {
  for (;;) {
    auto taken = from.bio_read_into(wire);
    if (!taken) return taken.error() == errc::want_read;  // nothing more waiting
    auto given = to.bio_write(wire.first(*taken));
    if (!given || *given != *taken) return false;
  }
}

// One handshake step of `connection`: sets `done` once it has finished, `failed` if it
// failed for any reason but waiting for the peer.
inline void step(ssl::Connection& connection, bool& done, bool& failed) {
  if (done) return;
  auto progress = connection.do_handshake();
  if (progress) {
    done = true;
  } else if (progress.error() != errc::want_read) {
    failed = true;
  }
}

// A whole handshake, either side's connections (pyossl's, or raw_connection below): each
// end steps, then what it wrote is carried to the other.
template <class Connection>
bool handshake(Connection& client, Connection& server, std::span<std::byte> wire) {
  bool client_done = false;
  bool server_done = false;
  bool failed = false;
  for (int round = 0; round < 8 && !(client_done && server_done) && !failed; ++round) {
    step(client, client_done, failed);
    if (failed || !carry(client, server, wire)) return false;
    step(server, server_done, failed);
    if (failed || !carry(server, client, wire)) return false;
  }
  return client_done && server_done && !failed;
}

// ---- the raw side ----

struct raw_contexts {
  handle<SSL_CTX> client;
  handle<SSL_CTX> server;
};

// The same settings as make_pyossl_contexts, with Context::create's modes spelled out.
inline raw_contexts make_raw_contexts() {
  const identity& id = server_identity();
  raw_contexts made{adopt(SSL_CTX_new(TLS_client_method())), adopt(SSL_CTX_new(TLS_server_method()))};
  must_native(made.client && made.server, "SSL_CTX_new");
  for (SSL_CTX* ctx : {made.client.get(), made.server.get()}) {
    must_native(SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION) == 1, "SSL_CTX_set_min_proto_version");
    SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    pin_algorithms(ctx);
  }
  must_native(SSL_CTX_use_certificate(made.server.get(), id.certificate.native_handle()) == 1,
              "SSL_CTX_use_certificate");
  must_native(SSL_CTX_use_PrivateKey(made.server.get(), id.key.native_handle()) == 1,
              "SSL_CTX_use_PrivateKey");
  must_native(
      X509_STORE_add_cert(SSL_CTX_get_cert_store(made.client.get()), id.certificate.native_handle()) == 1,
      "X509_STORE_add_cert");
  SSL_CTX_set_verify(made.client.get(), SSL_VERIFY_PEER, nullptr);
  return made;
}

inline raw_contexts& shared_raw_contexts() {
  static raw_contexts contexts = make_raw_contexts();
  return contexts;
}

// An SSL over two memory BIOs, as Connection(context) makes one.
struct raw_connection {
  handle<SSL> ssl;
  BIO* into_ssl = nullptr;  // owned by the SSL
  BIO* from_ssl = nullptr;  // owned by the SSL
};

inline raw_connection make_raw_connection(SSL_CTX* ctx) {
  raw_connection made{adopt(SSL_new(ctx))};
  auto into_ssl = adopt(BIO_new(BIO_s_mem()));
  auto from_ssl = adopt(BIO_new(BIO_s_mem()));
  if (!made.ssl || !into_ssl || !from_ssl) throw std::bad_alloc();
  BIO_set_mem_eof_return(into_ssl.get(), -1);
  BIO_set_mem_eof_return(from_ssl.get(), -1);
  made.into_ssl = into_ssl.get();
  made.from_ssl = from_ssl.get();
  SSL_set_bio(made.ssl.get(), into_ssl.release(), from_ssl.release());
  return made;
}

inline bool carry(const raw_connection& from, const raw_connection& to, std::span<std::byte> wire) {
  for (;;) {
    std::size_t taken = 0;
    if (BIO_read_ex(from.from_ssl, wire.data(), wire.size(), &taken) != 1) {
      return BIO_should_retry(from.from_ssl) != 0;  // nothing more waiting
    }
    std::size_t given = 0;
    if (BIO_write_ex(to.into_ssl, wire.data(), taken, &given) != 1 || given != taken) return false;
  }
}

inline void step(const raw_connection& connection, bool& done, bool& failed) {
  if (done) return;
  const int ret = SSL_do_handshake(connection.ssl.get());
  if (ret == 1) {
    done = true;
  } else if (SSL_get_error(connection.ssl.get(), ret) != SSL_ERROR_WANT_READ) {
    failed = true;
  }
}

// ---- the buffers both sides use ----

struct buffers {
  std::vector<std::byte> payload;
  std::vector<std::byte> wire = std::vector<std::byte>(wire_capacity);
  std::vector<std::byte> inbox = std::vector<std::byte>(max_payload);

  explicit buffers(std::size_t payload_size) : payload(payload_size) {
    for (std::size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<std::byte>(i * 31 + 7);
  }
  // Whether the last delivery arrived intact (checked once, after the timed loop).
  [[nodiscard]] bool delivered() const { return std::equal(payload.begin(), payload.end(), inbox.begin()); }
};

// What the connections negotiated must be what the benchmark claims to measure.
inline bool negotiated_as_pinned(SSL* client, SSL* server) {
  for (SSL* s : {client, server}) {
    if (SSL_version(s) != TLS1_3_VERSION) return false;
    const SSL_CIPHER* cipher = SSL_get_current_cipher(s);
    if (cipher == nullptr || std::strcmp(SSL_CIPHER_get_name(cipher), cipher_suite) != 0) return false;
  }
  return true;
}

}  // namespace pyossl_bench
