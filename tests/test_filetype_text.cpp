// crypto::FILETYPE_TEXT (pyOpenSSL 0.11): dump_certificate, dump_certificate_request and
// dump_privatekey write what the openssl CLI's -text -noout prints (names as -nameopt oneline,
// given explicitly: the CLI's default changed in OpenSSL 3.2); every reader refuses it.
#include <string>
#include <utility>

#include "catch.hpp"
#include "certificates.hpp"
#include "checks.hpp"
#include "keys.hpp"
#include "process.hpp"
#include "pyossl/crypto.hpp"
#include "pyossl/ssl/context.hpp"
#include "temp_dir.hpp"
#include "tls_fixtures.hpp"

// Inside a namespace, so that X509 names pyossl's class rather than OpenSSL's struct.
namespace {

using namespace pyossl::crypto;
using pyossl::errc;
using pyossl::crypto::X509;
using pyossl_test::must;

// A directory with a certificate and a request whose subject has UTF-8 and several
// attributes, made by the openssl CLI, with the CLI's text of each.
struct text_fixture {
  pyossl_test::temp_dir dir;
  std::string q(const std::string& name) const { return "'" + dir.file(name) + "'"; }
  text_fixture() {
    pyossl_test::openssl_or_throw(
        "req -x509 -newkey rsa:2048 -nodes -days 5 -utf8 -subj "
        "'/C=DE/O=pyossl \xC3\xBC/CN=Gr\xC3\xBC\xC3\x9F"
        "e' -addext "
        "subjectAltName=DNS:example.org -keyout " +
        q("key.pem") + " -out " + q("cert.pem"));
    pyossl_test::openssl_or_throw("req -new -key " + q("key.pem") +
                                  " -utf8 -subj '/CN=request/O=pyossl' -out " + q("req.pem"));
  }
};

const text_fixture& fixture() {
  static const text_fixture made;
  return made;
}

TEST_CASE("dump_certificate with FILETYPE_TEXT matches openssl x509 -text -noout -nameopt oneline") {
  const text_fixture& f = fixture();
  const X509 cert = must(load_certificate(FILETYPE_PEM, pyossl_test::read_file(f.dir.file("cert.pem"))));
  auto text = dump_certificate(FILETYPE_TEXT, cert);
  REQUIRE_OK(text);
  CHECK(*text ==
        pyossl_test::openssl_or_throw("x509 -in " + f.q("cert.pem") + " -text -noout -nameopt oneline"));
  CHECK(text->find("Subject: C = DE, O = pyossl \\C3\\BC, CN = Gr\\C3\\BC\\C3\\9Fe") != std::string::npos);
  CHECK(ERR_peek_error() == 0UL);
}

TEST_CASE("dump_certificate_request with FILETYPE_TEXT matches openssl req -text -noout -nameopt oneline") {
  const text_fixture& f = fixture();
  const X509Req request =
      must(load_certificate_request(FILETYPE_PEM, pyossl_test::read_file(f.dir.file("req.pem"))));
  auto text = dump_certificate_request(FILETYPE_TEXT, request);
  REQUIRE_OK(text);
  CHECK(*text ==
        pyossl_test::openssl_or_throw("req -in " + f.q("req.pem") + " -text -noout -nameopt oneline"));
}

TEST_CASE(
    "dump_certificate and dump_certificate_request with FILETYPE_TEXT of an undecodable extension "
    "succeed and leave the error queue empty") {
  // Extensions whose DER OpenSSL cannot decode: X509_print_ex and X509_REQ_print_ex print
  // them as "..." (a success) but queue the decoder's complaints.
  const pyossl_test::temp_dir dir;
  const auto q = [&](const std::string& name) { return "'" + dir.file(name) + "'"; };
  pyossl_test::openssl_or_throw(
      "req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 5 "
      "-subj /CN=bad -addext basicConstraints=DER:01:02:03 "
      "-addext certificatePolicies=DER:30:03:06:01:00 -keyout " +
      q("key.pem") + " -out " + q("cert.pem"));
  pyossl_test::openssl_or_throw("req -new -key " + q("key.pem") +
                                " -subj /CN=bad -addext basicConstraints=DER:01:02:03 -out " + q("req.pem"));
  const X509 cert = must(load_certificate(FILETYPE_PEM, pyossl_test::read_file(dir.file("cert.pem"))));
  const X509Req request =
      must(load_certificate_request(FILETYPE_PEM, pyossl_test::read_file(dir.file("req.pem"))));

  auto cert_text = dump_certificate(FILETYPE_TEXT, cert);
  REQUIRE_OK(cert_text);
  CHECK(*cert_text ==
        pyossl_test::openssl_or_throw("x509 -in " + q("cert.pem") + " -text -noout -nameopt oneline"));
  auto request_text = dump_certificate_request(FILETYPE_TEXT, request);
  REQUIRE_OK(request_text);
  CHECK(*request_text ==
        pyossl_test::openssl_or_throw("req -in " + q("req.pem") + " -text -noout -nameopt oneline"));

  // So the next, unrelated failure reports only its own reason.
  const auto garbage = load_certificate(FILETYPE_PEM, "garbage");
  REQUIRE_FAILS_WITH(garbage, errc::crypto);
  CHECK(garbage.error().queue().size() == 1);
  CHECK(garbage.error().message().find("no start line") != std::string::npos);
}

TEST_CASE("dump_privatekey with FILETYPE_TEXT matches openssl pkey -text -noout for every key type") {
  const pyossl_test::temp_dir dir;
  for (int index : {1, 2, 3, 5, 6}) {
    const pyossl_test::key_case& k = pyossl_test::key_cases().at(index);
    INFO(k.name);
    // Read back from the file the CLI reads: a freshly generated DSA key also holds the
    // FIPS 186-4 seed and counter of its parameters, which PEM does not carry.
    const std::string pem = must(dump_privatekey(FILETYPE_PEM, pyossl_test::generated_key(k)));
    pyossl_test::write_file(dir.file("key.pem"), pem);
    auto text = dump_privatekey(FILETYPE_TEXT, must(load_privatekey(FILETYPE_PEM, pem)));
    REQUIRE_OK(text);
    CHECK(*text == pyossl_test::openssl_or_throw("pkey -in '" + dir.file("key.pem") + "' -text -noout"));
  }
}

TEST_CASE("dump_privatekey with FILETYPE_TEXT refuses a cipher, a public-only key and an empty key") {
  const PKey key = pyossl_test::generated_key(pyossl_test::key_cases().at(3));
  REQUIRE_FAILS_WITH(dump_privatekey(FILETYPE_TEXT, key, "aes-256-cbc", "secret"), errc::invalid_argument);
  const PKey public_only = must(load_publickey(FILETYPE_PEM, must(dump_publickey(FILETYPE_PEM, key))));
  REQUIRE_FAILS_WITH(dump_privatekey(FILETYPE_TEXT, public_only), errc::invalid_argument);
  REQUIRE_FAILS_WITH(dump_privatekey(FILETYPE_TEXT, PKey()), errc::invalid_argument);
}

TEST_CASE("dump_certificate and dump_certificate_request with FILETYPE_TEXT refuse a moved-from object") {
  X509 cert = pyossl_test::self_signed(pyossl_test::make_name({{"CN", "x"}}),
                                       pyossl_test::generated_key(pyossl_test::key_cases().at(3)));
  X509 moved_to = std::move(cert);
  REQUIRE_FAILS_WITH(dump_certificate(FILETYPE_TEXT, cert),
                     errc::invalid_argument);  // NOLINT(bugprone-use-after-move)
  X509Req request;
  X509Req request_moved_to = std::move(request);
  REQUIRE_FAILS_WITH(dump_certificate_request(FILETYPE_TEXT, request),  // NOLINT(bugprone-use-after-move)
                     errc::invalid_argument);
}

TEST_CASE(
    "the dump functions refuse a value that is no filetype, naming FILETYPE_TEXT among the types they take") {
  const text_fixture& f = fixture();
  const X509 cert = must(load_certificate(FILETYPE_PEM, pyossl_test::read_file(f.dir.file("cert.pem"))));
  const X509Req request =
      must(load_certificate_request(FILETYPE_PEM, pyossl_test::read_file(f.dir.file("req.pem"))));
  const PKey key = must(load_privatekey(FILETYPE_PEM, pyossl_test::read_file(f.dir.file("key.pem"))));
  CRL crl;
  must(crl.set_lastUpdate("20240101000000Z"));
  const auto bogus = static_cast<filetype>(99);
  const auto names_every_type = [](const auto& r) {
    REQUIRE_FAILS_WITH(r, errc::invalid_argument);
    CHECK_THAT(r.error().message(), Catch::Contains("FILETYPE_PEM, FILETYPE_ASN1 or FILETYPE_TEXT"));
  };
  names_every_type(dump_certificate(bogus, cert));
  names_every_type(dump_certificate_request(bogus, request));
  names_every_type(dump_privatekey(bogus, key));
  names_every_type(dump_crl(bogus, crl));
  names_every_type(crl.export_(cert, key, bogus));
}

TEST_CASE("every loader refuses FILETYPE_TEXT with invalid_argument, naming it") {
  const text_fixture& f = fixture();
  const X509 cert = must(load_certificate(FILETYPE_PEM, pyossl_test::read_file(f.dir.file("cert.pem"))));
  const std::string text = must(dump_certificate(FILETYPE_TEXT, cert));
  const auto names_text = [](const auto& r) {
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().message().find("FILETYPE_TEXT") != std::string::npos);
  };
  REQUIRE_FAILS_WITH(load_certificate(FILETYPE_TEXT, text), errc::invalid_argument);
  names_text(load_certificate(FILETYPE_TEXT, text));
  REQUIRE_FAILS_WITH(load_certificate_request(FILETYPE_TEXT, text), errc::invalid_argument);
  REQUIRE_FAILS_WITH(load_privatekey(FILETYPE_TEXT, text), errc::invalid_argument);
  names_text(load_privatekey(FILETYPE_TEXT, text));
  REQUIRE_FAILS_WITH(load_publickey(FILETYPE_TEXT, text), errc::invalid_argument);
  REQUIRE_FAILS_WITH(load_pkcs7_data(FILETYPE_TEXT, text), errc::invalid_argument);
  names_text(load_pkcs7_data(FILETYPE_TEXT, text));
  REQUIRE_FAILS_WITH(dump_publickey(FILETYPE_TEXT, cert.get_pubkey().value()), errc::invalid_argument);

  auto context = pyossl::unwrap(pyossl::ssl::Context::create(pyossl::ssl::TLS_METHOD));
  REQUIRE_FAILS_WITH(context.use_certificate_file(f.dir.file("cert.pem"), FILETYPE_TEXT),
                     errc::invalid_argument);
  names_text(context.use_certificate_file(f.dir.file("cert.pem"), FILETYPE_TEXT));
  REQUIRE_FAILS_WITH(context.use_privatekey_file(f.dir.file("key.pem"), FILETYPE_TEXT),
                     errc::invalid_argument);
}

}  // namespace
