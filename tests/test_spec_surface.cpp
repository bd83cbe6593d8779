// SPEC.md's "Beyond the manual" surface, and the interfaces issues 15 (DTLS) and 16 spell out,
// used exactly as those texts write them: names, parameter and return types, const-ness,
// defaulted arguments, braced lists, std::optional, result<void>. A signature that drifts
// from the contract stops this file compiling; the runtime cases check that each item fails
// with the documented kind and leaves OpenSSL's error queue empty.
#include <chrono>
#include <cstddef>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include <openssl/err.h>
#include <openssl/x509_vfy.h>

#include "catch.hpp"
#include "certificates.hpp"
#include "checks.hpp"
#include "pyossl/pyossl.hpp"

namespace {

namespace crypto = pyossl::crypto;
namespace ssl = pyossl::ssl;
using pyossl::errc;
using pyossl::result;
using pyossl_test::must;

template <class T, class U>
inline constexpr bool same = std::is_same_v<T, U>;

// ---- Verification outside TLS, and revocation (pyossl::crypto) ----

// Only declared and used in unevaluated contexts: each line mirrors a SPEC sentence.
inline void verification_surface(crypto::X509Store& store, const crypto::X509& cert, crypto::CRL& crl,
                                 crypto::Revoked& revoked, crypto::PKey& key) {
  crypto::X509StoreContext braced(store, cert, {});
  crypto::X509StoreContext with_chain(store, cert, {cert, cert});
  crypto::X509StoreContext without_chain(store, cert);
  const std::vector<crypto::X509> chain{cert};
  crypto::X509StoreContext from_vector(store, cert, chain);
  static_assert(same<decltype(braced.verify_certificate()), result<void>>);
  static_assert(same<decltype(braced.get_verified_chain()), result<std::vector<crypto::X509>>>);
  static_assert(same<decltype(braced.set_store(store)), result<void>>);
  static_assert(same<decltype(braced.set_certificate(cert)), result<void>>);

  constexpr auto flags = crypto::X509StoreFlags::CRL_CHECK | crypto::X509StoreFlags::CRL_CHECK_ALL |
                         crypto::X509StoreFlags::IGNORE_CRITICAL | crypto::X509StoreFlags::X509_STRICT |
                         crypto::X509StoreFlags::ALLOW_PROXY_CERTS | crypto::X509StoreFlags::POLICY_CHECK |
                         crypto::X509StoreFlags::EXPLICIT_POLICY | crypto::X509StoreFlags::INHIBIT_MAP |
                         crypto::X509StoreFlags::CHECK_SS_SIGNATURE | crypto::X509StoreFlags::PARTIAL_CHAIN;
  static_assert(same<std::remove_const_t<decltype(flags)>, crypto::X509StoreFlags>);
  static_assert(same<decltype(store.set_flags(flags)), result<void>>);
  static_assert(same<decltype(store.set_time(std::chrono::system_clock::now())), result<void>>);
  static_assert(same<decltype(store.add_crl(crl)), result<void>>);
  static_assert(same<decltype(store.set_default_paths()), result<void>>);

  static_assert(std::is_default_constructible_v<crypto::CRL>);
  static_assert(same<decltype(crl.get_revoked()), std::optional<std::vector<crypto::Revoked>>>);
  static_assert(same<decltype(crl.add_revoked(revoked)), result<void>>);
  static_assert(same<decltype(crl.get_issuer()), crypto::X509Name>);
  static_assert(same<decltype(crl.set_version(1)), result<void>>);
  static_assert(same<decltype(crl.set_lastUpdate("20300101000000Z")), result<void>>);
  static_assert(same<decltype(crl.set_nextUpdate("20300101000000Z")), result<void>>);
  static_assert(same<decltype(crl.sign(cert, key, "sha256")), result<void>>);
  static_assert(same<decltype(crl.export_(cert, key)), result<std::string>>);
  static_assert(same<decltype(crl.export_(cert, key, crypto::FILETYPE_ASN1)), result<std::string>>);
  static_assert(same<decltype(crl.export_(cert, key, crypto::FILETYPE_PEM, 30)), result<std::string>>);
  static_assert(
      same<decltype(crl.export_(cert, key, crypto::FILETYPE_PEM, 30, "sha384")), result<std::string>>);

  static_assert(std::is_default_constructible_v<crypto::Revoked>);
  static_assert(same<decltype(revoked.set_serial("03AB")), result<void>>);
  static_assert(same<decltype(revoked.get_serial()), std::string>);
  static_assert(same<decltype(revoked.set_reason("keyCompromise")), result<void>>);
  static_assert(same<decltype(revoked.set_reason(std::string_view("keyCompromise"))), result<void>>);
  static_assert(same<decltype(revoked.set_reason(nullptr)), result<void>>);
  static_assert(same<decltype(revoked.get_reason()), std::optional<std::string>>);
  static_assert(same<decltype(crypto::Revoked::all_reasons()), std::vector<std::string>>);
  static_assert(same<decltype(revoked.set_rev_date("20300101000000Z")), result<void>>);
  static_assert(same<decltype(revoked.get_rev_date()), std::optional<std::string>>);

  static_assert(
      same<decltype(crypto::load_crl(crypto::FILETYPE_PEM, std::string_view())), result<crypto::CRL>>);
  static_assert(same<decltype(crypto::dump_crl(crypto::FILETYPE_PEM, crl)), result<std::string>>);
}

// ---- DTLS (issue 15) ----

inline void dtls_surface(ssl::Context& context, ssl::Connection& connection) {
  static_assert(same<decltype(ssl::Context::create(ssl::DTLS_METHOD)), result<ssl::Context>>);
  static_assert(same<decltype(ssl::Context::create(ssl::DTLS_SERVER_METHOD)), result<ssl::Context>>);
  static_assert(same<decltype(ssl::Context::create(ssl::DTLS_CLIENT_METHOD)), result<ssl::Context>>);
  static_assert(
      same<decltype(context.set_cookie_generate_callback([](ssl::Connection&) { return std::string(); })),
           result<void>>);
  static_assert(same<decltype(context.set_cookie_verify_callback(
                         [](ssl::Connection&, std::string_view) { return true; })),
                     result<void>>);
  static_assert(same<decltype(connection.DTLSv1_listen()), result<void>>);
  using timeout = decltype(connection.DTLSv1_get_timeout());
  static_assert(same<timeout, std::optional<typename timeout::value_type>>);
  static_assert(
      same<typename timeout::value_type,
           std::chrono::duration<typename timeout::value_type::rep, typename timeout::value_type::period>>);
  static_assert(same<decltype(connection.DTLSv1_handle_timeout()), result<bool>>);
  static_assert(same<decltype(connection.set_ciphertext_mtu(1200)), result<void>>);
  static_assert(std::is_integral_v<decltype(connection.get_cleartext_mtu())>);
  static_assert(same<decltype(pyossl::net::Socket::udp(AF_INET)), result<pyossl::net::Socket>>);
  static_assert(same<decltype(pyossl::net::Socket::udp()), result<pyossl::net::Socket>>);
  (void)(ssl::OP_NO_QUERY_MTU | ssl::OP_COOKIE_EXCHANGE);
}

// ---- Secure clients, ALPN, chains, key material, versions, caching, OCSP (issue 9) ----
// Compiled once issue 9's headers are in (default_context.hpp is its new header).
#if __has_include("pyossl/ssl/default_context.hpp")
#define PYOSSL_SPEC_HAS_TLS_SURFACE 1
inline void tls_surface(ssl::Context& ctx, ssl::Connection& conn, const ssl::Connection& cconn,
                        crypto::X509& cert, crypto::PKey& key) {
  static_assert(same<decltype(ssl::create_default_context()), result<ssl::Context>>);
  static_assert(same<decltype(ssl::create_default_context(ssl::purpose::server_auth)), result<ssl::Context>>);
  static_assert(same<decltype(ssl::create_default_context(ssl::purpose::client_auth)), result<ssl::Context>>);
  static_assert(same<decltype(ctx.set_check_hostname(true)), result<void>>);
  static_assert(same<decltype(ctx.get_check_hostname()), bool>);
  static_assert(same<decltype(conn.set_verify_hostname("example.com")), result<void>>);
  static_assert(same<decltype(conn.set_tlsext_host_name("example.com")), result<void>>);
  static_assert(same<decltype(ctx.set_alpn_protos({"h2", "http/1.1"})), result<void>>);
  static_assert(same<decltype(conn.set_alpn_protos({"h2", "http/1.1"})), result<void>>);
  const std::vector<std::string> protos{"h2"};
  static_assert(same<decltype(ctx.set_alpn_protos(protos)), result<void>>);
  static_assert(same<decltype(conn.set_alpn_protos(protos)), result<void>>);
  static_assert(
      same<decltype(ctx.set_alpn_select_callback(
               [](ssl::Connection&, const std::vector<std::string>& offered) -> std::optional<std::string> {
                 return offered.front();
               })),
           result<void>>);
  static_assert(same<decltype(cconn.get_alpn_proto_negotiated()), std::string>);
  static_assert(same<decltype(cconn.get_peer_cert_chain()), std::optional<std::vector<crypto::X509>>>);
  static_assert(same<decltype(cconn.get_verified_chain()), std::optional<std::vector<crypto::X509>>>);
  static_assert(same<decltype(cconn.get_certificate()), std::optional<crypto::X509>>);
  static_assert(same<decltype(cconn.get_client_ca_list()), std::vector<crypto::X509Name>>);
  static_assert(same<decltype(conn.export_keying_material("EXPORTER", 32)), result<std::string>>);
  static_assert(
      same<decltype(conn.export_keying_material("EXPORTER", 32, std::nullopt)), result<std::string>>);
  static_assert(same<decltype(conn.export_keying_material("EXPORTER", 32, "context")), result<std::string>>);
  static_assert(same<decltype(conn.get_finished()), std::optional<std::string>>);
  static_assert(same<decltype(conn.get_peer_finished()), std::optional<std::string>>);
  static_assert(same<decltype(conn.get_group_name()), std::optional<std::string>>);
  static_assert(
      same<decltype(ctx.set_keylog_callback([](ssl::Connection&, std::string_view) {})), result<void>>);
  static_assert(same<decltype(ctx.set_min_proto_version(TLS1_2_VERSION)), result<void>>);
  static_assert(same<decltype(ctx.set_max_proto_version(0)), result<void>>);
  static_assert(same<decltype(ctx.set_tls13_ciphersuites("TLS_AES_128_GCM_SHA256")), result<void>>);
  static_assert(same<decltype(ctx.set_groups("X25519:P-256")), result<void>>);
  static_assert(same<decltype(ctx.set_tmp_ecdh("prime256v1")), result<void>>);
  static_assert(same<decltype(ctx.set_session_cache_mode(0L)), result<long>>);
  static_assert(same<decltype(ctx.get_session_cache_mode()), long>);
  static_assert(same<decltype(ssl::SESS_CACHE_OFF), const long>);
  static_assert(same<decltype(ssl::SESS_CACHE_CLIENT), const long>);
  static_assert(same<decltype(ssl::SESS_CACHE_SERVER), const long>);
  static_assert(same<decltype(ssl::SESS_CACHE_BOTH), const long>);
  static_assert(same<decltype(ssl::SESS_CACHE_NO_AUTO_CLEAR), const long>);
  static_assert(same<decltype(ssl::SESS_CACHE_NO_INTERNAL_LOOKUP), const long>);
  static_assert(same<decltype(ssl::SESS_CACHE_NO_INTERNAL_STORE), const long>);
  static_assert(same<decltype(ssl::SESS_CACHE_NO_INTERNAL), const long>);
  static_assert(same<decltype(ssl::MODE_RELEASE_BUFFERS), const long>);
  static_assert(same<decltype(ctx.set_mode(ssl::MODE_RELEASE_BUFFERS)), result<long>>);
  static_assert(same<decltype(ctx.clear_mode(ssl::MODE_RELEASE_BUFFERS)), result<long>>);
  static_assert(same<decltype(conn.set_verify(ssl::VERIFY_PEER)), result<void>>);
  static_assert(same<decltype(conn.set_verify(ssl::VERIFY_PEER, [](ssl::Connection&, crypto::X509&, int, int,
                                                                   int) { return true; })),
                     result<void>>);
  static_assert(same<decltype(cconn.get_verify_mode()), decltype(ctx.get_verify_mode())>);
  static_assert(same<decltype(conn.use_certificate(cert)), result<void>>);
  static_assert(same<decltype(conn.use_privatekey(key)), result<void>>);
  static_assert(same<decltype(ctx.set_ocsp_server_callback([](ssl::Connection&) { return std::string(); })),
                     result<void>>);
  static_assert(
      same<decltype(ctx.set_ocsp_client_callback([](ssl::Connection&, std::string_view) { return true; })),
           result<void>>);
  static_assert(same<decltype(conn.request_ocsp()), result<void>>);
}
#endif

// ---- Issue 16: signing, text dumps, version info, state constants, sessions, curves, SRTP ----
// Compiled once issue 16's headers are in (sign.hpp is its new header).
#if __has_include("pyossl/crypto/sign.hpp")
#define PYOSSL_SPEC_HAS_ISSUE16_SURFACE 1
inline void issue16_surface(ssl::Context& ctx, ssl::Connection& conn, crypto::X509& cert, crypto::PKey& key,
                            crypto::X509Req& req, crypto::PKCS12& p12) {
  static_assert(same<decltype(crypto::sign(key, "data", "sha256")), result<std::string>>);
  static_assert(same<decltype(crypto::verify(cert, "signature", "data", "sha256")), result<void>>);
  (void)crypto::dump_certificate(crypto::FILETYPE_TEXT, cert);
  (void)crypto::dump_certificate_request(crypto::FILETYPE_TEXT, req);
  (void)crypto::dump_privatekey(crypto::FILETYPE_TEXT, key);
  static_assert(same<decltype(ssl::SSLeay_version(ssl::SSLEAY_VERSION)), std::string>);
  (void)ssl::SSLEAY_CFLAGS, (void)ssl::SSLEAY_BUILT_ON, (void)ssl::SSLEAY_PLATFORM, (void)ssl::SSLEAY_DIR;
  (void)ssl::VERSION_NUMBER;
  (void)ssl::ST_CONNECT, (void)ssl::ST_ACCEPT, (void)ssl::ST_MASK, (void)ssl::ST_INIT, (void)ssl::ST_BEFORE;
  (void)ssl::ST_OK, (void)ssl::ST_RENEGOTIATE;
  (void)conn.get_state();
  const ssl::Session empty;
  static_assert(same<decltype(conn.set_session(empty)), result<void>>);
  static_assert(same<decltype(p12.export_("passphrase", 2048, -1)), result<std::string>>);
  static_assert(same<decltype(crypto::get_elliptic_curves()), std::vector<crypto::EllipticCurve>>);
  static_assert(same<decltype(crypto::get_elliptic_curve("prime256v1")), result<crypto::EllipticCurve>>);
  static_assert(same<decltype(ctx.set_tlsext_use_srtp("SRTP_AES128_CM_SHA1_80")), result<void>>);
  (void)conn.get_selected_srtp_profile();
}
#endif

// A CA, a leaf it issued, and the CA's key, made once.
struct issued_pair {
  crypto::PKey ca_key = pyossl_test::generated_key(pyossl_test::ec_p256());
  crypto::X509 ca = pyossl_test::self_signed(pyossl_test::make_name({{"CN", "spec CA"}}), ca_key);
  crypto::X509 leaf = pyossl_test::make_certificate(pyossl_test::make_name({{"CN", "spec leaf"}}), ca_key,
                                                    pyossl_test::make_name({{"CN", "spec CA"}}), ca_key, 7);
};

}  // namespace

TEST_CASE("SPEC's verification surface compiles as written and fails as documented", "[spec]") {
  (void)&verification_surface;
  const issued_pair pair;
  crypto::X509Store store;
  crypto::X509StoreContext empty_store(store, pair.leaf, {});
  const auto rejected = empty_store.verify_certificate();
  REQUIRE_FAILS_WITH(rejected, errc::crypto);
  REQUIRE(rejected.error().verification().has_value());
  CHECK(rejected.error().verification()->code == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY);
  REQUIRE_FAILS_WITH(empty_store.get_verified_chain(), errc::crypto);

  REQUIRE_OK(store.add_cert(pair.ca));
  REQUIRE_OK(store.set_time(std::chrono::system_clock::now()));
  REQUIRE_OK(store.set_flags(crypto::X509StoreFlags::CRL_CHECK | crypto::X509StoreFlags::CRL_CHECK_ALL));
  // CRL checking with no CRL in the store: the store as it is now counts.
  REQUIRE_FAILS_WITH(empty_store.verify_certificate(), errc::crypto);
}

TEST_CASE("SPEC's CRL and Revoked surface fails as documented on bad input", "[spec]") {
  crypto::Revoked revoked;
  REQUIRE_FAILS_WITH(revoked.set_serial("not hex"), errc::invalid_argument);
  REQUIRE_FAILS_WITH(revoked.set_reason("no such reason"), errc::invalid_argument);
  REQUIRE_OK(revoked.set_reason("key compromise"));
  CHECK(revoked.get_reason() == std::optional<std::string>("Key Compromise"));
  REQUIRE_OK(revoked.set_reason(nullptr));
  CHECK_FALSE(revoked.get_reason().has_value());
  REQUIRE_FAILS_WITH(revoked.set_rev_date("yesterday"), errc::invalid_argument);
  CHECK_FALSE(crypto::Revoked::all_reasons().empty());

  crypto::CRL crl;
  CHECK_FALSE(crl.get_revoked().has_value());
  REQUIRE_FAILS_WITH(crl.set_lastUpdate("not a time"), errc::invalid_argument);
  REQUIRE_FAILS_WITH(crypto::load_crl(crypto::FILETYPE_PEM, "garbage"), errc::crypto);
  const issued_pair pair;
  REQUIRE_FAILS_WITH(crl.export_(pair.ca, pair.ca_key, crypto::FILETYPE_PEM, 1, "no-such-digest"),
                     errc::invalid_argument);
  REQUIRE_OK(crl.export_(pair.ca, pair.ca_key));
}

TEST_CASE("Issue 15's DTLS surface compiles as written and fails as documented", "[spec]") {
  (void)&dtls_surface;
  auto context = must(ssl::Context::create(ssl::DTLS_METHOD));
  ssl::Connection connection(context);
  REQUIRE_FAILS_WITH(connection.set_ciphertext_mtu(10), errc::invalid_argument);
  CHECK(connection.get_cleartext_mtu() == 0);
  CHECK_FALSE(connection.DTLSv1_get_timeout().has_value());

  auto tls = must(ssl::Context::create(ssl::TLS_METHOD));
  ssl::Connection over_tls(tls);
  CHECK_FALSE(over_tls.DTLSv1_listen().has_value());
  CHECK(ERR_peek_error() == 0UL);
}

#ifdef PYOSSL_SPEC_HAS_TLS_SURFACE
TEST_CASE("SPEC's modern TLS surface compiles as written and fails as documented", "[spec]") {
  (void)&tls_surface;
  auto ctx = must(ssl::Context::create(ssl::TLS_METHOD));
  REQUIRE_FAILS_WITH(ctx.set_alpn_protos(std::initializer_list<std::string_view>{}), errc::invalid_argument);
  REQUIRE_FAILS_WITH(ctx.set_alpn_protos({"h2", ""}), errc::invalid_argument);
  const std::string too_long(256, 'a');
  REQUIRE_FAILS_WITH(ctx.set_alpn_protos({std::string_view(too_long)}), errc::invalid_argument);
  REQUIRE_FAILS_WITH(ctx.set_alpn_protos(std::vector<std::string>{}), errc::invalid_argument);

  const auto previous = ctx.set_session_cache_mode(ssl::SESS_CACHE_OFF);
  REQUIRE_OK(previous);
  CHECK(*previous == ssl::SESS_CACHE_SERVER);
  CHECK(ctx.get_session_cache_mode() == ssl::SESS_CACHE_OFF);
  const auto with = ctx.set_mode(ssl::MODE_RELEASE_BUFFERS);
  REQUIRE_OK(with);
  CHECK((*with & ssl::MODE_RELEASE_BUFFERS) != 0);
  const auto without = ctx.clear_mode(ssl::MODE_RELEASE_BUFFERS);
  REQUIRE_OK(without);
  CHECK((*without & ssl::MODE_RELEASE_BUFFERS) == 0);

  auto client = must(ssl::create_default_context());
  CHECK(client.get_check_hostname());
  CHECK(client.get_verify_mode() == ssl::VERIFY_PEER);
  auto server = must(ssl::create_default_context(ssl::purpose::client_auth));
  CHECK_FALSE(server.get_check_hostname());
  CHECK(server.get_verify_mode() == ssl::VERIFY_NONE);
  ssl::Connection nameless(client);
  nameless.set_connect_state();
  REQUIRE_FAILS_WITH(nameless.do_handshake(), errc::invalid_argument);
  CHECK(nameless.bio_read(4096).value_or("").empty());  // nothing was sent

  ssl::Connection fresh(ctx);
  REQUIRE_FAILS_WITH(fresh.export_keying_material("EXPORTER", 32), errc::ssl);
  CHECK(fresh.get_alpn_proto_negotiated().empty());
  CHECK_FALSE(fresh.get_group_name().has_value());
  CHECK_FALSE(fresh.get_peer_cert_chain().has_value());
  CHECK_FALSE(fresh.get_certificate().has_value());

  auto checking = must(ssl::Context::create(ssl::TLS_METHOD));
  REQUIRE_OK(checking.set_check_hostname(true));
  CHECK(checking.get_verify_mode() == ssl::VERIFY_PEER);
}
#endif

#ifdef PYOSSL_SPEC_HAS_ISSUE16_SURFACE
TEST_CASE("Issue 16's surface compiles as written and fails as documented", "[spec]") {
  (void)&issue16_surface;
  const issued_pair pair;
  const auto signature = crypto::sign(pair.ca_key, "data", "sha256");
  REQUIRE_OK(signature);
  REQUIRE_OK(crypto::verify(pair.ca, *signature, "data", "sha256"));
  REQUIRE_FAILS_WITH(crypto::verify(pair.ca, *signature, "other data", "sha256"), errc::crypto);
  REQUIRE_FAILS_WITH(crypto::load_certificate(crypto::FILETYPE_TEXT, "text"), errc::invalid_argument);
  REQUIRE_FAILS_WITH(crypto::get_elliptic_curve("no such curve"), errc::invalid_argument);
  CHECK_FALSE(ssl::SSLeay_version(ssl::SSLEAY_VERSION).empty());

  auto ctx = must(ssl::Context::create(ssl::TLS_METHOD));
  ssl::Connection connection(ctx);
  CHECK_FALSE(connection.set_session(ssl::Session()).has_value());
  CHECK(ERR_peek_error() == 0UL);
}
#endif

// ---- Errors people read (issue 13's fidelity work; x509_time.hpp is its new header) ----
#if __has_include("pyossl/crypto/x509_time.hpp")
TEST_CASE("A system error reads as its errno text, and what() says each thing once", "[spec]") {
  crypto::X509Store store;
  const auto missing = store.load_locations("/nonexistent/pyossl-spec/ca.pem");
  REQUIRE_FAILS_WITH(missing, errc::crypto);
  const std::string message = missing.error().message();
  CHECK(message.find("No such file or directory") != std::string::npos);
  CHECK(message.find("reason(") == std::string::npos);
  auto ctx = must(ssl::Context::create(ssl::TLS_METHOD));
  try {
    pyossl::unwrap(ctx.use_certificate_file("/nonexistent/pyossl-spec/cert.pem"));
    FAIL("a missing certificate file was accepted");
  } catch (const pyossl::exception& e) {
    const std::string what = e.what();
    CHECK(what.find("No such file or directory") != std::string::npos);
    CHECK(what.find("No such file or directory") == what.rfind("No such file or directory"));
    CHECK(what.find("reason(") == std::string::npos);
  }
}
#endif
