// pyossl::crypto::load_certificate / dump_certificate (manual 3.1): PEM and DER both
// ways, every kind of bad input, and interop with the openssl command-line tool.
#include <string>
#include <string_view>
#include <utility>

#include "catch.hpp"
#include "certificates.hpp"
#include "checks.hpp"
#include "keys.hpp"
#include "process.hpp"
#include "pyossl/crypto/certificate_io.hpp"
#include "pyossl/crypto/key_io.hpp"
#include "temp_dir.hpp"

// Inside a namespace, so that X509 names pyossl's class rather than OpenSSL's struct.
namespace {

using pyossl::errc;
using pyossl::crypto::dump_certificate;
using pyossl::crypto::FILETYPE_ASN1;
using pyossl::crypto::FILETYPE_PEM;
using pyossl::crypto::filetype;
using pyossl::crypto::load_certificate;
using pyossl::crypto::PKey;
using pyossl::crypto::X509;
using pyossl_test::must;

PKey rsa_key() { return pyossl_test::generated_key(pyossl_test::rsa_2048()); }

X509 sample_certificate() {
  return pyossl_test::self_signed(pyossl_test::make_name({{"C", "US"}, {"CN", "io.test"}}), rsa_key());
}

TEST_CASE("dump_certificate then load_certificate round-trips in PEM and DER", "[certificate_io]") {
  const filetype type = GENERATE(FILETYPE_PEM, FILETYPE_ASN1);
  const X509 cert = sample_certificate();
  const auto dumped = dump_certificate(type, cert);
  REQUIRE_OK(dumped);
  if (type == FILETYPE_PEM) {
    CHECK(dumped->starts_with("-----BEGIN CERTIFICATE-----\n"));
    CHECK(dumped->ends_with("-----END CERTIFICATE-----\n"));
  } else {
    CHECK(static_cast<unsigned char>(dumped->front()) == 0x30);
  }
  const auto loaded = load_certificate(type, *dumped);
  REQUIRE_OK(loaded);
  CHECK(*loaded->digest("sha256") == *cert.digest("sha256"));
  CHECK(loaded->get_subject() == cert.get_subject());
  CHECK(*dump_certificate(type, *loaded) == *dumped);
}

TEST_CASE("load_certificate of PEM takes the first certificate and skips text around it", "[certificate_io]") {
  const X509 first = sample_certificate();
  const X509 second = pyossl_test::self_signed(pyossl_test::make_name({{"CN", "second"}}), rsa_key());
  const std::string pem = "Subject: io.test\nsome commentary\n" + must(dump_certificate(FILETYPE_PEM, first)) +
                          must(dump_certificate(FILETYPE_PEM, second)) + "trailing text\n";
  const auto loaded = load_certificate(FILETYPE_PEM, pem);
  REQUIRE_OK(loaded);
  CHECK(loaded->get_subject().get("CN") == "io.test");
}

TEST_CASE("load_certificate of bad input fails with crypto", "[certificate_io]") {
  const X509 cert = sample_certificate();
  const std::string pem = must(dump_certificate(FILETYPE_PEM, cert));
  const std::string der = must(dump_certificate(FILETYPE_ASN1, cert));
  const std::string key_pem = must(pyossl::crypto::dump_privatekey(FILETYPE_PEM, rsa_key()));
  std::string corrupted = pem;
  corrupted[pem.size() / 2] = '*';  // not a base64 character
  std::string encrypted_header = pem;
  encrypted_header.insert(std::string("-----BEGIN CERTIFICATE-----\n").size(),
                          "Proc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00000000000000000000000000000000\n\n");

  const auto [type, buffer, what] = GENERATE_COPY(values<std::tuple<filetype, std::string, std::string>>({
      {FILETYPE_PEM, "", "empty"},
      {FILETYPE_ASN1, "", "empty"},
      {FILETYPE_PEM, "garbage, not a certificate", "garbage"},
      {FILETYPE_ASN1, "garbage, not a certificate", "garbage"},
      {FILETYPE_PEM, pem.substr(0, pem.size() / 2), "truncated PEM"},
      {FILETYPE_ASN1, der.substr(0, der.size() - 1), "truncated DER"},
      {FILETYPE_ASN1, der.substr(0, 4), "DER header only"},
      {FILETYPE_ASN1, der + "x", "trailing byte after DER"},
      {FILETYPE_PEM, der, "DER given as PEM"},
      {FILETYPE_ASN1, pem, "PEM given as DER"},
      {FILETYPE_PEM, key_pem, "a private key"},
      {FILETYPE_PEM, corrupted, "a bad base64 character"},
      {FILETYPE_PEM, encrypted_header, "an encrypted-PEM header (must not prompt)"},
      {FILETYPE_ASN1, std::string("\x30\x00", 2), "an empty SEQUENCE"},
      {FILETYPE_ASN1, std::string("\x30\x84\xff\xff\xff\xff", 6), "a huge length"},
  }));
  CAPTURE(what);
  REQUIRE_FAILS_WITH(load_certificate(type, buffer), errc::crypto);
}

TEST_CASE("load_certificate and dump_certificate with a bad file type fail with invalid_argument",
          "[certificate_io]") {
  const X509 cert = sample_certificate();
  const auto type = static_cast<filetype>(GENERATE(0, 3, -1));
  REQUIRE_FAILS_WITH(load_certificate(type, must(dump_certificate(FILETYPE_PEM, cert))), errc::invalid_argument);
  REQUIRE_FAILS_WITH(dump_certificate(type, cert), errc::invalid_argument);
}

TEST_CASE("dump_certificate of an unsigned certificate fails with crypto", "[certificate_io]") {
  const filetype type = GENERATE(FILETYPE_PEM, FILETYPE_ASN1);
  X509 cert;
  REQUIRE_OK(cert.set_subject(pyossl_test::make_name({{"CN", "unsigned"}})));
  REQUIRE_FAILS_WITH(dump_certificate(type, cert), errc::crypto);
}

}  // namespace
