// crypto::PKey (manual 3.1.5) and the key-type constants: generate_key, bits, type, and
// beyond the manual has_private_key, check, native_handle, empty, copying.
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include <openssl/evp.h>
#include <openssl/param_build.h>

#include "catch.hpp"
#include "checks.hpp"
#include "keys.hpp"
#include "pyossl/crypto.hpp"

using namespace pyossl::crypto;
using pyossl::errc;
using pyossl_test::generated_key;
using pyossl_test::key_case;
using pyossl_test::key_cases;

// The constants keep pyOpenSSL's values, which are OpenSSL's.
static_assert(static_cast<int>(TYPE_RSA) == 6);
static_assert(static_cast<int>(TYPE_DSA) == 116);
static_assert(static_cast<int>(TYPE_DH) == EVP_PKEY_DH);
static_assert(static_cast<int>(TYPE_EC) == EVP_PKEY_EC);
static_assert(static_cast<int>(TYPE_ED25519) == EVP_PKEY_ED25519);
static_assert(static_cast<int>(TYPE_ED448) == EVP_PKEY_ED448);
static_assert(static_cast<int>(FILETYPE_PEM) == 1);
static_assert(static_cast<int>(FILETYPE_ASN1) == 2);
static_assert(std::is_nothrow_move_constructible_v<PKey> && std::is_nothrow_move_assignable_v<PKey>);
static_assert(std::is_nothrow_default_constructible_v<PKey>);
static_assert(!std::is_convertible_v<pyossl::detail::handle<EVP_PKEY>, PKey>, "adopting is explicit");

namespace {

// The public half of `key`, as a PKey without the private half.
PKey public_half(const PKey& key) {
  auto der = dump_publickey(FILETYPE_ASN1, key);
  REQUIRE_OK(der);
  auto loaded = load_publickey(FILETYPE_ASN1, *der);
  REQUIRE_OK(loaded);
  return *loaded;
}

// An EC key whose private scalar belongs to one key pair and public point to another.
PKey mismatched_ec_key() {
  PKey first;
  PKey second;
  REQUIRE_OK(first.generate_key(TYPE_EC, 256));
  REQUIRE_OK(second.generate_key(TYPE_EC, 256));
  BIGNUM* private_scalar = nullptr;
  REQUIRE(EVP_PKEY_get_bn_param(first.native_handle(), OSSL_PKEY_PARAM_PRIV_KEY, &private_scalar) == 1);
  const pyossl::detail::handle<BIGNUM> scalar(private_scalar);
  unsigned char point[256];
  std::size_t point_length = 0;
  REQUIRE(EVP_PKEY_get_octet_string_param(second.native_handle(), OSSL_PKEY_PARAM_PUB_KEY, point,
                                          sizeof(point), &point_length) == 1);
  OSSL_PARAM_BLD* builder = OSSL_PARAM_BLD_new();
  REQUIRE(builder != nullptr);
  OSSL_PARAM_BLD_push_utf8_string(builder, OSSL_PKEY_PARAM_GROUP_NAME, "P-256", 0);
  OSSL_PARAM_BLD_push_BN(builder, OSSL_PKEY_PARAM_PRIV_KEY, scalar.get());
  OSSL_PARAM_BLD_push_octet_string(builder, OSSL_PKEY_PARAM_PUB_KEY, point, point_length);
  const pyossl::detail::handle<OSSL_PARAM> params(OSSL_PARAM_BLD_to_param(builder));
  OSSL_PARAM_BLD_free(builder);
  REQUIRE(params);
  const pyossl::detail::handle<EVP_PKEY_CTX> context(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
  REQUIRE(EVP_PKEY_fromdata_init(context.get()) == 1);
  EVP_PKEY* made = nullptr;
  REQUIRE(EVP_PKEY_fromdata(context.get(), &made, EVP_PKEY_KEYPAIR, params.get()) == 1);
  return PKey(pyossl::detail::adopt(made));
}

}  // namespace

TEST_CASE("A default-constructed PKey is empty, like pyOpenSSL's PKey()") {
  const PKey key;
  CHECK(key.empty());
  CHECK(key.native_handle() == nullptr);
  CHECK(key.bits() == 0);
  CHECK(key.type() == key_type::none);
  CHECK_FALSE(key.has_private_key());
}

TEST_CASE("generate_key makes a key pair of the asked type and size") {
  const key_case c = GENERATE(from_range(key_cases()));
  INFO(c.name);
  PKey key;
  REQUIRE_OK(key.generate_key(c.type, c.bits));
  CHECK_FALSE(key.empty());
  CHECK(key.native_handle() != nullptr);
  CHECK(key.type() == c.type);
  CHECK(key.bits() == c.expected_bits);
  CHECK(key.has_private_key());
  REQUIRE_OK(key.check());
}

TEST_CASE("generate_key of EC picks the NIST curve named by bits") {
  const auto [bits, curve] =
      GENERATE(table<int, std::string>({{256, "prime256v1"}, {384, "secp384r1"}, {521, "secp521r1"}}));
  PKey key;
  REQUIRE_OK(key.generate_key(TYPE_EC, bits));
  char name[64] = {};
  std::size_t length = 0;
  REQUIRE(EVP_PKEY_get_utf8_string_param(key.native_handle(), OSSL_PKEY_PARAM_GROUP_NAME, name, sizeof(name),
                                         &length) == 1);
  CHECK(std::string(name, length) == curve);
  CHECK(key.bits() == bits);
}

TEST_CASE("generate_key with an unusable type or size fails with invalid_argument and keeps the old key") {
  const auto [type, bits] = GENERATE(table<key_type, int>({{key_type::none, 1024},
                                                           {static_cast<key_type>(9999), 1024},
                                                           {TYPE_RSA, 0},
                                                           {TYPE_RSA, -2048},
                                                           {TYPE_DSA, 0},
                                                           {TYPE_EC, 0},
                                                           {TYPE_EC, 255},
                                                           {TYPE_EC, 2048},
                                                           {TYPE_DH, 1024},
                                                           {TYPE_DH, 0}}));
  INFO("type " << static_cast<int>(type) << ", bits " << bits);
  PKey key = generated_key(key_cases().front());
  EVP_PKEY* const before = key.native_handle();
  REQUIRE_FAILS_WITH(key.generate_key(type, bits), errc::invalid_argument);
  CHECK(key.native_handle() == before);
}

TEST_CASE("generate_key of an RSA key below OpenSSL's minimum fails with crypto error") {
  PKey key;
  REQUIRE_FAILS_WITH(key.generate_key(TYPE_RSA, 256), errc::crypto);
  CHECK(key.empty());
}

TEST_CASE("Copies of a PKey share the key by reference count") {
  const PKey original = generated_key(key_cases().front());
  PKey copy = original;
  CHECK(copy.native_handle() == original.native_handle());

  PKey assigned;
  assigned = original;
  CHECK(assigned.native_handle() == original.native_handle());
  const PKey& same = assigned;
  assigned = same;  // self-assignment keeps the key
  CHECK(assigned.native_handle() == original.native_handle());
  assigned = PKey();  // assigning an empty key empties it
  CHECK(assigned.empty());

  PKey moved = std::move(copy);
  CHECK(moved.native_handle() == original.native_handle());
  CHECK(copy.empty());  // NOLINT(bugprone-use-after-move): a moved-from PKey is empty
}

TEST_CASE("A copy outlives the PKey it was copied from") {
  PKey copy;
  {
    PKey key;
    REQUIRE_OK(key.generate_key(TYPE_EC, 256));
    copy = key;
  }
  CHECK(copy.type() == TYPE_EC);
  REQUIRE_OK(copy.check());
}

TEST_CASE("generate_key gives a PKey a new key and leaves its copies with the old one") {
  PKey key;
  REQUIRE_OK(key.generate_key(TYPE_ED25519, 0));
  const PKey copy = key;
  REQUIRE_OK(key.generate_key(TYPE_EC, 384));
  CHECK(key.type() == TYPE_EC);
  CHECK(copy.type() == TYPE_ED25519);
  CHECK(copy.native_handle() != key.native_handle());
}

TEST_CASE("The adopting constructor takes ownership of an EVP_PKEY") {
  EVP_PKEY* raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED448");
  REQUIRE(raw != nullptr);
  const PKey key(pyossl::detail::adopt(raw));
  CHECK(key.native_handle() == raw);
  CHECK(key.type() == TYPE_ED448);
  CHECK(key.has_private_key());

  const PKey empty(pyossl::detail::handle<EVP_PKEY>{});
  CHECK(empty.empty());
}

TEST_CASE("A public key has type and bits but no private half") {
  const key_case c = GENERATE(from_range(key_cases()));
  INFO(c.name);
  const PKey key = public_half(generated_key(c));
  CHECK_FALSE(key.has_private_key());
  CHECK(key.type() == c.type);
  CHECK(key.bits() == c.expected_bits);
}

TEST_CASE("check of an empty or public-only key fails with invalid_argument") {
  REQUIRE_FAILS_WITH(PKey().check(), errc::invalid_argument);
  const PKey key = public_half(generated_key(key_cases().front()));
  REQUIRE_FAILS_WITH(key.check(), errc::invalid_argument);
}

TEST_CASE("check of a key whose halves do not match fails with crypto error") {
  const PKey key = mismatched_ec_key();
  REQUIRE(key.has_private_key());
  REQUIRE_FAILS_WITH(key.check(), errc::crypto);
}

TEST_CASE("unwrap of a failed check throws crypto::Error") {
  const PKey key = mismatched_ec_key();
  REQUIRE_THROWS_AS(pyossl::unwrap(key.check()), pyossl::crypto::Error);
  CHECK(ERR_peek_error() == 0UL);
}
