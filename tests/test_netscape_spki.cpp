// pyossl::crypto::NetscapeSPKI — manual section 3.1.9, every method, success and failure
// paths, and interop with `openssl spkac` both ways.
#include <map>
#include <string>
#include <utility>

#include <openssl/evp.h>

#include "catch.hpp"
#include "checks.hpp"
#include "process.hpp"
#include "pyossl/crypto/key_io.hpp"
#include "pyossl/crypto/netscape_spki.hpp"
#include "pyossl/crypto/pkey.hpp"
#include "temp_dir.hpp"

using pyossl::errc;
using pyossl::crypto::key_type;
using pyossl::crypto::NetscapeSPKI;
using pyossl::crypto::PKey;

namespace {

// One key pair per type for the whole run (generation is the slow part of these tests);
// `second` picks another pair of the same type.
const PKey& key_of(key_type type, bool second = false) {
  static std::map<std::pair<key_type, bool>, PKey> keys;
  auto found = keys.find({type, second});
  if (found != keys.end()) return found->second;
  PKey key;
  const int bits = type == key_type::rsa   ? 2048
                   : type == key_type::dsa ? 1024
                   : type == key_type::ec  ? 256
                                           : 0;
  pyossl::unwrap(key.generate_key(type, bits));
  return keys.emplace(std::make_pair(type, second), std::move(key)).first->second;
}

bool same_key(const PKey& a, const PKey& b) { return EVP_PKEY_eq(a.native_handle(), b.native_handle()) == 1; }

NetscapeSPKI signed_spki(const PKey& key, std::string_view digest) {
  NetscapeSPKI spki;
  pyossl::unwrap(spki.set_pubkey(key));
  pyossl::unwrap(spki.sign(key, digest));
  return spki;
}

struct signing_case {
  key_type type;
  const char* digest;
};

}  // namespace

TEST_CASE("A new NetscapeSPKI has no public key and cannot be encoded or verified", "[netscape_spki]") {
  const NetscapeSPKI spki;
  REQUIRE(spki.native_handle() != nullptr);
  REQUIRE_FAILS_WITH(spki.get_pubkey(), errc::crypto);
  REQUIRE_FAILS_WITH(spki.b64_encode(), errc::crypto);
  REQUIRE_FAILS_WITH(spki.verify(key_of(key_type::rsa)), errc::crypto);
}

TEST_CASE("NetscapeSPKI set_pubkey keeps only the public half of the key", "[netscape_spki]") {
  NetscapeSPKI spki;
  REQUIRE_OK(spki.set_pubkey(key_of(key_type::rsa)));
  auto key = spki.get_pubkey();
  REQUIRE_OK(key);
  CHECK(same_key(*key, key_of(key_type::rsa)));
  CHECK_FALSE(key->has_private_key());
  CHECK(key->type() == key_type::rsa);
}

TEST_CASE(
    "NetscapeSPKI signed with a key and digest verifies with that key, also after b64_encode and from_b64",
    "[netscape_spki]") {
  const auto c = GENERATE(values<signing_case>({{key_type::rsa, "sha256"},
                                                {key_type::rsa, "md5"},
                                                {key_type::rsa, "SHA1"},
                                                {key_type::dsa, "sha256"},
                                                {key_type::ec, "sha256"},
                                                {key_type::ec, "sha384"},
                                                {key_type::ed25519, ""},
                                                {key_type::ed448, ""}}));
  CAPTURE(static_cast<int>(c.type), c.digest);
  const PKey& key = key_of(c.type);
  NetscapeSPKI spki;
  REQUIRE_OK(spki.set_pubkey(key));
  REQUIRE_OK(spki.sign(key, c.digest));
  REQUIRE_OK(spki.verify(key));

  auto encoded = spki.b64_encode();
  REQUIRE_OK(encoded);
  CHECK(encoded->find_first_of("\r\n ") == std::string::npos);
  auto decoded = NetscapeSPKI::from_b64(*encoded);
  REQUIRE_OK(decoded);
  REQUIRE_OK(decoded->verify(key));
  auto public_key = decoded->get_pubkey();
  REQUIRE_OK(public_key);
  CHECK(same_key(*public_key, key));
  REQUIRE_OK(decoded->verify(*public_key));  // a public key is enough to verify
  auto again = decoded->b64_encode();
  REQUIRE_OK(again);
  CHECK(*again == *encoded);
}

TEST_CASE("NetscapeSPKI from_b64 ignores surrounding whitespace", "[netscape_spki]") {
  auto encoded = signed_spki(key_of(key_type::ec), "sha256").b64_encode();
  REQUIRE_OK(encoded);
  auto decoded = NetscapeSPKI::from_b64("  " + *encoded + "\r\n");
  REQUIRE_OK(decoded);
  REQUIRE_OK(decoded->verify(key_of(key_type::ec)));
}

TEST_CASE(
    "NetscapeSPKI verify fails with crypto error for another key, another key type, or a tampered signature",
    "[netscape_spki]") {
  const NetscapeSPKI spki = signed_spki(key_of(key_type::rsa), "sha256");
  SECTION("another RSA key") {
    const auto r = spki.verify(key_of(key_type::rsa, true));
    REQUIRE_FAILS_WITH(r, errc::crypto);
    CHECK(r.error().message().find("does not match") != std::string::npos);
  }
  SECTION("a key of another type") { REQUIRE_FAILS_WITH(spki.verify(key_of(key_type::ec)), errc::crypto); }
  SECTION("a tampered signature") {
    auto encoded = spki.b64_encode();
    REQUIRE_OK(encoded);
    std::string tampered = *encoded;
    char& inside_signature = tampered[tampered.size() - 10];
    inside_signature = inside_signature == 'A' ? 'B' : 'A';
    auto decoded = NetscapeSPKI::from_b64(tampered);
    REQUIRE_OK(decoded);
    REQUIRE_FAILS_WITH(decoded->verify(key_of(key_type::rsa)), errc::crypto);
  }
}

TEST_CASE("NetscapeSPKI refuses an empty key with invalid_argument", "[netscape_spki]") {
  NetscapeSPKI spki;
  const PKey empty;
  REQUIRE_FAILS_WITH(spki.set_pubkey(empty), errc::invalid_argument);
  REQUIRE_FAILS_WITH(spki.sign(empty, "sha256"), errc::invalid_argument);
  REQUIRE_FAILS_WITH(spki.verify(empty), errc::invalid_argument);
}

TEST_CASE("A moved-from NetscapeSPKI fails with invalid_argument, never crashes", "[netscape_spki]") {
  NetscapeSPKI spki;
  const NetscapeSPKI taken = std::move(spki);
  const PKey& key = key_of(key_type::ec);
  REQUIRE_FAILS_WITH(spki.set_pubkey(key), errc::invalid_argument);  // NOLINT(bugprone-use-after-move)
  REQUIRE_FAILS_WITH(spki.sign(key, "sha256"), errc::invalid_argument);
  REQUIRE_FAILS_WITH(spki.verify(key), errc::invalid_argument);
  CHECK(taken.native_handle() != nullptr);
}

TEST_CASE("NetscapeSPKI sign with a public-only key fails with invalid_argument", "[netscape_spki]") {
  NetscapeSPKI spki;
  REQUIRE_OK(spki.set_pubkey(key_of(key_type::rsa)));
  auto public_only = spki.get_pubkey();
  REQUIRE_OK(public_only);
  const auto r = spki.sign(*public_only, "sha256");
  REQUIRE_FAILS_WITH(r, errc::invalid_argument);
  CHECK(r.error().message().find("public") != std::string::npos);
}

TEST_CASE("NetscapeSPKI sign with an unknown digest fails with invalid_argument", "[netscape_spki]") {
  const std::string digest = GENERATE(std::string("no-such-digest"), std::string("sha256\0x", 8));
  NetscapeSPKI spki;
  REQUIRE_OK(spki.set_pubkey(key_of(key_type::rsa)));
  REQUIRE_FAILS_WITH(spki.sign(key_of(key_type::rsa), digest), errc::invalid_argument);
}

TEST_CASE("NetscapeSPKI sign with a digest the key cannot use fails with crypto error", "[netscape_spki]") {
  NetscapeSPKI spki;
  REQUIRE_OK(spki.set_pubkey(key_of(key_type::ed25519)));
  REQUIRE_FAILS_WITH(spki.sign(key_of(key_type::ed25519), "sha256"), errc::crypto);
}

TEST_CASE("NetscapeSPKI from_b64 of text that is not a base64 SPKI fails with crypto error",
          "[netscape_spki]") {
  auto valid = signed_spki(key_of(key_type::rsa), "sha256").b64_encode();
  REQUIRE_OK(valid);
  const std::string enc = GENERATE_COPY(std::string(), std::string("!!!!"), std::string("AAAA"),
                                        std::string("bm90IGFuIFNQS0k="),  // base64 of "not an SPKI"
                                        valid->substr(0, valid->size() / 2), "SPKAC=" + *valid);
  CAPTURE(enc);
  REQUIRE_FAILS_WITH(NetscapeSPKI::from_b64(enc), errc::crypto);
}

TEST_CASE("NetscapeSPKI from_b64 of text with a NUL byte fails with invalid_argument", "[netscape_spki]") {
  REQUIRE_FAILS_WITH(NetscapeSPKI::from_b64(std::string("MIIB\0AAAA", 9)), errc::invalid_argument);
}

TEST_CASE("NetscapeSPKI copies are independent", "[netscape_spki]") {
  SECTION("a signed one") {
    NetscapeSPKI original = signed_spki(key_of(key_type::rsa), "sha256");
    const NetscapeSPKI copy = original;
    REQUIRE_OK(original.set_pubkey(key_of(key_type::ec)));
    REQUIRE_OK(original.sign(key_of(key_type::ec), "sha256"));
    REQUIRE_OK(copy.verify(key_of(key_type::rsa)));
    REQUIRE_OK(original.verify(key_of(key_type::ec)));
    CHECK(copy.native_handle() != original.native_handle());
  }
  SECTION("an unsigned one keeps its public key") {
    NetscapeSPKI original;
    REQUIRE_OK(original.set_pubkey(key_of(key_type::ec)));
    NetscapeSPKI copy;
    copy = original;
    auto key = copy.get_pubkey();
    REQUIRE_OK(key);
    CHECK(same_key(*key, key_of(key_type::ec)));
  }
  SECTION("a new one") {
    const NetscapeSPKI original;
    const NetscapeSPKI copy(original);
    REQUIRE_FAILS_WITH(copy.get_pubkey(), errc::crypto);
  }
}

TEST_CASE("An SPKAC made by openssl spkac verifies with pyossl", "[netscape_spki][interop]") {
  struct cli_case {
    const char* genpkey_options;
    const char* digest_option;
    key_type type;
  };
  const auto c = GENERATE(
      values<cli_case>({{"-algorithm RSA -pkeyopt rsa_keygen_bits:2048", "", key_type::rsa},
                        {"-algorithm RSA -pkeyopt rsa_keygen_bits:2048", "-digest sha256", key_type::rsa},
                        {"-algorithm EC -pkeyopt ec_paramgen_curve:P-256", "-digest sha256", key_type::ec}}));
  CAPTURE(c.genpkey_options, c.digest_option);
  const pyossl_test::temp_dir dir;
  const std::string key_path = dir.file("key.pem");
  const auto generated =
      pyossl_test::run_openssl(std::string("genpkey ") + c.genpkey_options + " -out " + key_path);
  REQUIRE(generated.exit_code == 0);
  const auto made =
      pyossl_test::run_openssl("spkac -key " + key_path + " -challenge hello " + c.digest_option);
  INFO(made.output);
  REQUIRE(made.exit_code == 0);
  REQUIRE(made.output.rfind("SPKAC=", 0) == 0);

  auto spki = NetscapeSPKI::from_b64(made.output.substr(6));
  REQUIRE_OK(spki);
  auto key = pyossl::crypto::load_privatekey(pyossl::crypto::FILETYPE_PEM, pyossl_test::read_file(key_path));
  REQUIRE_OK(key);
  REQUIRE_OK(spki->verify(*key));
  auto carried = spki->get_pubkey();
  REQUIRE_OK(carried);
  CHECK(carried->type() == c.type);
  CHECK(same_key(*carried, *key));
  REQUIRE_FAILS_WITH(spki->verify(key_of(c.type, true)), errc::crypto);
}

TEST_CASE("An SPKAC made by pyossl verifies with openssl spkac -verify", "[netscape_spki][interop]") {
  const auto c = GENERATE(values<signing_case>({{key_type::rsa, "sha256"},
                                                {key_type::rsa, "md5"},
                                                {key_type::ec, "sha256"},
                                                {key_type::ed25519, ""}}));
  CAPTURE(static_cast<int>(c.type), c.digest);
  auto encoded = signed_spki(key_of(c.type), c.digest).b64_encode();
  REQUIRE_OK(encoded);
  const pyossl_test::temp_dir dir;
  const std::string path = dir.file("spkac.txt");
  pyossl_test::write_file(path, "SPKAC=" + *encoded + "\n");
  const auto verified = pyossl_test::run_openssl("spkac -verify -noout -in " + path);
  INFO(verified.output);
  CHECK(verified.exit_code == 0);
  CHECK(verified.output.find("Signature OK") != std::string::npos);
}
