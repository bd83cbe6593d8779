// pyossl::crypto::load_certificate / dump_certificate (manual 3.1): PEM and DER both
// ways, every kind of bad input, and interop with the openssl command-line tool.
#include <cstdio>
#include <string>
#include <string_view>
#include <utility>

#include <vector>

#include "catch.hpp"
#include "certificates.hpp"
#include "checks.hpp"
#include "keys.hpp"
#include "process.hpp"
#include "pyossl/crypto/certificate_io.hpp"
#include "pyossl/crypto/key_io.hpp"
#include "pyossl/crypto/x509_extension.hpp"
#include "pyossl/crypto/x509_store.hpp"
#include "temp_dir.hpp"

// Inside a namespace, so that X509 names pyossl's class rather than OpenSSL's struct.
namespace {

using pyossl::errc;
using pyossl::crypto::dump_certificate;
using pyossl::crypto::filetype;
using pyossl::crypto::FILETYPE_ASN1;
using pyossl::crypto::FILETYPE_PEM;
using pyossl::crypto::load_certificate;
using pyossl::crypto::PKey;
using pyossl::crypto::X509;
using pyossl::crypto::X509Extension;
using pyossl::crypto::X509Name;
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

TEST_CASE("load_certificate of PEM takes the first certificate and skips text around it",
          "[certificate_io]") {
  const X509 first = sample_certificate();
  const X509 second = pyossl_test::self_signed(pyossl_test::make_name({{"CN", "second"}}), rsa_key());
  const std::string pem = "Subject: io.test\nsome commentary\n" +
                          must(dump_certificate(FILETYPE_PEM, first)) +
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
  encrypted_header.insert(
      std::string("-----BEGIN CERTIFICATE-----\n").size(),
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
  REQUIRE_FAILS_WITH(load_certificate(type, must(dump_certificate(FILETYPE_PEM, cert))),
                     errc::invalid_argument);
  REQUIRE_FAILS_WITH(dump_certificate(type, cert), errc::invalid_argument);
}

TEST_CASE("dump_certificate of an unsigned certificate fails with crypto", "[certificate_io]") {
  const filetype type = GENERATE(FILETYPE_PEM, FILETYPE_ASN1);
  X509 cert;
  REQUIRE_OK(cert.set_subject(pyossl_test::make_name({{"CN", "unsigned"}})));
  REQUIRE_FAILS_WITH(dump_certificate(type, cert), errc::crypto);
}

// `openssl <arguments>`, which must succeed; its output.
std::string openssl_ok(const std::string& arguments) {
  const auto run = pyossl_test::run_openssl(arguments);
  INFO("openssl " + arguments + "\n" + run.output);
  REQUIRE(run.exit_code == 0);
  return run.output;
}

bool contains(const std::string& text, std::string_view part) { return text.find(part) != std::string::npos; }

// The value after "name=" on its own line of `openssl x509 -noout ...` output.
std::string field(const std::string& output, const std::string& name) {
  const std::size_t start = output.find(name + "=");
  if (start == std::string::npos) return {};
  const std::size_t from = start + name.size() + 1;
  return output.substr(from, output.find('\n', from) - from);
}

// "2026-11-28 13:59:33Z" (openssl -dateopt iso_8601) as GENERALIZEDTIME "20261128135933Z".
std::string generalized(std::string iso) {
  std::erase_if(iso, [](char c) { return c == '-' || c == ':' || c == ' '; });
  return iso;
}

TEST_CASE("openssl x509 reads the fields pyossl sets", "[certificate_io][interop]") {
  const auto& key_case = GENERATE(pyossl_test::rsa_2048(), pyossl_test::ec_p256(), pyossl_test::ed25519());
  CAPTURE(key_case.name);
  const PKey key = pyossl_test::generated_key(key_case);
  X509 cert;
  REQUIRE_OK(cert.set_version(2));
  REQUIRE_OK(cert.set_serial_number_hex("4C0F9B3A7E2D1C6B5A4938271605F4E3D2C1B0A9"));
  REQUIRE_OK(cert.set_subject(pyossl_test::make_name({{"C", "US"},
                                                      {"ST", "Illinois"},
                                                      {"L", "Chicago"},
                                                      {"O", "pyossl"},
                                                      {"OU", "Tests"},
                                                      {"CN", "fields.test"},
                                                      {"emailAddress", "fields@pyossl.test"}})));
  REQUIRE_OK(cert.set_issuer(pyossl_test::make_name({{"C", "US"}, {"CN", "Issuer"}})));
  REQUIRE_OK(cert.set_notBefore("20240101000000Z"));
  REQUIRE_OK(cert.set_notAfter("20501231235959Z"));  // GeneralizedTime from 2050
  REQUIRE_OK(cert.set_pubkey(key));
  REQUIRE_OK(cert.add_extensions(
      {must(X509Extension::create("basicConstraints", true, "CA:FALSE")),
       must(X509Extension::create("subjectAltName", false, "DNS:fields.test, IP:192.0.2.1")),
       must(X509Extension::create("subjectKeyIdentifier", false, "hash", &cert))}));
  REQUIRE_OK(cert.sign(key, key_case.type == pyossl::crypto::TYPE_ED25519 ? "" : "sha256"));

  const pyossl_test::temp_dir dir;
  pyossl_test::write_file(dir.file("cert.pem"), must(dump_certificate(FILETYPE_PEM, cert)));
  pyossl_test::write_file(dir.file("cert.der"), must(dump_certificate(FILETYPE_ASN1, cert)));
  const std::string text = openssl_ok("x509 -noout -text -nameopt RFC2253 -in " + dir.file("cert.pem"));
  CHECK(contains(text, "Version: 3 (0x2)"));
  CHECK(contains(text, "4c:0f:9b:3a:7e:2d:1c:6b:5a:49:38:27:16:05:f4:e3:d2:c1:b0:a9"));
  CHECK(contains(
      text,
      "Subject: "
      "emailAddress=fields@pyossl.test,CN=fields.test,OU=Tests,O=pyossl,L=Chicago,ST=Illinois,C=US"));
  CHECK(contains(text, "Issuer: CN=Issuer,C=US"));
  CHECK(contains(text, "Not Before: Jan  1 00:00:00 2024 GMT"));
  CHECK(contains(text, "Not After : Dec 31 23:59:59 2050 GMT"));
  CHECK(contains(text, "X509v3 Basic Constraints: critical\n                CA:FALSE"));
  CHECK(contains(text, "DNS:fields.test, IP Address:192.0.2.1"));
  CHECK(contains(text, "X509v3 Subject Key Identifier"));
  CHECK(contains(text, "Signature Algorithm: " + must(cert.get_signature_algorithm())));

  const std::string fields = openssl_ok(
      "x509 -noout -serial -subject_hash -fingerprint -sha256 -dates -dateopt iso_8601 "
      "-inform DER -in " +
      dir.file("cert.der"));
  CHECK(field(fields, "serial") == cert.get_serial_number_hex());
  CHECK(field(fields, "sha256 Fingerprint") == must(cert.digest("sha256")));
  CHECK(generalized(field(fields, "notBefore")) == cert.get_notBefore());
  CHECK(generalized(field(fields, "notAfter")) == cert.get_notAfter());
  char hash[16];
  std::snprintf(hash, sizeof(hash), "%08lx", must(cert.subject_name_hash()));
  CHECK(contains(fields, std::string(hash) + "\n"));
}

TEST_CASE("pyossl reads a certificate openssl req -x509 makes, with the same fields",
          "[certificate_io][interop]") {
  const pyossl_test::temp_dir dir;
  pyossl_test::write_file(dir.file("req.cnf"), "[req]\ndistinguished_name=dn\n[dn]\n");
  openssl_ok(
      "req -x509 -config " + dir.file("req.cnf") + " -newkey rsa:2048 -nodes -keyout " + dir.file("key.pem") +
      " -out " + dir.file("cert.pem") + " -days 30 -subj '/C=US/O=CLI Org/CN=cli.test'" +
      " -set_serial 0x4C0F9B3A7E2D1C6B5A4938271605F4E3D2C1B0A9" +
      " -addext 'subjectAltName=DNS:cli.test,IP:192.0.2.7'" +
      " -addext 'keyUsage=critical,digitalSignature,keyEncipherment'" +
      " -addext 'extendedKeyUsage=serverAuth,clientAuth'" + " -addext 'basicConstraints=critical,CA:FALSE'");
  const auto cert = load_certificate(FILETYPE_PEM, pyossl_test::read_file(dir.file("cert.pem")));
  REQUIRE_OK(cert);

  const std::vector<std::pair<std::string, std::string>> name{
      {"C", "US"}, {"O", "CLI Org"}, {"CN", "cli.test"}};
  CHECK(cert->get_subject().get_components() == name);
  CHECK(cert->get_issuer().get_components() == name);
  CHECK(cert->get_version() == 2);
  CHECK(cert->get_serial_number_hex() == "4C0F9B3A7E2D1C6B5A4938271605F4E3D2C1B0A9");
  REQUIRE_FAILS_WITH(cert->get_serial_number(), errc::invalid_argument);  // 20 bytes do not fit
  CHECK(cert->get_signature_algorithm().value_or("") == "sha256WithRSAEncryption");

  const std::string fields = openssl_ok(
      "x509 -noout -serial -fingerprint -sha1 -dates -dateopt iso_8601 -in " + dir.file("cert.pem"));
  CHECK(field(fields, "serial") == cert->get_serial_number_hex());
  CHECK(field(fields, "sha1 Fingerprint") == must(cert->digest("sha1")));
  CHECK(generalized(field(fields, "notBefore")) == cert->get_notBefore());  // UTCTime in the file
  CHECK(generalized(field(fields, "notAfter")) == cert->get_notAfter());
  CHECK_FALSE(cert->has_expired());

  const auto key = pyossl::crypto::load_privatekey(FILETYPE_PEM, pyossl_test::read_file(dir.file("key.pem")));
  REQUIRE_OK(key);
  CHECK(EVP_PKEY_eq(must(cert->get_pubkey()).native_handle(), key->native_handle()) == 1);

  struct expected_extension {
    std::string short_name;
    bool critical;
    std::string text;
  };
  const std::vector<expected_extension> expected{
      {"subjectAltName", false, "DNS:cli.test, IP Address:192.0.2.7"},
      {"keyUsage", true, "Digital Signature, Key Encipherment"},
      {"extendedKeyUsage", false, "TLS Web Server Authentication, TLS Web Client Authentication"},
      {"basicConstraints", true, "CA:FALSE"},
  };
  const std::string text = openssl_ok("x509 -noout -text -in " + dir.file("cert.pem"));
  for (const auto& want : expected) {
    CAPTURE(want.short_name);
    bool found = false;
    for (int i = 0; i < cert->get_extension_count(); ++i) {
      const X509Extension extension = must(cert->get_extension(i));
      if (extension.get_short_name() != want.short_name) continue;
      found = true;
      CHECK(extension.get_critical() == want.critical);
      CHECK(*extension.to_string() == want.text);
    }
    CHECK(found);
  }
  // Every extension pyossl sees (openssl adds a subject key identifier of its own), openssl shows too.
  for (int i = 0; i < cert->get_extension_count(); ++i) {
    const X509Extension extension = must(cert->get_extension(i));
    CAPTURE(extension.get_short_name());
    CHECK(contains(text, *extension.to_string()));
  }
}

// A CA and a leaf it issued, made entirely with pyossl.
struct chain {
  PKey ca_key = pyossl_test::generated_key(pyossl_test::rsa_2048());
  PKey leaf_key = pyossl_test::generated_key(pyossl_test::ec_p256());
  X509 ca;
  X509 leaf;

  chain() {
    const X509Name ca_name = pyossl_test::make_name({{"C", "US"}, {"O", "pyossl"}, {"CN", "pyossl Test CA"}});
    must(ca.set_version(2));
    must(ca.set_serial_number_hex("01A2B3C4D5E6F708192A3B4C5D6E7F8091A2B3C4"));
    must(ca.set_subject(ca_name));
    must(ca.set_issuer(ca_name));
    must(ca.gmtime_adj_notBefore(-3600));
    must(ca.gmtime_adj_notAfter(10L * 365 * 24 * 3600));
    must(ca.set_pubkey(ca_key));
    must(ca.add_extensions({must(X509Extension::create("basicConstraints", true, "CA:TRUE, pathlen:0")),
                            must(X509Extension::create("keyUsage", true, "keyCertSign, cRLSign")),
                            must(X509Extension::create("subjectKeyIdentifier", false, "hash", &ca))}));
    must(ca.add_extensions(
        {must(X509Extension::create("authorityKeyIdentifier", false, "keyid:always", nullptr, &ca))}));
    must(ca.sign(ca_key, "sha256"));

    must(leaf.set_version(2));
    must(leaf.set_serial_number(2));
    must(leaf.set_subject(pyossl_test::make_name({{"O", "pyossl"}, {"CN", "leaf.pyossl.test"}})));
    must(leaf.set_issuer(ca.get_subject()));
    must(leaf.gmtime_adj_notBefore(-60));
    must(leaf.gmtime_adj_notAfter(24 * 3600));
    must(leaf.set_pubkey(leaf_key));
    must(leaf.add_extensions(
        {must(X509Extension::create("basicConstraints", true, "CA:FALSE")),
         must(X509Extension::create("keyUsage", true, "digitalSignature")),
         must(X509Extension::create("extendedKeyUsage", false, "serverAuth")),
         must(X509Extension::create("subjectAltName", false, "DNS:leaf.pyossl.test")),
         must(X509Extension::create("subjectKeyIdentifier", false, "hash", &leaf)),
         must(X509Extension::create("authorityKeyIdentifier", false, "keyid:always", nullptr, &ca))}));
    must(leaf.sign(ca_key, "sha256"));
  }
};

TEST_CASE("openssl verify accepts a CA -> leaf chain pyossl issues", "[certificate_io][interop]") {
  const chain c;
  const pyossl_test::temp_dir dir;
  pyossl_test::write_file(dir.file("ca.pem"), must(dump_certificate(FILETYPE_PEM, c.ca)));
  pyossl_test::write_file(dir.file("leaf.pem"), must(dump_certificate(FILETYPE_PEM, c.leaf)));
  const std::string verified = openssl_ok("verify -x509_strict -purpose sslserver -CAfile " +
                                          dir.file("ca.pem") + " " + dir.file("leaf.pem"));
  CHECK(contains(verified, "leaf.pem: OK"));
  const std::string ca_text = openssl_ok("x509 -noout -text -in " + dir.file("ca.pem"));
  CHECK(contains(ca_text, "CA:TRUE, pathlen:0"));
  CHECK(contains(ca_text, "Certificate Sign, CRL Sign"));

  // The leaf's authority key identifier is the CA's subject key identifier.
  const ASN1_OCTET_STRING* ca_key_id = X509_get0_subject_key_id(c.ca.native_handle());
  const ASN1_OCTET_STRING* leaf_authority_key_id = X509_get0_authority_key_id(c.leaf.native_handle());
  REQUIRE(ca_key_id != nullptr);
  REQUIRE(leaf_authority_key_id != nullptr);
  CHECK(ASN1_OCTET_STRING_cmp(ca_key_id, leaf_authority_key_id) == 0);

  // Another CA with the same name but another key does not verify the leaf.
  const PKey other_key = pyossl_test::generated_key(pyossl_test::key_cases().at(0));
  const X509 impostor = pyossl_test::self_signed(c.ca.get_subject(), other_key);
  pyossl_test::write_file(dir.file("impostor.pem"), must(dump_certificate(FILETYPE_PEM, impostor)));
  const auto rejected =
      pyossl_test::run_openssl("verify -CAfile " + dir.file("impostor.pem") + " " + dir.file("leaf.pem"));
  INFO(rejected.output);
  CHECK(rejected.exit_code != 0);
}

TEST_CASE("an X509Store holding the CA verifies the leaf pyossl issued", "[certificate_io][x509store]") {
  const chain c;
  pyossl::crypto::X509Store store;
  REQUIRE_OK(store.add_cert(c.ca));
  const pyossl::detail::handle<X509_STORE_CTX> context(X509_STORE_CTX_new());
  REQUIRE(X509_STORE_CTX_init(context.get(), store.native_handle(), c.leaf.native_handle(), nullptr) == 1);
  CHECK(X509_verify_cert(context.get()) == 1);
  CHECK(X509_STORE_CTX_get_error(context.get()) == X509_V_OK);
}

TEST_CASE("openssl x509 -req signs a request pyossl made, and pyossl reads the result",
          "[certificate_io][interop]") {
  const chain c;
  const pyossl_test::temp_dir dir;
  pyossl::crypto::X509Req request;
  REQUIRE_OK(request.set_subject(pyossl_test::make_name({{"CN", "issued.by.openssl"}})));
  REQUIRE_OK(request.set_pubkey(c.leaf_key));
  REQUIRE_OK(request.sign(c.leaf_key, "sha256"));
  pyossl_test::write_file(dir.file("req.pem"),
                          must(pyossl::crypto::dump_certificate_request(FILETYPE_PEM, request)));
  pyossl_test::write_file(dir.file("ca.pem"), must(dump_certificate(FILETYPE_PEM, c.ca)));
  pyossl_test::write_file(dir.file("ca.key"), must(pyossl::crypto::dump_privatekey(FILETYPE_PEM, c.ca_key)));
  openssl_ok("x509 -req -in " + dir.file("req.pem") + " -CA " + dir.file("ca.pem") + " -CAkey " +
             dir.file("ca.key") + " -set_serial 77 -days 2 -out " + dir.file("issued.pem"));
  const auto issued = load_certificate(FILETYPE_PEM, pyossl_test::read_file(dir.file("issued.pem")));
  REQUIRE_OK(issued);
  CHECK(issued->get_subject().get("CN") == "issued.by.openssl");
  CHECK(issued->get_issuer() == c.ca.get_subject());
  CHECK(*issued->get_serial_number() == 77);
  CHECK(X509_verify(issued->native_handle(), c.ca_key.native_handle()) == 1);
}

}  // namespace
