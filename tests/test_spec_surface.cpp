// SPEC.md's "Beyond the manual" surface, and the interfaces issues 15 (DTLS) and 16 spell out,
// used exactly as those texts write them: names, parameter and return types, const-ness,
// defaulted arguments, braced lists, std::optional, result<void>. A signature that drifts
// from the contract stops this file compiling; the runtime cases check that each item fails
// with the documented kind and leaves OpenSSL's error queue empty.
#include <chrono>
#include <cstddef>
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
  static_assert(same<decltype(crl.export_(cert, key, crypto::FILETYPE_PEM, 30, "sha384")), result<std::string>>);

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

  static_assert(same<decltype(crypto::load_crl(crypto::FILETYPE_PEM, std::string_view())), result<crypto::CRL>>);
  static_assert(same<decltype(crypto::dump_crl(crypto::FILETYPE_PEM, crl)), result<std::string>>);
}

// ---- DTLS (issue 15) ----

inline void dtls_surface(ssl::Context& context, ssl::Connection& connection) {
  static_assert(same<decltype(ssl::Context::create(ssl::DTLS_METHOD)), result<ssl::Context>>);
  static_assert(same<decltype(ssl::Context::create(ssl::DTLS_SERVER_METHOD)), result<ssl::Context>>);
  static_assert(same<decltype(ssl::Context::create(ssl::DTLS_CLIENT_METHOD)), result<ssl::Context>>);
  static_assert(same<decltype(context.set_cookie_generate_callback([](ssl::Connection&) { return std::string(); })),
                     result<void>>);
  static_assert(
      same<decltype(context.set_cookie_verify_callback([](ssl::Connection&, std::string_view) { return true; })),
           result<void>>);
  static_assert(same<decltype(connection.DTLSv1_listen()), result<void>>);
  using timeout = decltype(connection.DTLSv1_get_timeout());
  static_assert(same<timeout, std::optional<typename timeout::value_type>>);
  static_assert(same<typename timeout::value_type,
                     std::chrono::duration<typename timeout::value_type::rep, typename timeout::value_type::period>>);
  static_assert(same<decltype(connection.DTLSv1_handle_timeout()), result<bool>>);
  static_assert(same<decltype(connection.set_ciphertext_mtu(1200)), result<void>>);
  static_assert(std::is_integral_v<decltype(connection.get_cleartext_mtu())>);
  static_assert(same<decltype(pyossl::net::Socket::udp(AF_INET)), result<pyossl::net::Socket>>);
  static_assert(same<decltype(pyossl::net::Socket::udp()), result<pyossl::net::Socket>>);
  (void)(ssl::OP_NO_QUERY_MTU | ssl::OP_COOKIE_EXCHANGE);
}

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
