// Context::set_tlsext_use_srtp and Connection::get_selected_srtp_profile (pyOpenSSL 26's
// DTLS-SRTP), negotiated in DTLS 1.2 over memory BIOs.
//
// pyossl has no DTLS methods yet (issue 15), so the test turns its Contexts into DTLS ones
// with OpenSSL's own SSL_CTX_set_ssl_version, before any Connection exists. OpenSSL 3
// deprecates that call; it is declared here so the test builds with OPENSSL_NO_DEPRECATED.
#include <stdexcept>
#include <string>

#include "catch.hpp"
#include "checks.hpp"
#include "pyossl/ssl.hpp"
#include "tls_fixtures.hpp"

#ifdef OPENSSL_NO_DEPRECATED_3_0
extern "C" int SSL_CTX_set_ssl_version(SSL_CTX* ctx, const SSL_METHOD* method);
#endif

namespace ssl = pyossl::ssl;
using pyossl::errc;

namespace {

ssl::Context dtls(ssl::Context context) {
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
  const int switched = SSL_CTX_set_ssl_version(context.native_handle(), DTLS_method());
#pragma GCC diagnostic pop
  if (switched != 1) throw std::runtime_error("SSL_CTX_set_ssl_version(DTLS_method()) failed");
  return context;
}

}  // namespace

TEST_CASE("the DTLS server picks the first SRTP profile of its list that the client offers") {
  auto server_ctx = dtls(pyossl_test::server_context());
  auto client_ctx = dtls(pyossl_test::client_context());
  REQUIRE_OK(client_ctx.set_tlsext_use_srtp("SRTP_AES128_CM_SHA1_32:SRTP_AES128_CM_SHA1_80"));
  REQUIRE_OK(server_ctx.set_tlsext_use_srtp("SRTP_AES128_CM_SHA1_80:SRTP_AES128_CM_SHA1_32"));
  pyossl_test::connection_pair pair(client_ctx, server_ctx);
  CHECK(pair.client.get_selected_srtp_profile().empty());
  REQUIRE(pyossl_test::handshake(pair.client, pair.server).ok());
  CHECK(pair.client.get_protocol_version_name() == "DTLSv1.2");
  CHECK(pair.server.get_selected_srtp_profile() == "SRTP_AES128_CM_SHA1_80");
  CHECK(pair.client.get_selected_srtp_profile() == "SRTP_AES128_CM_SHA1_80");
  CHECK(ERR_peek_error() == 0UL);
}

TEST_CASE("no SRTP profile is selected when only one side asks for it or none is shared") {
  auto server_ctx = dtls(pyossl_test::server_context());
  auto client_ctx = dtls(pyossl_test::client_context());
  SECTION("client only") { REQUIRE_OK(client_ctx.set_tlsext_use_srtp("SRTP_AES128_CM_SHA1_80")); }
  SECTION("server only") { REQUIRE_OK(server_ctx.set_tlsext_use_srtp("SRTP_AES128_CM_SHA1_80")); }
  SECTION("nothing shared") {
    REQUIRE_OK(client_ctx.set_tlsext_use_srtp("SRTP_AES128_CM_SHA1_32"));
    REQUIRE_OK(server_ctx.set_tlsext_use_srtp("SRTP_AES128_CM_SHA1_80"));
  }
  pyossl_test::connection_pair pair(client_ctx, server_ctx);
  REQUIRE(pyossl_test::handshake(pair.client, pair.server).ok());
  CHECK(pair.client.get_selected_srtp_profile().empty());
  CHECK(pair.server.get_selected_srtp_profile().empty());
  CHECK(ERR_peek_error() == 0UL);
}

TEST_CASE("set_tlsext_use_srtp refuses an unknown profile, an empty list and a NUL byte") {
  auto context = dtls(pyossl::unwrap(ssl::Context::create(ssl::TLS_METHOD)));
  REQUIRE_FAILS_WITH(context.set_tlsext_use_srtp("SRTP_NO_SUCH_PROFILE"), errc::ssl);
  REQUIRE_FAILS_WITH(context.set_tlsext_use_srtp("SRTP_AES128_CM_SHA1_80:SRTP_NO_SUCH_PROFILE"), errc::ssl);
  REQUIRE_FAILS_WITH(context.set_tlsext_use_srtp(""), errc::ssl);
  REQUIRE_FAILS_WITH(context.set_tlsext_use_srtp(std::string("SRTP_AES128_CM_SHA1_80\0x", 24)),
                     errc::invalid_argument);
}

TEST_CASE("set_tlsext_use_srtp on a TLS Context fails with unsupported") {
  for (const ssl::method m : {ssl::TLS_METHOD, ssl::TLS_CLIENT_METHOD, ssl::TLS_SERVER_METHOD}) {
    auto context = pyossl::unwrap(ssl::Context::create(m));
    REQUIRE_FAILS_WITH(context.set_tlsext_use_srtp("SRTP_AES128_CM_SHA1_80"), errc::unsupported);
  }
}

TEST_CASE("set_tlsext_use_srtp is refused once the Context made a Connection") {
  auto context = dtls(pyossl_test::server_context());
  const ssl::Connection connection(context);
  REQUIRE_FAILS_WITH(context.set_tlsext_use_srtp("SRTP_AES128_CM_SHA1_80"), errc::invalid_argument);
}
