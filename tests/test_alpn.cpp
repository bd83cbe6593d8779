// ALPN: Context and Connection set_alpn_protos, Context::set_alpn_select_callback,
// Connection::get_alpn_proto_negotiated, over memory BIOs and against openssl s_server /
// s_client and pyOpenSSL on 127.0.0.1; and the key log compared with openssl s_server and
// s_client -keylogfile.
#include <algorithm>
#include <chrono>
#include <optional>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "catch.hpp"
#include "checks.hpp"
#include "peers.hpp"
#include "process.hpp"
#include "pyopenssl_peer.hpp"
#include "pyossl/ssl.hpp"
#include "temp_dir.hpp"
#include "tls_fixtures.hpp"

namespace ssl = pyossl::ssl;
using namespace std::chrono_literals;
using pyossl::errc;
using pyossl::unwrap;
using pyossl_test::tls_files;

namespace {

// A server that picks the first protocol of `preference` the client offers.
ssl::Context choosing_server(std::vector<std::string> preference) {
  auto context = pyossl_test::server_context();
  unwrap(context.set_alpn_select_callback(
      [preference](ssl::Connection&, const std::vector<std::string>& offered) -> std::optional<std::string> {
        for (const std::string& protocol : preference) {
          if (std::find(offered.begin(), offered.end(), protocol) != offered.end()) return protocol;
        }
        return std::nullopt;
      }));
  return context;
}

}  // namespace

TEST_CASE("ALPN: the server's callback sees what the client offers and both ends agree", "[alpn]") {
  auto client_side = pyossl_test::client_context();
  REQUIRE_OK(client_side.set_alpn_protos({"h2", "http/1.1"}));
  std::vector<std::string> seen;
  auto server_side = pyossl_test::server_context();
  REQUIRE_OK(server_side.set_alpn_select_callback(
      [&seen](ssl::Connection&, const std::vector<std::string>& offered) -> std::optional<std::string> {
        seen = offered;
        return "http/1.1";
      }));
  pyossl_test::connection_pair pair(client_side, server_side);
  CHECK(pair.client.get_alpn_proto_negotiated().empty());  // before the handshake
  REQUIRE(pyossl_test::handshake(pair.client, pair.server).ok());
  CHECK(seen == std::vector<std::string>{"h2", "http/1.1"});
  CHECK(pair.client.get_alpn_proto_negotiated() == "http/1.1");
  CHECK(pair.server.get_alpn_proto_negotiated() == "http/1.1");
}

TEST_CASE("ALPN: a Connection's own list replaces its Context's, either overload", "[alpn]") {
  auto client_side = pyossl_test::client_context();
  REQUIRE_OK(client_side.set_alpn_protos(std::vector<std::string>{"http/1.1"}));
  const ssl::Context server_side = choosing_server({"h2", "http/1.1"});
  pyossl_test::connection_pair pair(client_side, server_side);
  const bool vector_overload = GENERATE(true, false);
  if (vector_overload) {
    REQUIRE_OK(pair.client.set_alpn_protos(std::vector<std::string>{"spdy/3", "h2"}));
  } else {
    REQUIRE_OK(pair.client.set_alpn_protos({"spdy/3", "h2"}));
  }
  REQUIRE(pyossl_test::handshake(pair.client, pair.server).ok());
  CHECK(pair.client.get_alpn_proto_negotiated() == "h2");
}

TEST_CASE("ALPN: a callback returning nullopt goes on without a protocol", "[alpn]") {
  auto client_side = pyossl_test::client_context();
  REQUIRE_OK(client_side.set_alpn_protos({"h2"}));
  const ssl::Context server_side = choosing_server({"imap"});
  pyossl_test::connection_pair pair(client_side, server_side);
  REQUIRE(pyossl_test::handshake(pair.client, pair.server).ok());
  CHECK(pair.client.get_alpn_proto_negotiated().empty());
  CHECK(pair.server.get_alpn_proto_negotiated().empty());
}

TEST_CASE("ALPN: a server without a callback, or a client that offers nothing, negotiates nothing",
          "[alpn]") {
  const bool client_offers = GENERATE(true, false);
  auto client_side = pyossl_test::client_context();
  if (client_offers) REQUIRE_OK(client_side.set_alpn_protos({"h2"}));
  bool called = false;
  auto server_side = pyossl_test::server_context();
  if (!client_offers) {
    REQUIRE_OK(server_side.set_alpn_select_callback(
        [&called](ssl::Connection&, const std::vector<std::string>&) -> std::optional<std::string> {
          called = true;
          return "h2";
        }));
  }
  pyossl_test::connection_pair pair(client_side, server_side);
  REQUIRE(pyossl_test::handshake(pair.client, pair.server).ok());
  CHECK_FALSE(called);
  CHECK(pair.client.get_alpn_proto_negotiated().empty());
}

TEST_CASE("ALPN: a callback choosing a protocol the client did not offer fails the handshake",
          "[alpn][bad-input]") {
  auto client_side = pyossl_test::client_context();
  REQUIRE_OK(client_side.set_alpn_protos({"h2"}));
  auto server_side = pyossl_test::server_context();
  REQUIRE_OK(server_side.set_alpn_select_callback([](ssl::Connection&, const std::vector<std::string>&)
                                                      -> std::optional<std::string> { return "gopher"; }));
  pyossl_test::connection_pair pair(client_side, server_side);
  const auto outcome = pyossl_test::handshake(pair.client, pair.server);
  REQUIRE_FAILS_WITH(outcome.server, errc::ssl);
  INFO(outcome.server.error().message());
  CHECK(outcome.server.error().message().find("chose \"gopher\", which the client did not offer") !=
        std::string::npos);
  REQUIRE_FAILS_WITH(outcome.client, errc::ssl);
}

TEST_CASE("ALPN: the select callback's exception comes out of that server's handshake", "[alpn][callbacks]") {
  auto client_side = pyossl_test::client_context();
  REQUIRE_OK(client_side.set_alpn_protos({"h2"}));
  auto server_side = pyossl_test::server_context();
  REQUIRE_OK(server_side.set_alpn_select_callback(
      [](ssl::Connection& connection, const std::vector<std::string>&) -> std::optional<std::string> {
        if (connection.get_app_data().has_value()) throw std::runtime_error("select failed");
        return "h2";
      }));
  // Two servers of one Context: only the one whose callback threw sees the exception.
  pyossl_test::connection_pair calm(client_side, server_side);
  pyossl_test::connection_pair failing(client_side, server_side);
  failing.server.set_app_data(1);
  (void)failing.client.do_handshake();
  pyossl_test::transfer(failing.client, failing.server);
  REQUIRE_THROWS_WITH(failing.server.do_handshake(), "select failed");
  CHECK(ERR_peek_error() == 0UL);
  REQUIRE(pyossl_test::handshake(calm.client, calm.server).ok());
  CHECK(calm.server.get_alpn_proto_negotiated() == "h2");
}

TEST_CASE("ALPN: after a servername callback switches Context, the new Context's callback chooses",
          "[alpn][callbacks]") {
  auto client_side = pyossl_test::client_context();
  REQUIRE_OK(client_side.set_alpn_protos({"first", "second"}));
  const ssl::Context second = choosing_server({"second"});
  auto first = choosing_server({"first"});
  REQUIRE_OK(first.set_tlsext_servername_callback(
      [&second](ssl::Connection& connection) { unwrap(connection.set_context(second)); }));
  pyossl_test::connection_pair pair(client_side, first);
  REQUIRE_OK(pair.client.set_tlsext_host_name("localhost"));
  REQUIRE(pyossl_test::handshake(pair.client, pair.server).ok());
  CHECK(pair.client.get_alpn_proto_negotiated() == "second");
}

TEST_CASE("ALPN: an empty list, an empty name or one over 255 bytes is invalid_argument",
          "[alpn][bad-input]") {
  auto context = unwrap(ssl::Context::create(ssl::TLS_METHOD));
  const std::string long_name(256, 'x');
  REQUIRE_FAILS_WITH(context.set_alpn_protos({}), errc::invalid_argument);
  REQUIRE_FAILS_WITH(context.set_alpn_protos({"h2", ""}), errc::invalid_argument);
  REQUIRE_FAILS_WITH(context.set_alpn_protos({"h2", long_name}), errc::invalid_argument);
  REQUIRE_FAILS_WITH(context.set_alpn_protos(std::vector<std::string>{}), errc::invalid_argument);
  REQUIRE_FAILS_WITH(context.set_alpn_protos(std::vector<std::string>{long_name}), errc::invalid_argument);
  REQUIRE_OK(context.set_alpn_protos({std::string(255, 'x')}));
  ssl::Connection connection(context);
  REQUIRE_FAILS_WITH(connection.set_alpn_protos({}), errc::invalid_argument);
  REQUIRE_FAILS_WITH(connection.set_alpn_protos({""}), errc::invalid_argument);
  REQUIRE_FAILS_WITH(connection.set_alpn_protos(std::vector<std::string>{"ok", long_name}),
                     errc::invalid_argument);
  // The Context is in use now: it can no longer change.
  REQUIRE_FAILS_WITH(context.set_alpn_protos({"h2"}), errc::invalid_argument);
  REQUIRE_FAILS_WITH(context.set_alpn_select_callback([](ssl::Connection&, const std::vector<std::string>&) {
    return std::optional<std::string>();
  }),
                     errc::invalid_argument);
}

// ---- Real peers ----

TEST_CASE("ALPN: pyossl's client gets h2 from openssl s_server -alpn h2", "[alpn][interop]") {
  const tls_files& files = tls_files::get();
  auto server = pyossl_test::start_s_server(
      {"-cert", files.server_cert(), "-key", files.server_key(), "-naccept", "1", "-rev", "-alpn", "h2"});
  REQUIRE(server.started());
  auto client_side = unwrap(ssl::create_default_context());
  REQUIRE_OK(client_side.load_verify_locations(files.ca()));
  REQUIRE_OK(client_side.set_alpn_protos({"http/1.1", "h2"}));
  ssl::Connection connection = pyossl_test::dial(client_side, server.address);
  REQUIRE_OK(connection.set_tlsext_host_name("localhost"));
  REQUIRE_OK(connection.do_handshake());
  CHECK(connection.get_alpn_proto_negotiated() == "h2");
  REQUIRE_OK(connection.sendall("alpn\n"));
  std::string reply;
  while (reply.find('\n') == std::string::npos) {
    auto got = connection.recv(256);
    REQUIRE_OK(got);
    reply += *got;
  }
  CHECK(reply == "npla\n");
  REQUIRE_OK(connection.shutdown());
  (void)server.process->wait(10s);
}

TEST_CASE("ALPN, SNI and key log: openssl s_client -alpn -servername -keylogfile against pyossl's server",
          "[alpn][keylog][interop]") {
  const tls_files& files = tls_files::get();
  const pyossl_test::temp_dir dir;
  const std::string keylog_file = dir.file("keys.log");
  std::vector<std::string> our_lines;
  auto server_side = choosing_server({"h2"});
  // Context-level callbacks must be set before the listener's Connection exists.
  REQUIRE_OK(server_side.set_keylog_callback(
      [&our_lines](ssl::Connection&, std::string_view line) { our_lines.emplace_back(line); }));
  pyossl_test::listener server(server_side);
  pyossl_test::child_process s_client({PYOSSL_TEST_OPENSSL, "s_client", "-connect",
                                       "127.0.0.1:" + std::to_string(server.port), "-alpn", "http/1.1,h2",
                                       "-servername", "localhost", "-keylogfile", keylog_file, "-CAfile",
                                       files.ca(), "-verify_return_error"});
  REQUIRE(s_client.valid());
  auto accepted = server.accept();
  REQUIRE_OK(accepted);
  ssl::Connection& connection = *accepted;
  REQUIRE_OK(connection.do_handshake());
  CHECK(connection.get_alpn_proto_negotiated() == "h2");
  CHECK(connection.get_servername() == std::optional<std::string>("localhost"));
  REQUIRE(s_client.write("hello\n"));
  std::string got;
  while (got.find('\n') == std::string::npos) {
    auto piece = connection.recv(256);
    REQUIRE_OK(piece);
    got += *piece;
  }
  CHECK(got == "hello\n");
  s_client.close_stdin();
  (void)s_client.wait(10s);
  INFO(s_client.output());
  CHECK(s_client.output().find("ALPN protocol: h2") != std::string::npos);
  // Both ends logged the same secrets, in NSS format.
  std::set<std::string> theirs;
  std::istringstream file(pyossl_test::read_file(keylog_file));
  for (std::string line; std::getline(file, line);) {
    if (!line.empty() && line[0] != '#') theirs.insert(line);
  }
  CHECK(theirs.size() == 5);  // TLS 1.3: two handshake, two traffic secrets, the exporter
  CHECK(std::set<std::string>(our_lines.begin(), our_lines.end()) == theirs);
}

TEST_CASE("key log: pyossl's client logs the same secrets as openssl s_server -keylogfile",
          "[keylog][interop]") {
  struct version_case {
    const char* flag;   // s_server's protocol option
    std::size_t lines;  // TLS 1.2: CLIENT_RANDOM; TLS 1.3: four traffic secrets and the exporter
  };
  const version_case c = GENERATE(version_case{"-tls1_2", 1}, version_case{"-tls1_3", 5});
  INFO(c.flag);
  const tls_files& files = tls_files::get();
  const pyossl_test::temp_dir dir;
  const std::string keylog_file = dir.file("keys.log");
  auto server = pyossl_test::start_s_server({"-cert", files.server_cert(), "-key", files.server_key(),
                                             "-naccept", "1", "-rev", c.flag, "-keylogfile", keylog_file});
  REQUIRE(server.started());
  std::vector<std::string> our_lines;
  auto client_side = unwrap(ssl::create_default_context());
  REQUIRE_OK(client_side.load_verify_locations(files.ca()));
  REQUIRE_OK(client_side.set_keylog_callback(
      [&our_lines](ssl::Connection&, std::string_view line) { our_lines.emplace_back(line); }));
  ssl::Connection connection = pyossl_test::dial(client_side, server.address);
  REQUIRE_OK(connection.set_tlsext_host_name("localhost"));
  REQUIRE_OK(connection.do_handshake());
  REQUIRE_OK(connection.sendall("keys\n"));
  std::string reply;
  while (reply.find('\n') == std::string::npos) {
    auto got = connection.recv(256);
    REQUIRE_OK(got);
    reply += *got;
  }
  CHECK(reply == "syek\n");
  REQUIRE_OK(connection.shutdown());
  (void)server.process->wait(10s);
  std::set<std::string> theirs;
  std::istringstream file(pyossl_test::read_file(keylog_file));
  for (std::string line; std::getline(file, line);) {
    if (!line.empty() && line[0] != '#') theirs.insert(line);
  }
  CHECK(theirs.size() == c.lines);
  CHECK(std::set<std::string>(our_lines.begin(), our_lines.end()) == theirs);
}

TEST_CASE("ALPN, key material and Finished agree with a pyOpenSSL peer, both ways",
          "[alpn][interop][pyopenssl]") {
  std::string why;
  const std::string python = pyossl_test::pyopenssl_python(why);
  if (python.empty()) {
    WARN("skipped: " << why);
    return;
  }
  const tls_files& files = tls_files::get();
  const bool pyossl_is_client = GENERATE(true, false);
  INFO("pyossl is the " << (pyossl_is_client ? "client" : "server"));
  auto compare = [](ssl::Connection& ours, pyossl_test::child_process& peer) {
    INFO(peer.output());
    CHECK(ours.get_alpn_proto_negotiated() == "h2");
    CHECK(pyossl_test::peer_value(peer.output(), "ALPN") == "h2");
    const auto material = ours.export_keying_material("EXPORTER-pyossl", 32, "context");
    REQUIRE_OK(material);
    CHECK(pyossl_test::to_hex(*material) == pyossl_test::peer_value(peer.output(), "EKM"));
    CHECK(pyossl_test::to_hex(ours.get_finished().value_or("")) ==
          pyossl_test::peer_value(peer.output(), "PEER_FINISHED"));
    CHECK(pyossl_test::to_hex(ours.get_peer_finished().value_or("")) ==
          pyossl_test::peer_value(peer.output(), "FINISHED"));
  };
  if (pyossl_is_client) {
    auto peer = pyossl_test::start_pyopenssl_peer(
        python, {"server", files.server_cert(), files.server_key(), "-", "spdy/3,h2", "-", "-"});
    REQUIRE(peer->wait_for_output("\n", 10s));
    const auto port = static_cast<std::uint16_t>(std::stoi(pyossl_test::peer_value(peer->output(), "PORT")));
    auto client_side = unwrap(ssl::create_default_context());
    REQUIRE_OK(client_side.load_verify_locations(files.ca()));
    REQUIRE_OK(client_side.set_alpn_protos({"h2", "http/1.1"}));
    ssl::Connection connection = pyossl_test::dial(client_side, {"127.0.0.1", port});
    REQUIRE_OK(connection.set_tlsext_host_name("localhost"));
    REQUIRE_OK(connection.do_handshake());
    REQUIRE_OK(connection.sendall("ping\n"));
    REQUIRE_OK(connection.recv(64));
    REQUIRE(peer->wait_for_output("DONE", 10s));
    compare(connection, *peer);
  } else {
    const ssl::Context server_side = choosing_server({"h2"});
    pyossl_test::listener server(server_side);
    auto peer = pyossl_test::start_pyopenssl_peer(
        python, {"client", "-", "-", files.ca(), "h2,http/1.1", "localhost", std::to_string(server.port)});
    auto accepted = server.accept();
    REQUIRE_OK(accepted);
    REQUIRE_OK(accepted->do_handshake());
    auto ping = accepted->recv(64);
    REQUIRE_OK(ping);
    REQUIRE_OK(accepted->sendall(*ping));
    REQUIRE(peer->wait_for_output("DONE", 10s));
    CHECK(pyossl_test::peer_value(peer->output(), "ECHO") == "ping");
    compare(*accepted, *peer);
  }
}
