// DTLS (pyOpenSSL 26): DTLS_METHOD contexts, memory-BIO connections that keep datagram
// boundaries, the stateless cookie exchange (DTLSv1_listen and the cookie callbacks),
// retransmission timers, MTU control, and UDP sockets against openssl s_server / s_client.
//
// <openssl/ssl.h> comes first on purpose: it defines DTLSv1_get_timeout and
// DTLSv1_handle_timeout as macros, and the Connection members of those names must still
// work when a user's file has included it before pyossl.
#include <openssl/ssl.h>
//
#include <openssl/bio.h>
#include <openssl/err.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <memory>
#include <random>
#include <span>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "allocation_counter.hpp"  // replaces operator new in this program, to count
#include "checks.hpp"
#include "child_process.hpp"
#include "pyossl/net.hpp"
#include "pyossl/ssl.hpp"
#include "tls_fixtures.hpp"

using namespace std::chrono_literals;
using pyossl::errc;
using pyossl::unwrap;
namespace ssl = pyossl::ssl;
namespace net = pyossl::net;
using pyossl_test::tls_files;

namespace {

// Counts OpenSSL's allocations too; set before OpenSSL allocates anything.
const bool openssl_counted = pyossl_test::count_openssl_allocations();

ssl::Context dtls_server_context() { return pyossl_test::server_context(ssl::DTLS_METHOD); }
ssl::Context dtls_client_context() { return pyossl_test::client_context(ssl::DTLS_METHOD); }

// Every datagram `from` has queued for its peer, in order.
std::vector<std::string> take_datagrams(ssl::Connection& from) {
  std::vector<std::string> datagrams;
  for (;;) {
    auto datagram = from.bio_read(1 << 16);
    if (!datagram) {
      REQUIRE(datagram.error() == errc::want_read);
      return datagrams;
    }
    datagrams.push_back(std::move(*datagram));
  }
}

void deliver(const std::vector<std::string>& datagrams, ssl::Connection& to) {
  for (const std::string& datagram : datagrams) REQUIRE(unwrap(to.bio_write(datagram)) == datagram.size());
}

// Whether a datagram is one or more whole DTLS records and nothing else. Each record is a
// 13-byte header (content type, version major 0xFE for DTLS, minor, epoch, sequence number)
// whose last two bytes are the length of the body that follows.
bool is_dtls_record(const std::string& datagram) {
  constexpr std::size_t header = 13;
  std::size_t at = 0;
  while (at < datagram.size()) {
    if (datagram.size() - at < header || static_cast<unsigned char>(datagram[at + 1]) != 0xFE) return false;
    const std::size_t body = static_cast<std::size_t>(static_cast<unsigned char>(datagram[at + 11])) << 8 |
                             static_cast<unsigned char>(datagram[at + 12]);
    if (datagram.size() - at - header < body) return false;
    at += header + body;
  }
  return at == datagram.size() && at > 0;
}

// Cookies derived from a secret, as a real server would (here without the peer address,
// which memory BIOs do not have).
struct cookie_jar {
  std::string secret = "pyossl-cookie-secret";
  int generated = 0;
  int verified = 0;
  std::vector<std::string> offered;
};

void install_cookie_callbacks(ssl::Context& context, cookie_jar& jar) {
  REQUIRE_OK(context.set_cookie_generate_callback([&jar](ssl::Connection&) {
    ++jar.generated;
    return jar.secret;
  }));
  REQUIRE_OK(context.set_cookie_verify_callback([&jar](ssl::Connection&, std::string_view cookie) {
    ++jar.verified;
    jar.offered.emplace_back(cookie);
    return cookie == jar.secret;
  }));
}

// A step that waits for the peer, or succeeded.
template <class T>
bool succeeded_or_waits(const pyossl::result<T>& step) {
  if (step) return true;
  REQUIRE(step.error() == errc::want_read);
  return false;
}

// The cookie exchange up to the client's second ClientHello: the first one, unanswered
// by DTLSv1_listen but for a HelloVerifyRequest, which the client answers with the
// ClientHello that carries the cookie; that one waits in the client for the test to take.
void answer_with_cookie(pyossl_test::connection_pair& pair) {
  REQUIRE_FAILS_WITH(pair.client.do_handshake(), errc::want_read);
  deliver(take_datagrams(pair.client), pair.server);
  REQUIRE_FAILS_WITH(pair.server.DTLSv1_listen(), errc::want_read);
  deliver(take_datagrams(pair.server), pair.client);
  REQUIRE_FAILS_WITH(pair.client.do_handshake(), errc::want_read);
}

void echo_both_ways(ssl::Connection& client, ssl::Connection& server) {
  REQUIRE(unwrap(client.send("ping over DTLS")) == 14);
  deliver(take_datagrams(client), server);
  CHECK(unwrap(server.recv(1024)) == "ping over DTLS");
  REQUIRE(unwrap(server.send("pong")) == 4);
  deliver(take_datagrams(server), client);
  CHECK(unwrap(client.recv(1024)) == "pong");
  CHECK(ERR_peek_error() == 0UL);
}

}  // namespace

TEST_CASE("DTLS methods make contexts; a DTLS handshake and echo run over memory BIOs", "[dtls]") {
  for (ssl::method method : {ssl::DTLS_METHOD, ssl::DTLS_SERVER_METHOD, ssl::DTLS_CLIENT_METHOD}) {
    REQUIRE_OK(ssl::Context::create(method));
  }
  ssl::Context server_side = dtls_server_context();
  ssl::Context client_side = dtls_client_context();
  pyossl_test::connection_pair pair(client_side, server_side);
  REQUIRE(pyossl_test::handshake(pair.client, pair.server).ok());
  CHECK(pair.client.get_protocol_version_name() == "DTLSv1.2");
  echo_both_ways(pair.client, pair.server);
  // Once the handshake is over, the client has no flight waiting for an answer: no timer.
  CHECK_FALSE(pair.client.DTLSv1_get_timeout().has_value());
  auto expired = pair.client.DTLSv1_handle_timeout();
  REQUIRE_OK(expired);
  CHECK_FALSE(*expired);
}

TEST_CASE("each bio_read of a DTLS connection is one whole datagram, each bio_write one", "[dtls]") {
  ssl::Context server_side = dtls_server_context();
  ssl::Context client_side = dtls_client_context();
  pyossl_test::connection_pair pair(client_side, server_side);
  REQUIRE_OK(pair.server.set_ciphertext_mtu(300));
  REQUIRE_FAILS_WITH(pair.client.do_handshake(), errc::want_read);
  deliver(take_datagrams(pair.client), pair.server);
  REQUIRE_FAILS_WITH(pair.server.do_handshake(), errc::want_read);
  // The server's first flight (ServerHello, Certificate, ServerKeyExchange, ServerHelloDone)
  // does not fit one 300-byte datagram: it comes out as several, each whole, where a
  // byte-stream BIO would hand them over as one blob the peer reads as one datagram.
  const std::vector<std::string> flight = take_datagrams(pair.server);
  REQUIRE(flight.size() >= 2);
  for (const std::string& datagram : flight) {
    REQUIRE(is_dtls_record(datagram));
    CHECK(datagram.size() <= 300);
    CHECK(static_cast<unsigned char>(datagram[0]) == 22);  // handshake
  }
  deliver(flight, pair.client);
  REQUIRE(pyossl_test::handshake(pair.client, pair.server).ok());
}

TEST_CASE("bio_read with a buffer smaller than the next datagram fails and loses nothing", "[dtls]") {
  ssl::Context client_side = dtls_client_context();
  ssl::Connection client(client_side);
  client.set_connect_state();
  REQUIRE_FAILS_WITH(client.do_handshake(), errc::want_read);
  REQUIRE_FAILS_WITH(client.bio_read(16), errc::invalid_argument);
  auto whole = client.bio_read(1 << 16);
  REQUIRE_OK(whole);
  CHECK(whole->size() > 16);
  CHECK(is_dtls_record(*whole));
  REQUIRE_FAILS_WITH(client.bio_read(1 << 16), errc::want_read);
}

TEST_CASE("bio_read of 0 bytes with a datagram waiting fails as any too-small buffer does", "[dtls]") {
  ssl::Context client_side = dtls_client_context();
  ssl::Connection client(client_side);
  client.set_connect_state();
  CHECK(unwrap(client.bio_read(0)).empty());  // nothing waiting: nothing to refuse
  REQUIRE_FAILS_WITH(client.bio_read(1 << 16), errc::want_read);
  REQUIRE_FAILS_WITH(client.do_handshake(), errc::want_read);
  REQUIRE_FAILS_WITH(client.bio_read(0), errc::invalid_argument);
  std::byte none[1];
  REQUIRE_FAILS_WITH(client.bio_read_into(std::span<std::byte>(none, 0)), errc::invalid_argument);
  CHECK(is_dtls_record(unwrap(client.bio_read(1 << 16))));  // still there, whole
}

TEST_CASE("DTLS 1.0 needs security level 0, and a refused DTLS 1.0 handshake says so", "[dtls]") {
  ssl::Context server_side = dtls_server_context();
  ssl::Context client_side = dtls_client_context();
  REQUIRE_OK(client_side.set_max_proto_version(DTLS1_VERSION));
  SECTION("at the default level the handshake fails with the remedy in the message") {
    pyossl_test::connection_pair pair(client_side, server_side);
    const auto outcome = pyossl_test::handshake(pair.client, pair.server);
    REQUIRE_FALSE(outcome.ok());
    // The server refuses (no signature algorithm allowed at its level); its error has the
    // remedy. The client only hears an alert.
    REQUIRE_FAILS_WITH(outcome.server, errc::ssl);
    INFO(outcome.server.error().message());
    CHECK(outcome.server.error().message().find("@SECLEVEL=0") != std::string::npos);
  }
  SECTION("at level 0 on both ends it works") {
    REQUIRE_OK(client_side.set_cipher_list("DEFAULT:@SECLEVEL=0"));
    REQUIRE_OK(server_side.set_cipher_list("DEFAULT:@SECLEVEL=0"));
    pyossl_test::connection_pair pair(client_side, server_side);
    REQUIRE(pyossl_test::handshake(pair.client, pair.server).ok());
    CHECK(pair.client.get_protocol_version_name() == "DTLSv1");
  }
}

TEST_CASE("DTLSv1_listen answers a cookieless ClientHello and succeeds on a valid cookie", "[dtls][cookie]") {
  ssl::Context server_side = dtls_server_context();
  cookie_jar jar;
  install_cookie_callbacks(server_side, jar);
  ssl::Context client_side = dtls_client_context();
  pyossl_test::connection_pair pair(client_side, server_side);

  REQUIRE_FAILS_WITH(pair.client.do_handshake(), errc::want_read);
  deliver(take_datagrams(pair.client), pair.server);
  REQUIRE_FAILS_WITH(pair.server.DTLSv1_listen(), errc::want_read);  // sent a HelloVerifyRequest
  CHECK(jar.generated == 1);
  const std::vector<std::string> verify_request = take_datagrams(pair.server);
  REQUIRE(verify_request.size() == 1);
  CHECK(verify_request[0].find(jar.secret) != std::string::npos);

  deliver(verify_request, pair.client);
  REQUIRE_FAILS_WITH(pair.client.do_handshake(), errc::want_read);  // the ClientHello again, with the cookie
  deliver(take_datagrams(pair.client), pair.server);
  REQUIRE_OK(pair.server.DTLSv1_listen());
  CHECK(jar.verified == 1);
  REQUIRE(jar.offered.size() == 1);
  CHECK(jar.offered[0] == jar.secret);

  // The accepted ClientHello was kept: the handshake goes on without feeding it again.
  REQUIRE(pyossl_test::handshake(pair.client, pair.server).ok());
  echo_both_ways(pair.client, pair.server);
}

TEST_CASE("DTLSv1_listen refuses a forged or replayed cookie with a new HelloVerifyRequest",
          "[dtls][cookie]") {
  ssl::Context server_side = dtls_server_context();
  cookie_jar jar;
  install_cookie_callbacks(server_side, jar);
  ssl::Context client_side = dtls_client_context();
  pyossl_test::connection_pair pair(client_side, server_side);

  answer_with_cookie(pair);
  // The server rotates its secret: the client's cookie is now a stale (replayed) one.
  jar.secret = "rotated-secret";
  deliver(take_datagrams(pair.client), pair.server);
  REQUIRE_FAILS_WITH(pair.server.DTLSv1_listen(), errc::want_read);
  CHECK(jar.verified == 1);
  CHECK(jar.generated == 2);  // answered with a fresh HelloVerifyRequest
  const std::vector<std::string> second_request = take_datagrams(pair.server);
  REQUIRE(second_request.size() == 1);
  CHECK(second_request[0].find("rotated-secret") != std::string::npos);
}

TEST_CASE(
    "a cookie changed by one byte in the ClientHello is refused; the same listener then accepts the real one",
    "[dtls][cookie]") {
  ssl::Context server_side = dtls_server_context();
  cookie_jar jar;
  install_cookie_callbacks(server_side, jar);
  ssl::Context client_side = dtls_client_context();
  pyossl_test::connection_pair pair(client_side, server_side);
  answer_with_cookie(pair);
  const std::vector<std::string> hello = take_datagrams(pair.client);
  REQUIRE(hello.size() == 1);

  std::string forged = hello[0];
  const std::size_t cookie_at = forged.find(jar.secret);
  REQUIRE(cookie_at != std::string::npos);
  forged[cookie_at + 3] ^= 0x01;
  REQUIRE_OK(pair.server.bio_write(forged));
  REQUIRE_FAILS_WITH(pair.server.DTLSv1_listen(), errc::want_read);
  CHECK(jar.verified == 1);
  CHECK(jar.generated == 2);  // answered with a fresh HelloVerifyRequest, no state kept
  CHECK(take_datagrams(pair.server).size() == 1);
  CHECK(pair.server.get_state() == (ssl::ST_BEFORE | ssl::ST_ACCEPT));

  deliver(hello, pair.server);
  REQUIRE_OK(pair.server.DTLSv1_listen());
  REQUIRE(pyossl_test::handshake(pair.client, pair.server).ok());
  echo_both_ways(pair.client, pair.server);
}

TEST_CASE("a 255-byte cookie, the longest DTLS allows, completes the exchange over memory BIOs",
          "[dtls][cookie]") {
  const std::string longest(255, 'c');
  ssl::Context server_side = dtls_server_context();
  REQUIRE_OK(server_side.set_cookie_generate_callback([&](ssl::Connection&) { return longest; }));
  REQUIRE_OK(server_side.set_cookie_verify_callback(
      [&](ssl::Connection&, std::string_view cookie) { return cookie == longest; }));
  ssl::Context client_side = dtls_client_context();
  pyossl_test::connection_pair pair(client_side, server_side);
  answer_with_cookie(pair);
  const std::vector<std::string> hello = take_datagrams(pair.client);
  REQUIRE(hello.size() == 1);  // one datagram, not fragmented
  CHECK(is_dtls_record(hello[0]));
  deliver(hello, pair.server);
  REQUIRE_OK(pair.server.DTLSv1_listen());
  REQUIRE(pyossl_test::handshake(pair.client, pair.server).ok());
  echo_both_ways(pair.client, pair.server);
}

TEST_CASE("a flood of cookieless ClientHellos gets only HelloVerifyRequests", "[dtls][cookie]") {
  ssl::Context server_side = dtls_server_context();
  cookie_jar jar;
  install_cookie_callbacks(server_side, jar);
  ssl::Context client_side = dtls_client_context();
  ssl::Connection server(server_side);
  server.set_accept_state();
  for (int i = 0; i < 50; ++i) {
    ssl::Connection client(client_side);
    client.set_connect_state();
    REQUIRE_FAILS_WITH(client.do_handshake(), errc::want_read);
    deliver(take_datagrams(client), server);
  }
  REQUIRE_FAILS_WITH(server.DTLSv1_listen(), errc::want_read);
  CHECK(jar.generated == 50);
  CHECK(take_datagrams(server).size() == 50);
  CHECK_FALSE(server.get_peer_certificate().has_value());
}

TEST_CASE("answering a flood of ClientHellos costs the same few allocations per ClientHello, and no state",
          "[dtls][cookie]") {
  REQUIRE(openssl_counted);
  ssl::Context server_side = dtls_server_context();
  cookie_jar jar;
  install_cookie_callbacks(server_side, jar);
  ssl::Context client_side = dtls_client_context();
  ssl::Connection server(server_side);
  server.set_accept_state();
  ssl::Connection client(client_side);
  client.set_connect_state();
  REQUIRE_FAILS_WITH(client.do_handshake(), errc::want_read);
  const std::vector<std::string> hello = take_datagrams(client);

  // The cost of answering `count` copies of a cookieless ClientHello in one DTLSv1_listen.
  const auto cost_of = [&](int count) {
    for (int i = 0; i < count; ++i) deliver(hello, server);
    const pyossl_test::allocation_counts counted =
        pyossl_test::allocations_during([&] { REQUIRE_FAILS_WITH(server.DTLSv1_listen(), errc::want_read); });
    CHECK(take_datagrams(server).size() == static_cast<std::size_t>(count));
    return counted.cxx + counted.openssl;
  };
  (void)cost_of(4);  // first use: OpenSSL's one-time set-up
  const long ten = cost_of(10);
  const long hundred = cost_of(100);
  INFO("10 ClientHellos: " << ten << " allocations, 100: " << hundred);
  // Per ClientHello: the cookie string, the HelloVerifyRequest datagram queued for the
  // user, and OpenSSL's buffers to parse and write them (about 7 on OpenSSL 3.0), all freed
  // again: the cost grows linearly with the flood, never with state kept per client.
  CHECK(hundred <= 10 * ten);
  CHECK(hundred / 100 <= 16);
  CHECK(server.get_state() == (ssl::ST_BEFORE | ssl::ST_ACCEPT));
  CHECK_FALSE(server.get_peer_certificate().has_value());

  // The same listener still serves a real client.
  deliver(hello, server);
  REQUIRE_FAILS_WITH(server.DTLSv1_listen(), errc::want_read);
  deliver(take_datagrams(server), client);
  REQUIRE_FAILS_WITH(client.do_handshake(), errc::want_read);
  deliver(take_datagrams(client), server);
  REQUIRE_OK(server.DTLSv1_listen());
  REQUIRE(pyossl_test::handshake(client, server).ok());
}

TEST_CASE("a cookie over 255 bytes fails DTLSv1_listen with an ssl error, not want_read", "[dtls][cookie]") {
  ssl::Context server_side = dtls_server_context();
  REQUIRE_OK(
      server_side.set_cookie_generate_callback([](ssl::Connection&) { return std::string(256, 'c'); }));
  REQUIRE_OK(server_side.set_cookie_verify_callback([](ssl::Connection&, std::string_view) { return true; }));
  ssl::Context client_side = dtls_client_context();
  pyossl_test::connection_pair pair(client_side, server_side);
  REQUIRE_FAILS_WITH(pair.client.do_handshake(), errc::want_read);
  deliver(take_datagrams(pair.client), pair.server);
  auto listened = pair.server.DTLSv1_listen();
  REQUIRE_FAILS_WITH(listened, errc::ssl);
  CHECK(listened.error().message().find("256") != std::string::npos);
}

TEST_CASE("an empty cookie fails DTLSv1_listen as an over-long one does: no client could ever return it",
          "[dtls][cookie]") {
  ssl::Context server_side = dtls_server_context();
  REQUIRE_OK(server_side.set_cookie_generate_callback([](ssl::Connection&) { return std::string(); }));
  REQUIRE_OK(server_side.set_cookie_verify_callback([](ssl::Connection&, std::string_view) { return true; }));
  ssl::Context client_side = dtls_client_context();
  pyossl_test::connection_pair pair(client_side, server_side);
  REQUIRE_FAILS_WITH(pair.client.do_handshake(), errc::want_read);
  deliver(take_datagrams(pair.client), pair.server);
  auto listened = pair.server.DTLSv1_listen();
  REQUIRE_FAILS_WITH(listened, errc::ssl);
  CHECK(listened.error().message().find("1 to 255 bytes") != std::string::npos);
  CHECK(take_datagrams(pair.server).empty());  // no HelloVerifyRequest went out
}

TEST_CASE("DTLSv1_listen on a Connection in connect state is refused", "[dtls][cookie]") {
  ssl::Context server_side = dtls_server_context();
  cookie_jar jar;
  install_cookie_callbacks(server_side, jar);
  ssl::Connection connection(server_side);
  connection.set_connect_state();
  auto listened = connection.DTLSv1_listen();
  REQUIRE_FAILS_WITH(listened, errc::invalid_argument);
  CHECK(listened.error().message().find("set_accept_state") != std::string::npos);

  ssl::Connection unset(server_side);  // no role chosen: OpenSSL's implicit server, as before
  REQUIRE_FAILS_WITH(unset.DTLSv1_listen(), errc::want_read);
}

TEST_CASE("an exception from a cookie callback comes out of DTLSv1_listen", "[dtls][cookie]") {
  ssl::Context server_side = dtls_server_context();
  REQUIRE_OK(server_side.set_cookie_generate_callback(
      [](ssl::Connection&) -> std::string { throw std::runtime_error("no cookies today"); }));
  REQUIRE_OK(server_side.set_cookie_verify_callback([](ssl::Connection&, std::string_view) { return true; }));
  ssl::Context client_side = dtls_client_context();
  pyossl_test::connection_pair pair(client_side, server_side);
  REQUIRE_FAILS_WITH(pair.client.do_handshake(), errc::want_read);
  deliver(take_datagrams(pair.client), pair.server);
  CHECK_THROWS_WITH((void)pair.server.DTLSv1_listen(), "no cookies today");
  CHECK(ERR_peek_error() == 0UL);
}

TEST_CASE("DTLSv1_listen reads past bad datagrams to the ClientHello queued behind them in one call",
          "[dtls][cookie][bad-input]") {
  // OpenSSL's DTLSv1_listen returns after dropping one bad datagram; a pump that waits for
  // the next datagram after want_read would then sit one datagram behind.
  ssl::Context server_side = dtls_server_context();
  cookie_jar jar;
  install_cookie_callbacks(server_side, jar);
  ssl::Context client_side = dtls_client_context();
  pyossl_test::connection_pair pair(client_side, server_side);
  REQUIRE_FAILS_WITH(pair.client.do_handshake(), errc::want_read);
  const std::vector<std::string> hello = take_datagrams(pair.client);
  REQUIRE_OK(pair.server.bio_write(std::string(40, 'x')));
  REQUIRE_OK(pair.server.bio_write(hello[0].substr(0, 30)));  // a truncated record
  deliver(hello, pair.server);
  REQUIRE_FAILS_WITH(pair.server.DTLSv1_listen(), errc::want_read);
  const std::vector<std::string> verify_request = take_datagrams(pair.server);
  REQUIRE(verify_request.size() == 1);

  deliver(verify_request, pair.client);
  REQUIRE_FAILS_WITH(pair.client.do_handshake(), errc::want_read);
  REQUIRE_OK(pair.server.bio_write(std::string(40, 'y')));
  deliver(take_datagrams(pair.client), pair.server);
  REQUIRE_OK(pair.server.DTLSv1_listen());
  REQUIRE(pyossl_test::handshake(pair.client, pair.server).ok());
}

TEST_CASE("after set_context, DTLSv1_listen runs the new Context's cookie callbacks", "[dtls][cookie]") {
  ssl::Context first = dtls_server_context();  // no cookie callbacks
  ssl::Context second = dtls_server_context();
  cookie_jar jar;
  install_cookie_callbacks(second, jar);
  ssl::Context client_side = dtls_client_context();
  pyossl_test::connection_pair pair(client_side, first);
  REQUIRE_OK(pair.server.set_context(second));
  REQUIRE_FAILS_WITH(pair.client.do_handshake(), errc::want_read);
  deliver(take_datagrams(pair.client), pair.server);
  REQUIRE_FAILS_WITH(pair.server.DTLSv1_listen(), errc::want_read);
  CHECK(jar.generated == 1);
  CHECK(take_datagrams(pair.server).size() == 1);
}

TEST_CASE("an exception from the cookie verify callback comes out of DTLSv1_listen", "[dtls][cookie]") {
  ssl::Context server_side = dtls_server_context();
  REQUIRE_OK(
      server_side.set_cookie_generate_callback([](ssl::Connection&) { return std::string("cookie"); }));
  REQUIRE_OK(server_side.set_cookie_verify_callback(
      [](ssl::Connection&, std::string_view) -> bool { throw std::runtime_error("cannot check cookies"); }));
  ssl::Context client_side = dtls_client_context();
  pyossl_test::connection_pair pair(client_side, server_side);
  answer_with_cookie(pair);
  deliver(take_datagrams(pair.client), pair.server);
  CHECK_THROWS_WITH((void)pair.server.DTLSv1_listen(), "cannot check cookies");
  CHECK(ERR_peek_error() == 0UL);
}

TEST_CASE("cookie callbacks accept move-only callables and are refused once the Context is used",
          "[dtls][cookie]") {
  ssl::Context server_side = dtls_server_context();
  auto owned = std::make_unique<std::string>("move-only");
  REQUIRE_OK(server_side.set_cookie_generate_callback(
      [cookie = std::move(owned)](ssl::Connection&) { return *cookie; }));
  ssl::Connection server(server_side);
  REQUIRE_FAILS_WITH(
      server_side.set_cookie_verify_callback([](ssl::Connection&, std::string_view) { return true; }),
      errc::invalid_argument);
}

TEST_CASE("reordered handshake datagrams are put back in order", "[dtls][loss]") {
  ssl::Context server_side = dtls_server_context();
  ssl::Context client_side = dtls_client_context();
  pyossl_test::connection_pair pair(client_side, server_side);
  REQUIRE_OK(pair.server.set_ciphertext_mtu(300));  // several datagrams per flight
  REQUIRE_FAILS_WITH(pair.client.do_handshake(), errc::want_read);
  deliver(take_datagrams(pair.client), pair.server);
  REQUIRE_FAILS_WITH(pair.server.do_handshake(), errc::want_read);
  std::vector<std::string> flight = take_datagrams(pair.server);
  REQUIRE(flight.size() >= 2);
  std::reverse(flight.begin(), flight.end());
  deliver(flight, pair.client);
  REQUIRE(pyossl_test::handshake(pair.client, pair.server).ok());
  echo_both_ways(pair.client, pair.server);
}

TEST_CASE("a lost flight is resent when its timer expires (DTLSv1_get_timeout, DTLSv1_handle_timeout)",
          "[dtls][loss]") {
  ssl::Context server_side = dtls_server_context();
  ssl::Context client_side = dtls_client_context();
  pyossl_test::connection_pair pair(client_side, server_side);
  CHECK_FALSE(pair.client.DTLSv1_get_timeout().has_value());  // no flight, no timer
  REQUIRE(unwrap(pair.client.DTLSv1_handle_timeout()) == false);

  REQUIRE_FAILS_WITH(pair.client.do_handshake(), errc::want_read);
  (void)take_datagrams(pair.client);  // the ClientHello is lost
  const auto timeout = pair.client.DTLSv1_get_timeout();
  REQUIRE(timeout.has_value());
  CHECK(*timeout > 0us);
  CHECK(*timeout <= 1s);
  REQUIRE(unwrap(pair.client.DTLSv1_handle_timeout()) == false);  // not due yet
  CHECK(take_datagrams(pair.client).empty());

  std::this_thread::sleep_for(*timeout + 50ms);
  CHECK(pair.client.DTLSv1_get_timeout() == std::optional<std::chrono::microseconds>(0us));
  REQUIRE(unwrap(pair.client.DTLSv1_handle_timeout()) == true);
  const std::vector<std::string> resent = take_datagrams(pair.client);
  REQUIRE(resent.size() == 1);
  deliver(resent, pair.server);
  REQUIRE(pyossl_test::handshake(pair.client, pair.server).ok());
  echo_both_ways(pair.client, pair.server);
}

namespace {

// A network between two memory-BIO connections that loses, duplicates and reorders
// datagrams, reproducibly from a seed.
struct lossy_network {
  explicit lossy_network(unsigned seed) : random(seed) {}
  std::mt19937 random;
  std::bernoulli_distribution lose{0.25};
  std::bernoulli_distribution duplicate{0.15};
  int carried = 0, lost = 0, duplicated = 0;

  // Moves what `from` wrote to `to`, shuffled; true if anything arrived.
  bool carry(ssl::Connection& from, ssl::Connection& to) {
    std::vector<std::string> arriving;
    for (std::string& datagram : take_datagrams(from)) {
      if (duplicate(random)) {
        arriving.push_back(datagram);
        ++duplicated;
      }
      if (lose(random)) {
        ++lost;
        continue;
      }
      arriving.push_back(std::move(datagram));
    }
    std::shuffle(arriving.begin(), arriving.end(), random);
    deliver(arriving, to);
    carried += static_cast<int>(arriving.size());
    return !arriving.empty();
  }
};

// OpenSSL's retransmission timer starts at 1 s and doubles; a test cannot wait that long
// for every lost flight. 10 ms, doubling up to 80 ms.
unsigned int fast_retransmission(SSL* /*ssl*/, unsigned int previous_us) {
  return previous_us == 0 ? 10'000 : std::min(previous_us * 2, 80'000U);
}

}  // namespace

TEST_CASE("listen, handshake and echo survive lost, duplicated and reordered datagrams", "[dtls][loss]") {
  const unsigned seed = GENERATE(1U, 2U, 3U, 4U, 5U, 6U, 7U, 8U);
  INFO("seed " << seed);
  ssl::Context server_side = dtls_server_context();
  cookie_jar jar;
  install_cookie_callbacks(server_side, jar);
  ssl::Context client_side = dtls_client_context();
  pyossl_test::connection_pair pair(client_side, server_side);
  ssl::Connection& client = pair.client;
  ssl::Connection& server = pair.server;
  // Only the test shortens the timers, through the native handle: pyossl has no API for it.
  DTLS_set_timer_cb(client.native_handle(), fast_retransmission);
  DTLS_set_timer_cb(server.native_handle(), fast_retransmission);
  REQUIRE_OK(client.set_ciphertext_mtu(300));  // several datagrams per flight, to reorder
  REQUIRE_OK(server.set_ciphertext_mtu(300));

  lossy_network network(seed);
  const std::string message = "through a lossy network";
  bool listened = false, server_done = false, client_done = false, echoed = false;
  int round = 0, last_sent = -1, resends = 0;
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  for (; round < 3000 && !echoed && std::chrono::steady_clock::now() < deadline; ++round) {
    if (!client_done) client_done = succeeded_or_waits(client.do_handshake());
    if (!listened) {
      listened = succeeded_or_waits(server.DTLSv1_listen());
    } else if (!server_done) {
      server_done = succeeded_or_waits(server.do_handshake());
    }
    if (server_done) {
      auto received = server.recv(1024);
      if (succeeded_or_waits(received)) REQUIRE(unwrap(server.send(*received)) == received->size());
    }
    if (client_done) {
      // DTLS does not resend application data: the client sends again until the echo comes.
      if (last_sent < 0 || round - last_sent >= 10) {
        REQUIRE(unwrap(client.send(message)) == message.size());
        last_sent = round;
      }
      auto received = client.recv(1024);
      if (succeeded_or_waits(received)) {
        CHECK(*received == message);
        echoed = true;
      }
    }
    const bool to_server = network.carry(client, server);  // both ways, every round
    const bool to_client = network.carry(server, client);
    if (!to_server && !to_client) std::this_thread::sleep_for(2ms);
    resends += unwrap(client.DTLSv1_handle_timeout()) ? 1 : 0;
    resends += unwrap(server.DTLSv1_handle_timeout()) ? 1 : 0;
  }
  INFO("rounds " << round << ", carried " << network.carried << ", lost " << network.lost << ", duplicated "
                 << network.duplicated << ", flights resent " << resends);
  REQUIRE(echoed);
  CHECK(server_done);
  CHECK(network.lost + network.duplicated > 0);
  CHECK(ERR_peek_error() == 0UL);
}

TEST_CASE("DTLSv1_handle_timeout gives up with an ssl error, and the failed connection says so, not EOF",
          "[dtls][loss]") {
  ssl::Context client_side = dtls_client_context();
  ssl::Connection client(client_side);
  client.set_connect_state();
  DTLS_set_timer_cb(client.native_handle(), fast_retransmission);
  REQUIRE_FAILS_WITH(client.do_handshake(), errc::want_read);
  pyossl::result<bool> resent = false;
  for (int attempt = 0; attempt < 40 && resent; ++attempt) {
    (void)take_datagrams(client);  // every flight is lost
    std::this_thread::sleep_for(client.DTLSv1_get_timeout().value_or(0us) + 1ms);
    resent = client.DTLSv1_handle_timeout();
  }
  REQUIRE_FAILS_WITH(resent, errc::ssl);
  CHECK(resent.error().message().find("resends") != std::string::npos);

  // There is no end of file on a datagram queue: the next call says the connection failed.
  auto again = client.do_handshake();
  REQUIRE_FAILS_WITH(again, errc::ssl);
  CHECK(again.error().message().find("Unexpected EOF") == std::string::npos);
  CHECK(again.error().message().find("already failed") != std::string::npos);
}

// A write BIO that always would block, as a nonblocking UDP socket whose send buffer is full.
int refuse_write(BIO* bio, const char* /*data*/, std::size_t /*length*/, std::size_t* written) {
  BIO_clear_retry_flags(bio);
  BIO_set_retry_write(bio);
  *written = 0;
  return 0;
}

long accept_ctrl(BIO* /*bio*/, int command, long /*number*/, void* /*pointer*/) {
  return command == BIO_CTRL_FLUSH ? 1 : 0;
}

TEST_CASE("DTLSv1_handle_timeout on a transport that would block is want_write, not a failed connection",
          "[dtls][loss]") {
  ssl::Context server_side = dtls_server_context();
  ssl::Context client_side = dtls_client_context();
  pyossl_test::connection_pair pair(client_side, server_side);
  ssl::Connection& client = pair.client;
  DTLS_set_timer_cb(client.native_handle(), fast_retransmission);
  // A ClientHello of about 2 KB: OpenSSL's 4 KB handshake write buffer, which takes resends
  // whose flush would block (and does not report that flush), overflows at the second.
  std::vector<std::string> protocols;
  for (char letter = 'a'; letter < 'i'; ++letter) protocols.emplace_back(250, letter);
  REQUIRE_OK(client.set_alpn_protos(protocols));
  REQUIRE_FAILS_WITH(client.do_handshake(), errc::want_read);
  (void)take_datagrams(client);  // the first ClientHello is lost

  const pyossl::detail::handle<BIO_METHOD> method(
      BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "would block"));
  REQUIRE(method != nullptr);
  REQUIRE(BIO_meth_set_write_ex(method.get(), refuse_write) == 1);
  REQUIRE(BIO_meth_set_ctrl(method.get(), accept_ctrl) == 1);
  BIO* blocked = BIO_new(method.get());
  REQUIRE(blocked != nullptr);
  BIO_set_init(blocked, 1);
  SSL* native = client.native_handle();
  BIO* memory = SSL_get_wbio(native);  // the Connection's outgoing BIO: kept for the end
  REQUIRE(BIO_up_ref(memory) == 1);    // SSL_set0_wbio releases the SSL's reference
  SSL_set0_wbio(native, blocked);

  pyossl::result<bool> resent = true;
  for (int attempt = 0; attempt < 6 && resent; ++attempt) {
    std::this_thread::sleep_for(client.DTLSv1_get_timeout().value_or(0us) + 1ms);
    resent = client.DTLSv1_handle_timeout();
  }
  INFO((resent ? "no failure" : resent.error().message()));
  REQUIRE_FAILS_WITH(resent, errc::want_write);
  CHECK(resent.error().message().find("would block") != std::string::npos);
  CHECK(ERR_peek_error() == 0UL);
  // The connection goes on: the next expiry resends again, and fails the same way, not
  // as a connection that already failed.
  std::this_thread::sleep_for(client.DTLSv1_get_timeout().value_or(0us) + 1ms);
  auto again = client.DTLSv1_handle_timeout();
  REQUIRE_FAILS_WITH(again, errc::want_write);
  SSL_set0_wbio(native, memory);        // hands our reference back, frees the blocking BIO
  auto after = client.bio_read(65536);  // the Connection's memory BIO is in use again
  CHECK((after.has_value() || after.error() == errc::want_read));
}

TEST_CASE("set_ciphertext_mtu bounds every datagram; below the minimum it is an error", "[dtls][mtu]") {
  ssl::Context server_side = dtls_server_context();
  ssl::Context client_side = dtls_client_context();
  pyossl_test::connection_pair pair(client_side, server_side);
  REQUIRE_FAILS_WITH(pair.client.set_ciphertext_mtu(100), errc::invalid_argument);
  REQUIRE_FAILS_WITH(pair.client.set_ciphertext_mtu(0), errc::invalid_argument);
  REQUIRE_FAILS_WITH(pair.client.set_ciphertext_mtu(-1), errc::invalid_argument);
  CHECK(pair.client.get_cleartext_mtu() == 0);  // no cipher yet
  REQUIRE_OK(pair.client.set_ciphertext_mtu(400));
  REQUIRE_OK(pair.server.set_ciphertext_mtu(400));

  // Drive the handshake by hand to look at every datagram.
  for (int round = 0; round < 20; ++round) {
    auto client_step = pair.client.do_handshake();
    for (const std::string& datagram : take_datagrams(pair.client)) {
      CHECK(datagram.size() <= 400);
      CHECK(is_dtls_record(datagram));
      REQUIRE_OK(pair.server.bio_write(datagram));
    }
    auto server_step = pair.server.do_handshake();
    for (const std::string& datagram : take_datagrams(pair.server)) {
      CHECK(datagram.size() <= 400);
      CHECK(is_dtls_record(datagram));
      REQUIRE_OK(pair.client.bio_write(datagram));
    }
    if (client_step && server_step) break;
  }
  const int cleartext = pair.client.get_cleartext_mtu();
  CHECK(cleartext > 0);
  CHECK(cleartext < 400);
  REQUIRE(unwrap(pair.client.send(std::string(static_cast<std::size_t>(cleartext), 'x'))) ==
          static_cast<std::size_t>(cleartext));
  const std::vector<std::string> record = take_datagrams(pair.client);
  REQUIRE(record.size() == 1);
  CHECK(record[0].size() <= 400);
}

TEST_CASE("set_ciphertext_mtu refuses MTUs outside 256 to 4096, naming the bound, and keeps the one in force",
          "[dtls][mtu]") {
  // Below: OpenSSL's own check lets 208 to 255 through and then fails the handshake; the
  // minimum is DTLS_get_link_min_mtu (256) less the transport's overhead (none on memory
  // BIOs). Above: OpenSSL writes handshake flights through a 4096-byte buffer, so a larger
  // datagram would go out in 4096-byte pieces that split records, and the handshake would
  // never finish.
  struct refusal {
    int mtu;
    const char* bound;
  };
  ssl::Context server_side = dtls_server_context();
  ssl::Context client_side = dtls_client_context();
  pyossl_test::connection_pair pair(client_side, server_side);
  REQUIRE_OK(pair.client.set_ciphertext_mtu(300));
  REQUIRE_OK(pair.server.set_ciphertext_mtu(300));
  for (const refusal& bad : {refusal{208, "256"}, refusal{230, "256"}, refusal{255, "256"},
                             refusal{4097, "4096"}, refusal{9000, "4096"}, refusal{65535, "4096"}}) {
    INFO("MTU " << bad.mtu);
    for (ssl::Connection* end : {&pair.client, &pair.server}) {
      auto refused = end->set_ciphertext_mtu(bad.mtu);
      REQUIRE_FAILS_WITH(refused, errc::invalid_argument);
      CHECK(refused.error().message().find(bad.bound) != std::string::npos);
    }
  }
  // The refused values changed nothing: every datagram of the handshake still fits 300.
  bool client_done = false;
  bool server_done = false;
  for (int round = 0; round < 20 && !(client_done && server_done); ++round) {
    client_done = client_done || succeeded_or_waits(pair.client.do_handshake());
    for (const std::string& datagram : take_datagrams(pair.client)) {
      CHECK(datagram.size() <= 300);
      REQUIRE_OK(pair.server.bio_write(datagram));
    }
    server_done = server_done || succeeded_or_waits(pair.server.do_handshake());
    for (const std::string& datagram : take_datagrams(pair.server)) {
      CHECK(datagram.size() <= 300);
      REQUIRE_OK(pair.client.bio_write(datagram));
    }
  }
  REQUIRE(client_done);
  REQUIRE(server_done);
  echo_both_ways(pair.client, pair.server);

  // Both bounds themselves work.
  for (const int edge : {256, 4096}) {
    INFO("MTU " << edge);
    pyossl_test::connection_pair fresh(client_side, server_side);
    REQUIRE_OK(fresh.client.set_ciphertext_mtu(edge));
    REQUIRE_OK(fresh.server.set_ciphertext_mtu(edge));
    REQUIRE(pyossl_test::handshake(fresh.client, fresh.server).ok());
    echo_both_ways(fresh.client, fresh.server);
  }
}

TEST_CASE("DTLS calls on a TLS connection fail with invalid_argument", "[dtls]") {
  ssl::Context tls = unwrap(ssl::Context::create(ssl::TLS_METHOD));
  ssl::Connection connection(tls);
  REQUIRE_FAILS_WITH(connection.DTLSv1_listen(), errc::invalid_argument);
  REQUIRE_FAILS_WITH(connection.DTLSv1_handle_timeout(), errc::invalid_argument);
  REQUIRE_FAILS_WITH(connection.set_ciphertext_mtu(1400), errc::invalid_argument);
  CHECK_FALSE(connection.DTLSv1_get_timeout().has_value());
  CHECK(connection.get_cleartext_mtu() == 0);
}

TEST_CASE("garbage and truncated datagrams are dropped and the connection stays usable", "[dtls]") {
  ssl::Context server_side = dtls_server_context();
  ssl::Context client_side = dtls_client_context();
  pyossl_test::connection_pair pair(client_side, server_side);
  REQUIRE(pyossl_test::handshake(pair.client, pair.server).ok());

  REQUIRE_OK(pair.server.bio_write("this is not a DTLS record at all"));
  REQUIRE_FAILS_WITH(pair.server.recv(1024), errc::want_read);
  REQUIRE(unwrap(pair.client.send("after garbage")) == 13);
  std::vector<std::string> record = take_datagrams(pair.client);
  REQUIRE(record.size() == 1);
  REQUIRE_OK(pair.server.bio_write(record[0].substr(0, record[0].size() / 2)));  // truncated
  REQUIRE_FAILS_WITH(pair.server.recv(1024), errc::want_read);
  deliver(record, pair.server);
  CHECK(unwrap(pair.server.recv(1024)) == "after garbage");
}

TEST_CASE(
    "a datagram larger than OpenSSL reads is cut short and dropped, as UDP would, and nothing behind it is "
    "lost",
    "[dtls][bad-input]") {
  // OpenSSL reads a datagram into a fixed buffer (about 16 KB); a UDP socket would truncate a
  // larger one, and the connection must not stall on it as if no datagram could ever follow.
  const std::string oversized(20000, 'x');
  ssl::Context server_side = dtls_server_context();
  cookie_jar jar;
  install_cookie_callbacks(server_side, jar);
  ssl::Context client_side = dtls_client_context();
  pyossl_test::connection_pair pair(client_side, server_side);

  SECTION("before a ClientHello, DTLSv1_listen drops it and answers the ClientHello") {
    REQUIRE_FAILS_WITH(pair.client.do_handshake(), errc::want_read);
    REQUIRE(unwrap(pair.server.bio_write(oversized)) == oversized.size());
    deliver(take_datagrams(pair.client), pair.server);
    std::vector<std::string> verify_request;
    for (int call = 0; call < 3 && verify_request.empty(); ++call) {
      REQUIRE_FAILS_WITH(pair.server.DTLSv1_listen(), errc::want_read);
      verify_request = take_datagrams(pair.server);
    }
    REQUIRE(verify_request.size() == 1);
    deliver(verify_request, pair.client);
    REQUIRE_FAILS_WITH(pair.client.do_handshake(), errc::want_read);
    deliver(take_datagrams(pair.client), pair.server);
    REQUIRE_OK(pair.server.DTLSv1_listen());
    REQUIRE(pyossl_test::handshake(pair.client, pair.server).ok());
    echo_both_ways(pair.client, pair.server);
  }
  SECTION("before an application record, recv drops it and returns the record") {
    REQUIRE(pyossl_test::handshake(pair.client, pair.server).ok());
    REQUIRE(unwrap(pair.server.bio_write(oversized)) == oversized.size());
    REQUIRE(unwrap(pair.client.send("behind the big one")) == 18);
    deliver(take_datagrams(pair.client), pair.server);
    auto received = pair.server.recv(1024);
    REQUIRE_OK(received);
    CHECK(*received == "behind the big one");
    echo_both_ways(pair.client, pair.server);
  }
}

TEST_CASE("net::Socket::udp makes UDP sockets and refuses other families", "[dtls][udp]") {
  REQUIRE_OK(net::Socket::udp());
  REQUIRE_OK(net::Socket::udp(AF_INET6));
  REQUIRE_FAILS_WITH(net::Socket::udp(AF_UNIX), errc::invalid_argument);
}

namespace {

// The port a freshly bound UDP socket got.
std::uint16_t bound_port(net::Socket& socket) {
  REQUIRE_OK(socket.bind({"127.0.0.1", 0}));
  return unwrap(socket.getsockname()).port;
}

// Makes blocking reads on a connection's socket give up after `limit`.
void limit_reads(int fd, std::chrono::milliseconds limit) {
  timeval tv{static_cast<time_t>(limit.count() / 1000),
             static_cast<suseconds_t>((limit.count() % 1000) * 1000)};
  REQUIRE(::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) == 0);
}

}  // namespace

namespace {

// Waits up to `limit` for a datagram on `fd`; true when one is there.
bool wait_readable(int fd, std::chrono::milliseconds limit) {
  pollfd watch{fd, POLLIN, 0};
  return ::poll(&watch, 1, static_cast<int>(limit.count())) == 1;
}

}  // namespace

TEST_CASE(
    "over UDP, the cookie callbacks see the client's address and DTLSv1_listen connects the server to it",
    "[dtls][udp][cookie]") {
  ssl::Context server_side = dtls_server_context();
  std::vector<net::Address> seen_by_callbacks;
  REQUIRE_OK(server_side.set_cookie_generate_callback([&](ssl::Connection& connection) {
    seen_by_callbacks.push_back(unwrap(connection.getpeername()));
    return std::string("cookie");
  }));
  REQUIRE_OK(
      server_side.set_cookie_verify_callback([&](ssl::Connection& connection, std::string_view cookie) {
        seen_by_callbacks.push_back(unwrap(connection.getpeername()));
        return cookie == "cookie";
      }));
  net::Socket socket = unwrap(net::Socket::udp());
  const std::uint16_t port = bound_port(socket);
  REQUIRE_OK(socket.setblocking(false));
  const int server_fd = socket.fileno();
  ssl::Connection server(server_side, std::move(socket));
  server.set_accept_state();
  auto nobody = server.getpeername();  // no datagram yet
  REQUIRE_FAILS_WITH(nobody, errc::syscall);
  CHECK(nobody.error().sys_errno() == ENOTCONN);

  ssl::Context client_side = dtls_client_context();
  ssl::Connection client(client_side, unwrap(net::Socket::udp()));
  REQUIRE_OK(client.connect({"127.0.0.1", port}));
  REQUIRE_OK(client.setblocking(false));
  const net::Address client_address = unwrap(client.getsockname());

  bool listened = false;
  for (int round = 0; round < 100 && !listened; ++round) {
    (void)succeeded_or_waits(client.do_handshake());
    (void)wait_readable(server_fd, 20ms);
    listened = succeeded_or_waits(server.DTLSv1_listen());
  }
  REQUIRE(listened);
  REQUIRE(seen_by_callbacks.size() == 2);  // generate for the first ClientHello, verify for the second
  CHECK(seen_by_callbacks[0] == client_address);
  CHECK(seen_by_callbacks[1] == client_address);
  CHECK(unwrap(server.getpeername()) == client_address);
  sockaddr_storage connected_to{};
  socklen_t length = sizeof(connected_to);
  CHECK(::getpeername(server_fd, reinterpret_cast<sockaddr*>(&connected_to), &length) ==
        0);  // the socket's own
  CHECK(SSL_is_server(server.native_handle()) == 1);

  // A stranger's datagrams no longer reach the server's socket.
  net::Socket stranger = unwrap(net::Socket::udp());
  REQUIRE_OK(stranger.connect({"127.0.0.1", port}));
  REQUIRE(::send(stranger.fileno(), "noise", 5, 0) == 5);
  CHECK_FALSE(wait_readable(server_fd, 100ms));

  bool server_done = false, client_done = false;
  for (int round = 0; round < 100 && !(server_done && client_done); ++round) {
    if (!server_done) server_done = succeeded_or_waits(server.do_handshake());
    if (!client_done) client_done = succeeded_or_waits(client.do_handshake());
    if (!(server_done && client_done))
      (void)wait_readable(client_done ? server_fd : unwrap(client.fileno()), 20ms);
  }
  REQUIRE(server_done);
  REQUIRE(client_done);
  REQUIRE(unwrap(client.send("over a connected server socket")) == 30);
  REQUIRE(wait_readable(server_fd, 2s));
  CHECK(unwrap(server.recv(1024)) == "over a connected server socket");
}

TEST_CASE("DTLSv1_listen on a closed socket fails with errc::syscall and its errno", "[dtls][udp]") {
  ssl::Context server_side = dtls_server_context();
  cookie_jar jar;
  install_cookie_callbacks(server_side, jar);
  net::Socket socket = unwrap(net::Socket::udp());
  (void)bound_port(socket);
  ssl::Connection server(server_side, std::move(socket));
  server.set_accept_state();
  REQUIRE_OK(server.close());
  auto listened = server.DTLSv1_listen();
  REQUIRE_FAILS_WITH(listened, errc::syscall);
  CHECK(listened.error().sys_errno() == EBADF);
}

TEST_CASE("two UDP sockets cannot bind the same port (no SO_REUSEADDR on datagram sockets)", "[dtls][udp]") {
  net::Socket first = unwrap(net::Socket::udp());
  const std::uint16_t port = bound_port(first);
  net::Socket second = unwrap(net::Socket::udp());
  auto bound = second.bind({"127.0.0.1", port});
  REQUIRE_FAILS_WITH(bound, errc::syscall);
  CHECK(bound.error().sys_errno() == EADDRINUSE);
  CHECK(unwrap(first.getsockopt(SOL_SOCKET, SO_REUSEADDR)) == 0);
}

TEST_CASE("connect after set_accept_state connects the socket and leaves this end the server",
          "[dtls][udp]") {
  ssl::Context server_side = dtls_server_context();
  net::Socket peer = unwrap(net::Socket::udp());
  const std::uint16_t port = bound_port(peer);
  ssl::Connection server(server_side, unwrap(net::Socket::udp()));
  server.set_accept_state();
  REQUIRE_OK(server.connect({"127.0.0.1", port}));
  CHECK(SSL_is_server(server.native_handle()) == 1);
  CHECK(server.get_state() == (ssl::ST_BEFORE | ssl::ST_ACCEPT));
  CHECK(unwrap(server.getpeername()) == net::Address{"127.0.0.1", port});
  REQUIRE(unwrap(server.connect_ex({"127.0.0.1", port})) == 0);
  CHECK(SSL_is_server(server.native_handle()) == 1);

  ssl::Connection client(server_side,
                         unwrap(net::Socket::udp()));  // no role chosen: connect picks the client's
  REQUIRE_OK(client.connect({"127.0.0.1", port}));
  CHECK(SSL_is_server(client.native_handle()) == 0);
}

TEST_CASE("a pyossl DTLS client talks to openssl s_server -dtls over UDP", "[dtls][udp][interop]") {
  const tls_files& files = tls_files::get();
  // Find a free UDP port, then let s_server take it.
  net::Socket probe = unwrap(net::Socket::udp());
  const std::uint16_t port = bound_port(probe);
  probe.close();
  pyossl_test::child_process s_server({PYOSSL_TEST_OPENSSL, "s_server", "-dtls", "-accept",
                                       "127.0.0.1:" + std::to_string(port), "-cert", files.server_cert(),
                                       "-key", files.server_key(), "-naccept", "1"});
  REQUIRE(s_server.valid());
  REQUIRE(s_server.wait_for_output("ACCEPT", 10s));

  ssl::Context client_side = dtls_client_context();
  net::Socket socket = unwrap(net::Socket::udp());
  limit_reads(socket.fileno(), 5s);
  ssl::Connection connection(client_side, std::move(socket));
  REQUIRE_OK(connection.connect({"127.0.0.1", port}));
  REQUIRE_OK(connection.do_handshake());
  CHECK(connection.get_protocol_version_name() == "DTLSv1.2");
  REQUIRE(unwrap(connection.send("hello from pyossl\n")) == 18);
  CHECK(s_server.wait_for_output("hello from pyossl", 10s));  // s_server prints what it receives...
  REQUIRE(s_server.write("hello from s_server\n"));           // ...and sends what it reads
  CHECK(unwrap(connection.recv(1024)) == "hello from s_server\n");
  (void)connection.shutdown();
  (void)s_server.terminate();
}

TEST_CASE("a pyossl DTLS server with cookies serves openssl s_client -dtls over UDP",
          "[dtls][udp][interop]") {
  ssl::Context server_side = dtls_server_context();
  cookie_jar jar;
  install_cookie_callbacks(server_side, jar);
  net::Socket socket = unwrap(net::Socket::udp());
  const std::uint16_t port = bound_port(socket);
  limit_reads(socket.fileno(), 10s);
  ssl::Connection server(server_side, std::move(socket));
  server.set_accept_state();

  pyossl_test::child_process s_client({PYOSSL_TEST_OPENSSL, "s_client", "-dtls", "-connect",
                                       "127.0.0.1:" + std::to_string(port), "-CAfile", tls_files::get().ca(),
                                       "-verify_return_error", "-quiet"});
  REQUIRE(s_client.valid());
  pyossl::result<void> listened = server.DTLSv1_listen();
  for (int attempt = 0; attempt < 5 && !listened && listened.error() == errc::want_read; ++attempt) {
    listened = server.DTLSv1_listen();
  }
  REQUIRE_OK(listened);
  CHECK(jar.verified >= 1);
  REQUIRE_OK(server.do_handshake());
  REQUIRE(s_client.write("hello from s_client\n"));
  CHECK(unwrap(server.recv(1024)) == "hello from s_client\n");
  REQUIRE(unwrap(server.send("hello back\n")) == 11);
  CHECK(s_client.wait_for_output("hello back", 10s));
  (void)s_client.terminate();
}
