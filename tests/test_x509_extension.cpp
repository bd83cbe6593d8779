// pyossl::crypto::X509Extension — manual 3.1.8 (create, get_critical, get_short_name),
// and its value as text and DER beyond the manual; success and failure paths.
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include <openssl/x509v3.h>

#include "catch.hpp"
#include "certificates.hpp"
#include "checks.hpp"
#include "keys.hpp"
#include "process.hpp"
#include "pyossl/crypto/certificate_io.hpp"
#include "pyossl/crypto/detail/digest.hpp"
#include "pyossl/crypto/x509.hpp"
#include "pyossl/crypto/x509_extension.hpp"
#include "temp_dir.hpp"

// Inside a namespace, so that X509 names pyossl's class rather than OpenSSL's struct.
namespace crypto = pyossl::crypto;

namespace {

using pyossl::errc;
using pyossl::crypto::PKey;
using pyossl::crypto::X509;
using pyossl::crypto::X509Extension;
using pyossl_test::must;

PKey rsa_key() { return pyossl_test::generated_key(pyossl_test::rsa_2048()); }

TEST_CASE("X509Extension::create makes the standard extensions from OpenSSL's config syntax",
          "[x509extension]") {
  struct extension_case {
    std::string_view type;
    std::string_view value;
    std::string_view short_name;
    std::string_view text;
  };
  const auto [type, value, short_name, text] = GENERATE(values<extension_case>({
      {"basicConstraints", "CA:TRUE, pathlen:0", "basicConstraints", "CA:TRUE, pathlen:0"},
      {"basicConstraints", "CA:FALSE", "basicConstraints", "CA:FALSE"},
      {"keyUsage", "digitalSignature, keyEncipherment", "keyUsage", "Digital Signature, Key Encipherment"},
      {"extendedKeyUsage", "serverAuth, clientAuth", "extendedKeyUsage",
       "TLS Web Server Authentication, TLS Web Client Authentication"},
      {"subjectAltName", "DNS:a.test, DNS:*.b.test, IP:192.0.2.1, email:x@a.test", "subjectAltName",
       "DNS:a.test, DNS:*.b.test, IP Address:192.0.2.1, email:x@a.test"},
      {"nsComment", "made by pyossl", "nsComment", "made by pyossl"},
      {"crlDistributionPoints", "URI:http://crl.a.test/ca.crl", "crlDistributionPoints",
       "Full Name:\n  URI:http://crl.a.test/ca.crl"},
      {"authorityInfoAccess", "OCSP;URI:http://ocsp.a.test", "authorityInfoAccess",
       "OCSP - URI:http://ocsp.a.test"},
      {"X509v3 Basic Constraints", "CA:TRUE", "basicConstraints", "CA:TRUE"},  // the long name
      {"2.5.29.19", "CA:TRUE", "basicConstraints", "CA:TRUE"},                 // the OID
      {"nameConstraints", "permitted;DNS:.a.test", "nameConstraints", "Permitted:\n  DNS:.a.test"},
  }));
  CAPTURE(type, value);
  const bool critical = GENERATE(false, true);
  const auto extension = X509Extension::create(type, critical, value);
  REQUIRE_OK(extension);
  CHECK(extension->get_critical() == critical);
  CHECK(extension->get_short_name() == short_name);
  const auto printed = extension->to_string();
  REQUIRE_OK(printed);
  CHECK(*printed == text);
  CHECK_FALSE(extension->get_data().empty());
}

TEST_CASE("X509Extension::get_data is the DER of the extension's value", "[x509extension]") {
  const auto ca = X509Extension::create("basicConstraints", true, "CA:TRUE");
  REQUIRE_OK(ca);
  CHECK(ca->get_data() == std::string("\x30\x03\x01\x01\xff", 5));  // SEQUENCE { BOOLEAN TRUE }
  const auto leaf = X509Extension::create("basicConstraints", false, "CA:FALSE");
  REQUIRE_OK(leaf);
  CHECK(leaf->get_data() == std::string("\x30\x00", 2));  // the default is left out
}

TEST_CASE("X509Extension::create takes any OID with a DER or ASN1 value", "[x509extension]") {
  const auto [value, der] = GENERATE(values<std::pair<std::string_view, std::string>>({
      {"DER:04:02:68:69", std::string("\x04\x02hi", 4)},
      {"ASN1:UTF8String:hello", std::string("\x0c\x05hello", 7)},
  }));
  CAPTURE(value);
  const auto extension = X509Extension::create("1.3.6.1.4.1.55555.2", false, value);
  REQUIRE_OK(extension);
  CHECK(extension->get_short_name() == "1.3.6.1.4.1.55555.2");  // pyOpenSSL: "UNDEF"
  CHECK(extension->get_data() == der);
  const auto printed = extension->to_string();  // a hex dump, never a failure
  REQUIRE_OK(printed);
  CHECK_FALSE(printed->empty());
}

// Regression (issue 12, found by fuzz_load_certificate): a known extension whose value
// OpenSSL cannot decode printed as a hex dump but left the decoder's complaints queued.
TEST_CASE(
    "X509Extension::to_string of an undecodable known extension is a hex dump and leaves no error queued",
    "[x509extension]") {
  const auto extension = X509Extension::create("basicConstraints", false, "DER:30:80:01");
  REQUIRE_OK(extension);
  CHECK(extension->get_short_name() == "basicConstraints");
  const auto printed = extension->to_string();
  REQUIRE_OK(printed);
  CHECK_FALSE(printed->empty());
  CHECK(ERR_peek_error() == 0UL);
}

TEST_CASE("X509Extension::create subjectKeyIdentifier=hash reads the subject's key", "[x509extension]") {
  const X509 subject = pyossl_test::self_signed(pyossl_test::make_name({{"CN", "ski"}}), rsa_key());
  REQUIRE_FAILS_WITH(X509Extension::create("subjectKeyIdentifier", false, "hash"), errc::crypto);
  const auto ski = X509Extension::create("subjectKeyIdentifier", false, "hash", &subject);
  REQUIRE_OK(ski);
  CHECK(ski->get_short_name() == "subjectKeyIdentifier");
  // RFC 5280 method 1: the SHA-1 of the subjectPublicKey bits, in an OCTET STRING.
  const ASN1_BIT_STRING* key_bits = X509_get0_pubkey_bitstr(subject.native_handle());
  const std::string bits(reinterpret_cast<const char*>(ASN1_STRING_get0_data(key_bits)),
                         static_cast<std::size_t>(ASN1_STRING_length(key_bits)));
  const auto sha1 =
      pyossl::detail::digest_bytes("test", must(pyossl::detail::fetch_digest("test", "sha1")).get(), bits);
  REQUIRE_OK(sha1);
  CHECK(ski->get_data() == std::string("\x04\x14", 2) + *sha1);
  CHECK(*ski->to_string() == pyossl::detail::colon_hex(*sha1));
}

TEST_CASE("X509Extension::create authorityKeyIdentifier=keyid:always reads the issuer's key id",
          "[x509extension]") {
  X509 issuer = pyossl_test::self_signed(pyossl_test::make_name({{"CN", "aki issuer"}}), rsa_key());
  REQUIRE_OK(
      issuer.add_extensions({must(X509Extension::create("subjectKeyIdentifier", false, "hash", &issuer))}));
  REQUIRE_OK(issuer.sign(rsa_key(), "sha256"));
  REQUIRE_FAILS_WITH(X509Extension::create("authorityKeyIdentifier", false, "keyid:always"), errc::crypto);
  const auto aki = X509Extension::create("authorityKeyIdentifier", false, "keyid:always", nullptr, &issuer);
  REQUIRE_OK(aki);
  const ASN1_OCTET_STRING* issuer_key_id = X509_get0_subject_key_id(issuer.native_handle());
  REQUIRE(issuer_key_id != nullptr);
  const std::string key_id(reinterpret_cast<const char*>(ASN1_STRING_get0_data(issuer_key_id)),
                           static_cast<std::size_t>(ASN1_STRING_length(issuer_key_id)));
  CHECK(aki->to_string()->find(pyossl::detail::colon_hex(key_id)) != std::string::npos);
}

TEST_CASE("X509Extension::create of an unknown extension or a bad value fails with crypto",
          "[x509extension]") {
  const auto [type, value] = GENERATE(values<std::pair<std::string_view, std::string_view>>({
      {"nonsenseExtension", "x"},
      {"CN", "x"},  // an object OpenSSL knows, but no extension
      {"1.3.6.1.4.1.55555.3", "no generic prefix"},
      {"basicConstraints", "CA:maybe"},
      {"keyUsage", "notAUsage"},
      {"extendedKeyUsage", "not an oid or usage"},
      {"subjectAltName", "DNS"},
      {"subjectAltName", "IP:999.1.1.1"},
      {"subjectAltName", "@section"},  // needs a config database
      {"1.3.6.1.4.1.55555.4", "DER:zz"},
  }));
  CAPTURE(type, value);
  REQUIRE_FAILS_WITH(X509Extension::create(type, false, value), errc::crypto);
}

TEST_CASE("X509Extension::create with an empty name or a NUL byte fails with invalid_argument",
          "[x509extension]") {
  REQUIRE_FAILS_WITH(X509Extension::create("", false, "CA:TRUE"), errc::invalid_argument);
  REQUIRE_FAILS_WITH(X509Extension::create(std::string_view("basicConstraints\0x", 18), false, "CA:TRUE"),
                     errc::invalid_argument);
  REQUIRE_FAILS_WITH(
      X509Extension::create("subjectAltName", false, std::string_view("DNS:a.test\0.evil", 16)),
      errc::invalid_argument);
}

TEST_CASE("X509Extension copies are independent and a moved-from one is empty", "[x509extension]") {
  STATIC_REQUIRE(std::is_nothrow_move_constructible_v<X509Extension>);
  STATIC_REQUIRE_FALSE(std::is_default_constructible_v<X509Extension>);
  X509Extension original = must(X509Extension::create("basicConstraints", true, "CA:TRUE"));
  const X509Extension copy(original);
  CHECK(copy.native_handle() != original.native_handle());
  CHECK(copy.get_data() == original.get_data());
  X509Extension assigned = must(X509Extension::create("keyUsage", false, "cRLSign"));
  assigned = copy;
  CHECK(assigned.get_short_name() == "basicConstraints");

  const X509Extension moved_to = std::move(original);
  // NOLINTBEGIN(bugprone-use-after-move): checking the moved-from state
  CHECK(original.native_handle() == nullptr);
  CHECK_FALSE(original.get_critical());
  CHECK(original.get_short_name().empty());
  CHECK(original.get_data().empty());
  REQUIRE_FAILS_WITH(original.to_string(), errc::invalid_argument);
  // NOLINTEND(bugprone-use-after-move)
  CHECK(moved_to.get_critical());
}

}  // namespace

TEST_CASE("X509Extension::to_string of a malformed value succeeds and leaves the error queue empty",
          "[x509extension]") {
  // Values OpenSSL cannot decode (it prints a hex dump or "<unsupported>" and says
  // nothing was wrong, but queues why): a bad certificatePolicies, an SCT list that is
  // not one, an ediPartyName in a subjectAltName, a keyUsage that is no BIT STRING.
  const auto [type, value] = GENERATE(table<std::string_view, std::string_view>({
      {"certificatePolicies", "DER:30:03:06:01:00"},
      {"certificatePolicies", "DER:01:02:03"},
      {"1.3.6.1.4.1.11129.2.4.2", "DER:04:03:00:01:00"},
      {"subjectAltName", "DER:30:04:a5:02:30:00"},
      {"subjectAltName", "DER:30:06:a5:04:a1:02:0c:00"},
      {"keyUsage", "DER:05:00"},
  }));
  INFO(type << " " << value);
  const X509Extension extension = must(X509Extension::create(type, false, value));
  const auto text = extension.to_string();
  REQUIRE_OK(text);
  CHECK_FALSE(text->empty());
  // So the next, unrelated failure reports only its own reason.
  const auto garbage = pyossl::crypto::load_certificate(pyossl::crypto::FILETYPE_PEM, "garbage");
  REQUIRE_FAILS_WITH(garbage, errc::crypto);
  CHECK(garbage.error().queue().size() == 1);
  CHECK(garbage.error().message().find("no start line") != std::string::npos);
}

namespace {

// What /usr/bin/python3's pyOpenSSL prints for str() of the subjectAltName of the PEM
// certificate in `path`, or std::nullopt (with the reason in `why`) if pyOpenSSL cannot be
// imported there.
std::optional<std::string> pyopenssl_subject_alt_name(const std::string& path, std::string& why) {
  const auto ran = pyossl_test::run_command(
      "/usr/bin/python3 -c 'import sys\n"
      "from OpenSSL import crypto\n"
      "cert = crypto.load_certificate(crypto.FILETYPE_PEM, open(sys.argv[1], \"rb\").read())\n"
      "for i in range(cert.get_extension_count()):\n"
      "    e = cert.get_extension(i)\n"
      "    if e.get_short_name() == b\"subjectAltName\": sys.stdout.write(\"SAN=\" + str(e))\n' " +
      path);
  if (ran.exit_code != 0 || ran.output.rfind("SAN=", 0) != 0) {
    why = ran.output;
    return std::nullopt;
  }
  return ran.output.substr(4);
}

std::string pyossl_subject_alt_name(const crypto::X509& cert) {
  for (int i = 0; i < cert.get_extension_count(); ++i) {
    const crypto::X509Extension extension = must(cert.get_extension(i));
    if (extension.get_short_name() == "subjectAltName") return must(extension.to_string());
  }
  return "(none)";
}

}  // namespace

TEST_CASE("crypto::X509Extension::to_string of a subjectAltName reads as pyOpenSSL's str() for every kind",
          "[x509extension]") {
  const pyossl_test::temp_dir dir;
  // Every kind the openssl CLI can write from a config file (dirName needs a section).
  pyossl_test::write_file(dir.file("san.cnf"),
                          "[req]\ndistinguished_name = dn\nx509_extensions = ext\nprompt = no\n"
                          "[dn]\nCN = test\n"
                          "[ext]\nsubjectAltName = @alt\n"
                          "[alt]\nDNS.1 = a.example\nDNS.2 = *.b.example\nemail.1 = me@example.com\n"
                          "URI.1 = https://example.com/x?y=1\nIP.1 = 10.0.0.1\nIP.2 = 2001:db8::1\n"
                          "RID.1 = 1.2.3.4\ndirName.1 = dir_sect\notherName.1 = msUPN;UTF8:user@example.com\n"
                          "otherName.2 = 1.3.6.1.5.5.7.8.7;IA5:_http.example.com\n"
                          "[dir_sect]\nCN = test\nO = Org\nST = Texas\n");
  const std::string cli = dir.file("cli.pem");
  pyossl_test::openssl_or_throw(
      "req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -config " + dir.file("san.cnf") +
      " -keyout " + dir.file("key.pem") + " -out " + cli);
  const std::string expected_cli =
      "DNS:a.example, DNS:*.b.example, email:me@example.com, URI:https://example.com/x?y=1, "
      "IP Address:10.0.0.1, IP Address:2001:DB8:0:0:0:0:0:1, Registered ID:1.2.3.4, "
      "DirName:CN = test, O = Org, ST = Texas, othername:UPN:user@example.com, "
      "othername:SRVName:_http.example.com";
  // Kinds no config syntax writes, as DER: an ediPartyName, a dNSName and an (empty) x400Address.
  const crypto::PKey key = pyossl_test::generated_key(pyossl_test::ec_p256());
  crypto::X509 made = pyossl_test::self_signed(pyossl_test::make_name({{"CN", "made"}}), key);
  must(made.add_extensions({must(crypto::X509Extension::create(
      "subjectAltName", false, "DER:30:13:a5:06:a1:04:0c:02:68:69:82:05:61:2e:63:6f:6d:a3:02:30:00"))}));
  must(made.sign(key, "sha256"));
  const std::string made_path = dir.file("made.pem");
  pyossl_test::write_file(made_path, must(crypto::dump_certificate(crypto::FILETYPE_PEM, made)));
  const std::string expected_made = "EdiPartyName:<unsupported>, DNS:a.com, X400Name:<unsupported>";

  const crypto::X509 from_cli =
      must(crypto::load_certificate(crypto::FILETYPE_PEM, pyossl_test::read_file(cli)));
  CHECK(pyossl_subject_alt_name(from_cli) == expected_cli);
  CHECK(pyossl_subject_alt_name(made) == expected_made);

  // An otherName of a type OpenSSL cannot print shows its OID and value, where pyOpenSSL
  // prints "othername:<unsupported>"; a value that is no string stays "<unsupported>".
  CHECK(must(must(crypto::X509Extension::create("subjectAltName", false, "otherName:1.2.3.4;UTF8:hello"))
                 .to_string()) == "othername:1.2.3.4:hello");
  CHECK(must(must(crypto::X509Extension::create("subjectAltName", false, "otherName:1.2.3.4;INT:5"))
                 .to_string()) == "othername:1.2.3.4:<unsupported>");

  std::string why;
  for (const auto& [path, cert] :
       {std::pair<std::string, const crypto::X509*>{cli, &from_cli}, {made_path, &made}}) {
    const auto theirs = pyopenssl_subject_alt_name(path, why);
    if (!theirs) {
      WARN("skipping the comparison with pyOpenSSL: /usr/bin/python3 cannot run it:\n" << why);
      return;
    }
    CHECK(pyossl_subject_alt_name(*cert) == *theirs);
  }
}

TEST_CASE("X509Extension::get_long_name is the name openssl x509 -text heads it with", "[x509extension]") {
  const auto [type, value, long_name] = GENERATE(table<std::string_view, std::string_view, std::string>({
      {"basicConstraints", "CA:TRUE", "X509v3 Basic Constraints"},
      {"subjectAltName", "DNS:a.example", "X509v3 Subject Alternative Name"},
      {"keyUsage", "digitalSignature", "X509v3 Key Usage"},
      {"1.2.3.4.5", "DER:05:00", "1.2.3.4.5"},
  }));
  const crypto::X509Extension extension = must(crypto::X509Extension::create(type, false, value));
  CHECK(extension.get_long_name() == long_name);
}
