// crypto::get_elliptic_curves and get_elliptic_curve (pyOpenSSL 0.15), and a TLS server
// whose key exchange is pinned to one of them.
#include <set>
#include <string>
#include <string_view>

#include <openssl/ec.h>
#include <openssl/ssl.h>

#include "catch.hpp"
#include "checks.hpp"
#include "pyossl/crypto/elliptic_curve.hpp"
#include "pyossl/ssl.hpp"
#include "tls_fixtures.hpp"

using pyossl::errc;
using pyossl::crypto::EllipticCurve;
using pyossl::crypto::get_elliptic_curve;
using pyossl::crypto::get_elliptic_curves;

namespace {

// Pins `context`'s key exchange to `curve` with Context::set_tmp_ecdh, which takes the curve
// through its conversion to the name (pyOpenSSL 0.15's ctx.set_tmp_ecdh(curve)).
void use_curve(pyossl::ssl::Context& context, const EllipticCurve& curve) {
  REQUIRE_OK(context.set_tmp_ecdh(curve));
}

}  // namespace

TEST_CASE("get_elliptic_curves lists every built-in curve once, by its short name") {
  const auto curves = get_elliptic_curves();
  CHECK(curves.size() == EC_get_builtin_curves(nullptr, 0));
  std::set<std::string> names;
  for (const EllipticCurve& curve : curves) {
    CHECK(std::string(OBJ_nid2sn(curve.nid())) == curve.name());
    names.insert(curve.name());
  }
  CHECK(names.size() == curves.size());
  for (const char* expected : {"prime256v1", "secp384r1", "secp521r1", "brainpoolP256r1"}) {
    INFO(expected);
    CHECK(names.count(expected) == 1);
  }
}

TEST_CASE("get_elliptic_curve finds a curve by its short name or NIST name") {
  for (const EllipticCurve& curve : get_elliptic_curves()) {
    auto found = get_elliptic_curve(curve.name());
    REQUIRE_OK(found);
    CHECK(*found == curve);
  }
  auto by_nist = get_elliptic_curve("P-384");
  REQUIRE_OK(by_nist);
  CHECK(by_nist->name() == "secp384r1");
  CHECK(by_nist->nid() == NID_secp384r1);
  const std::string_view as_name = *by_nist;
  CHECK(as_name == "secp384r1");
}

TEST_CASE("get_elliptic_curve of an unknown or malformed name fails with invalid_argument") {
  REQUIRE_FAILS_WITH(get_elliptic_curve("no-such-curve"), errc::invalid_argument);
  REQUIRE_FAILS_WITH(get_elliptic_curve(""), errc::invalid_argument);
  REQUIRE_FAILS_WITH(get_elliptic_curve("X25519"), errc::invalid_argument);  // a TLS group, not an EC curve
  REQUIRE_FAILS_WITH(get_elliptic_curve(std::string("prime256v1\0x", 12)), errc::invalid_argument);
}

TEST_CASE("a server pinned to a curve from get_elliptic_curve negotiates that curve") {
  const auto version = GENERATE(TLS1_2_VERSION, TLS1_3_VERSION);
  const auto name = GENERATE("prime256v1", "secp384r1", "secp521r1");
  CAPTURE(version, name);
  const EllipticCurve curve = pyossl::unwrap(get_elliptic_curve(name));
  auto server_ctx = pyossl_test::server_context();
  REQUIRE_OK(server_ctx.set_max_proto_version(version));
  use_curve(server_ctx, curve);
  const auto client_ctx = pyossl_test::client_context();
  pyossl_test::connection_pair pair(client_ctx, server_ctx);
  REQUIRE(pyossl_test::handshake(pair.client, pair.server).ok());
  CHECK(SSL_get_negotiated_group(pair.server.native_handle()) == curve.nid());
  CHECK(SSL_get_negotiated_group(pair.client.native_handle()) == curve.nid());
}
