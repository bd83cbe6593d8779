// crypto::sign and crypto::verify (pyOpenSSL 0.11): every signing key type, agreement with
// `openssl dgst` both ways, and each failure's kind with the error queue left empty.
#include <string>
#include <vector>

#include "catch.hpp"
#include "certificates.hpp"
#include "checks.hpp"
#include "keys.hpp"
#include "process.hpp"
#include "pyossl/crypto/key_io.hpp"
#include "pyossl/crypto/sign.hpp"
#include "temp_dir.hpp"

// Inside a namespace, so that X509 names pyossl's class rather than OpenSSL's struct.
namespace {

using namespace pyossl::crypto;
using pyossl::errc;
using pyossl::crypto::X509;
using pyossl_test::must;

struct signing_case {
  int key_index;       // into pyossl_test::key_cases()
  std::string digest;  // "" for EdDSA
};

const std::vector<signing_case>& signing_cases() {
  static const std::vector<signing_case> cases = {
      {1, "sha256"}, {1, "sha512"}, {2, "sha256"}, {3, "sha256"}, {4, "sha384"}, {5, ""}, {6, ""},
  };
  return cases;
}

PKey key_of(const signing_case& c) { return pyossl_test::generated_key(pyossl_test::key_cases().at(c.key_index)); }

X509 certificate_for(const PKey& key, const std::string& digest) {
  return pyossl_test::self_signed(pyossl_test::make_name({{"CN", "signer"}}), key, digest);
}

TEST_CASE("sign then verify succeeds for RSA, DSA, EC, Ed25519 and Ed448") {
  for (const signing_case& c : signing_cases()) {
    const std::string name = pyossl_test::key_cases().at(c.key_index).name + " " + c.digest;
    INFO(name);
    const PKey key = key_of(c);
    const X509 cert = certificate_for(key, c.digest);
    auto signature = sign(key, "the data", c.digest);
    REQUIRE_OK(signature);
    CHECK_FALSE(signature->empty());
    REQUIRE_OK(verify(cert, *signature, "the data", c.digest));
    CHECK(ERR_peek_error() == 0UL);
  }
}

TEST_CASE("verify of altered data or an altered signature fails with crypto error") {
  for (const signing_case& c : signing_cases()) {
    INFO(pyossl_test::key_cases().at(c.key_index).name);
    const PKey key = key_of(c);
    const X509 cert = certificate_for(key, c.digest);
    std::string signature = must(sign(key, "the data", c.digest));
    REQUIRE_FAILS_WITH(verify(cert, signature, "the date", c.digest), errc::crypto);
    signature[signature.size() / 2] = static_cast<char>(signature[signature.size() / 2] ^ 0x01);
    REQUIRE_FAILS_WITH(verify(cert, signature, "the data", c.digest), errc::crypto);
    REQUIRE_FAILS_WITH(verify(cert, "", "the data", c.digest), errc::crypto);
    REQUIRE_FAILS_WITH(verify(cert, signature.substr(0, 10), "the data", c.digest), errc::crypto);
  }
}

TEST_CASE("verify with another certificate's key or another digest fails with crypto error") {
  const PKey key = pyossl_test::generated_key(pyossl_test::key_cases().at(1));
  const PKey other = pyossl_test::generated_key(pyossl_test::key_cases().at(0));
  const std::string signature = must(sign(key, "payload", "sha256"));
  REQUIRE_FAILS_WITH(verify(certificate_for(other, "sha256"), signature, "payload", "sha256"), errc::crypto);
  REQUIRE_FAILS_WITH(verify(certificate_for(key, "sha256"), signature, "payload", "sha384"), errc::crypto);
}

TEST_CASE("an empty digest name signs with the key's default, SHA-256") {
  for (int index : {1, 3}) {
    const PKey key = pyossl_test::generated_key(pyossl_test::key_cases().at(index));
    const std::string signature = must(sign(key, "payload", ""));
    REQUIRE_OK(verify(certificate_for(key, "sha256"), signature, "payload", "sha256"));
  }
}

TEST_CASE("Ed25519 and Ed448 refuse a named digest with crypto error") {
  for (int index : {5, 6}) {
    const PKey key = pyossl_test::generated_key(pyossl_test::key_cases().at(index));
    const X509 cert = certificate_for(key, "");
    REQUIRE_FAILS_WITH(sign(key, "payload", "sha256"), errc::crypto);
    const std::string signature = must(sign(key, "payload", ""));
    REQUIRE_FAILS_WITH(verify(cert, signature, "payload", "sha512"), errc::crypto);
  }
}

TEST_CASE("sign with an empty key, a public-only key or an unknown digest fails with invalid_argument") {
  const PKey key = pyossl_test::generated_key(pyossl_test::key_cases().at(3));
  REQUIRE_FAILS_WITH(sign(PKey(), "payload", "sha256"), errc::invalid_argument);
  const PKey public_only = must(load_publickey(FILETYPE_PEM, must(dump_publickey(FILETYPE_PEM, key))));
  REQUIRE_FAILS_WITH(sign(public_only, "payload", "sha256"), errc::invalid_argument);
  REQUIRE_FAILS_WITH(sign(key, "payload", "no-such-digest"), errc::invalid_argument);
  REQUIRE_FAILS_WITH(sign(key, "payload", std::string("sha256\0x", 8)), errc::invalid_argument);
}

TEST_CASE("sign with a digest the key cannot use fails with crypto error") {
  const PKey key = pyossl_test::generated_key(pyossl_test::key_cases().at(1));
  REQUIRE_FAILS_WITH(sign(key, "payload", "shake256"), errc::crypto);
}

TEST_CASE("verify with a certificate without a key or an unknown digest fails with invalid_argument") {
  const PKey key = pyossl_test::generated_key(pyossl_test::key_cases().at(3));
  const std::string signature = must(sign(key, "payload", "sha256"));
  REQUIRE_FAILS_WITH(verify(X509(), signature, "payload", "sha256"), errc::invalid_argument);
  REQUIRE_FAILS_WITH(verify(certificate_for(key, "sha256"), signature, "payload", "no-such-digest"),
                     errc::invalid_argument);
}

TEST_CASE("signatures agree with openssl dgst both ways") {
  const pyossl_test::temp_dir dir;
  for (int index : {1, 3, 5}) {
    const pyossl_test::key_case& k = pyossl_test::key_cases().at(index);
    INFO(k.name);
    const PKey key = pyossl_test::generated_key(k);
    const bool eddsa = k.type == TYPE_ED25519;
    const std::string digest = eddsa ? "" : "sha256";
    const std::string digest_option = eddsa ? "" : " -sha256";
    const std::string data = "signed by both sides\n";
    pyossl_test::write_file(dir.file("data"), data);
    pyossl_test::write_file(dir.file("key.pem"), must(dump_privatekey(FILETYPE_PEM, key)));
    pyossl_test::write_file(dir.file("pub.pem"), must(dump_publickey(FILETYPE_PEM, key)));

    // ours, checked by the CLI
    pyossl_test::write_file(dir.file("ours.sig"), must(sign(key, data, digest)));
    const auto checked = pyossl_test::run_openssl(
        (eddsa ? "pkeyutl -verify -rawin -pubin -inkey '" + dir.file("pub.pem") + "' -sigfile '" +
                     dir.file("ours.sig") + "' -in '" + dir.file("data") + "'"
               : "dgst" + digest_option + " -verify '" + dir.file("pub.pem") + "' -signature '" +
                     dir.file("ours.sig") + "' '" + dir.file("data") + "'"));
    INFO(checked.output);
    CHECK(checked.exit_code == 0);

    // the CLI's, checked by us
    pyossl_test::openssl_or_throw(
        eddsa ? "pkeyutl -sign -rawin -inkey '" + dir.file("key.pem") + "' -in '" + dir.file("data") +
                    "' -out '" + dir.file("theirs.sig") + "'"
              : "dgst" + digest_option + " -sign '" + dir.file("key.pem") + "' -out '" + dir.file("theirs.sig") +
                    "' '" + dir.file("data") + "'");
    REQUIRE_OK(verify(certificate_for(key, digest), pyossl_test::read_file(dir.file("theirs.sig")), data, digest));
  }
}

}  // namespace
