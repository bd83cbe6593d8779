// Secure clients: ssl::create_default_context, Context::set_check_hostname and
// Connection::set_verify_hostname / set_tlsext_host_name, over memory BIOs and against real
// peers (openssl s_server, pyOpenSSL) on 127.0.0.1.
#include <algorithm>
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include <openssl/err.h>
#include <openssl/x509_vfy.h>

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

// A client context as create_default_context makes it, trusting the test CA (the system
// store does not know it).
ssl::Context default_client() {
  auto context = unwrap(ssl::create_default_context());
  unwrap(context.load_verify_locations(tls_files::get().ca()));
  return context;
}

// A server certificate issued by the test CA with `extensions` (an openssl -extfile
// body) and `subject`, made once per name in a directory kept for the process.
struct issued {
  std::string cert;
  std::string key;
};
issued issue(const std::string& name, const std::string& subject, const std::string& extensions) {
  static pyossl_test::temp_dir dir;
  const tls_files& files = tls_files::get();
  issued made{dir.file(name + ".pem"), dir.file(name + ".key")};
  const std::string ext = dir.file(name + ".ext");
  pyossl_test::write_file(ext, extensions);
  pyossl_test::openssl_or_throw("req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj '" + subject +
                                "' -keyout '" + made.key + "' -out '" + dir.file(name + ".csr") + "'");
  pyossl_test::openssl_or_throw("x509 -req -in '" + dir.file(name + ".csr") + "' -CA '" + files.ca() +
                                "' -CAkey '" + files.path("ca.key") + "' -set_serial 77 -days 30 -extfile '" +
                                ext + "' -out '" + made.cert + "'");
  return made;
}

ssl::Context server_with(const issued& certificate) {
  auto context = unwrap(ssl::Context::create(ssl::TLS_METHOD));
  unwrap(context.use_certificate_file(certificate.cert));
  unwrap(context.use_privatekey_file(certificate.key));
  return context;
}

}  // namespace

TEST_CASE("create_default_context gives a client that verifies peers and checks host names", "[hostname]") {
  auto context = ssl::create_default_context();
  REQUIRE_OK(context);
  CHECK(context->get_check_hostname());
  CHECK(context->get_verify_mode() == ssl::VERIFY_PEER);
  CHECK((context->get_options() & ssl::OP_NO_COMPRESSION) == ssl::OP_NO_COMPRESSION);
  CHECK(SSL_CTX_get_min_proto_version(context->native_handle()) == TLS1_2_VERSION);
  // A client method: a connection from it is a client without set_connect_state.
  ssl::Connection connection(*context);
  CHECK(SSL_is_server(connection.native_handle()) == 0);
  CHECK(ERR_peek_error() == 0UL);
}

TEST_CASE("create_default_context(client_auth) gives a server that neither asks nor checks", "[hostname]") {
  auto context = ssl::create_default_context(ssl::purpose::client_auth);
  REQUIRE_OK(context);
  CHECK_FALSE(context->get_check_hostname());
  CHECK(context->get_verify_mode() == ssl::VERIFY_NONE);
  CHECK(SSL_CTX_get_min_proto_version(context->native_handle()) == TLS1_2_VERSION);
  REQUIRE_OK(context->use_certificate_file(tls_files::get().server_cert()));
  REQUIRE_OK(context->use_privatekey_file(tls_files::get().server_key()));
  pyossl_test::connection_pair pair(default_client(), *context);
  REQUIRE_OK(pair.client.set_tlsext_host_name("localhost"));
  const auto outcome = pyossl_test::handshake(pair.client, pair.server);
  REQUIRE_OK(outcome.client);
  REQUIRE_OK(outcome.server);
}

TEST_CASE("set_check_hostname(true) turns VERIFY_PEER on and then refuses a mode without it", "[hostname]") {
  auto context = unwrap(ssl::Context::create(ssl::TLS_METHOD));
  CHECK_FALSE(context.get_check_hostname());
  REQUIRE_OK(context.set_check_hostname(true));
  CHECK(context.get_check_hostname());
  CHECK(context.get_verify_mode() == ssl::VERIFY_PEER);
  REQUIRE_FAILS_WITH(context.set_verify(ssl::VERIFY_NONE), errc::invalid_argument);
  CHECK(context.get_verify_mode() == ssl::VERIFY_PEER);
  REQUIRE_OK(context.set_verify(ssl::VERIFY_PEER | ssl::VERIFY_FAIL_IF_NO_PEER_CERT));
  REQUIRE_OK(context.set_check_hostname(false));
  REQUIRE_OK(context.set_verify(ssl::VERIFY_NONE));  // allowed again once off
  ssl::Connection connection(context);
  REQUIRE_FAILS_WITH(context.set_check_hostname(true), errc::invalid_argument);  // used: immutable
  CHECK_FALSE(context.get_check_hostname());
}

TEST_CASE("a hostname-checking client without an expected name fails before sending anything",
          "[hostname][bad-input]") {
  const ssl::Context client_side = default_client();
  ssl::Connection client(client_side);
  client.set_connect_state();
  REQUIRE_FAILS_WITH(client.do_handshake(), errc::invalid_argument);
  REQUIRE_FAILS_WITH(client.send("data"), errc::invalid_argument);
  REQUIRE_FAILS_WITH(client.bio_read(1024), errc::want_read);  // nothing went out
  // A refused name changes nothing: still no expected name.
  REQUIRE_FAILS_WITH(client.set_tlsext_host_name(""), errc::ssl);
  REQUIRE_FAILS_WITH(client.set_tlsext_host_name(std::string(256, 'a')), errc::ssl);
  REQUIRE_FAILS_WITH(client.set_verify_hostname(""), errc::invalid_argument);
  REQUIRE_FAILS_WITH(client.set_verify_hostname(std::string("local\0host", 10)), errc::invalid_argument);
  REQUIRE_FAILS_WITH(client.do_handshake(), errc::invalid_argument);
  REQUIRE_FAILS_WITH(client.bio_read(1024), errc::want_read);
}

TEST_CASE("a hostname-checking client accepts the right name and sends it as SNI", "[hostname]") {
  const ssl::Context server_side = pyossl_test::server_context();
  pyossl_test::connection_pair pair(default_client(), server_side);
  REQUIRE_OK(pair.client.set_tlsext_host_name("localhost"));
  const auto outcome = pyossl_test::handshake(pair.client, pair.server);
  REQUIRE_OK(outcome.client);
  REQUIRE_OK(outcome.server);
  CHECK(pair.server.get_servername() == std::optional<std::string>("localhost"));
  CHECK(SSL_get_verify_result(pair.client.native_handle()) == X509_V_OK);
}

TEST_CASE("a hostname-checking client refuses a certificate for another host, naming both", "[hostname]") {
  const ssl::Context server_side = pyossl_test::server_context();
  pyossl_test::connection_pair pair(default_client(), server_side);
  REQUIRE_OK(pair.client.set_tlsext_host_name("wrong.example"));
  const auto outcome = pyossl_test::handshake(pair.client, pair.server);
  REQUIRE_FAILS_WITH(outcome.client, errc::ssl);
  const pyossl::error& failure = outcome.client.error();
  REQUIRE(failure.verification());
  CHECK(failure.verification()->code == X509_V_ERR_HOSTNAME_MISMATCH);
  CHECK(failure.verification()->depth == 0);
  INFO(failure.message());
  CHECK(failure.message().find("wrong.example") != std::string::npos);
  CHECK(failure.message().find("CN = localhost") != std::string::npos);
  // What OpenSSL compared: the subjectAltNames, not the subject.
  CHECK(failure.message().find("DNS:localhost, IP Address:127.0.0.1") != std::string::npos);
  CHECK_FALSE(outcome.server.has_value());
  CHECK(ERR_peek_error() == 0UL);
}

TEST_CASE("a mismatch with a certificate without subjectAltName says so, not that it names the host",
          "[hostname]") {
  // CN=localhost and no subjectAltName: expecting "localhost" fails, as browsers and Python do.
  static const issued no_san = issue("nosan-localhost", "/CN=localhost", "basicConstraints=CA:FALSE\n");
  const ssl::Context server_side = server_with(no_san);
  pyossl_test::connection_pair pair(default_client(), server_side);
  REQUIRE_OK(pair.client.set_tlsext_host_name("localhost"));
  const auto outcome = pyossl_test::handshake(pair.client, pair.server);
  REQUIRE_FAILS_WITH(outcome.client, errc::ssl);
  REQUIRE(outcome.client.error().verification());
  CHECK(outcome.client.error().verification()->code == X509_V_ERR_HOSTNAME_MISMATCH);
  const std::string message = outcome.client.error().message();
  INFO(message);
  CHECK(message.find("expected \"localhost\"") != std::string::npos);
  CHECK(message.find("has no subjectAltName") != std::string::npos);
  CHECK(message.find("common name is not used") != std::string::npos);
  CHECK(message.find("is for") == std::string::npos);  // the old wording read as a contradiction
}

TEST_CASE("an IP address is checked against iPAddress names and never sent as SNI", "[hostname]") {
  struct ip_case {
    const char* address;
    bool matches;
    bool ipv6_server;  // the server's certificate names IP:::1 (else the fixtures' IP:127.0.0.1)
  };
  // An IPv6 address matches in any spelling of it.
  const ip_case c = GENERATE(ip_case{"127.0.0.1", true, false}, ip_case{"127.0.0.2", false, false},
                             ip_case{"::1", false, false}, ip_case{"::1", true, true},
                             ip_case{"0:0:0:0:0:0:0:1", true, true}, ip_case{"::2", false, true});
  // An address given after a DNS name replaces it: that name is neither checked nor sent.
  const bool after_dns_name = GENERATE(false, true);
  INFO(c.address << (c.ipv6_server ? " against IP:::1" : "")
                 << (after_dns_name ? " after other.example" : ""));
  static const issued ipv6 = issue("ipv6", "/CN=ipv6 loopback", "subjectAltName=IP:::1\n");
  auto server_side = c.ipv6_server ? server_with(ipv6) : pyossl_test::server_context();
  std::optional<std::string> sni_seen = "(servername callback not run)";
  REQUIRE_OK(server_side.set_tlsext_servername_callback(
      [&sni_seen](ssl::Connection& connection) { sni_seen = connection.get_servername(); }));
  pyossl_test::connection_pair pair(default_client(), server_side);
  if (after_dns_name) REQUIRE_OK(pair.client.set_tlsext_host_name("other.example"));
  REQUIRE_OK(pair.client.set_tlsext_host_name(c.address));
  const auto outcome = pyossl_test::handshake(pair.client, pair.server);
  if (c.matches) {
    REQUIRE_OK(outcome.client);
    REQUIRE_OK(outcome.server);
  } else {
    REQUIRE_FAILS_WITH(outcome.client, errc::ssl);
    REQUIRE(outcome.client.error().verification());
    CHECK(outcome.client.error().verification()->code == X509_V_ERR_IP_ADDRESS_MISMATCH);
    CHECK(outcome.client.error().message().find(c.address) != std::string::npos);
  }
  CHECK(sni_seen == std::nullopt);  // an address is never SNI
  CHECK(pair.server.get_servername() == std::nullopt);
}

TEST_CASE("a verify callback that accepts everything cannot waive the host-name check",
          "[hostname][verify][security]") {
  struct waive_case {
    const char* expected;
    long code;
    bool per_connection;  // Connection::set_verify rather than Context::set_verify
  };
  const waive_case c = GENERATE(waive_case{"wrong.example", X509_V_ERR_HOSTNAME_MISMATCH, false},
                                waive_case{"wrong.example", X509_V_ERR_HOSTNAME_MISMATCH, true},
                                waive_case{"127.0.0.2", X509_V_ERR_IP_ADDRESS_MISMATCH, false},
                                waive_case{"127.0.0.2", X509_V_ERR_IP_ADDRESS_MISMATCH, true});
  INFO(c.expected << (c.per_connection ? " (Connection::set_verify)" : " (Context::set_verify)"));
  std::vector<int> errors_seen;
  const auto accept_all = [&errors_seen](ssl::Connection&, pyossl::crypto::X509&, int errnum, int, int) {
    errors_seen.push_back(errnum);
    return true;  // pyOpenSSL's common `lambda *args: True`
  };
  auto client_side = default_client();
  if (!c.per_connection) REQUIRE_OK(client_side.set_verify(ssl::VERIFY_PEER, accept_all));
  const ssl::Context server_side = pyossl_test::server_context();
  pyossl_test::connection_pair pair(client_side, server_side);
  if (c.per_connection) REQUIRE_OK(pair.client.set_verify(ssl::VERIFY_PEER, accept_all));
  REQUIRE_OK(pair.client.set_tlsext_host_name(c.expected));
  const auto outcome = pyossl_test::handshake(pair.client, pair.server);
  REQUIRE_FAILS_WITH(outcome.client, errc::ssl);
  REQUIRE(outcome.client.error().verification());
  CHECK(outcome.client.error().verification()->code == c.code);
  // The callable still ran, and was told of the mismatch.
  CHECK(std::find(errors_seen.begin(), errors_seen.end(), c.code) != errors_seen.end());
}

TEST_CASE("a verify callback still decides every other error on a hostname-checking Context",
          "[hostname][verify]") {
  // A certificate for the right name from a CA nobody trusts: the callable may accept it.
  auto rogue = unwrap(ssl::Context::create(ssl::TLS_METHOD));
  unwrap(rogue.use_certificate_file(tls_files::get().rogue_cert()));
  unwrap(rogue.use_privatekey_file(tls_files::get().rogue_key()));
  auto client_side = default_client();
  REQUIRE_OK(client_side.set_verify(
      ssl::VERIFY_PEER, [](ssl::Connection&, pyossl::crypto::X509&, int, int, int) { return true; }));
  pyossl_test::connection_pair pair(client_side, rogue);
  REQUIRE_OK(pair.client.set_tlsext_host_name("localhost"));
  const auto outcome = pyossl_test::handshake(pair.client, pair.server);
  REQUIRE_OK(outcome.client);
  REQUIRE_OK(outcome.server);
}

TEST_CASE("host names match whole-label wildcards only, and never a subject common name", "[hostname]") {
  struct name_case {
    const char* certificate;  // which certificate the server shows
    const char* expected;     // the name the client expects
    bool matches;
  };
  const name_case c = GENERATE(
      name_case{"wildcard", "www.example.test", true}, name_case{"wildcard", "example.test", false},
      name_case{"wildcard", "a.www.example.test", false}, name_case{"partial", "foo.example.test", false},
      name_case{"nosan", "nosan.example.test", false}, name_case{"nosan", "localhost", false});
  INFO(c.certificate << " for " << c.expected);
  static const issued wildcard = issue("wildcard", "/CN=wildcard", "subjectAltName=DNS:*.example.test\n");
  static const issued partial = issue("partial", "/CN=partial", "subjectAltName=DNS:f*.example.test\n");
  static const issued nosan = issue("nosan", "/CN=nosan.example.test", "basicConstraints=CA:FALSE\n");
  const std::string which = c.certificate;
  const ssl::Context server_side = server_with(which == "wildcard"  ? wildcard
                                               : which == "partial" ? partial
                                                                    : nosan);
  pyossl_test::connection_pair pair(default_client(), server_side);
  REQUIRE_OK(pair.client.set_tlsext_host_name(c.expected));
  const auto outcome = pyossl_test::handshake(pair.client, pair.server);
  if (c.matches) {
    REQUIRE_OK(outcome.client);
  } else {
    REQUIRE_FAILS_WITH(outcome.client, errc::ssl);
    REQUIRE(outcome.client.error().verification());
    CHECK(outcome.client.error().verification()->code == X509_V_ERR_HOSTNAME_MISMATCH);
  }
}

TEST_CASE("an absolute name's final dot is dropped: checked and sent as SNI without it", "[hostname]") {
  const bool checking = GENERATE(true, false);
  INFO("check_hostname: " << checking);
  auto client_side = default_client();
  unwrap(client_side.set_check_hostname(checking));
  const ssl::Context server_side = pyossl_test::server_context();
  pyossl_test::connection_pair pair(client_side, server_side);
  if (!checking) REQUIRE_OK(pair.client.set_verify_hostname("localhost."));
  REQUIRE_OK(pair.client.set_tlsext_host_name("localhost."));
  const auto outcome = pyossl_test::handshake(pair.client, pair.server);
  REQUIRE_OK(outcome.client);
  REQUIRE_OK(outcome.server);
  CHECK(pair.server.get_servername() == std::optional<std::string>("localhost"));  // RFC 6066: no dot
  CHECK(SSL_get_verify_result(pair.client.native_handle()) == X509_V_OK);
}

TEST_CASE("two final dots are no absolute name: the check fails", "[hostname]") {
  const ssl::Context server_side = pyossl_test::server_context();
  pyossl_test::connection_pair pair(default_client(), server_side);
  REQUIRE_OK(pair.client.set_tlsext_host_name("localhost.."));
  const auto outcome = pyossl_test::handshake(pair.client, pair.server);
  REQUIRE_FAILS_WITH(outcome.client, errc::ssl);
  REQUIRE(outcome.client.error().verification());
  CHECK(outcome.client.error().verification()->code == X509_V_ERR_HOSTNAME_MISMATCH);
}

TEST_CASE("a name starting with a dot, which OpenSSL reads as a whole domain, is refused",
          "[hostname][bad-input]") {
  // OpenSSL would match ".example.test" against any host under example.test, so a name
  // from a URL such as "https://.example.test/" must not reach it.
  static const issued wildcard = issue("wildcard", "/CN=wildcard", "subjectAltName=DNS:*.example.test\n");
  const ssl::Context server_side = server_with(wildcard);
  pyossl_test::connection_pair pair(default_client(), server_side);
  REQUIRE_FAILS_WITH(pair.client.set_verify_hostname(".example.test"), errc::invalid_argument);
  REQUIRE_FAILS_WITH(pair.client.set_tlsext_host_name(".example.test"), errc::invalid_argument);
  REQUIRE_FAILS_WITH(pair.client.set_tlsext_host_name("."), errc::invalid_argument);
  CHECK(ERR_peek_error() == 0UL);
  // Nothing was set: the client still has no name to expect, and sends nothing.
  REQUIRE_FAILS_WITH(pair.client.do_handshake(), errc::invalid_argument);
  REQUIRE_FAILS_WITH(pair.client.bio_read(1024), errc::want_read);
  // Without checking, SNI is only a hint: it goes out as given, as in pyOpenSSL (but for a
  // final dot, which set_tlsext_host_name always drops).
  auto plain = unwrap(ssl::Context::create(ssl::TLS_METHOD));
  ssl::Connection hinting(plain);
  REQUIRE_OK(hinting.set_tlsext_host_name(".example.test"));
}

TEST_CASE("set_verify_hostname is enforced with VERIFY_PEER on any Context, only recorded without it",
          "[hostname]") {
  const bool verify_peer = GENERATE(true, false);
  INFO("VERIFY_PEER: " << verify_peer);
  auto client_side = unwrap(ssl::Context::create(ssl::TLS_METHOD));
  unwrap(client_side.load_verify_locations(tls_files::get().ca()));
  unwrap(client_side.set_verify(verify_peer ? ssl::VERIFY_PEER : ssl::VERIFY_NONE));
  const ssl::Context server_side = pyossl_test::server_context();
  pyossl_test::connection_pair pair(client_side, server_side);
  REQUIRE_OK(pair.client.set_verify_hostname("wrong.example"));
  const auto outcome = pyossl_test::handshake(pair.client, pair.server);
  if (verify_peer) {
    REQUIRE_FAILS_WITH(outcome.client, errc::ssl);
    CHECK(outcome.client.error().verification()->code == X509_V_ERR_HOSTNAME_MISMATCH);
  } else {
    REQUIRE_OK(outcome.client);
    CHECK(SSL_get_verify_result(pair.client.native_handle()) == X509_V_ERR_HOSTNAME_MISMATCH);
  }
  CHECK(pair.server.get_servername() == std::nullopt);  // set_verify_hostname sends no SNI
}

TEST_CASE("set_verify_hostname replaces an earlier name, address or DNS", "[hostname]") {
  const ssl::Context server_side = pyossl_test::server_context();
  pyossl_test::connection_pair pair(default_client(), server_side);
  REQUIRE_OK(pair.client.set_verify_hostname("wrong.example"));
  REQUIRE_OK(pair.client.set_verify_hostname("127.0.0.2"));
  REQUIRE_OK(pair.client.set_verify_hostname("localhost"));
  REQUIRE_OK(pyossl_test::handshake(pair.client, pair.server).client);
}

TEST_CASE("a hostname-checking Context refuses a per-connection mode without VERIFY_PEER",
          "[hostname][bad-input]") {
  const ssl::Context client_side = default_client();
  ssl::Connection client(client_side);
  REQUIRE_FAILS_WITH(client.set_verify(ssl::VERIFY_NONE), errc::invalid_argument);
  CHECK(client.get_verify_mode() == ssl::VERIFY_PEER);
}

TEST_CASE("a server connection of a hostname-checking Context needs no expected name", "[hostname]") {
  auto server_side = pyossl_test::server_context();
  REQUIRE_OK(server_side.set_check_hostname(true));
  REQUIRE_OK(server_side.set_verify(ssl::VERIFY_PEER));
  REQUIRE_OK(server_side.load_verify_locations(tls_files::get().ca()));
  auto client_side = pyossl_test::client_context();
  REQUIRE_OK(client_side.use_certificate_file(tls_files::get().client_cert()));
  REQUIRE_OK(client_side.use_privatekey_file(tls_files::get().client_key()));
  pyossl_test::connection_pair pair(client_side, server_side);
  const auto outcome = pyossl_test::handshake(pair.client, pair.server);
  REQUIRE_OK(outcome.client);
  REQUIRE_OK(outcome.server);
}

// ---- Real peers ----

TEST_CASE("create_default_context's client against openssl s_server: right host passes, another fails",
          "[hostname][interop]") {
  struct peer_case {
    const char* name;
    std::optional<long> failure;  // the verify code, or nullopt for success
  };
  const peer_case c = GENERATE(peer_case{"localhost", std::nullopt}, peer_case{"127.0.0.1", std::nullopt},
                               peer_case{"wrong.example", X509_V_ERR_HOSTNAME_MISMATCH},
                               peer_case{"127.0.0.9", X509_V_ERR_IP_ADDRESS_MISMATCH});
  INFO(c.name);
  const tls_files& files = tls_files::get();
  auto server = pyossl_test::start_s_server(
      {"-cert", files.server_cert(), "-key", files.server_key(), "-naccept", "1", "-rev"});
  REQUIRE(server.started());
  const ssl::Context client_side = default_client();
  ssl::Connection connection = pyossl_test::dial(client_side, server.address);
  REQUIRE_OK(connection.set_tlsext_host_name(c.name));
  auto handshake = connection.do_handshake();
  if (!c.failure) {
    REQUIRE_OK(handshake);
    REQUIRE_OK(connection.sendall("pyossl\n"));
    std::string reply;
    while (reply.find('\n') == std::string::npos) {
      auto got = connection.recv(256);
      REQUIRE_OK(got);
      reply += *got;
    }
    CHECK(reply == "lssoyp\n");
    REQUIRE_OK(connection.shutdown());
  } else {
    REQUIRE_FAILS_WITH(handshake, errc::ssl);
    REQUIRE(handshake.error().verification());
    CHECK(handshake.error().verification()->code == *c.failure);
  }
  (void)server.process->wait(10s);
}

TEST_CASE("create_default_context's client against a pyOpenSSL server: right host passes, another fails",
          "[hostname][interop][pyopenssl]") {
  std::string why;
  const std::string python = pyossl_test::pyopenssl_python(why);
  if (python.empty()) {
    WARN("skipped: " << why);
    return;
  }
  const bool right = GENERATE(true, false);
  const tls_files& files = tls_files::get();
  auto peer = pyossl_test::start_pyopenssl_peer(
      python, {"server", files.server_cert(), files.server_key(), "-", "-", "-", "-"});
  REQUIRE(peer->wait_for_output("\n", 10s));
  INFO(peer->output());
  const auto port = static_cast<std::uint16_t>(std::stoi(pyossl_test::peer_value(peer->output(), "PORT")));
  const ssl::Context client_side = default_client();
  ssl::Connection connection = pyossl_test::dial(client_side, {"127.0.0.1", port});
  REQUIRE_OK(connection.set_tlsext_host_name(right ? "localhost" : "impostor.example"));
  auto handshake = connection.do_handshake();
  if (right) {
    REQUIRE_OK(handshake);
    REQUIRE_OK(connection.sendall("hello\n"));
    auto echoed = connection.recv(64);
    REQUIRE_OK(echoed);
    CHECK(*echoed == "hello\n");
    (void)peer->wait(10s);
    CHECK(pyossl_test::peer_value(peer->output(), "SNI") == "localhost");
  } else {
    REQUIRE_FAILS_WITH(handshake, errc::ssl);
    CHECK(handshake.error().verification()->code == X509_V_ERR_HOSTNAME_MISMATCH);
    (void)peer->wait(10s);
    CHECK(peer->output().find("SSLERROR") != std::string::npos);
  }
}
