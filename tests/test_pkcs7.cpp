// pyossl::crypto::PKCS7 and load_pkcs7_data — manual section 3.1.6, plus the certificates
// and CRLs of signed PKCS#7, read from what `openssl crl2pkcs7`, `smime` and `cms` write.
#include <algorithm>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <openssl/evp.h>
#include <openssl/pkcs7.h>

#include "catch.hpp"
#include "certificates.hpp"
#include "checks.hpp"
#include "odd_der.hpp"
#include "process.hpp"
#include "pyossl/crypto/certificate_io.hpp"
#include "pyossl/crypto/crl.hpp"
#include "pyossl/crypto/pkcs7.hpp"
#include "pyossl/crypto/x509.hpp"
#include "temp_dir.hpp"

using pyossl::errc;
using pyossl::crypto::filetype;
using pyossl::crypto::FILETYPE_ASN1;
using pyossl::crypto::FILETYPE_PEM;
using pyossl::crypto::load_pkcs7_data;
namespace crypto = pyossl::crypto;  // crypto::PKCS7 and crypto::X509, not OpenSSL's global types

namespace {

using pyossl_test::openssl_or_throw;

// A CA, a leaf it issued, the CA's (empty) CRL made by `openssl ca -gencrl`, and a message,
// made once for the whole run.
struct fixture {
  pyossl_test::temp_dir dir;
  std::string ca = dir.file("ca.pem");
  std::string ca_key = dir.file("ca.key");
  std::string leaf = dir.file("leaf.pem");
  std::string leaf_key = dir.file("leaf.key");
  std::string crl = dir.file("crl.pem");
  std::string message = dir.file("message.txt");

  fixture() {
    openssl_or_throw("req -x509 -newkey rsa:2048 -nodes -keyout " + ca_key + " -out " + ca +
                     " -subj /CN=pkcs7-ca -days 2");
    openssl_or_throw("req -newkey rsa:2048 -nodes -keyout " + leaf_key + " -out " + dir.file("leaf.csr") +
                     " -subj /CN=pkcs7-leaf");
    openssl_or_throw("x509 -req -in " + dir.file("leaf.csr") + " -CA " + ca + " -CAkey " + ca_key +
                     " -set_serial 2 -days 2 -out " + leaf);
    pyossl_test::write_file(dir.file("index.txt"), "");
    pyossl_test::write_file(dir.file("crlnumber"), "01\n");
    pyossl_test::write_file(dir.file("ca.cnf"),
                            "[ca]\ndefault_ca = test_ca\n[test_ca]\ndatabase = " + dir.file("index.txt") +
                                "\ncrlnumber = " + dir.file("crlnumber") +
                                "\ndefault_md = sha256\ndefault_crl_days = 30\ncertificate = " + ca +
                                "\nprivate_key = " + ca_key + "\n");
    openssl_or_throw("ca -config " + dir.file("ca.cnf") + " -gencrl -out " + crl);
    pyossl_test::write_file(message, "a message to sign\n");
  }
};

const fixture& files() {
  static const fixture made;
  return made;
}

std::vector<std::string> common_names(const std::vector<crypto::X509>& certificates) {
  std::vector<std::string> names;
  for (const auto& certificate : certificates)
    names.push_back(certificate.get_subject().get("CN").value_or("?"));
  return names;
}

// `bytes` in base64, 64 characters a line, as a PEM body (EVP_EncodeBlock).
std::string base64(const std::string& bytes) {
  std::string out;
  for (std::size_t at = 0; at < bytes.size(); at += 48) {
    const std::size_t count = std::min<std::size_t>(48, bytes.size() - at);
    std::string line(4 * ((count + 2) / 3) + 1, '\0');
    const int written =
        EVP_EncodeBlock(reinterpret_cast<unsigned char*>(line.data()),
                        reinterpret_cast<const unsigned char*>(bytes.data() + at), static_cast<int>(count));
    line.resize(static_cast<std::size_t>(written));
    out += line + "\n";
  }
  return out;
}

crypto::PKCS7 load(filetype type, const std::string& text) {
  auto p7 = load_pkcs7_data(type, text);
  INFO((p7 ? std::string("ok") : p7.error().message()));
  REQUIRE(p7.has_value());
  return std::move(*p7);
}

struct type_case {
  const char* what;
  std::string command;  // the openssl arguments that write the PKCS#7 to stdout
  filetype type;
  const char* type_name;
  std::vector<std::string> certificates;  // common names; empty for unsigned types
};

}  // namespace

TEST_CASE("load_pkcs7_data reads what openssl writes, with the expected type and certificates",
          "[pkcs7][interop]") {
  const std::string ca = files().ca;
  const std::string leaf = files().leaf;
  const std::string crl = files().crl;
  const std::string message = files().message;
  const std::string sign = " -in " + message + " -signer " + leaf + " -inkey " + files().leaf_key;
  const auto c = GENERATE_COPY(values<type_case>({
      {"crl2pkcs7 -nocrl, PEM",
       "crl2pkcs7 -nocrl -certfile " + leaf + " -certfile " + ca,
       FILETYPE_PEM,
       "pkcs7-signedData",
       {"pkcs7-leaf", "pkcs7-ca"}},
      {"crl2pkcs7 -nocrl, DER",
       "crl2pkcs7 -nocrl -outform DER -certfile " + ca,
       FILETYPE_ASN1,
       "pkcs7-signedData",
       {"pkcs7-ca"}},
      {"crl2pkcs7 with a CRL",
       "crl2pkcs7 -in " + crl + " -certfile " + ca,
       FILETYPE_PEM,
       "pkcs7-signedData",
       {"pkcs7-ca"}},
      {"smime -sign, PEM",
       "smime -sign -outform PEM -certfile " + ca + sign,
       FILETYPE_PEM,
       "pkcs7-signedData",
       {"pkcs7-leaf", "pkcs7-ca"}},
      {"smime -sign -nodetach, DER",
       "smime -sign -nodetach -outform DER" + sign,
       FILETYPE_ASN1,
       "pkcs7-signedData",
       {"pkcs7-leaf"}},
      {"cms -sign, PEM labelled CMS",
       "cms -sign -outform PEM" + sign,
       FILETYPE_PEM,
       "pkcs7-signedData",
       {"pkcs7-leaf"}},
      {"smime -encrypt, PEM",
       "smime -encrypt -aes256 -outform PEM -in " + message + " " + leaf,
       FILETYPE_PEM,
       "pkcs7-envelopedData",
       {}},
      {"cms -data_create, DER",
       "cms -data_create -outform DER -in " + message,
       FILETYPE_ASN1,
       "pkcs7-data",
       {}},
  }));
  CAPTURE(c.what);
  const crypto::PKCS7 p7 = load(c.type, openssl_or_throw(c.command));
  CHECK(p7.get_type_name() == c.type_name);
  const std::string name = c.type_name;
  CHECK(p7.type_is_signed() == (name == "pkcs7-signedData"));
  CHECK(p7.type_is_enveloped() == (name == "pkcs7-envelopedData"));
  CHECK(p7.type_is_data() == (name == "pkcs7-data"));
  CHECK_FALSE(p7.type_is_signedAndEnveloped());
  if (p7.type_is_signed()) {
    auto certificates = p7.get_certificates();
    REQUIRE_OK(certificates);
    // A SET OF: signers may store it DER-sorted (smime does), so compare as sets.
    std::vector<std::string> names = common_names(*certificates);
    std::vector<std::string> expected = c.certificates;
    std::sort(names.begin(), names.end());
    std::sort(expected.begin(), expected.end());
    CHECK(names == expected);
  } else {
    REQUIRE_FAILS_WITH(p7.get_certificates(), errc::invalid_argument);
    REQUIRE_FAILS_WITH(p7.get_crls(), errc::invalid_argument);
  }
}

TEST_CASE("PKCS7 get_certificates returns copies that dump like the files they came from", "[pkcs7]") {
  const fixture& f = files();
  const crypto::PKCS7 p7 =
      load(FILETYPE_PEM, openssl_or_throw("crl2pkcs7 -nocrl -certfile " + f.leaf + " -certfile " + f.ca));
  auto certificates = p7.get_certificates();
  REQUIRE_OK(certificates);
  REQUIRE(certificates->size() == 2);
  CHECK(certificates->at(0).native_handle() != sk_X509_value(p7.native_handle()->d.sign->cert, 0));
  auto leaf = pyossl::crypto::dump_certificate(FILETYPE_PEM, certificates->at(0));
  auto ca = pyossl::crypto::dump_certificate(FILETYPE_PEM, certificates->at(1));
  REQUIRE_OK(leaf);
  REQUIRE_OK(ca);
  CHECK(*leaf == pyossl_test::read_file(f.leaf));
  CHECK(*ca == pyossl_test::read_file(f.ca));
}

TEST_CASE("PKCS7 get_crls returns copies of the CRLs of a signed PKCS#7", "[pkcs7][interop]") {
  const fixture& f = files();
  const crypto::PKCS7 with_crl =
      load(FILETYPE_PEM, openssl_or_throw("crl2pkcs7 -in " + f.crl + " -certfile " + f.ca));
  auto crls = with_crl.get_crls();
  REQUIRE_OK(crls);
  REQUIRE(crls->size() == 1);
  CHECK(crls->front().native_handle() != sk_X509_CRL_value(with_crl.native_handle()->d.sign->crl, 0));
  auto pem = pyossl::crypto::dump_crl(FILETYPE_PEM, crls->front());
  REQUIRE_OK(pem);
  CHECK(*pem == pyossl_test::read_file(f.crl));
  auto der = pyossl::crypto::dump_crl(FILETYPE_ASN1, crls->front());
  REQUIRE_OK(der);
  CHECK(*der == openssl_or_throw("crl -in " + f.crl + " -outform DER"));

  const crypto::PKCS7 without = load(FILETYPE_PEM, openssl_or_throw("crl2pkcs7 -nocrl -certfile " + f.ca));
  auto none = without.get_crls();
  REQUIRE_OK(none);
  CHECK(none->empty());
}

TEST_CASE("A signed PKCS#7 without certificates gives an empty list", "[pkcs7][interop]") {
  const fixture& f = files();
  const crypto::PKCS7 p7 =
      load(FILETYPE_PEM, openssl_or_throw("smime -sign -nocerts -outform PEM -in " + f.message + " -signer " +
                                          f.leaf + " -inkey " + f.leaf_key));
  CHECK(p7.type_is_signed());
  auto certificates = p7.get_certificates();
  REQUIRE_OK(certificates);
  CHECK(certificates->empty());
}

TEST_CASE("A signedAndEnveloped PKCS#7 reports its type and carries certificates", "[pkcs7]") {
  // No openssl command writes this type: build one with OpenSSL's API.
  auto certificate = pyossl::crypto::load_certificate(FILETYPE_PEM, pyossl_test::read_file(files().ca));
  REQUIRE_OK(certificate);
  auto native = pyossl::detail::adopt(PKCS7_new());
  REQUIRE(native);
  REQUIRE(PKCS7_set_type(native.get(), NID_pkcs7_signedAndEnveloped) == 1);
  REQUIRE(PKCS7_add_certificate(native.get(), certificate->native_handle()) == 1);
  const crypto::PKCS7 p7(std::move(native));
  CHECK(p7.type_is_signedAndEnveloped());
  CHECK_FALSE(p7.type_is_signed());
  CHECK_FALSE(p7.type_is_enveloped());
  CHECK(p7.get_type_name() == "pkcs7-signedAndEnvelopedData");
  auto certificates = p7.get_certificates();
  REQUIRE_OK(certificates);
  CHECK(common_names(*certificates) == std::vector<std::string>{"pkcs7-ca"});
  auto crls = p7.get_crls();
  REQUIRE_OK(crls);
  CHECK(crls->empty());
}

TEST_CASE("PKCS7 copies are independent objects with the same content", "[pkcs7]") {
  const crypto::PKCS7 original =
      load(FILETYPE_PEM, openssl_or_throw("crl2pkcs7 -nocrl -certfile " + files().ca));
  crypto::PKCS7 copy = original;
  CHECK(copy.native_handle() != original.native_handle());
  CHECK(copy.get_type_name() == original.get_type_name());
  auto certificates = copy.get_certificates();
  REQUIRE_OK(certificates);
  CHECK(certificates->size() == 1);
  crypto::PKCS7 moved = std::move(copy);
  CHECK(moved.type_is_signed());
}

// Regression (issue 12): PKCS7_dup fails on this loaded bundle ("unexpected eoc", its
// certificate's encoding does not survive being written back), and the copy threw
// std::bad_alloc. Copies now re-read the bytes the PKCS7 was loaded from.
TEST_CASE("a copy of a loaded PKCS#7 OpenSSL cannot re-read is equal and throws no bad_alloc", "[pkcs7]") {
  using pyossl_test::must;
  const crypto::X509 ec = pyossl_test::self_signed(pyossl_test::make_name({{"CN", "odd"}}),
                                                   pyossl_test::generated_key(pyossl_test::ec_p256()));
  const std::string odd_certificate = pyossl_test::certificate_with_odd_signature_parameters(
      must(crypto::dump_certificate(FILETYPE_ASN1, ec)));
  const std::string der = pyossl_test::pkcs7_bundle(odd_certificate);
  const std::string pem = "-----BEGIN PKCS7-----\n" + base64(der) + "-----END PKCS7-----\n";

  for (const auto& [type, encoded] : {std::pair{FILETYPE_ASN1, der}, std::pair{FILETYPE_PEM, pem}}) {
    const crypto::PKCS7 original = load(type, encoded);
    {
      ::PKCS7* duplicated = PKCS7_dup(original.native_handle());  // the OpenSSL behaviour behind the bug
      CHECK(duplicated == nullptr);
      PKCS7_free(duplicated);
      ERR_clear_error();
    }
    crypto::PKCS7 copy = original;
    CHECK(copy.native_handle() != original.native_handle());
    CHECK(copy.get_type_name() == "pkcs7-signedData");
    const auto certificates = must(copy.get_certificates());
    REQUIRE(certificates.size() == 1);
    CHECK(must(crypto::dump_certificate(FILETYPE_ASN1, certificates[0])) ==
          must(crypto::dump_certificate(FILETYPE_ASN1, must(original.get_certificates())[0])));
    crypto::PKCS7 assigned = load(FILETYPE_PEM, openssl_or_throw("crl2pkcs7 -nocrl -certfile " + files().ca));
    assigned = original;
    CHECK(must(assigned.get_certificates()).size() == 1);
    CHECK(ERR_peek_error() == 0UL);
  }
}

TEST_CASE("load_pkcs7_data of garbage, truncated or non-PKCS#7 input fails with crypto error", "[pkcs7]") {
  const std::string pem = openssl_or_throw("crl2pkcs7 -nocrl -certfile " + files().ca);
  const std::string der = openssl_or_throw("crl2pkcs7 -nocrl -outform DER -certfile " + files().ca);
  const std::string certificate = pyossl_test::read_file(files().ca);
  struct bad_input {
    const char* what;
    filetype type;
    std::string buffer;
  };
  const auto c = GENERATE_COPY(values<bad_input>({
      {"empty PEM", FILETYPE_PEM, ""},
      {"empty DER", FILETYPE_ASN1, ""},
      {"text", FILETYPE_PEM, "not a PKCS#7 structure\n"},
      {"garbage DER", FILETYPE_ASN1, std::string("\x30\x82\xff\xff garbage", 13)},
      {"truncated PEM", FILETYPE_PEM, pem.substr(0, pem.size() / 2)},
      {"truncated DER", FILETYPE_ASN1, der.substr(0, der.size() / 2)},
      {"a certificate", FILETYPE_PEM, certificate},
      {"PEM read as DER", FILETYPE_ASN1, pem},
  }));
  CAPTURE(c.what);
  REQUIRE_FAILS_WITH(load_pkcs7_data(c.type, c.buffer), errc::crypto);
}

TEST_CASE("load_pkcs7_data with an unknown file type fails with invalid_argument", "[pkcs7]") {
  REQUIRE_FAILS_WITH(load_pkcs7_data(static_cast<filetype>(3), "anything"), errc::invalid_argument);
}

TEST_CASE("PKCS7 get_certificates of an enveloped PKCS#7 says only signed types carry them", "[pkcs7]") {
  const fixture& f = files();
  const crypto::PKCS7 p7 = load(
      FILETYPE_PEM, openssl_or_throw("smime -encrypt -aes256 -outform PEM -in " + f.message + " " + f.leaf));
  const auto r = p7.get_certificates();
  REQUIRE_FAILS_WITH(r, errc::invalid_argument);
  CHECK(r.error().message().find("pkcs7-envelopedData") != std::string::npos);
}
