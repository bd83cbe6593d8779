// ssl::Session() (pyOpenSSL's Session()): an empty session that set_session refuses
// clearly; a Session from get_session is not empty and survives copies and moves.
#include <optional>
#include <string>
#include <utility>

#include "catch.hpp"
#include "checks.hpp"
#include "pyossl/ssl.hpp"
#include "tls_fixtures.hpp"

namespace ssl = pyossl::ssl;
using pyossl::errc;

TEST_CASE("a default-constructed Session is empty and not resumable") {
  const ssl::Session session;
  CHECK(session.empty());
  CHECK_FALSE(session.is_resumable());
  CHECK(session.native_handle() == nullptr);
  const ssl::Session copy = session;  // NOLINT(performance-unnecessary-copy-initialization)
  CHECK(copy.empty());
  ssl::Session assigned;
  assigned = copy;
  CHECK(assigned.empty());
}

TEST_CASE("set_session refuses an empty Session with invalid_argument, saying so") {
  const auto context = pyossl_test::client_context();
  ssl::Connection connection(context);
  connection.set_connect_state();
  const auto refused = connection.set_session(ssl::Session());
  REQUIRE_FAILS_WITH(refused, errc::invalid_argument);
  CHECK(refused.error().message().find("empty") != std::string::npos);
}

TEST_CASE("a Session from get_session is not empty and a moved-from one is refused") {
  const auto server_ctx = pyossl_test::server_context();
  const auto client_ctx = pyossl_test::client_context();
  pyossl_test::connection_pair pair(client_ctx, server_ctx);
  REQUIRE(pyossl_test::handshake(pair.client, pair.server).ok());
  REQUIRE_FAILS_WITH(pair.client.recv(1), errc::want_read);  // takes in the TLS 1.3 ticket
  std::optional<ssl::Session> session = pair.client.get_session();
  REQUIRE(session.has_value());
  CHECK_FALSE(session->empty());
  CHECK(session->native_handle() != nullptr);

  ssl::Connection next(client_ctx);
  next.set_connect_state();
  ssl::Session taken = std::move(*session);
  CHECK_FALSE(taken.empty());
  REQUIRE_FAILS_WITH(next.set_session(*session), errc::invalid_argument);  // NOLINT(bugprone-use-after-move)
  REQUIRE_OK(next.set_session(taken));
}
