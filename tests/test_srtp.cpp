// Context::set_tlsext_use_srtp and Connection::get_selected_srtp_profile (pyOpenSSL 26's
// DTLS-SRTP), negotiated in DTLS 1.2 over memory BIOs.
#include <string>

#include "catch.hpp"
#include "checks.hpp"
#include "pyossl/ssl.hpp"
#include "tls_fixtures.hpp"

namespace ssl = pyossl::ssl;
using pyossl::errc;

namespace {

// A DTLS server Context with the test certificate and key, and a DTLS client Context that
// trusts the test CA and checks the server.
ssl::Context dtls_server() {
  const pyossl_test::tls_files& files = pyossl_test::tls_files::get();
  auto context = pyossl::unwrap(ssl::Context::create(ssl::DTLS_SERVER_METHOD));
  pyossl::unwrap(context.use_certificate_file(files.server_cert()));
  pyossl::unwrap(context.use_privatekey_file(files.server_key()));
  return context;
}

ssl::Context dtls_client() {
  auto context = pyossl::unwrap(ssl::Context::create(ssl::DTLS_CLIENT_METHOD));
  pyossl::unwrap(context.load_verify_locations(pyossl_test::tls_files::get().ca()));
  pyossl::unwrap(context.set_verify(ssl::VERIFY_PEER));
  return context;
}

}  // namespace

TEST_CASE("the DTLS server picks the first SRTP profile of its list that the client offers") {
  auto server_ctx = dtls_server();
  auto client_ctx = dtls_client();
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
  auto server_ctx = dtls_server();
  auto client_ctx = dtls_client();
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
  auto context = pyossl::unwrap(ssl::Context::create(ssl::DTLS_METHOD));
  REQUIRE_FAILS_WITH(context.set_tlsext_use_srtp("SRTP_NO_SUCH_PROFILE"), errc::ssl);
  REQUIRE_FAILS_WITH(context.set_tlsext_use_srtp("SRTP_AES128_CM_SHA1_80:SRTP_NO_SUCH_PROFILE"), errc::ssl);
  REQUIRE_FAILS_WITH(context.set_tlsext_use_srtp(""), errc::ssl);
  REQUIRE_FAILS_WITH(context.set_tlsext_use_srtp(std::string("SRTP_AES128_CM_SHA1_80\0x", 24)),
                     errc::invalid_argument);
}

TEST_CASE("set_tlsext_use_srtp works on every DTLS method and fails with unsupported on TLS") {
  for (const ssl::method m : {ssl::DTLS_METHOD, ssl::DTLS_CLIENT_METHOD, ssl::DTLS_SERVER_METHOD}) {
    auto context = pyossl::unwrap(ssl::Context::create(m));
    REQUIRE_OK(context.set_tlsext_use_srtp("SRTP_AES128_CM_SHA1_80"));
  }
  for (const ssl::method m : {ssl::TLS_METHOD, ssl::TLS_CLIENT_METHOD, ssl::TLS_SERVER_METHOD}) {
    auto context = pyossl::unwrap(ssl::Context::create(m));
    REQUIRE_FAILS_WITH(context.set_tlsext_use_srtp("SRTP_AES128_CM_SHA1_80"), errc::unsupported);
  }
}

TEST_CASE("set_tlsext_use_srtp is refused once the Context made a Connection") {
  auto context = dtls_server();
  const ssl::Connection connection(context);
  REQUIRE_FAILS_WITH(context.set_tlsext_use_srtp("SRTP_AES128_CM_SHA1_80"), errc::invalid_argument);
}
