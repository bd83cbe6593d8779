// pyossl::crypto::PKCS12 and load_pkcs12 — manual section 3.1.7, every method, round trips
// of every combination of parts, modern and legacy files from `openssl pkcs12 -export`,
// and pyossl's files read by `openssl pkcs12`.
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pkcs12.h>

#include "catch.hpp"
#include "checks.hpp"
#include "process.hpp"
#include "pyossl/crypto/certificate_io.hpp"
#include "pyossl/crypto/key_io.hpp"
#include "pyossl/crypto/pkcs12.hpp"
#include "pyossl/crypto/pkey.hpp"
#include "pyossl/crypto/x509.hpp"
#include "temp_dir.hpp"

using pyossl::errc;
using pyossl::crypto::FILETYPE_PEM;
using pyossl::crypto::load_pkcs12;
using pyossl::crypto::PKey;
namespace crypto = pyossl::crypto;  // crypto::PKCS12 and crypto::X509, not OpenSSL's global types

namespace {

using pyossl_test::openssl_or_throw;

// A root CA, an intermediate it issued, a leaf the intermediate issued, and an unrelated
// self-signed certificate, each with its key file; made once with the openssl CLI.
struct fixture {
  pyossl_test::temp_dir dir;
  std::string root = dir.file("root.pem");
  std::string intermediate = dir.file("intermediate.pem");
  std::string leaf = dir.file("leaf.pem");
  std::string leaf_key = dir.file("leaf.key");
  std::string other = dir.file("other.pem");

  fixture() {
    openssl_or_throw("req -x509 -newkey rsa:2048 -nodes -keyout " + dir.file("root.key") + " -out " + root +
                     " -subj /CN=p12-root -days 2");
    openssl_or_throw("req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout " +
                     dir.file("other.key") + " -out " + other + " -subj /CN=p12-other -days 2");
    issue("intermediate", "root");
    issue("leaf", "intermediate");
  }

  void issue(const std::string& name, const std::string& issuer) {
    openssl_or_throw("req -newkey rsa:2048 -nodes -keyout " + dir.file(name + ".key") + " -out " +
                     dir.file(name + ".csr") + " -subj /CN=p12-" + name);
    openssl_or_throw("x509 -req -in " + dir.file(name + ".csr") + " -CA " + dir.file(issuer + ".pem") +
                     " -CAkey " + dir.file(issuer + ".key") + " -set_serial " + std::to_string(name.size()) +
                     " -days 2 -out " + dir.file(name + ".pem"));
  }

  [[nodiscard]] crypto::X509 certificate(const std::string& path) const {
    return pyossl::unwrap(pyossl::crypto::load_certificate(FILETYPE_PEM, pyossl_test::read_file(path)));
  }
  [[nodiscard]] PKey key() const {
    return pyossl::unwrap(pyossl::crypto::load_privatekey(FILETYPE_PEM, pyossl_test::read_file(leaf_key)));
  }
};

const fixture& files() {
  static const fixture made;
  return made;
}

std::string der_of(const crypto::X509& certificate) {
  return pyossl::unwrap(pyossl::crypto::dump_certificate(pyossl::crypto::FILETYPE_ASN1, certificate));
}

std::vector<std::string> ders_of(const std::optional<std::vector<crypto::X509>>& certificates) {
  std::vector<std::string> ders;
  if (certificates) {
    for (const crypto::X509& certificate : *certificates) ders.push_back(der_of(certificate));
  }
  return ders;
}

bool same_key(const PKey& a, const PKey& b) { return EVP_PKEY_eq(a.native_handle(), b.native_handle()) == 1; }

// A PKCS12 holding the fixture's leaf key, leaf certificate, both CA certificates and `name`.
crypto::PKCS12 full_pkcs12(std::optional<std::string_view> name = "leaf") {
  const fixture& f = files();
  crypto::PKCS12 p12;
  p12.set_privatekey(f.key());
  p12.set_certificate(f.certificate(f.leaf));
  p12.set_ca_certificates(std::vector<crypto::X509>{f.certificate(f.intermediate), f.certificate(f.root)});
  pyossl::unwrap(p12.set_friendlyname(name));
  return p12;
}

crypto::PKCS12 round_trip(const crypto::PKCS12& p12, std::optional<std::string_view> passphrase = "secret") {
  auto exported = p12.export_(passphrase);
  INFO((exported ? std::string("exported") : exported.error().message()));
  REQUIRE(exported.has_value());
  auto loaded = load_pkcs12(*exported, passphrase);
  INFO((loaded ? std::string("loaded") : loaded.error().message()));
  REQUIRE(loaded.has_value());
  return std::move(*loaded);
}

}  // namespace

TEST_CASE("A new PKCS12 is empty and has nothing to export", "[pkcs12]") {
  const crypto::PKCS12 p12;
  CHECK_FALSE(p12.get_certificate().has_value());
  CHECK_FALSE(p12.get_privatekey().has_value());
  CHECK_FALSE(p12.get_ca_certificates().has_value());
  CHECK_FALSE(p12.get_friendlyname().has_value());
  REQUIRE_FAILS_WITH(p12.export_("secret"), errc::invalid_argument);
}

TEST_CASE("PKCS12 setters replace and remove each part", "[pkcs12]") {
  const fixture& f = files();
  crypto::PKCS12 p12 = full_pkcs12();
  REQUIRE(p12.get_certificate().has_value());
  CHECK(der_of(*p12.get_certificate()) == der_of(f.certificate(f.leaf)));
  REQUIRE(p12.get_privatekey().has_value());
  CHECK(same_key(*p12.get_privatekey(), f.key()));
  CHECK(ders_of(p12.get_ca_certificates()) ==
        std::vector<std::string>{der_of(f.certificate(f.intermediate)), der_of(f.certificate(f.root))});
  CHECK(p12.get_friendlyname() == "leaf");

  SECTION("an empty vector or nullopt removes the CA certificates") {
    p12.set_ca_certificates(std::vector<crypto::X509>{});
    CHECK_FALSE(p12.get_ca_certificates().has_value());
    p12.set_ca_certificates(std::vector<crypto::X509>{f.certificate(f.root)});
    CHECK(p12.get_ca_certificates()->size() == 1);
    p12.set_ca_certificates(std::nullopt);
    CHECK_FALSE(p12.get_ca_certificates().has_value());
  }
  SECTION("nullopt removes the certificate, the key and the friendly name") {
    p12.set_certificate(std::nullopt);
    p12.set_privatekey(std::nullopt);
    REQUIRE_OK(p12.set_friendlyname(std::nullopt));
    CHECK_FALSE(p12.get_certificate().has_value());
    CHECK_FALSE(p12.get_privatekey().has_value());
    CHECK_FALSE(p12.get_friendlyname().has_value());
  }
  SECTION("an empty PKey removes the key") {
    p12.set_privatekey(PKey());
    CHECK_FALSE(p12.get_privatekey().has_value());
  }
}

TEST_CASE("PKCS12 set_friendlyname rejects what a PKCS#12 cannot store with invalid_argument", "[pkcs12]") {
  const std::string name = GENERATE(std::string("\xff\xfe"), std::string("caf\xe9"), std::string("a\0b", 3),
                                    std::string("\xed\xa0\x80"),           // a UTF-16 surrogate
                                    std::string("\xc0\xaf"),               // an overlong '/'
                                    std::string("key \xf0\x9f\x94\x91"));  // U+1F511, outside the BMP
  crypto::PKCS12 p12 = full_pkcs12();
  REQUIRE_FAILS_WITH(p12.set_friendlyname(name), errc::invalid_argument);
  CHECK(p12.get_friendlyname() == "leaf");
}

TEST_CASE("PKCS12 export_ then load_pkcs12 keeps every part that is present", "[pkcs12]") {
  struct parts {
    bool key;
    bool certificate;
    bool ca;
    bool name;
  };
  const auto c = GENERATE(values<parts>({{true, true, true, true},
                                         {true, true, false, false},
                                         {true, false, false, false},
                                         {false, true, false, true},
                                         {false, true, true, false},
                                         {false, false, true, false},
                                         {true, false, true, false}}));
  CAPTURE(c.key, c.certificate, c.ca, c.name);
  const fixture& f = files();
  crypto::PKCS12 p12;
  if (c.key) p12.set_privatekey(f.key());
  if (c.certificate) p12.set_certificate(f.certificate(f.leaf));
  // None of them matches the key: PKCS12_parse would hand such a one back as the certificate.
  const std::vector<crypto::X509> cas{f.certificate(f.intermediate), f.certificate(f.root),
                                      f.certificate(f.other)};
  if (c.ca) p12.set_ca_certificates(cas);
  if (c.name) REQUIRE_OK(p12.set_friendlyname("my leaf"));

  const crypto::PKCS12 loaded = round_trip(p12);
  CHECK(loaded.get_privatekey().has_value() == c.key);
  if (c.key) CHECK(same_key(*loaded.get_privatekey(), f.key()));
  CHECK(loaded.get_certificate().has_value() == c.certificate);
  if (c.certificate) CHECK(der_of(*loaded.get_certificate()) == der_of(f.certificate(f.leaf)));
  CHECK(loaded.get_ca_certificates().has_value() == c.ca);
  if (c.ca) CHECK(ders_of(loaded.get_ca_certificates()) == ders_of(cas));
  CHECK(loaded.get_friendlyname() == (c.name ? std::optional<std::string>("my leaf") : std::nullopt));
}

TEST_CASE("PKCS12 keeps a friendly name byte for byte, non-ASCII UTF-8 included", "[pkcs12]") {
  const std::string name = GENERATE(std::string("plain"), std::string(""), std::string("Zo\xc3\xab"),
                                    std::string("\xe8\xa8\xbc\xe6\x98\x8e\xe6\x9b\xb8"),  // 証明書
                                    std::string("\xef\xbf\xbd"),  // U+FFFD, the BMP's edge
                                    std::string(300, 'n'));
  CAPTURE(name);
  const crypto::PKCS12 loaded = round_trip(full_pkcs12(name));
  CHECK(loaded.get_friendlyname() == name);
}

TEST_CASE("PKCS12 export_ writes the friendly name set after load, not the one loaded", "[pkcs12]") {
  crypto::PKCS12 loaded = round_trip(full_pkcs12("first"));
  REQUIRE(loaded.get_friendlyname() == "first");
  REQUIRE_OK(loaded.set_friendlyname("second"));
  CHECK(round_trip(loaded).get_friendlyname() == "second");
  REQUIRE_OK(loaded.set_friendlyname(std::nullopt));
  CHECK_FALSE(round_trip(loaded).get_friendlyname().has_value());
}

TEST_CASE("PKCS12 export_ and load_pkcs12 agree on every kind of passphrase", "[pkcs12]") {
  const std::optional<std::string> passphrase = GENERATE(
      std::optional<std::string>(), std::optional<std::string>(""), std::optional<std::string>("secret"),
      std::optional<std::string>("p\xc3\xa4sswort"), std::optional<std::string>(std::string(200, 'p')));
  CAPTURE(passphrase.value_or("(none)"));
  const std::optional<std::string_view> view =
      passphrase ? std::optional<std::string_view>(*passphrase) : std::nullopt;
  const crypto::PKCS12 loaded = round_trip(full_pkcs12(), view);
  CHECK(loaded.get_privatekey().has_value());
  CHECK(loaded.get_friendlyname() == "leaf");
}

TEST_CASE("PKCS12 takes nullptr as pyOpenSSL's None for its optional strings", "[pkcs12]") {
  crypto::PKCS12 p12 = full_pkcs12();
  REQUIRE_OK(p12.set_friendlyname(nullptr));
  CHECK_FALSE(p12.get_friendlyname().has_value());
  const auto exported = p12.export_(nullptr);
  REQUIRE_OK(exported);
  const auto loaded = load_pkcs12(*exported, nullptr);
  REQUIRE_OK(loaded);
  CHECK(loaded->get_privatekey().has_value());
}

TEST_CASE("PKCS12 export_ honours iter and maciter", "[pkcs12][interop]") {
  struct counts {
    int iter;
    int maciter;
    const char* expected_mac_line;
  };
  const auto c = GENERATE(values<counts>({{2048, 1, "Iteration 1"},
                                          {1, 1, "Iteration 1"},
                                          {10000, 4096, "Iteration 4096"},
                                          {0, 0, "Iteration 2048"}}));
  CAPTURE(c.iter, c.maciter);
  auto exported = full_pkcs12().export_("pw", c.iter, c.maciter);
  REQUIRE_OK(exported);
  const pyossl_test::temp_dir dir;
  pyossl_test::write_file(dir.file("a.p12"), *exported);
  const std::string info = openssl_or_throw("pkcs12 -info -noout -passin pass:pw -in " + dir.file("a.p12"));
  CHECK(info.find(std::string("MAC: sha256, ") + c.expected_mac_line) != std::string::npos);
  const std::string iterations = "Iteration " + std::to_string(c.iter == 0 ? 2048 : c.iter);
  CHECK(info.find("AES-256-CBC, " + iterations) != std::string::npos);
  auto loaded = load_pkcs12(*exported, "pw");
  REQUIRE_OK(loaded);
}

TEST_CASE(
    "PKCS12 export_ fails with invalid_argument for a negative count, a NUL passphrase or a public-only key",
    "[pkcs12]") {
  const crypto::PKCS12 p12 = full_pkcs12();
  REQUIRE_FAILS_WITH(p12.export_("pw", -1, 1), errc::invalid_argument);
  REQUIRE_FAILS_WITH(p12.export_("pw", 2048, -2), errc::invalid_argument);
  REQUIRE_FAILS_WITH(p12.export_(std::string_view("p\0w", 3)), errc::invalid_argument);

  const fixture& f = files();
  auto public_pem = pyossl::crypto::dump_publickey(FILETYPE_PEM, f.key());
  REQUIRE_OK(public_pem);
  auto public_only = pyossl::crypto::load_publickey(FILETYPE_PEM, *public_pem);
  REQUIRE_OK(public_only);
  crypto::PKCS12 with_public_key;
  with_public_key.set_privatekey(*public_only);
  REQUIRE_FAILS_WITH(with_public_key.export_("pw"), errc::invalid_argument);
}

TEST_CASE("PKCS12 export_ of a key that does not match the certificate fails with crypto error", "[pkcs12]") {
  crypto::PKCS12 p12 = full_pkcs12();
  PKey other;
  REQUIRE_OK(other.generate_key(pyossl::crypto::TYPE_EC, 256));
  p12.set_privatekey(other);
  REQUIRE_FAILS_WITH(p12.export_("pw"), errc::crypto);
}

TEST_CASE("PKCS12 export_ of a certificate never signed fails with crypto error", "[pkcs12]") {
  crypto::X509 unsigned_certificate;
  REQUIRE_OK(unsigned_certificate.set_serial_number(7));
  SECTION("as the certificate") {
    crypto::PKCS12 p12;
    p12.set_certificate(unsigned_certificate);
    const auto exported = p12.export_("pw");
    REQUIRE_FAILS_WITH(exported, errc::crypto);
    CHECK(exported.error().message().find("signed") != std::string::npos);
  }
  SECTION("among the CA certificates") {
    crypto::PKCS12 p12 = full_pkcs12();
    p12.set_ca_certificates(std::vector<crypto::X509>{unsigned_certificate});
    REQUIRE_FAILS_WITH(p12.export_("pw"), errc::crypto);
  }
}

TEST_CASE("load_pkcs12 with a wrong or missing passphrase fails with crypto error", "[pkcs12]") {
  auto exported = full_pkcs12().export_("right");
  REQUIRE_OK(exported);
  const std::optional<std::string> passphrase = GENERATE(
      std::optional<std::string>("wrong"), std::optional<std::string>(""), std::optional<std::string>());
  const std::optional<std::string_view> view =
      passphrase ? std::optional<std::string_view>(*passphrase) : std::nullopt;
  const auto r = load_pkcs12(*exported, view);
  REQUIRE_FAILS_WITH(r, errc::crypto);
  CHECK(r.error().message().find("mac verify failure") != std::string::npos);
}

TEST_CASE("load_pkcs12 of a file with a bad MAC fails with crypto error", "[pkcs12]") {
  auto exported = full_pkcs12().export_("pw");
  REQUIRE_OK(exported);
  std::string tampered = *exported;
  // The MAC sits near the end, before its salt and iteration count.
  tampered[tampered.size() - 20] = static_cast<char>(tampered[tampered.size() - 20] ^ 0x01);
  REQUIRE_FAILS_WITH(load_pkcs12(tampered, "pw"), errc::crypto);
}

TEST_CASE("load_pkcs12 of garbage, truncated or empty input fails with crypto error", "[pkcs12]") {
  auto exported = full_pkcs12().export_("pw");
  REQUIRE_OK(exported);
  const std::string buffer = GENERATE_COPY(
      std::string(), std::string("not a PKCS#12 file"), exported->substr(0, exported->size() / 2),
      exported->substr(0, 10), std::string("\x30\x80\x00\x00", 4), pyossl_test::read_file(files().leaf));
  REQUIRE_FAILS_WITH(load_pkcs12(buffer, "pw"), errc::crypto);
}

TEST_CASE("load_pkcs12 with a NUL in the passphrase fails with invalid_argument", "[pkcs12]") {
  auto exported = full_pkcs12().export_("pw");
  REQUIRE_OK(exported);
  REQUIRE_FAILS_WITH(load_pkcs12(*exported, std::string_view("p\0w", 3)), errc::invalid_argument);
}

TEST_CASE("openssl pkcs12 reads the certificates, name and key pyossl exports", "[pkcs12][interop]") {
  const fixture& f = files();
  auto exported = full_pkcs12("Joe's key").export_("pass phrase");
  REQUIRE_OK(exported);
  const pyossl_test::temp_dir dir;
  const std::string path = dir.file("pyossl.p12");
  pyossl_test::write_file(path, *exported);
  pyossl_test::write_file(dir.file("pass"), "pass phrase\n");
  const std::string passin = " -passin file:" + dir.file("pass");

  const std::string info = openssl_or_throw("pkcs12 -info -nokeys -in " + path + passin);
  CHECK(info.find("MAC: sha256") != std::string::npos);
  CHECK(info.find("PBES2, PBKDF2, AES-256-CBC") != std::string::npos);
  CHECK(info.find("friendlyName: Joe's key") != std::string::npos);
  CHECK(info.find("subject=CN = p12-leaf") != std::string::npos);
  CHECK(info.find("subject=CN = p12-intermediate") != std::string::npos);
  CHECK(info.find("subject=CN = p12-root") != std::string::npos);

  const std::string key_pem = openssl_or_throw("pkcs12 -nocerts -nodes -in " + path + passin);
  const auto begin = key_pem.find("-----BEGIN PRIVATE KEY-----");
  REQUIRE(begin != std::string::npos);
  auto key = pyossl::crypto::load_privatekey(FILETYPE_PEM, key_pem.substr(begin));
  REQUIRE_OK(key);
  CHECK(same_key(*key, f.key()));

  const std::string leaf = openssl_or_throw("pkcs12 -nokeys -clcerts -in " + path + passin);
  CHECK(leaf.find(pyossl_test::read_file(f.leaf)) != std::string::npos);
}

TEST_CASE("load_pkcs12 reads what openssl pkcs12 -export writes, modern and legacy", "[pkcs12][interop]") {
  const char* options =
      GENERATE("", "-legacy", "-descert", "-keypbe AES-128-CBC -certpbe AES-128-CBC -macalg sha1");
  CAPTURE(options);
  const fixture& f = files();
  const pyossl_test::temp_dir dir;
  const std::string path = dir.file("openssl.p12");
  pyossl_test::write_file(dir.file("chain.pem"),
                          pyossl_test::read_file(f.intermediate) + pyossl_test::read_file(f.root));
  openssl_or_throw(std::string("pkcs12 -export ") + options + " -in " + f.leaf + " -inkey " + f.leaf_key +
                   " -certfile " + dir.file("chain.pem") + " -name 'caf\xc3\xa9 key' -passout pass:pw -out " +
                   path);

  auto loaded = load_pkcs12(pyossl_test::read_file(path), "pw");
  REQUIRE_OK(loaded);
  REQUIRE(loaded->get_privatekey().has_value());
  CHECK(same_key(*loaded->get_privatekey(), f.key()));
  REQUIRE(loaded->get_certificate().has_value());
  CHECK(der_of(*loaded->get_certificate()) == der_of(f.certificate(f.leaf)));
  CHECK(ders_of(loaded->get_ca_certificates()) ==
        std::vector<std::string>{der_of(f.certificate(f.intermediate)), der_of(f.certificate(f.root))});
  CHECK(loaded->get_friendlyname() == "caf\xc3\xa9 key");

  REQUIRE_FAILS_WITH(load_pkcs12(pyossl_test::read_file(path), "wrong"), errc::crypto);
}

// Run by the next test in a child process whose OPENSSL_MODULES holds no legacy provider.
TEST_CASE("load_pkcs12 without the legacy provider (child process)", "[.pkcs12_no_legacy_provider]") {
  const char* legacy_file = std::getenv("PYOSSL_TEST_LEGACY_P12");
  const char* modern_file = std::getenv("PYOSSL_TEST_MODERN_P12");
  REQUIRE(legacy_file != nullptr);
  REQUIRE(modern_file != nullptr);
  const auto r = load_pkcs12(pyossl_test::read_file(legacy_file), "pw");
  REQUIRE_FAILS_WITH(r, errc::unsupported);
  CHECK(r.error().message().find("legacy provider") != std::string::npos);
  // The failed attempt to load it leaves the default provider working.
  REQUIRE_OK(load_pkcs12(pyossl_test::read_file(modern_file), "pw"));
  REQUIRE_FAILS_WITH(load_pkcs12(pyossl_test::read_file(legacy_file), "pw"), errc::unsupported);
}

TEST_CASE(
    "load_pkcs12 of a legacy file fails with unsupported, saying why, where the legacy provider is missing",
    "[pkcs12][interop]") {
  const fixture& f = files();
  const pyossl_test::temp_dir dir;
  const std::string legacy = dir.file("legacy.p12");
  const std::string modern = dir.file("modern.p12");
  const std::string export_options = " -in " + f.leaf + " -inkey " + f.leaf_key + " -passout pass:pw -out ";
  openssl_or_throw("pkcs12 -export -legacy" + export_options + legacy);
  openssl_or_throw("pkcs12 -export" + export_options + modern);
  std::filesystem::create_directory(dir.file("no-modules"));
  const auto child = pyossl_test::run_command(
      "OPENSSL_MODULES=" + dir.file("no-modules") + " PYOSSL_TEST_LEGACY_P12=" + legacy +
      " PYOSSL_TEST_MODERN_P12=" + modern + " '" + std::filesystem::read_symlink("/proc/self/exe").string() +
      "' '[.pkcs12_no_legacy_provider]'");
  INFO(child.output);
  CHECK(child.exit_code == 0);
  CHECK(child.output.find("All tests passed") != std::string::npos);
}

TEST_CASE("load_pkcs12 of a key-less file from openssl gives every certificate as a CA certificate",
          "[pkcs12][interop]") {
  // `openssl pkcs12 -export -nokeys` marks no certificate as the key's, so, as in pyOpenSSL,
  // there is no "certificate": all of them are CA certificates, in file order.
  const fixture& f = files();
  const pyossl_test::temp_dir dir;
  const std::string path = dir.file("certificates.p12");
  openssl_or_throw("pkcs12 -export -nokeys -in " + f.leaf + " -certfile " + f.root +
                   " -passout pass:pw -out " + path);
  auto loaded = load_pkcs12(pyossl_test::read_file(path), "pw");
  REQUIRE_OK(loaded);
  CHECK_FALSE(loaded->get_privatekey().has_value());
  CHECK_FALSE(loaded->get_certificate().has_value());
  CHECK(ders_of(loaded->get_ca_certificates()) ==
        std::vector<std::string>{der_of(f.certificate(f.leaf)), der_of(f.certificate(f.root))});
}

TEST_CASE("openssl pkcs12 reads a key-less PKCS12 that pyossl exports", "[pkcs12][interop]") {
  const fixture& f = files();
  crypto::PKCS12 p12;
  p12.set_certificate(f.certificate(f.leaf));
  p12.set_ca_certificates(std::vector<crypto::X509>{f.certificate(f.root)});
  REQUIRE_OK(p12.set_friendlyname("no key"));
  auto exported = p12.export_("pw");
  REQUIRE_OK(exported);
  const pyossl_test::temp_dir dir;
  pyossl_test::write_file(dir.file("a.p12"), *exported);
  const std::string certificates =
      openssl_or_throw("pkcs12 -nokeys -passin pass:pw -in " + dir.file("a.p12"));
  CHECK(certificates.find("friendlyName: no key") != std::string::npos);
  CHECK(certificates.find(pyossl_test::read_file(f.leaf)) != std::string::npos);
  CHECK(certificates.find(pyossl_test::read_file(f.root)) != std::string::npos);
}

namespace {

// Whether the DER PKCS#12 `der` carries a MAC (PKCS12_mac_present).
bool has_mac(const std::string& der) {
  const auto* in = reinterpret_cast<const unsigned char*>(der.data());
  ::PKCS12* p12 = d2i_PKCS12(nullptr, &in, static_cast<long>(der.size()));
  REQUIRE(p12 != nullptr);
  const bool present = PKCS12_mac_present(p12) == 1;
  PKCS12_free(p12);
  return present;
}

}  // namespace

TEST_CASE("PKCS12 export_ with maciter -1 writes no MAC that load_pkcs12 and openssl then read",
          "[pkcs12][interop]") {
  const auto passphrase = GENERATE(as<std::optional<std::string_view>>{}, "secret", std::nullopt);
  CAPTURE(passphrase.value_or("(none)"));
  const crypto::PKCS12 p12 = full_pkcs12();
  auto exported = p12.export_(passphrase, 2048, -1);
  REQUIRE_OK(exported);
  CHECK_FALSE(has_mac(*exported));
  CHECK(has_mac(pyossl::unwrap(p12.export_(passphrase))));

  auto loaded = load_pkcs12(*exported, passphrase);
  REQUIRE_OK(loaded);
  REQUIRE(loaded->get_certificate().has_value());
  CHECK(der_of(*loaded->get_certificate()) == der_of(*p12.get_certificate()));
  REQUIRE(loaded->get_privatekey().has_value());
  CHECK(same_key(*loaded->get_privatekey(), *p12.get_privatekey()));
  CHECK(ders_of(loaded->get_ca_certificates()) == ders_of(p12.get_ca_certificates()));

  const pyossl_test::temp_dir dir;
  pyossl_test::write_file(dir.file("nomac.p12"), *exported);
  const std::string pem = openssl_or_throw("pkcs12 -nomacver -nodes -passin pass:" +
                                           std::string(passphrase.value_or("")) + " -in " + dir.file("nomac.p12"));
  CHECK(pem.find("BEGIN PRIVATE KEY") != std::string::npos);
}

TEST_CASE("load_pkcs12 reads a MAC-less file from openssl pkcs12 -export -nomac", "[pkcs12][interop]") {
  const fixture& f = files();
  const pyossl_test::temp_dir dir;
  openssl_or_throw("pkcs12 -export -nomac -in " + f.leaf + " -inkey " + f.leaf_key +
                   " -passout pass:secret -out " + dir.file("cli.p12"));
  const std::string der = pyossl_test::read_file(dir.file("cli.p12"));
  CHECK_FALSE(has_mac(der));
  auto loaded = load_pkcs12(der, "secret");
  REQUIRE_OK(loaded);
  REQUIRE(loaded->get_certificate().has_value());
  CHECK(der_of(*loaded->get_certificate()) == der_of(f.certificate(f.leaf)));
}

TEST_CASE("load_pkcs12 of a MAC-less file with a wrong passphrase fails with crypto error", "[pkcs12]") {
  const std::string exported = pyossl::unwrap(full_pkcs12().export_("secret", 2048, -1));
  REQUIRE_FAILS_WITH(load_pkcs12(exported, "wrong"), errc::crypto);
}

namespace {

// Every 3-byte DER INTEGER 65536 (02 03 01 00 00) in `der` made 8,388,607 (02 03 7F FF FF):
// the iteration counts of a file exported with 65536, raised without changing its layout.
std::string raise_iterations(std::string der, int expected) {
  const std::string from("\x02\x03\x01\x00\x00", 5);
  const std::string to("\x02\x03\x7f\xff\xff", 5);
  int raised = 0;
  for (std::size_t at = der.find(from); at != std::string::npos; at = der.find(from, at + to.size())) {
    der.replace(at, from.size(), to);
    ++raised;
  }
  REQUIRE(raised == expected);
  return der;
}

// A file whose only authsafe is encrypted (`outer_iterations`) and holds the key as a
// shrouded key bag (`inner_iterations`), a count a scan can read only by decrypting; the
// key bag nested `depth` safeContents bags deep.
// The key is encrypted with AES-256 under PBKDF2 with `prf`: HMAC-SHA-1's 20-byte blocks
// take two per 32-byte key, so its work counts twice its iterations.
std::string nested_key_file(int mac_iterations, int outer_iterations, int inner_iterations, int depth = 0,
                            int prf = NID_hmacWithSHA256) {
  const PKey key = files().key();
  PKCS8_PRIV_KEY_INFO* info = EVP_PKEY2PKCS8(key.native_handle());
  REQUIRE(info != nullptr);
  X509_ALGOR* algorithm = PKCS5_pbe2_set_iv(EVP_aes_256_cbc(), inner_iterations, nullptr, 0, nullptr, prf);
  REQUIRE(algorithm != nullptr);
  X509_SIG* shrouded = PKCS8_set0_pbe("secret", 6, info, algorithm);  // takes `algorithm`
  PKCS8_PRIV_KEY_INFO_free(info);
  REQUIRE(shrouded != nullptr);
  PKCS12_SAFEBAG* key_bag = PKCS12_SAFEBAG_create0_pkcs8(shrouded);  // takes `shrouded`
  REQUIRE(key_bag != nullptr);
  STACK_OF(PKCS12_SAFEBAG)* bags = sk_PKCS12_SAFEBAG_new_null();
  REQUIRE(bags != nullptr);
  REQUIRE(sk_PKCS12_SAFEBAG_push(bags, key_bag) > 0);
  if (depth > 0) {
    // OpenSSL has no constructor for a safeContents bag: wrap the key bag's DER by hand,
    // SEQUENCE { OID safeContentsBag, [0] EXPLICIT SEQUENCE OF SafeBag }, `depth` times.
    const auto tlv = [](unsigned char tag, const std::string& body) {
      std::string length;
      if (body.size() < 0x80) {
        length = std::string(1, static_cast<char>(body.size()));
      } else {
        for (std::size_t left = body.size(); left > 0; left >>= 8) length.insert(0, 1, static_cast<char>(left & 0xff));
        length.insert(0, 1, static_cast<char>(0x80 | length.size()));
      }
      return std::string(1, static_cast<char>(tag)) + length + body;
    };
    unsigned char* key_der = nullptr;
    const int key_length = i2d_PKCS12_SAFEBAG(sk_PKCS12_SAFEBAG_value(bags, 0), &key_der);
    REQUIRE(key_length > 0);
    std::string bag(reinterpret_cast<const char*>(key_der), static_cast<std::size_t>(key_length));
    OPENSSL_free(key_der);
    const std::string safe_contents_oid = tlv(0x06, std::string("\x2a\x86\x48\x86\xf7\x0d\x01\x0c\x0a\x01\x06", 11));
    for (int level = 0; level < depth; ++level) bag = tlv(0x30, safe_contents_oid + tlv(0xa0, tlv(0x30, bag)));
    const auto* in = reinterpret_cast<const unsigned char*>(bag.data());
    PKCS12_SAFEBAG* nested = d2i_PKCS12_SAFEBAG(nullptr, &in, static_cast<long>(bag.size()));
    REQUIRE(nested != nullptr);
    sk_PKCS12_SAFEBAG_pop_free(bags, PKCS12_SAFEBAG_free);
    bags = sk_PKCS12_SAFEBAG_new_null();
    REQUIRE(bags != nullptr);
    REQUIRE(sk_PKCS12_SAFEBAG_push(bags, nested) > 0);
  }
  STACK_OF(PKCS7)* safes = nullptr;
  const int added = PKCS12_add_safe(&safes, bags, NID_aes_256_cbc, outer_iterations, "secret");
  sk_PKCS12_SAFEBAG_pop_free(bags, PKCS12_SAFEBAG_free);
  REQUIRE(added == 1);
  ::PKCS12* p12 = PKCS12_add_safes(safes, 0);
  sk_PKCS7_pop_free(safes, PKCS7_free);
  REQUIRE(p12 != nullptr);
  REQUIRE(PKCS12_set_mac(p12, "secret", -1, nullptr, 0, mac_iterations, EVP_sha256()) == 1);
  unsigned char* der = nullptr;
  const int length = i2d_PKCS12(p12, &der);
  PKCS12_free(p12);
  REQUIRE(length > 0);
  std::string bytes(reinterpret_cast<const char*>(der), static_cast<std::size_t>(length));
  OPENSSL_free(der);
  return bytes;
}

}  // namespace

TEST_CASE("load_pkcs12 refuses a file that asks for too many key-derivation iterations, before any",
          "[pkcs12][bad-input]") {
  // Exported with 65536 iterations for the key, the certificates and the MAC, then raised to
  // 8.4 million each: 25 million in all, past the 10 million load_pkcs12 allows. Unchecked,
  // OpenSSL would derive for seconds and then find the MAC wrong.
  const std::string exported = pyossl::unwrap(full_pkcs12().export_("secret", 65536, 65536));
  REQUIRE_OK(load_pkcs12(exported, "secret"));  // as exported: 196,608 iterations, fine
  const std::string hostile = raise_iterations(exported, 3);
  for (const char* passphrase : {"secret", "wrong"}) {
    auto loaded = load_pkcs12(hostile, passphrase);
    REQUIRE_FAILS_WITH(loaded, errc::invalid_argument);
    CHECK(loaded.error().message().find("iterations") != std::string::npos);
    CHECK(ERR_peek_error() == 0UL);
  }
  CHECK(pyossl::detail::pbe_max_iterations == 10'000'000U);
}

TEST_CASE("load_pkcs12 counts the iterations of bags inside an encrypted authsafe too",
          "[pkcs12][bad-input]") {
  // The MAC's and the authsafe's counts are readable up front; the key inside the authsafe
  // asks for 2 million more, read by decrypting the authsafe. Loading may parse twice (a
  // legacy algorithm's retry), so what is counted is twice the sum: 4.3 million, allowed.
  const std::string within = nested_key_file(2048, 65537, 2'000'000);
  auto loaded = load_pkcs12(within, "secret");
  REQUIRE_OK(loaded);
  CHECK(same_key(*loaded->get_privatekey(), files().key()));
  // 2.5 million iterations of HMAC-SHA-1 make 5 million block derivations for an AES-256
  // key: 10.3 million counted with the rest, found only inside the authsafe.
  auto inner = load_pkcs12(nested_key_file(2048, 65537, 2'500'000, 0, NID_hmacWithSHA1), "secret");
  REQUIRE_FAILS_WITH(inner, errc::invalid_argument);
  CHECK(inner.error().message().find("iterations") != std::string::npos);
  CHECK(ERR_peek_error() == 0UL);
  // A MAC raised to 8.4 million is refused before anything is decrypted.
  auto raised = load_pkcs12(raise_iterations(nested_key_file(65536, 65537, 2048), 1), "secret");
  REQUIRE_FAILS_WITH(raised, errc::invalid_argument);
  CHECK(raised.error().queue().empty());
}

TEST_CASE("load_pkcs12 follows nested bags a few levels deep, and refuses nesting no exporter writes",
          "[pkcs12][bad-input]") {
  // PKCS12_parse follows safeContents bags to any depth; the scan follows them 8 deep.
  auto nested = load_pkcs12(nested_key_file(2048, 2048, 2048, 3), "secret");
  REQUIRE_OK(nested);
  CHECK(same_key(*nested->get_privatekey(), files().key()));
  auto deep = load_pkcs12(nested_key_file(2048, 2048, 2048, 9), "secret");
  REQUIRE_FAILS_WITH(deep, errc::invalid_argument);
  CHECK(deep.error().queue().empty());
  CHECK(ERR_peek_error() == 0UL);
}
