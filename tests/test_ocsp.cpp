// OCSP stapling: Context::set_ocsp_server_callback / set_ocsp_client_callback and
// Connection::request_ocsp, over memory BIOs and against openssl s_server -status_file and
// s_client -status on 127.0.0.1.
#include <chrono>
#include <stdexcept>
#include <string>
#include <vector>

#include "catch.hpp"
#include "checks.hpp"
#include "child_process.hpp"
#include "peers.hpp"
#include "process.hpp"
#include "pyossl/ssl.hpp"
#include "temp_dir.hpp"
#include "tls_fixtures.hpp"

namespace ssl = pyossl::ssl;
using namespace std::chrono_literals;
using pyossl::errc;
using pyossl::unwrap;
using pyossl_test::connection_pair;
using pyossl_test::handshake;
using pyossl_test::tls_files;

namespace {

// A real DER OCSP response, signed by the test CA, saying the server certificate (serial
// 2) is good; made once with `openssl ocsp`.
const std::string& ocsp_response_file() {
  static const pyossl_test::temp_dir dir;
  static const std::string path = [] {
    const tls_files& files = tls_files::get();
    const auto q = [](const std::string& p) { return "'" + p + "'"; };
    pyossl_test::write_file(dir.file("index.txt"),
                            "V\t301231235959Z\t\t02\tunknown\t/CN=localhost/O=pyossl server\n");
    pyossl_test::openssl_or_throw("ocsp -issuer " + q(files.ca()) + " -cert " + q(files.server_cert()) +
                                  " -no_nonce -reqout " + q(dir.file("request.der")));
    pyossl_test::openssl_or_throw("ocsp -index " + q(dir.file("index.txt")) + " -rsigner " + q(files.ca()) +
                                  " -rkey " + q(files.path("ca.key")) + " -CA " + q(files.ca()) + " -reqin " +
                                  q(dir.file("request.der")) + " -respout " + q(dir.file("response.der")) +
                                  " -ndays 1");
    return dir.file("response.der");
  }();
  return path;
}

struct ocsp_log {
  int server_calls = 0;
  int client_calls = 0;
  std::string seen;  // what the client's callback was given
};

// A server stapling `response` and a client judging it with `verdict`, both logging.
ssl::Context stapling_server(ocsp_log& log, std::string response) {
  auto context = pyossl_test::server_context();
  unwrap(context.set_ocsp_server_callback([&log, response](ssl::Connection&) {
    ++log.server_calls;
    return response;
  }));
  return context;
}
ssl::Context judging_client(ocsp_log& log, bool verdict) {
  auto context = pyossl_test::client_context();
  unwrap(context.set_ocsp_client_callback([&log, verdict](ssl::Connection&, std::string_view response) {
    ++log.client_calls;
    log.seen = std::string(response);
    return verdict;
  }));
  return context;
}

}  // namespace

TEST_CASE("OCSP: the server's response reaches the client's callback when the client asks", "[ocsp]") {
  const int version = GENERATE(TLS1_2_VERSION, TLS1_3_VERSION);
  INFO("version " << version);
  ocsp_log log;
  auto server_side = stapling_server(log, "stapled bytes");
  unwrap(server_side.set_max_proto_version(version));
  connection_pair pair(judging_client(log, true), server_side);
  REQUIRE_OK(pair.client.request_ocsp());
  REQUIRE(handshake(pair.client, pair.server).ok());
  CHECK(log.server_calls == 1);
  CHECK(log.client_calls == 1);
  CHECK(log.seen == "stapled bytes");
}

TEST_CASE("OCSP: neither callback runs unless the client called request_ocsp", "[ocsp]") {
  ocsp_log log;
  const auto server_side = stapling_server(log, "stapled bytes");
  connection_pair pair(judging_client(log, false), server_side);
  REQUIRE(handshake(pair.client, pair.server).ok());
  CHECK(log.server_calls == 0);
  CHECK(log.client_calls == 0);
}

TEST_CASE("OCSP: an empty server answer staples nothing and the client sees an empty response", "[ocsp]") {
  ocsp_log log;
  log.seen = "not called";
  const auto server_side = stapling_server(log, "");
  connection_pair pair(judging_client(log, true), server_side);
  REQUIRE_OK(pair.client.request_ocsp());
  REQUIRE(handshake(pair.client, pair.server).ok());
  CHECK(log.server_calls == 1);
  CHECK(log.client_calls == 1);
  CHECK(log.seen.empty());
}

TEST_CASE("OCSP: a client callback returning false fails the handshake", "[ocsp][bad-input]") {
  ocsp_log log;
  const auto server_side = stapling_server(log, "revoked, say");
  connection_pair pair(judging_client(log, false), server_side);
  REQUIRE_OK(pair.client.request_ocsp());
  const auto outcome = handshake(pair.client, pair.server);
  REQUIRE_FAILS_WITH(outcome.client, errc::ssl);
  INFO(outcome.client.error().message());
  CHECK(outcome.client.error().message().find("the OCSP client callback rejected the stapled response") !=
        std::string::npos);
  CHECK(log.client_calls == 1);
  CHECK_FALSE(outcome.server.has_value());
}

TEST_CASE("OCSP: a callback's exception comes out of the handshake on the connection that ran it",
          "[ocsp][callbacks]") {
  const bool server_throws = GENERATE(true, false);
  auto server_side = pyossl_test::server_context();
  REQUIRE_OK(server_side.set_ocsp_server_callback([server_throws](ssl::Connection&) -> std::string {
    if (server_throws) throw std::runtime_error("no response at hand");
    return "ok";
  }));
  auto client_side = pyossl_test::client_context();
  REQUIRE_OK(client_side.set_ocsp_client_callback(
      [](ssl::Connection&, std::string_view) -> bool { throw std::runtime_error("cannot judge"); }));
  connection_pair pair(client_side, server_side);
  REQUIRE_OK(pair.client.request_ocsp());
  (void)pair.client.do_handshake();
  pyossl_test::transfer(pair.client, pair.server);
  if (server_throws) {
    REQUIRE_THROWS_WITH(pair.server.do_handshake(), "no response at hand");
  } else {
    (void)pair.server.do_handshake();
    pyossl_test::transfer(pair.server, pair.client);
    REQUIRE_THROWS_WITH(pair.client.do_handshake(), "cannot judge");
  }
  CHECK(ERR_peek_error() == 0UL);
}

TEST_CASE("OCSP: request_ocsp after the handshake has started is invalid_argument", "[ocsp][bad-input]") {
  connection_pair pair(pyossl_test::client_context(), pyossl_test::server_context());
  REQUIRE(handshake(pair.client, pair.server).ok());
  REQUIRE_FAILS_WITH(pair.client.request_ocsp(), errc::invalid_argument);
}

TEST_CASE("OCSP: request_ocsp on a server connection is invalid_argument", "[ocsp][bad-input]") {
  connection_pair pair(pyossl_test::client_context(), pyossl_test::server_context());
  REQUIRE_FAILS_WITH(pair.server.request_ocsp(), errc::invalid_argument);
  // A client may ask before choosing its role, as pyOpenSSL's own tests do.
  ssl::Connection undecided(pyossl_test::client_context());
  REQUIRE_OK(undecided.request_ocsp());
  undecided.set_connect_state();
  REQUIRE_OK(undecided.request_ocsp());
}

// ---- Real peers ----

TEST_CASE("OCSP: pyossl's client receives what openssl s_server -status_file staples", "[ocsp][interop]") {
  const tls_files& files = tls_files::get();
  const std::string response = pyossl_test::read_file(ocsp_response_file());
  REQUIRE_FALSE(response.empty());
  auto server = pyossl_test::start_s_server({"-cert", files.server_cert(), "-key", files.server_key(),
                                             "-naccept", "1", "-rev", "-status_file", ocsp_response_file()});
  REQUIRE(server.started());
  ocsp_log log;
  auto client_side = judging_client(log, true);
  ssl::Connection connection = pyossl_test::dial(client_side, server.address);
  REQUIRE_OK(connection.request_ocsp());
  REQUIRE_OK(connection.do_handshake());
  CHECK(log.client_calls == 1);
  CHECK(log.seen == response);
  REQUIRE_OK(connection.shutdown());
  (void)server.process->wait(10s);
}

TEST_CASE("OCSP: openssl s_client -status gets the response pyossl's server staples", "[ocsp][interop]") {
  const tls_files& files = tls_files::get();
  ocsp_log log;
  const auto server_side = stapling_server(log, pyossl_test::read_file(ocsp_response_file()));
  pyossl_test::listener server(server_side);
  pyossl_test::child_process s_client({PYOSSL_TEST_OPENSSL, "s_client", "-connect",
                                       "127.0.0.1:" + std::to_string(server.port), "-status", "-CAfile",
                                       files.ca(), "-servername", "localhost"});
  REQUIRE(s_client.valid());
  auto accepted = server.accept();
  REQUIRE_OK(accepted);
  REQUIRE_OK(accepted->do_handshake());
  CHECK(log.server_calls == 1);
  s_client.close_stdin();
  (void)s_client.wait(10s);
  INFO(s_client.output());
  CHECK(s_client.output().find("OCSP Response Status: successful") != std::string::npos);
  CHECK(s_client.output().find("Cert Status: good") != std::string::npos);
}
