// load_privatekey / dump_privatekey (manual 3.1), load_publickey / dump_publickey (beyond
// the manual) and crypto::passphrase: round trips for every key type, every failure path,
// and interop with the openssl command-line tool in both directions.
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include <openssl/asn1t.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "catch.hpp"
#include "checks.hpp"
#include "keys.hpp"
#include "process.hpp"
#include "pyossl/crypto.hpp"
#include "temp_dir.hpp"

using namespace pyossl::crypto;
using pyossl::errc;
using pyossl_test::generated_key;
using pyossl_test::key_case;
using pyossl_test::key_cases;
using pyossl_test::read_file;
using pyossl_test::run_openssl;
using pyossl_test::temp_dir;
using pyossl_test::write_file;

// A passphrase is built implicitly from strings and from callables std::string(bool).
static_assert(std::is_convertible_v<const char*, passphrase>);
static_assert(std::is_convertible_v<std::string, passphrase>);
static_assert(std::is_convertible_v<std::string_view, passphrase>);
static_assert(std::is_convertible_v<std::string (*)(bool), passphrase>);
static_assert(!std::is_convertible_v<int, passphrase>);
static_assert(!std::is_convertible_v<std::string (*)(int, int), passphrase>);

namespace {
// A callable that can only be moved, as SPEC's "any callable" allows.
struct move_only_passphrase {
  std::unique_ptr<std::string> text = std::make_unique<std::string>("correct horse battery staple");
  move_only_passphrase() = default;
  move_only_passphrase(move_only_passphrase&&) = default;
  move_only_passphrase(const move_only_passphrase&) = delete;
  std::string operator()(bool) const { return *text; }
};
}  // namespace
static_assert(std::is_convertible_v<move_only_passphrase, passphrase>);

namespace {

constexpr std::string_view secret = "correct horse battery staple";

bool same_key(const PKey& a, const PKey& b) { return EVP_PKEY_eq(a.native_handle(), b.native_handle()) == 1; }

bool starts_with(const std::string& text, std::string_view prefix) { return text.rfind(prefix, 0) == 0; }

struct passphrase_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Runs `openssl <arguments>` and requires it to succeed.
void openssl(const std::string& arguments) {
  const auto ran = run_openssl(arguments);
  INFO("openssl " << arguments << "\n" << ran.output);
  REQUIRE(ran.exit_code == 0);
}

// A self-signed certificate from the openssl CLI, PEM and DER, for "wrong type" inputs.
struct certificate_files {
  std::string pem;
  std::string der;
};
const certificate_files& certificate() {
  static const certificate_files files = [] {
    const temp_dir dir;
    openssl("req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=pyossl -days 1 -keyout " +
            dir.file("key.pem") + " -out " + dir.file("cert.pem"));
    openssl("x509 -in " + dir.file("cert.pem") + " -outform DER -out " + dir.file("cert.der"));
    return certificate_files{read_file(dir.file("cert.pem")), read_file(dir.file("cert.der"))};
  }();
  return files;
}

}  // namespace

TEST_CASE("A passphrase holds nothing, a string, or a callable asked each time") {
  const passphrase none;
  CHECK(none.empty());
  CHECK(none.get(false).empty());

  const passphrase text(std::string("a\0b", 3));
  CHECK_FALSE(text.empty());
  CHECK(text.get(true) == std::string("a\0b", 3));

  int calls = 0;
  const passphrase callable([&calls](bool writing) {
    ++calls;
    return writing ? "for writing" : "for reading";
  });
  CHECK_FALSE(callable.empty());
  CHECK(calls == 0);
  CHECK(callable.get(true) == "for writing");
  CHECK(callable.get(false) == "for reading");
  CHECK(calls == 2);
}

TEST_CASE("dump_privatekey then load_privatekey gives back the same key") {
  const key_case c = GENERATE(from_range(key_cases()));
  const filetype type = GENERATE(FILETYPE_PEM, FILETYPE_ASN1);
  INFO(c.name << (type == FILETYPE_PEM ? " PEM" : " DER"));
  const PKey key = generated_key(c);
  auto dumped = dump_privatekey(type, key);
  REQUIRE_OK(dumped);
  if (type == FILETYPE_PEM) CHECK(starts_with(*dumped, "-----BEGIN PRIVATE KEY-----\n"));  // PKCS#8
  auto loaded = load_privatekey(type, *dumped);
  REQUIRE_OK(loaded);
  CHECK(loaded->type() == c.type);
  CHECK(loaded->bits() == c.expected_bits);
  CHECK(loaded->has_private_key());
  CHECK(same_key(*loaded, key));
  REQUIRE_OK(loaded->check());
}

TEST_CASE("An encrypted PEM key round trips with a string passphrase and with a callable") {
  const key_case c = GENERATE(from_range(key_cases()));
  const std::string cipher = GENERATE("aes-256-cbc", "AES-128-CBC", "des-ede3-cbc");
  INFO(c.name << " " << cipher);
  const PKey key = generated_key(c);

  auto with_string = dump_privatekey(FILETYPE_PEM, key, cipher, secret);
  REQUIRE_OK(with_string);
  CHECK(starts_with(*with_string, "-----BEGIN ENCRYPTED PRIVATE KEY-----\n"));

  std::vector<bool> asked;  // the `writing` flag of every call of the callable
  const auto callback = [&asked](bool writing) {
    asked.push_back(writing);
    return std::string(secret);
  };
  auto with_callable = dump_privatekey(FILETYPE_PEM, key, cipher, callback);
  REQUIRE_OK(with_callable);
  REQUIRE_FALSE(asked.empty());
  CHECK(asked.front());
  CHECK(*with_callable != *with_string);  // fresh salt and IV each time

  for (const std::string& encrypted : {*with_string, *with_callable}) {
    auto by_string = load_privatekey(FILETYPE_PEM, encrypted, secret);
    REQUIRE_OK(by_string);
    CHECK(same_key(*by_string, key));
    asked.clear();
    auto by_callable = load_privatekey(FILETYPE_PEM, encrypted, callback);
    REQUIRE_OK(by_callable);
    CHECK(same_key(*by_callable, key));
    REQUIRE_FALSE(asked.empty());
    CHECK_FALSE(asked.front());
  }
}

TEST_CASE("A move-only callable works as a passphrase for dump_privatekey and load_privatekey") {
  const PKey key = generated_key(key_cases().front());
  const auto encrypted = dump_privatekey(FILETYPE_PEM, key, "aes-256-cbc", move_only_passphrase{});
  REQUIRE_OK(encrypted);
  const auto loaded = load_privatekey(FILETYPE_PEM, *encrypted, move_only_passphrase{});
  REQUIRE_OK(loaded);
  CHECK(same_key(*loaded, key));
  REQUIRE_FAILS_WITH(load_privatekey(FILETYPE_PEM, *encrypted, [](bool) { return std::string("wrong"); }),
                     errc::crypto);
}

TEST_CASE("load_privatekey does not ask for a passphrase when the key is not encrypted") {
  const PKey key = generated_key(key_cases().front());
  const filetype type = GENERATE(FILETYPE_PEM, FILETYPE_ASN1);
  auto dumped = dump_privatekey(type, key);
  REQUIRE_OK(dumped);
  bool asked = false;
  REQUIRE_OK(load_privatekey(type, *dumped, [&asked](bool) {
    asked = true;
    return std::string("unused");
  }));
  CHECK_FALSE(asked);
  REQUIRE_OK(load_privatekey(type, *dumped, "unused"));
}

TEST_CASE("A passphrase with an embedded NUL is used whole, never cut at the NUL") {
  const PKey key = generated_key(key_cases().front());
  const std::string with_nul("pass\0word", 9);
  auto encrypted = dump_privatekey(FILETYPE_PEM, key, "aes-256-cbc", with_nul);
  REQUIRE_OK(encrypted);
  REQUIRE_FAILS_WITH(load_privatekey(FILETYPE_PEM, *encrypted, "pass"), errc::crypto);
  auto loaded = load_privatekey(FILETYPE_PEM, *encrypted, [&](bool) { return with_nul; });
  REQUIRE_OK(loaded);
  CHECK(same_key(*loaded, key));
}

TEST_CASE("load_privatekey of an encrypted key with a wrong or missing passphrase fails with crypto error") {
  const PKey key = generated_key(key_cases().front());
  auto encrypted = dump_privatekey(FILETYPE_PEM, key, "aes-256-cbc", secret);
  REQUIRE_OK(encrypted);
  REQUIRE_FAILS_WITH(load_privatekey(FILETYPE_PEM, *encrypted, "wrong"), errc::crypto);
  REQUIRE_FAILS_WITH(load_privatekey(FILETYPE_PEM, *encrypted, [](bool) { return std::string("quack"); }),
                     errc::crypto);
  // No passphrase: a failure, never a prompt on the terminal.
  REQUIRE_FAILS_WITH(load_privatekey(FILETYPE_PEM, *encrypted), errc::crypto);
  // An empty passphrase, from a string or a callable that returns nothing.
  REQUIRE_FAILS_WITH(load_privatekey(FILETYPE_PEM, *encrypted, ""), errc::crypto);
  REQUIRE_FAILS_WITH(load_privatekey(FILETYPE_PEM, *encrypted, [](bool) { return std::string(); }),
                     errc::crypto);
  // A null C string is no passphrase at all.
  const char* no_text = nullptr;
  CHECK(passphrase(no_text).empty());
  REQUIRE_FAILS_WITH(load_privatekey(FILETYPE_PEM, *encrypted, no_text), errc::crypto);
}

TEST_CASE("A passphrase longer than OpenSSL's buffer fails with invalid_argument, never truncated") {
  const PKey key = generated_key(key_cases().front());
  const std::string too_long(5000, 'x');
  auto encrypted = dump_privatekey(FILETYPE_PEM, key, "aes-256-cbc", secret);
  REQUIRE_OK(encrypted);
  REQUIRE_FAILS_WITH(load_privatekey(FILETYPE_PEM, *encrypted, too_long), errc::invalid_argument);
  REQUIRE_FAILS_WITH(load_privatekey(FILETYPE_PEM, *encrypted, [&](bool) { return too_long; }),
                     errc::invalid_argument);
  REQUIRE_FAILS_WITH(dump_privatekey(FILETYPE_PEM, key, "aes-256-cbc", too_long), errc::invalid_argument);
  REQUIRE_FAILS_WITH(dump_privatekey(FILETYPE_PEM, key, "aes-256-cbc", [&](bool) { return too_long; }),
                     errc::invalid_argument);
}

TEST_CASE("A passphrase callback's exception comes out of load_privatekey and dump_privatekey") {
  const PKey key = generated_key(key_cases().front());
  auto encrypted = dump_privatekey(FILETYPE_PEM, key, "aes-256-cbc", secret);
  REQUIRE_OK(encrypted);
  const auto throwing = [](bool writing) -> std::string {
    throw passphrase_error(writing ? "writing" : "reading");
  };
  try {
    (void)load_privatekey(FILETYPE_PEM, *encrypted, throwing);
    FAIL("load_privatekey did not throw");
  } catch (const passphrase_error& e) {
    CHECK(std::string(e.what()) == "reading");
  }
  CHECK(ERR_peek_error() == 0UL);
  try {
    (void)dump_privatekey(FILETYPE_PEM, key, "aes-256-cbc", throwing);
    FAIL("dump_privatekey did not throw");
  } catch (const passphrase_error& e) {
    CHECK(std::string(e.what()) == "writing");
  }
  CHECK(ERR_peek_error() == 0UL);
  // The next call is unaffected.
  REQUIRE_OK(load_privatekey(FILETYPE_PEM, *encrypted, secret));
}

TEST_CASE("dump_privatekey misused fails with invalid_argument") {
  const PKey key = generated_key(key_cases().front());
  const PKey public_only = *load_publickey(FILETYPE_PEM, *dump_publickey(FILETYPE_PEM, key));
  const std::string nul_cipher("aes-256-cbc\0des", 15);
  // FILETYPE_ASN1 takes neither cipher nor passphrase, as in pyOpenSSL.
  REQUIRE_FAILS_WITH(dump_privatekey(FILETYPE_ASN1, key, "aes-256-cbc", secret), errc::invalid_argument);
  REQUIRE_FAILS_WITH(dump_privatekey(FILETYPE_ASN1, key, "", secret), errc::invalid_argument);
  REQUIRE_FAILS_WITH(dump_privatekey(FILETYPE_ASN1, key, "aes-256-cbc"), errc::invalid_argument);
  // A cipher needs a passphrase and a passphrase a cipher.
  REQUIRE_FAILS_WITH(dump_privatekey(FILETYPE_PEM, key, "aes-256-cbc"), errc::invalid_argument);
  REQUIRE_FAILS_WITH(dump_privatekey(FILETYPE_PEM, key, "", secret), errc::invalid_argument);
  // Unknown cipher names (pyOpenSSL: ValueError), and one with a NUL in it.
  REQUIRE_FAILS_WITH(dump_privatekey(FILETYPE_PEM, key, "no-such-cipher", secret), errc::invalid_argument);
  REQUIRE_FAILS_WITH(dump_privatekey(FILETYPE_PEM, key, nul_cipher, secret), errc::invalid_argument);
  // Keys it cannot dump, and a file type that does not exist.
  REQUIRE_FAILS_WITH(dump_privatekey(FILETYPE_PEM, PKey()), errc::invalid_argument);
  REQUIRE_FAILS_WITH(dump_privatekey(FILETYPE_PEM, public_only), errc::invalid_argument);
  REQUIRE_FAILS_WITH(dump_privatekey(static_cast<filetype>(3), key), errc::invalid_argument);
}

TEST_CASE("dump_privatekey with an unusable cipher or an empty passphrase fails with crypto error") {
  const PKey key = generated_key(key_cases().front());
  // GCM has no PBES2 parameters: OpenSSL knows the cipher but cannot encrypt a key with it.
  REQUIRE_FAILS_WITH(dump_privatekey(FILETYPE_PEM, key, "aes-256-gcm", secret), errc::crypto);
  REQUIRE_FAILS_WITH(dump_privatekey(FILETYPE_PEM, key, "aes-256-cbc", ""), errc::crypto);
  REQUIRE_FAILS_WITH(dump_privatekey(FILETYPE_PEM, key, "aes-256-cbc", [](bool) { return std::string(); }),
                     errc::crypto);
}

TEST_CASE("load_privatekey of anything but a private key fails with crypto error") {
  const PKey key = generated_key(key_cases().front());
  const filetype type = GENERATE(FILETYPE_PEM, FILETYPE_ASN1);
  const bool pem = type == FILETYPE_PEM;
  INFO((pem ? "PEM" : "DER"));
  const std::string good = *dump_privatekey(type, key);
  const std::vector<std::string> inputs = {
      "",                                                         // empty
      "garbage, not a key",                                       // garbage
      good.substr(0, good.size() / 2),                            // truncated
      good.substr(0, good.size() - 40),                           // truncated near the end
      *dump_publickey(type, key),                                 // a public key
      pem ? certificate().pem : certificate().der,                // a certificate
      *dump_privatekey(pem ? FILETYPE_ASN1 : FILETYPE_PEM, key),  // the other encoding
  };
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    INFO("input " << i);
    REQUIRE_FAILS_WITH(load_privatekey(type, inputs[i]), errc::crypto);
    REQUIRE_FAILS_WITH(load_privatekey(type, inputs[i], secret), errc::crypto);
  }
}

TEST_CASE("A key changed inside one of its numbers fails to load or fails check") {
  // OpenSSL does not validate a key it reads, as pyOpenSSL did not: check() is for that.
  const PKey key = generated_key(key_cases().front());
  const filetype type = GENERATE(FILETYPE_PEM, FILETYPE_ASN1);
  INFO((type == FILETYPE_PEM ? "PEM" : "DER"));
  std::string corrupted = *dump_privatekey(type, key);
  std::size_t at = corrupted.size() / 2;  // inside the private exponent
  if (type == FILETYPE_PEM) {
    while (corrupted[at] == '\n') ++at;
    corrupted[at] = corrupted[at] == 'A' ? 'B' : 'A';
  } else {
    corrupted[at] = static_cast<char>(corrupted[at] ^ 0x01);
  }
  auto loaded = load_privatekey(type, corrupted);
  if (loaded) {
    REQUIRE_FAILS_WITH(loaded->check(), errc::crypto);
  } else {
    REQUIRE_FAILS_WITH(loaded, errc::crypto);
  }
}

TEST_CASE("load_privatekey skips PEM blocks of other types before the key") {
  const PKey key = generated_key(key_cases().front());
  auto loaded = load_privatekey(FILETYPE_PEM, certificate().pem + *dump_privatekey(FILETYPE_PEM, key));
  REQUIRE_OK(loaded);
  CHECK(same_key(*loaded, key));
}

TEST_CASE("load and dump with a file type that does not exist fail with invalid_argument") {
  const PKey key = generated_key(key_cases().front());
  const auto bad = static_cast<filetype>(GENERATE(0, 3, -1));
  const std::string pem = *dump_privatekey(FILETYPE_PEM, key);
  REQUIRE_FAILS_WITH(load_privatekey(bad, pem), errc::invalid_argument);
  REQUIRE_FAILS_WITH(load_publickey(bad, pem), errc::invalid_argument);
  REQUIRE_FAILS_WITH(dump_privatekey(bad, key), errc::invalid_argument);
  REQUIRE_FAILS_WITH(dump_publickey(bad, key), errc::invalid_argument);
}

TEST_CASE("dump_publickey then load_publickey gives back the public half") {
  const key_case c = GENERATE(from_range(key_cases()));
  const filetype type = GENERATE(FILETYPE_PEM, FILETYPE_ASN1);
  INFO(c.name << (type == FILETYPE_PEM ? " PEM" : " DER"));
  const PKey key = generated_key(c);
  auto dumped = dump_publickey(type, key);
  REQUIRE_OK(dumped);
  if (type == FILETYPE_PEM) CHECK(starts_with(*dumped, "-----BEGIN PUBLIC KEY-----\n"));
  auto loaded = load_publickey(type, *dumped);
  REQUIRE_OK(loaded);
  CHECK_FALSE(loaded->has_private_key());
  CHECK(loaded->type() == c.type);
  CHECK(loaded->bits() == c.expected_bits);
  CHECK(same_key(*loaded, key));
  // A public key dumps again to the same bytes.
  auto again = dump_publickey(type, *loaded);
  REQUIRE_OK(again);
  CHECK(*again == *dumped);
}

TEST_CASE("load_publickey of anything but a public key fails with crypto error") {
  const PKey key = generated_key(key_cases().front());
  const filetype type = GENERATE(FILETYPE_PEM, FILETYPE_ASN1);
  const bool pem = type == FILETYPE_PEM;
  INFO((pem ? "PEM" : "DER"));
  const std::string good = *dump_publickey(type, key);
  const std::vector<std::string> inputs = {
      "",
      "garbage, not a key",
      good.substr(0, good.size() / 2),
      *dump_privatekey(type, key),
      pem ? certificate().pem : certificate().der,
  };
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    INFO("input " << i);
    REQUIRE_FAILS_WITH(load_publickey(type, inputs[i]), errc::crypto);
  }
}

TEST_CASE("load_publickey of DER takes only a SubjectPublicKeyInfo: DH parameters and PKCS#1 keys fail") {
  // pyOpenSSL reads with d2i_PUBKEY / PEM_read_bio_PUBKEY, which insist on the structure;
  // OpenSSL 3.0's decoder does not, and read DER DH parameters (SEQUENCE { p, g }, the
  // shape of a PKCS#1 RSAPublicKey) as an RSA key. `genpkey -genparam` ignores -outform
  // DER and writes PEM, so dhparam converts the named group's parameters to real DER.
  const temp_dir dir;
  openssl("genpkey -genparam -algorithm DH -pkeyopt group:ffdhe2048 -out " + dir.file("dh.pem"));
  openssl("dhparam -in " + dir.file("dh.pem") + " -outform DER -out " + dir.file("dh.der"));
  openssl("dhparam -inform DER -noout -in " + dir.file("dh.der"));
  REQUIRE(read_file(dir.file("dh.der")).rfind("\x30\x82", 0) == 0);  // DER: a SEQUENCE, not PEM text
  openssl("genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out " + dir.file("rsa.pem"));
  openssl("rsa -in " + dir.file("rsa.pem") + " -RSAPublicKey_out -outform DER -out " + dir.file("pkcs1.der"));
  openssl("rsa -in " + dir.file("rsa.pem") + " -RSAPublicKey_out -out " + dir.file("pkcs1.pem"));
  openssl("pkey -in " + dir.file("rsa.pem") + " -pubout -outform DER -out " + dir.file("spki.der"));
  REQUIRE_FAILS_WITH(load_publickey(FILETYPE_ASN1, read_file(dir.file("dh.der"))), errc::crypto);
  REQUIRE_FAILS_WITH(load_publickey(FILETYPE_ASN1, read_file(dir.file("pkcs1.der"))), errc::crypto);
  // PEM_read_bio_PUBKEY on OpenSSL 3 takes "BEGIN RSA PUBLIC KEY" too, for pyOpenSSL as for pyossl.
  const auto pkcs1_pem = load_publickey(FILETYPE_PEM, read_file(dir.file("pkcs1.pem")));
  REQUIRE_OK(pkcs1_pem);
  CHECK(pkcs1_pem->bits() == 2048);
  const auto spki = load_publickey(FILETYPE_ASN1, read_file(dir.file("spki.der")));
  REQUIRE_OK(spki);
  CHECK(spki->bits() == 2048);
  // Trailing bytes after the structure are not part of a SubjectPublicKeyInfo either.
  REQUIRE_FAILS_WITH(load_publickey(FILETYPE_ASN1, read_file(dir.file("spki.der")) + "x"), errc::crypto);
}

TEST_CASE("dump_publickey of an empty key fails with invalid_argument") {
  REQUIRE_FAILS_WITH(dump_publickey(FILETYPE_PEM, PKey()), errc::invalid_argument);
  REQUIRE_FAILS_WITH(dump_publickey(FILETYPE_ASN1, PKey()), errc::invalid_argument);
}

TEST_CASE("unwrap of a failed load throws crypto::Error") {
  REQUIRE_THROWS_AS(pyossl::unwrap(load_privatekey(FILETYPE_PEM, "garbage")), pyossl::crypto::Error);
  CHECK(ERR_peek_error() == 0UL);
}

TEST_CASE("Keys pyossl writes pass openssl pkey -check") {
  const key_case c = GENERATE(from_range(key_cases()));
  INFO(c.name);
  const temp_dir dir;
  const PKey key = generated_key(c);
  write_file(dir.file("plain.pem"), *dump_privatekey(FILETYPE_PEM, key));
  write_file(dir.file("plain.der"), *dump_privatekey(FILETYPE_ASN1, key));
  write_file(dir.file("encrypted.pem"), *dump_privatekey(FILETYPE_PEM, key, "aes-256-cbc", secret));
  write_file(dir.file("public.pem"), *dump_publickey(FILETYPE_PEM, key));
  write_file(dir.file("public.der"), *dump_publickey(FILETYPE_ASN1, key));
  openssl("pkey -check -noout -in " + dir.file("plain.pem"));
  openssl("pkey -check -noout -inform DER -in " + dir.file("plain.der"));
  openssl("pkey -check -noout -passin 'pass:" + std::string(secret) + "' -in " + dir.file("encrypted.pem"));
  openssl("pkey -pubin -pubcheck -noout -in " + dir.file("public.pem"));
  openssl("pkey -pubin -pubcheck -noout -inform DER -in " + dir.file("public.der"));
  // openssl's public half of our private key is the public key we wrote.
  openssl("pkey -pubout -in " + dir.file("plain.pem") + " -out " + dir.file("theirs.pem"));
  CHECK(read_file(dir.file("theirs.pem")) == read_file(dir.file("public.pem")));
}

namespace {

// Keys the openssl CLI generates, and the forms it writes them in.
struct cli_key {
  std::string name;
  key_type type;
  int bits;
  std::string genpkey;   // arguments for `openssl genpkey`
  bool has_traditional;  // whether a per-algorithm ("BEGIN RSA PRIVATE KEY") form exists
};

const std::vector<cli_key>& cli_keys() {
  static const std::vector<cli_key> keys = {
      {"RSA 2048", TYPE_RSA, 2048, "-algorithm RSA -pkeyopt rsa_keygen_bits:2048", true},
      {"DSA 2048", TYPE_DSA, 2048, "-paramfile {params}", true},
      {"EC P-256", TYPE_EC, 256, "-algorithm EC -pkeyopt ec_paramgen_curve:P-256", true},
      {"EC P-384", TYPE_EC, 384, "-algorithm EC -pkeyopt ec_paramgen_curve:P-384", true},
      {"Ed25519", TYPE_ED25519, 256, "-algorithm ED25519", false},
      {"Ed448", TYPE_ED448, 456, "-algorithm ED448", false},
  };
  return keys;
}

std::string replace_all(std::string text, const std::string& from, const std::string& to) {
  for (std::size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
  return text;
}

}  // namespace

TEST_CASE("Keys openssl writes are read with the same type, size and value") {
  const cli_key k = GENERATE(from_range(cli_keys()));
  INFO(k.name);
  const temp_dir dir;
  const std::string pass = "'pass:" + std::string(secret) + "'";
  const auto file = [&dir](const char* name) { return dir.file(name); };
  if (k.type == TYPE_DSA) {
    openssl("genpkey -genparam -algorithm DSA -pkeyopt dsa_paramgen_bits:2048 -out " + file("params.pem"));
  }
  // One key, encrypted PKCS#8 as genpkey writes it; every other form is made from it.
  openssl("genpkey " + replace_all(k.genpkey, "{params}", file("params.pem")) + " -aes256 -pass " + pass +
          " -out " + file("encrypted.pem"));
  openssl("pkey -in " + file("encrypted.pem") + " -passin " + pass + " -out " + file("key.pem"));
  openssl("pkey -in " + file("key.pem") + " -pubout -out " + file("public.pem"));
  openssl("pkey -in " + file("key.pem") + " -pubout -outform DER -out " + file("public.der"));
  openssl("pkey -in " + file("key.pem") + " -outform DER -out " + file("key.der"));
  openssl("pkcs8 -topk8 -v2 aes-256-cbc -in " + file("key.pem") + " -outform DER -passout " + pass +
          " -out " + file("encrypted.der"));

  struct form {
    const char* file;
    filetype type;
    bool encrypted;
    const char* header;  // what the PEM starts with, to be sure the form is the one meant
  };
  std::vector<form> forms = {
      {"key.pem", FILETYPE_PEM, false, "-----BEGIN PRIVATE KEY-----"},
      {"key.der", FILETYPE_ASN1, false, ""},
      {"encrypted.pem", FILETYPE_PEM, true, "-----BEGIN ENCRYPTED PRIVATE KEY-----"},
      {"encrypted.der", FILETYPE_ASN1, true, ""},
  };
  if (k.has_traditional) {
    const std::string tool = k.type == TYPE_RSA ? "rsa" : "pkey";
    openssl(tool + " -in " + file("key.pem") + " -traditional -out " + file("traditional.pem"));
    openssl(tool + " -in " + file("key.pem") + " -traditional -aes256 -passout " + pass + " -out " +
            file("traditional-encrypted.pem"));
    openssl(tool + " -in " + file("key.pem") + " -traditional -outform DER -out " + file("traditional.der"));
    forms.push_back({"traditional.pem", FILETYPE_PEM, false, "-----BEGIN "});
    forms.push_back({"traditional-encrypted.pem", FILETYPE_PEM, true, "Proc-Type: 4,ENCRYPTED"});
    forms.push_back({"traditional.der", FILETYPE_ASN1, false, ""});
  }

  auto expected_public = load_publickey(FILETYPE_PEM, read_file(file("public.pem")));
  REQUIRE_OK(expected_public);
  auto expected_public_der = load_publickey(FILETYPE_ASN1, read_file(file("public.der")));
  REQUIRE_OK(expected_public_der);
  CHECK(same_key(*expected_public, *expected_public_der));

  for (const form& f : forms) {
    INFO(f.file);
    const std::string contents = read_file(file(f.file));
    CHECK(contents.find(f.header) != std::string::npos);
    if (f.encrypted) REQUIRE_FAILS_WITH(load_privatekey(f.type, contents), errc::crypto);
    if (f.encrypted) REQUIRE_FAILS_WITH(load_privatekey(f.type, contents, "wrong"), errc::crypto);
    auto loaded = load_privatekey(f.type, contents, f.encrypted ? passphrase(secret) : passphrase());
    REQUIRE_OK(loaded);
    CHECK(loaded->type() == k.type);
    CHECK(loaded->bits() == k.bits);
    CHECK(loaded->has_private_key());
    CHECK(same_key(*loaded, *expected_public));
    REQUIRE_OK(loaded->check());
  }
}

namespace {

// An EncryptedPrivateKeyInfo with `algorithm`'s parameters (made without deriving anything)
// and filler for the ciphertext: a hostile file up to where OpenSSL would start deriving.
std::string encrypted_key_der(X509_ALGOR* algorithm) {
  REQUIRE(algorithm != nullptr);
  X509_SIG* sig = X509_SIG_new();
  REQUIRE(sig != nullptr);
  X509_ALGOR* sig_algorithm = nullptr;
  ASN1_OCTET_STRING* ciphertext = nullptr;
  X509_SIG_getm(sig, &sig_algorithm, &ciphertext);
  const std::string filler(64, 'x');
  const bool made = X509_ALGOR_copy(sig_algorithm, algorithm) == 1 &&
                    ASN1_OCTET_STRING_set(ciphertext, reinterpret_cast<const unsigned char*>(filler.data()),
                                          static_cast<int>(filler.size())) == 1;
  X509_ALGOR_free(algorithm);
  unsigned char* der = nullptr;
  const int length = made ? i2d_X509_SIG(sig, &der) : 0;
  X509_SIG_free(sig);
  REQUIRE(length > 0);
  std::string bytes(reinterpret_cast<const char*>(der), static_cast<std::size_t>(length));
  OPENSSL_free(der);
  return bytes;
}

std::string as_pem(const std::string& der, const char* name) {
  BIO* out = BIO_new(BIO_s_mem());
  REQUIRE(out != nullptr);
  const int written = PEM_write_bio(out, name, "", reinterpret_cast<const unsigned char*>(der.data()),
                                    static_cast<long>(der.size()));
  char* data = nullptr;
  const long length = BIO_get_mem_data(out, &data);
  std::string pem(data, static_cast<std::size_t>(length));
  BIO_free(out);
  REQUIRE(written > 0);
  return pem;
}

// PBES2 with PBKDF2 whose iteration count is `iterations`, any 64-bit value: what a hostile
// writer can put in the INTEGER (OpenSSL reads it into an int, so only its low 32 bits).
X509_ALGOR* pbkdf2_with_iterations(std::int64_t iterations) {
  X509_ALGOR* algorithm = PKCS5_pbe2_set_iv(EVP_aes_256_cbc(), 2048, nullptr, 0, nullptr, NID_hmacWithSHA256);
  REQUIRE(algorithm != nullptr);
  auto* pbes2 =
      static_cast<PBE2PARAM*>(ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(PBE2PARAM), algorithm->parameter));
  REQUIRE(pbes2 != nullptr);
  auto* pbkdf2 = static_cast<PBKDF2PARAM*>(
      ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(PBKDF2PARAM), pbes2->keyfunc->parameter));
  REQUIRE(pbkdf2 != nullptr);
  const bool set =
      ASN1_INTEGER_set_int64(pbkdf2->iter, iterations) == 1 &&
      ASN1_TYPE_pack_sequence(ASN1_ITEM_rptr(PBKDF2PARAM), pbkdf2, &pbes2->keyfunc->parameter) != nullptr &&
      ASN1_TYPE_pack_sequence(ASN1_ITEM_rptr(PBE2PARAM), pbes2, &algorithm->parameter) != nullptr;
  PBKDF2PARAM_free(pbkdf2);
  PBE2PARAM_free(pbes2);
  REQUIRE(set);
  return algorithm;
}

}  // namespace

TEST_CASE(
    "load_privatekey refuses an encrypted key asking for too much key derivation, before asking for the "
    "passphrase") {
  struct hostile_case {
    const char* name;
    X509_ALGOR* (*make)();
  };
  const hostile_case c = GENERATE(
      hostile_case{"PBES2, PBKDF2 with 2^31-1 iterations",
                   [] {
                     return PKCS5_pbe2_set_iv(EVP_aes_256_cbc(), 0x7fffffff, nullptr, 0, nullptr,
                                              NID_hmacWithSHA256);
                   }},
      hostile_case{
          "PBES2, scrypt N=16384 r=8 p=64 (16.8 million)",
          [] { return PKCS5_pbe2_set_scrypt(EVP_aes_256_cbc(), nullptr, 0, nullptr, 16384, 8, 64); }},
      hostile_case{
          "PKCS#12 PBE, 3DES with 2^31-1 iterations",
          [] { return PKCS5_pbe_set(NID_pbe_WithSHA1And3_Key_TripleDES_CBC, 0x7fffffff, nullptr, 0); }},
      hostile_case{"PBKDF2 with -(2^32) + 12 million iterations, 12 million to OpenSSL's int",
                   [] { return pbkdf2_with_iterations(-4'294'967'296LL + 12'000'000LL); }},
      hostile_case{"PBKDF2 with 2^32 + 2048 iterations, past what an int holds",
                   [] { return pbkdf2_with_iterations(4'294'967'296LL + 2048); }},
      hostile_case{"PBKDF2-HMAC-SHA-512/224, 3 million iterations: 2 blocks of the slower digest, 12 million",
                   [] {
                     return PKCS5_pbe2_set_iv(EVP_aes_256_cbc(), 3'000'000, nullptr, 0, nullptr,
                                              NID_hmacWithSHA512_224);
                   }},
      hostile_case{"PBKDF2-HMAC-SHA-1, 6 million iterations: 2 blocks for an AES-256 key, 12 million", [] {
                     return PKCS5_pbe2_set_iv(EVP_aes_256_cbc(), 6'000'000, nullptr, 0, nullptr,
                                              NID_hmacWithSHA1);
                   }});
  INFO(c.name);
  const std::string der = encrypted_key_der(c.make());
  for (const bool pem : {true, false}) {
    INFO((pem ? "PEM" : "DER"));
    int asked = 0;
    const auto callback = [&asked](bool) {
      ++asked;
      return std::string(secret);
    };
    auto loaded = load_privatekey(pem ? FILETYPE_PEM : FILETYPE_ASN1,
                                  pem ? as_pem(der, PEM_STRING_PKCS8) : der, callback);
    REQUIRE_FAILS_WITH(loaded, errc::invalid_argument);
    CHECK(loaded.error().message().find("iterations") != std::string::npos);
    CHECK(asked == 0);
    CHECK(ERR_peek_error() == 0UL);
  }
  // PEM is decrypted twice after a failed first try (OpenSSL 3.0's decoder, then its older
  // reader), so as PEM half as much is refused: 6 million SHA-256 iterations count 12.
  const std::string half = encrypted_key_der(pbkdf2_with_iterations(6'000'000));
  REQUIRE_FAILS_WITH(load_privatekey(FILETYPE_PEM, as_pem(half, PEM_STRING_PKCS8), secret),
                     errc::invalid_argument);
  // Behind a certificate, or behind ten thousand blocks of junk, all of which the decoder
  // would skip, it is found too.
  std::string junk;
  for (int i = 0; i < 10'001; ++i) junk += "-----BEGIN JUNK-----\nAAAA\n-----END JUNK-----\n";
  for (const std::string& before : {certificate().pem, junk}) {
    auto behind = load_privatekey(FILETYPE_PEM, before + as_pem(der, PEM_STRING_PKCS8), secret);
    REQUIRE_FAILS_WITH(behind, errc::invalid_argument);
    CHECK(behind.error().queue().empty());  // nothing the scan itself read is reported
    CHECK(ERR_peek_error() == 0UL);
  }
}

TEST_CASE("load_privatekey refuses an encrypted PKCS#8 block that is PEM-encrypted as well") {
  // The outer layer (one cheap derivation) hides the inner key's count until it is off, so
  // the count cannot be checked first: refused, whatever it is.
  const std::string der = encrypted_key_der(pbkdf2_with_iterations(2048));
  BIO* out = BIO_new(BIO_s_mem());
  REQUIRE(out != nullptr);
  const std::string header =
      "Proc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00112233445566778899AABBCCDDEEFF\n";
  REQUIRE(PEM_write_bio(out, PEM_STRING_PKCS8, header.c_str(),
                        reinterpret_cast<const unsigned char*>(der.data()),
                        static_cast<long>(der.size())) > 0);
  char* data = nullptr;
  const long length = BIO_get_mem_data(out, &data);
  const std::string wrapped(data, static_cast<std::size_t>(length));
  BIO_free(out);
  REQUIRE_FAILS_WITH(load_privatekey(FILETYPE_PEM, wrapped, secret), errc::invalid_argument);
  CHECK(ERR_peek_error() == 0UL);
}

TEST_CASE("load_privatekey lets an encrypted key asking for ordinary work through to decryption") {
  // 2,048 PBKDF2 iterations and filler for the ciphertext: the passphrase is asked for, and
  // decryption fails as for any wrong passphrase.
  const std::string der =
      encrypted_key_der(PKCS5_pbe2_set_iv(EVP_aes_256_cbc(), 2048, nullptr, 0, nullptr, NID_hmacWithSHA256));
  int asked = 0;
  const auto callback = [&asked](bool) {
    ++asked;
    return std::string(secret);
  };
  REQUIRE_FAILS_WITH(load_privatekey(FILETYPE_PEM, as_pem(der, PEM_STRING_PKCS8), callback), errc::crypto);
  CHECK(asked > 0);
  CHECK(ERR_peek_error() == 0UL);

  // A real scrypt key as `openssl pkcs8 -scrypt` writes it (N=16384, r=8, p=1) loads.
  const temp_dir dir;
  openssl("genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out " + dir.file("plain.pem"));
  openssl("pkcs8 -topk8 -scrypt -in " + dir.file("plain.pem") + " -passout pass:secret -out " +
          dir.file("scrypt.pem"));
  auto loaded = load_privatekey(FILETYPE_PEM, read_file(dir.file("scrypt.pem")), "secret");
  REQUIRE_OK(loaded);
  auto plain = load_privatekey(FILETYPE_PEM, read_file(dir.file("plain.pem")));
  REQUIRE_OK(plain);
  CHECK(same_key(*loaded, *plain));
}
