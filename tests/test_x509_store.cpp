// pyossl::crypto::X509Store — manual 3.1.4 (add_cert), sharing by reference count, and
// load_locations beyond the manual.
#include <string>
#include <type_traits>
#include <utility>

#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include "catch.hpp"
#include "certificates.hpp"
#include "checks.hpp"
#include "keys.hpp"
#include "pyossl/crypto/certificate_io.hpp"
#include "pyossl/crypto/x509_store.hpp"
#include "temp_dir.hpp"

// OpenSSL's sk_X509_value is a macro that casts to `X509 *`: it must expand where X509 is
// still OpenSSL's struct.
static ::X509* certificate_at(const STACK_OF(X509) * certificates, int index) {
  return sk_X509_value(certificates, index);
}

// Inside a namespace, so that X509 names pyossl's class rather than OpenSSL's struct.
namespace {

using pyossl::errc;
using pyossl::crypto::PKey;
using pyossl::crypto::X509;
using pyossl::crypto::X509Store;
using pyossl_test::must;

PKey rsa_key() { return pyossl_test::generated_key(pyossl_test::rsa_2048()); }

X509 ca_certificate(std::string_view cn) {
  X509 cert = pyossl_test::self_signed(pyossl_test::make_name({{"CN", cn}}), rsa_key());
  return cert;
}

int certificates_in(const X509Store& store) {
  STACK_OF(X509)* certs = X509_STORE_get1_all_certs(store.native_handle());
  const int count = sk_X509_num(certs);
  const pyossl::detail::handle<STACK_OF(X509)> owned(certs);
  return count;
}

// Whether OpenSSL's verifier, trusting `store`, accepts `cert` (X509_verify_cert).
bool verifies(const X509Store& store, const X509& cert) {
  const pyossl::detail::handle<X509_STORE_CTX> context(X509_STORE_CTX_new());
  REQUIRE(X509_STORE_CTX_init(context.get(), store.native_handle(), cert.native_handle(), nullptr) == 1);
  const bool ok = X509_verify_cert(context.get()) == 1;
  ERR_clear_error();
  return ok;
}

TEST_CASE("a new X509Store is empty; copies share it and moves are noexcept", "[x509store]") {
  STATIC_REQUIRE(std::is_nothrow_move_constructible_v<X509Store>);
  X509Store store;
  REQUIRE(store.native_handle() != nullptr);
  CHECK(certificates_in(store) == 0);
  X509Store shared(store);
  CHECK(shared.native_handle() == store.native_handle());
  REQUIRE_OK(shared.add_cert(ca_certificate("shared")));
  CHECK(certificates_in(store) == 1);
  X509Store assigned;
  assigned = store;
  CHECK(assigned.native_handle() == store.native_handle());
}

TEST_CASE("X509Store::add_cert makes a certificate a trust anchor", "[x509store]") {
  const X509 ca = ca_certificate("anchor");
  X509Store store;
  CHECK_FALSE(verifies(store, ca));
  REQUIRE_OK(store.add_cert(ca));
  CHECK(certificates_in(store) == 1);
  CHECK(verifies(store, ca));
}

TEST_CASE("X509Store::add_cert of a certificate already there is not an error", "[x509store]") {
  const X509 ca = ca_certificate("duplicate");
  X509Store store;
  REQUIRE_OK(store.add_cert(ca));
  REQUIRE_OK(store.add_cert(ca));
  REQUIRE_OK(store.add_cert(X509(ca)));  // an equal certificate in another object
  CHECK(certificates_in(store) == 1);
  REQUIRE_OK(store.add_cert(ca_certificate("another")));
  CHECK(certificates_in(store) == 2);
}

TEST_CASE("X509Store keeps its own copy of an added certificate", "[x509store]") {
  X509 ca = ca_certificate("kept");
  X509Store store;
  REQUIRE_OK(store.add_cert(ca));
  REQUIRE_OK(ca.set_subject(pyossl_test::make_name({{"CN", "changed later"}})));
  const pyossl::detail::handle<STACK_OF(X509)> certs(X509_STORE_get1_all_certs(store.native_handle()));
  REQUIRE(sk_X509_num(certs.get()) == 1);
  const X509 stored(pyossl::detail::up_ref(certificate_at(certs.get(), 0)));
  CHECK(stored.get_subject().get("CN") == "kept");
  CHECK(stored.native_handle() != ca.native_handle());
}

TEST_CASE("X509Store::add_cert with a moved-from certificate or store fails with invalid_argument",
          "[x509store]") {
  X509 cert = ca_certificate("moved");
  const X509 kept = std::move(cert);
  X509Store store;
  REQUIRE_FAILS_WITH(store.add_cert(cert), errc::invalid_argument);  // NOLINT(bugprone-use-after-move)
  const X509Store other = std::move(store);
  REQUIRE_FAILS_WITH(store.add_cert(kept), errc::invalid_argument);  // NOLINT(bugprone-use-after-move)
  CHECK(certificates_in(other) == 0);
}

TEST_CASE("X509Store::load_locations trusts the certificates of a PEM file", "[x509store]") {
  const pyossl_test::temp_dir dir;
  const X509 first = ca_certificate("file one");
  const X509 second = ca_certificate("file two");
  pyossl_test::write_file(dir.file("cas.pem"),
                          must(pyossl::crypto::dump_certificate(pyossl::crypto::FILETYPE_PEM, first)) +
                              must(pyossl::crypto::dump_certificate(pyossl::crypto::FILETYPE_PEM, second)));
  X509Store store;
  REQUIRE_OK(store.load_locations(dir.file("cas.pem")));
  CHECK(certificates_in(store) == 2);
  CHECK(verifies(store, first));
  CHECK(verifies(store, second));
}

TEST_CASE("X509Store::load_locations with nothing usable fails cleanly", "[x509store]") {
  const pyossl_test::temp_dir dir;
  pyossl_test::write_file(dir.file("empty.pem"), "no certificates here\n");
  X509Store store;
  REQUIRE_FAILS_WITH(store.load_locations(""), errc::invalid_argument);
  REQUIRE_FAILS_WITH(store.load_locations(std::string_view("a\0b", 3)), errc::invalid_argument);
  REQUIRE_FAILS_WITH(store.load_locations(dir.file("missing.pem")), errc::crypto);
  REQUIRE_FAILS_WITH(store.load_locations(dir.file("empty.pem")), errc::crypto);
}

}  // namespace
