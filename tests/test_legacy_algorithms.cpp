// What pyOpenSSL 0.11-0.15 programs did that OpenSSL 3 no longer does: each fails with
// errc::unsupported or a clear error, never silently (docs/porting.md lists them).
#include <string>

#include "catch.hpp"
#include "certificates.hpp"
#include "checks.hpp"
#include "keys.hpp"
#include "pyossl/crypto.hpp"
#include "pyossl/ssl.hpp"

// Inside a namespace, so that X509 names pyossl's class rather than OpenSSL's struct.
namespace {

using namespace pyossl::crypto;
using pyossl::errc;
using pyossl::crypto::X509;
using pyossl_test::must;
namespace ssl = pyossl::ssl;

// The first reason in the error's queue (or its message when OpenSSL queued none).
std::string reason(const pyossl::error& e) {
  return e.queue().empty() ? e.message() : e.queue().front().reason;
}

TEST_CASE(
    "digests in OpenSSL 3's legacy provider fail with unsupported, unknown ones with invalid_argument") {
  const PKey key = pyossl_test::generated_key(pyossl_test::key_cases().at(1));
  for (const char* legacy : {"md4", "whirlpool"}) {
    INFO(legacy);
    const auto signed_with = sign(key, "data", legacy);
    REQUIRE_FAILS_WITH(signed_with, errc::unsupported);
    CHECK(signed_with.error().message().find("legacy provider") != std::string::npos);
    CHECK(signed_with.error().message().find("OSSL_PROVIDER_load(nullptr, \"legacy\")") != std::string::npos);
    X509 cert = pyossl_test::self_signed(pyossl_test::make_name({{"CN", "legacy"}}), key);
    REQUIRE_FAILS_WITH(cert.sign(key, legacy), errc::unsupported);
    REQUIRE_FAILS_WITH(cert.digest(legacy), errc::unsupported);
  }
  REQUIRE_FAILS_WITH(sign(key, "data", "no-such-digest"), errc::invalid_argument);
  REQUIRE_OK(sign(key, "data", "md5"));  // MD5 itself is still in the default provider
}

TEST_CASE("dump_privatekey with Blowfish, DES or CAST5 fails with unsupported") {
  const PKey key = pyossl_test::generated_key(pyossl_test::key_cases().at(3));
  for (const char* cipher : {"bf-cbc", "des-cbc", "cast5-cbc"}) {
    INFO(cipher);
    const auto dumped = dump_privatekey(FILETYPE_PEM, key, cipher, "secret");
    REQUIRE_FAILS_WITH(dumped, errc::unsupported);
    CHECK(dumped.error().message().find(cipher) != std::string::npos);
  }
  REQUIRE_FAILS_WITH(dump_privatekey(FILETYPE_PEM, key, "no-such-cipher", "secret"), errc::invalid_argument);
  REQUIRE_OK(dump_privatekey(FILETYPE_PEM, key, "des-ede3-cbc", "secret"));  // 3DES still is in default
}

TEST_CASE("a 512-bit RSA key is made but a Context at the default security level refuses it") {
  PKey key;
  REQUIRE_OK(key.generate_key(TYPE_RSA, 512));
  const X509 cert = pyossl_test::self_signed(pyossl_test::make_name({{"CN", "weak"}}), key);
  auto context = pyossl::unwrap(ssl::Context::create(ssl::TLS_METHOD));
  const auto used = context.use_certificate(cert);
  REQUIRE_FAILS_WITH(used, errc::ssl);
  CHECK(reason(used.error()) == "ee key too small");
}

TEST_CASE("an MD5-signed certificate is made but a Context at the default security level refuses it") {
  const PKey ca_key = pyossl_test::generated_key(pyossl_test::key_cases().at(1));
  const PKey key = pyossl_test::generated_key(pyossl_test::key_cases().at(3));
  const X509 cert =
      pyossl_test::make_certificate(pyossl_test::make_name({{"CN", "md5"}}), key,
                                    pyossl_test::make_name({{"CN", "md5 CA"}}), ca_key, 2, "md5");
  CHECK(must(cert.get_signature_algorithm()) == "md5WithRSAEncryption");
  auto context = pyossl::unwrap(ssl::Context::create(ssl::TLS_METHOD));
  const auto used = context.use_certificate(cert);
  REQUIRE_FAILS_WITH(used, errc::ssl);
  CHECK(reason(used.error()) == "ca md too weak");
}

TEST_CASE("export and other removed cipher suites match nothing and fail with ssl error") {
  auto context = pyossl::unwrap(ssl::Context::create(ssl::TLS_METHOD));
  for (const char* ciphers : {"EXP", "EXPORT", "EXP-RC4-MD5", "RC4", "DES-CBC-SHA"}) {
    INFO(ciphers);
    REQUIRE_FAILS_WITH(context.set_cipher_list(ciphers), errc::ssl);
  }
}

}  // namespace
