// Connection::get_state and the handshake-state constants ssl::ST_* (pyOpenSSL 0.14's
// SSL_ST_*), through a handshake and a renegotiation over memory BIOs.
#include "catch.hpp"
#include "checks.hpp"
#include "pyossl/ssl.hpp"
#include "tls_fixtures.hpp"

namespace ssl = pyossl::ssl;
using pyossl::errc;

TEST_CASE("the ST_* constants have OpenSSL 1.0's values, as pyOpenSSL 0.14") {
  CHECK(ssl::ST_CONNECT == 0x1000);
  CHECK(ssl::ST_ACCEPT == 0x2000);
  CHECK(ssl::ST_MASK == 0x0FFF);
  CHECK(ssl::ST_INIT == 0x3000);
  CHECK(ssl::ST_BEFORE == 0x4000);
  CHECK(ssl::ST_OK == 0x03);
  CHECK(ssl::ST_RENEGOTIATE == 0x3004);
}

TEST_CASE("get_state goes from before through the handshake to OK on both ends") {
  const auto server_ctx = pyossl_test::server_context();
  const auto client_ctx = pyossl_test::client_context();
  pyossl_test::connection_pair pair(client_ctx, server_ctx);
  CHECK(pair.client.get_state() == (ssl::ST_BEFORE | ssl::ST_CONNECT));
  CHECK(pair.server.get_state() == (ssl::ST_BEFORE | ssl::ST_ACCEPT));

  REQUIRE_FAILS_WITH(pair.client.do_handshake(), errc::want_read);  // ClientHello sent
  const int during = pair.client.get_state();
  CHECK((during & ssl::ST_INIT) == ssl::ST_CONNECT);
  CHECK((during & ssl::ST_BEFORE) == 0);
  CHECK(during != ssl::ST_OK);

  REQUIRE(pyossl_test::handshake(pair.client, pair.server).ok());
  CHECK(pair.client.get_state() == ssl::ST_OK);
  CHECK(pair.server.get_state() == ssl::ST_OK);
}

TEST_CASE("get_state is ST_RENEGOTIATE while a requested renegotiation has not started") {
  auto server_ctx = pyossl_test::server_context();
  REQUIRE_OK(server_ctx.set_max_proto_version(TLS1_2_VERSION));
  const auto client_ctx = pyossl_test::client_context();
  pyossl_test::connection_pair pair(client_ctx, server_ctx);
  REQUIRE(pyossl_test::handshake(pair.client, pair.server).ok());
  REQUIRE_OK(pair.server.renegotiate());
  CHECK(pair.server.get_state() == ssl::ST_RENEGOTIATE);
  CHECK(pair.client.get_state() == ssl::ST_OK);
  const auto request = pair.server.do_handshake();  // sends the HelloRequest
  if (!request) REQUIRE(request.error() == errc::want_read);
  CHECK((pair.server.get_state() & ssl::ST_INIT) != 0);
}
