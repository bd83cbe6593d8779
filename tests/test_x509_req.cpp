// pyossl::crypto::X509Req — manual 3.1.3, set_subject and extensions beyond it, and
// load/dump_certificate_request; success and failure paths, and interop with `openssl req`.
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include <openssl/x509.h>

#include "catch.hpp"
#include "certificates.hpp"
#include "checks.hpp"
#include "keys.hpp"
#include "process.hpp"
#include "pyossl/crypto/certificate_io.hpp"
#include "pyossl/crypto/x509_req.hpp"
#include "temp_dir.hpp"

// Inside a namespace, so that X509 names pyossl's class rather than OpenSSL's struct.
namespace {

using pyossl::errc;
using pyossl::crypto::dump_certificate_request;
using pyossl::crypto::filetype;
using pyossl::crypto::FILETYPE_ASN1;
using pyossl::crypto::FILETYPE_PEM;
using pyossl::crypto::load_certificate_request;
using pyossl::crypto::PKey;
using pyossl::crypto::X509Extension;
using pyossl::crypto::X509Name;
using pyossl::crypto::X509Req;
using pyossl_test::must;

PKey rsa_key() { return pyossl_test::generated_key(pyossl_test::rsa_2048()); }

X509Req signed_request(const PKey& key, std::string_view digest = "sha256") {
  X509Req request;
  must(request.set_subject(pyossl_test::make_name({{"C", "US"}, {"O", "pyossl"}, {"CN", "req.test"}})));
  must(request.set_pubkey(key));
  must(request.sign(key, digest));
  return request;
}

TEST_CASE("a new X509Req is version 0 with no subject, key or extensions", "[x509req]") {
  STATIC_REQUIRE(std::is_nothrow_move_constructible_v<X509Req>);
  const X509Req request;
  CHECK(request.get_version() == 0);
  CHECK(request.get_subject().get_components().empty());
  REQUIRE_FAILS_WITH(request.get_pubkey(), errc::crypto);
  const auto extensions = request.get_extensions();
  REQUIRE_OK(extensions);
  CHECK(extensions->empty());
  REQUIRE_FAILS_WITH(request.verify(rsa_key()), errc::crypto);
  REQUIRE_FAILS_WITH(dump_certificate_request(FILETYPE_PEM, request), errc::crypto);
}

TEST_CASE("X509Req::get_subject returns a copy; set_subject writes it back", "[x509req]") {
  X509Req request;
  REQUIRE_OK(request.set_subject(pyossl_test::make_name({{"CN", "first"}})));
  X509Name subject = request.get_subject();
  REQUIRE_OK(subject.set("CN", "second"));
  CHECK(request.get_subject().get("CN") == "first");
  REQUIRE_OK(request.set_subject(subject));
  CHECK(request.get_subject().get("CN") == "second");
}

TEST_CASE("X509Req::set_pubkey and get_pubkey carry only the public half", "[x509req]") {
  const auto& key_case = GENERATE(from_range(pyossl_test::key_cases()));
  if (key_case.type == pyossl::crypto::TYPE_DH) return;
  CAPTURE(key_case.name);
  const PKey key = pyossl_test::generated_key(key_case);
  X509Req request;
  REQUIRE_OK(request.set_pubkey(key));
  const auto read = request.get_pubkey();
  REQUIRE_OK(read);
  CHECK_FALSE(read->has_private_key());
  CHECK(EVP_PKEY_eq(read->native_handle(), key.native_handle()) == 1);
  REQUIRE_FAILS_WITH(request.set_pubkey(PKey()), errc::invalid_argument);
}

TEST_CASE("X509Req::sign then verify succeeds with the key's public half", "[x509req]") {
  const auto [key_index, digest] = GENERATE(values<std::pair<std::size_t, std::string_view>>(
      {{0, "sha256"}, {1, "sha1"}, {1, ""}, {2, "sha256"}, {3, "sha384"}, {5, ""}, {6, ""}}));
  const auto& key_case = pyossl_test::key_cases().at(key_index);
  CAPTURE(key_case.name, digest);
  const PKey key = pyossl_test::generated_key(key_case);
  const X509Req request = signed_request(key, digest);
  REQUIRE_OK(request.verify(key));
  REQUIRE_OK(request.verify(must(request.get_pubkey())));
}

TEST_CASE("X509Req::verify with another key fails with crypto", "[x509req]") {
  const X509Req request = signed_request(rsa_key());
  const PKey other_rsa = pyossl_test::generated_key(pyossl_test::key_cases().at(0));
  const PKey ec = pyossl_test::generated_key(pyossl_test::ec_p256());
  REQUIRE_FAILS_WITH(request.verify(other_rsa), errc::crypto);
  REQUIRE_FAILS_WITH(request.verify(ec), errc::crypto);
  REQUIRE_FAILS_WITH(request.verify(PKey()), errc::invalid_argument);
}

TEST_CASE("X509Req::sign with a missing or unusable key or digest fails cleanly", "[x509req]") {
  X509Req request = signed_request(rsa_key());
  const PKey ed = pyossl_test::generated_key(pyossl_test::ed25519());
  REQUIRE_FAILS_WITH(request.sign(PKey(), "sha256"), errc::invalid_argument);
  REQUIRE_FAILS_WITH(request.sign(must(request.get_pubkey()), "sha256"), errc::invalid_argument);
  REQUIRE_FAILS_WITH(request.sign(rsa_key(), "no-such-digest"), errc::invalid_argument);
  REQUIRE_FAILS_WITH(request.sign(ed, "sha256"), errc::crypto);
  REQUIRE_OK(request.verify(rsa_key()));  // unchanged
}

TEST_CASE("X509Req::set_version takes 0 only", "[x509req]") {
  X509Req request;
  REQUIRE_OK(request.set_version(0));
  const long bad = GENERATE(-1L, 1L, 2L, 3L);
  REQUIRE_FAILS_WITH(request.set_version(bad), errc::invalid_argument);
  CHECK(request.get_version() == 0);
}

TEST_CASE("X509Req extensions accumulate in one extension request", "[x509req]") {
  X509Req request;
  REQUIRE_OK(request.add_extensions({must(X509Extension::create("basicConstraints", true, "CA:FALSE")),
                                     must(X509Extension::create("keyUsage", false, "digitalSignature"))}));
  REQUIRE_OK(request.add_extensions({must(X509Extension::create("subjectAltName", false, "DNS:req.test"))}));
  CHECK(X509_REQ_get_attr_count(request.native_handle()) == 1);
  const auto extensions = request.get_extensions();
  REQUIRE_OK(extensions);
  REQUIRE(extensions->size() == 3);
  CHECK((*extensions)[0].get_short_name() == "basicConstraints");
  CHECK((*extensions)[0].get_critical());
  CHECK((*extensions)[1].get_short_name() == "keyUsage");
  CHECK((*extensions)[2].get_short_name() == "subjectAltName");
  CHECK(*(*extensions)[2].to_string() == "DNS:req.test");
}

TEST_CASE("X509Req::add_extensions with a moved-from extension changes nothing", "[x509req]") {
  X509Req request;
  X509Extension moved = must(X509Extension::create("basicConstraints", false, "CA:FALSE"));
  const X509Extension kept = std::move(moved);
  const std::vector<X509Extension> extensions{kept, std::move(moved)};  // NOLINT(bugprone-use-after-move)
  REQUIRE_FAILS_WITH(request.add_extensions(extensions), errc::invalid_argument);
  CHECK(must(request.get_extensions()).empty());
}

TEST_CASE("X509Req copies are independent, signed or not", "[x509req]") {
  const X509Req signed_original = signed_request(rsa_key());
  X509Req copy(signed_original);
  REQUIRE_OK(copy.set_subject(pyossl_test::make_name({{"CN", "copy"}})));
  CHECK(signed_original.get_subject().get("CN") == "req.test");
  REQUIRE_OK(signed_original.verify(rsa_key()));

  X509Req unsigned_request;
  REQUIRE_OK(unsigned_request.set_subject(pyossl_test::make_name({{"CN", "unsigned"}})));
  REQUIRE_OK(unsigned_request.set_pubkey(rsa_key()));
  REQUIRE_OK(
      unsigned_request.add_extensions({must(X509Extension::create("basicConstraints", false, "CA:FALSE"))}));
  const X509Req unsigned_copy(unsigned_request);
  CHECK(unsigned_copy.get_subject().get("CN") == "unsigned");
  CHECK(EVP_PKEY_eq(must(unsigned_copy.get_pubkey()).native_handle(), rsa_key().native_handle()) == 1);
  CHECK(must(unsigned_copy.get_extensions()).size() == 1);
}

TEST_CASE("a moved-from X509Req is empty and fails cleanly", "[x509req]") {
  X509Req request = signed_request(rsa_key());
  const X509Req target(std::move(request));
  // NOLINTBEGIN(bugprone-use-after-move): checking the moved-from state
  CHECK(request.native_handle() == nullptr);
  CHECK(request.get_subject().get_components().empty());
  CHECK(request.get_version() == 0);
  REQUIRE_FAILS_WITH(request.get_pubkey(), errc::invalid_argument);
  REQUIRE_FAILS_WITH(request.set_pubkey(rsa_key()), errc::invalid_argument);
  REQUIRE_FAILS_WITH(request.sign(rsa_key(), "sha256"), errc::invalid_argument);
  REQUIRE_FAILS_WITH(request.verify(rsa_key()), errc::invalid_argument);
  REQUIRE_FAILS_WITH(request.get_extensions(), errc::invalid_argument);
  REQUIRE_FAILS_WITH(dump_certificate_request(FILETYPE_ASN1, request), errc::invalid_argument);
  // NOLINTEND(bugprone-use-after-move)
}

TEST_CASE("dump_certificate_request then load_certificate_request round-trips", "[x509req]") {
  const filetype type = GENERATE(FILETYPE_PEM, FILETYPE_ASN1);
  X509Req request = signed_request(rsa_key());
  REQUIRE_OK(request.add_extensions(
      {must(X509Extension::create("subjectAltName", false, "DNS:a.test, IP:10.0.0.1"))}));
  REQUIRE_OK(request.sign(rsa_key(), "sha256"));
  const auto dumped = dump_certificate_request(type, request);
  REQUIRE_OK(dumped);
  if (type == FILETYPE_PEM) CHECK(dumped->starts_with("-----BEGIN CERTIFICATE REQUEST-----\n"));
  const auto loaded = load_certificate_request(type, *dumped);
  REQUIRE_OK(loaded);
  CHECK(loaded->get_subject() == request.get_subject());
  REQUIRE_OK(loaded->verify(rsa_key()));
  CHECK(*must(loaded->get_extensions()).at(0).to_string() == "DNS:a.test, IP Address:10.0.0.1");
  CHECK(*dump_certificate_request(type, *loaded) == *dumped);
}

TEST_CASE("load_certificate_request of bad input fails with crypto", "[x509req]") {
  const X509Req request = signed_request(rsa_key());
  const std::string pem = must(dump_certificate_request(FILETYPE_PEM, request));
  const std::string der = must(dump_certificate_request(FILETYPE_ASN1, request));
  const std::string cert_pem = must(pyossl::crypto::dump_certificate(
      FILETYPE_PEM, pyossl_test::self_signed(pyossl_test::make_name({{"CN", "c"}}), rsa_key())));
  const auto [type, buffer, what] = GENERATE_COPY(values<std::tuple<filetype, std::string, std::string>>({
      {FILETYPE_PEM, "", "empty"},
      {FILETYPE_ASN1, "", "empty"},
      {FILETYPE_PEM, "garbage", "garbage"},
      {FILETYPE_ASN1, "garbage", "garbage"},
      {FILETYPE_PEM, pem.substr(0, pem.size() / 2), "truncated PEM"},
      {FILETYPE_ASN1, der.substr(0, der.size() - 1), "truncated DER"},
      {FILETYPE_ASN1, der + std::string(1, '\0'), "trailing byte after DER"},
      {FILETYPE_PEM, cert_pem, "a certificate"},
  }));
  CAPTURE(what);
  REQUIRE_FAILS_WITH(load_certificate_request(type, buffer), errc::crypto);
  REQUIRE_FAILS_WITH(load_certificate_request(static_cast<filetype>(9), pem), errc::invalid_argument);
  REQUIRE_FAILS_WITH(dump_certificate_request(static_cast<filetype>(9), request), errc::invalid_argument);
}

TEST_CASE("openssl req -verify accepts requests pyossl signs, with their subject and extensions",
          "[x509req][interop]") {
  const auto [key_index, digest] =
      GENERATE(values<std::pair<std::size_t, std::string_view>>({{1, "sha256"}, {3, "sha384"}, {5, ""}}));
  const PKey key = pyossl_test::generated_key(pyossl_test::key_cases().at(key_index));
  X509Req request;
  REQUIRE_OK(request.set_subject(
      pyossl_test::make_name({{"C", "DE"}, {"O", "Interop"}, {"CN", "openssl.req.test"}})));
  REQUIRE_OK(request.set_pubkey(key));
  REQUIRE_OK(
      request.add_extensions({must(X509Extension::create("subjectAltName", false, "DNS:openssl.req.test"))}));
  REQUIRE_OK(request.sign(key, digest));
  const pyossl_test::temp_dir dir;
  pyossl_test::write_file(dir.file("req.pem"), must(dump_certificate_request(FILETYPE_PEM, request)));
  const auto verified = pyossl_test::run_openssl("req -verify -noout -in " + dir.file("req.pem"));
  INFO(verified.output);
  CHECK(verified.exit_code == 0);
  const auto text = pyossl_test::run_openssl("req -noout -text -nameopt RFC2253 -in " + dir.file("req.pem"));
  INFO(text.output);
  REQUIRE(text.exit_code == 0);
  CHECK(text.output.find("Subject: CN=openssl.req.test,O=Interop,C=DE") != std::string::npos);
  CHECK(text.output.find("DNS:openssl.req.test") != std::string::npos);
}

TEST_CASE("load_certificate_request reads what openssl req writes", "[x509req][interop]") {
  const pyossl_test::temp_dir dir;
  const auto made = pyossl_test::run_openssl(
      "req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout " + dir.file("key.pem") +
      " -out " + dir.file("req.pem") +
      " -subj '/C=FR/O=Made by openssl/CN=cli.req.test' -addext 'subjectAltName=DNS:cli.req.test'"
      " -addext 'keyUsage=critical,digitalSignature'");
  INFO(made.output);
  REQUIRE(made.exit_code == 0);
  const auto request = load_certificate_request(FILETYPE_PEM, pyossl_test::read_file(dir.file("req.pem")));
  REQUIRE_OK(request);
  const std::vector<std::pair<std::string, std::string>> subject{
      {"C", "FR"}, {"O", "Made by openssl"}, {"CN", "cli.req.test"}};
  CHECK(request->get_subject().get_components() == subject);
  REQUIRE_OK(request->verify(must(request->get_pubkey())));
  const auto key = pyossl::crypto::load_privatekey(FILETYPE_PEM, pyossl_test::read_file(dir.file("key.pem")));
  REQUIRE_OK(key);
  REQUIRE_OK(request->verify(*key));
  const auto extensions = request->get_extensions();
  REQUIRE_OK(extensions);
  REQUIRE(extensions->size() == 2);
  CHECK((*extensions)[0].get_short_name() == "subjectAltName");
  CHECK((*extensions)[1].get_short_name() == "keyUsage");
  CHECK((*extensions)[1].get_critical());
  CHECK(*(*extensions)[1].to_string() == "Digital Signature");
}

}  // namespace
