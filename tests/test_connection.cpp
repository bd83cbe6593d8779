// pyossl::ssl::Connection over memory BIOs — manual 3.3.2: two connections talking in
// memory, with a pump between bio_read and bio_write, as pyOpenSSL's own suite does.
#include <algorithm>
#include <atomic>
#include <cstring>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include <openssl/err.h>
#include <openssl/x509_vfy.h>

#include "catch.hpp"
#include "checks.hpp"
#include "pyossl/crypto/certificate_io.hpp"
#include "pyossl/ssl.hpp"
#include "temp_dir.hpp"
#include "tls_fixtures.hpp"

using pyossl::errc;
using pyossl_test::connection_pair;
using pyossl_test::handshake;
using pyossl_test::pump;
using pyossl_test::tls_files;
namespace ssl = pyossl::ssl;

namespace {

struct callback_failure : std::runtime_error {
  using std::runtime_error::runtime_error;
};

ssl::Context pinned(ssl::Context context, int version) {
  pyossl::unwrap(context.set_min_proto_version(version));
  pyossl::unwrap(context.set_max_proto_version(version));
  return context;
}

std::string common_name(const pyossl::crypto::X509& cert) {
  return cert.get_subject().get("CN").value_or("");
}

}  // namespace

TEST_CASE("Connection handshakes in memory under TLS 1.2 and TLS 1.3", "[connection]") {
  const auto [version, name] = GENERATE(std::pair<int, const char*>{TLS1_2_VERSION, "TLSv1.2"},
                                        std::pair<int, const char*>{TLS1_3_VERSION, "TLSv1.3"});
  const auto server_ctx = pinned(pyossl_test::server_context(), version);
  const auto client_ctx = pyossl_test::client_context();
  connection_pair pair(client_ctx, server_ctx);
  CHECK_FALSE(pair.client.get_cipher_name().has_value());

  const auto outcome = handshake(pair.client, pair.server);
  REQUIRE_OK(outcome.client);
  REQUIRE_OK(outcome.server);
  for (ssl::Connection* side : {&pair.client, &pair.server}) {
    CHECK(side->get_protocol_version_name() == name);
    CHECK(side->get_protocol_version() == version);
    CHECK(side->get_cipher_name().has_value());
    CHECK(side->get_cipher_bits().value_or(0) >= 128);
    CHECK(side->client_random().value_or("").size() == 32);
    CHECK(side->server_random().value_or("").size() == 32);
    CHECK(side->state_string() == "SSL negotiation finished successfully");
  }
  CHECK(pair.client.client_random() == pair.server.client_random());
  CHECK(pair.client.server_random() == pair.server.server_random());
  CHECK(pair.client.get_cipher_name() == pair.server.get_cipher_name());

  const auto peer = pair.client.get_peer_certificate();
  REQUIRE(peer.has_value());
  CHECK(common_name(*peer) == "localhost");
  CHECK_FALSE(pair.server.get_peer_certificate().has_value());

  // Application data both ways.
  REQUIRE(pyossl::unwrap(pair.client.send("hello server")) == 12);
  pump(pair.client, pair.server);
  CHECK(pyossl::unwrap(pair.server.recv(100)) == "hello server");
  REQUIRE(pyossl::unwrap(pair.server.sendall(std::string(100000, 'x'))) == 100000);
  pump(pair.client, pair.server);
  std::string received;
  while (received.size() < 100000) received += pyossl::unwrap(pair.client.recv(1 << 16));
  CHECK(received == std::string(100000, 'x'));
  // A TLS 1.3 client's session (and so its master key) arrives with the server's ticket,
  // after the handshake: it is there once the client has read.
  CHECK_FALSE(pair.client.master_key().value_or("").empty());
  CHECK_FALSE(pair.server.master_key().value_or("").empty());
  CHECK(ERR_peek_error() == 0UL);
}

TEST_CASE("Connection with VERIFY_PEER | VERIFY_FAIL_IF_NO_PEER_CERT needs a client certificate",
          "[connection]") {
  const tls_files& files = tls_files::get();
  auto server_ctx = pyossl_test::server_context();
  REQUIRE_OK(server_ctx.load_verify_locations(files.ca()));
  REQUIRE_OK(server_ctx.set_verify(ssl::VERIFY_PEER | ssl::VERIFY_FAIL_IF_NO_PEER_CERT));
  CHECK(server_ctx.get_verify_mode() == (ssl::VERIFY_PEER | ssl::VERIFY_FAIL_IF_NO_PEER_CERT));

  SECTION("a client with a certificate the server trusts gets in") {
    auto client_ctx = pyossl_test::client_context();
    REQUIRE_OK(client_ctx.use_certificate_file(files.client_cert()));
    REQUIRE_OK(client_ctx.use_privatekey_file(files.client_key()));
    connection_pair pair(client_ctx, server_ctx);
    const auto outcome = handshake(pair.client, pair.server);
    REQUIRE(outcome.ok());
    const auto peer = pair.server.get_peer_certificate();
    REQUIRE(peer.has_value());
    CHECK(common_name(*peer) == "pyossl client");
  }
  SECTION("a client without one is turned away") {
    const auto client_ctx = pyossl_test::client_context();
    connection_pair pair(client_ctx, server_ctx);
    const auto outcome = handshake(pair.client, pair.server);
    REQUIRE_FAILS_WITH(outcome.server, errc::ssl);
    CHECK(outcome.server.error().message().find("certificate") != std::string::npos);
    CHECK_FALSE(outcome.server.error().verification().has_value());
    // A TLS 1.3 client finishes before the server has judged it: the alert comes next.
    if (outcome.client.has_value()) REQUIRE_FAILS_WITH(pair.client.recv(10), errc::ssl);
  }
}

TEST_CASE("Connection's verify callback sees the chain and can accept an untrusted certificate",
          "[connection]") {
  const auto server_ctx = pyossl_test::server_context();
  auto client_ctx = pyossl::unwrap(ssl::Context::create(ssl::TLS_METHOD));  // trusts nothing
  struct call {
    ssl::Connection* connection;
    std::string subject;
    int errnum;
    int depth;
    int ok;
  };
  std::vector<call> calls;
  REQUIRE_OK(client_ctx.set_verify(
      ssl::VERIFY_PEER,
      [&calls](ssl::Connection& connection, pyossl::crypto::X509& cert, int errnum, int depth, int ok) {
        calls.push_back({&connection, common_name(cert), errnum, depth, ok});
        return true;
      }));
  connection_pair pair(client_ctx, server_ctx);
  REQUIRE(handshake(pair.client, pair.server).ok());
  REQUIRE_FALSE(calls.empty());
  CHECK(calls.front().connection == &pair.client);
  CHECK(calls.front().ok == 0);
  CHECK(calls.front().errnum == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY);
  CHECK(calls.front().depth == 0);
  CHECK(calls.front().subject == "localhost");
  CHECK(SSL_get_verify_result(pair.client.native_handle()) == X509_V_OK);
}

TEST_CASE("Connection's failed verification carries the verify failure", "[connection]") {
  const tls_files& files = tls_files::get();
  SECTION("a certificate from an untrusted CA") {
    auto server_ctx = pyossl::unwrap(ssl::Context::create(ssl::TLS_METHOD));
    REQUIRE_OK(server_ctx.use_certificate_file(files.rogue_cert()));
    REQUIRE_OK(server_ctx.use_privatekey_file(files.rogue_key()));
    const auto client_ctx = pyossl_test::client_context();
    connection_pair pair(client_ctx, server_ctx);
    const auto outcome = handshake(pair.client, pair.server);
    REQUIRE_FAILS_WITH(outcome.client, errc::ssl);
    const auto& failure = outcome.client.error().verification();
    REQUIRE(failure.has_value());
    CHECK(failure->code == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY);
    CHECK(failure->text == X509_verify_cert_error_string(X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY));
    CHECK(failure->depth == 0);
    CHECK(failure->subject.find("pyossl rogue") != std::string::npos);
    CHECK(outcome.client.error().message().find("certificate verify failed") != std::string::npos);
    // The server hears the client's alert.
    REQUIRE_FAILS_WITH(outcome.server, errc::ssl);
    CHECK_FALSE(outcome.server.error().verification().has_value());
  }
  SECTION("a trusted certificate the callback rejects") {
    const auto server_ctx = pyossl_test::server_context();
    auto client_ctx = pyossl_test::client_context();
    // A used context cannot change: make a fresh one with the rejecting callback.
    auto rejecting_ctx = pyossl::unwrap(ssl::Context::create(ssl::TLS_METHOD));
    REQUIRE_OK(rejecting_ctx.load_verify_locations(files.ca()));
    REQUIRE_OK(rejecting_ctx.set_verify(ssl::VERIFY_PEER,
                                        [](ssl::Connection&, pyossl::crypto::X509&, int, int depth, int ok) {
                                          return ok != 0 && depth > 0;  // refuse the leaf
                                        }));
    connection_pair pair(rejecting_ctx, server_ctx);
    const auto outcome = handshake(pair.client, pair.server);
    REQUIRE_FAILS_WITH(outcome.client, errc::ssl);
    REQUIRE(outcome.client.error().verification().has_value());
    CHECK(outcome.client.error().verification()->code == X509_V_ERR_APPLICATION_VERIFICATION);
    CHECK(outcome.client.error().verification()->depth == 0);
  }
}

TEST_CASE("Connection negotiates a cipher from the list set_cipher_list gives", "[connection]") {
  const auto cipher =
      GENERATE(as<std::string>{}, "ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-ECDSA-CHACHA20-POLY1305");
  auto server_ctx = pinned(pyossl_test::server_context(), TLS1_2_VERSION);
  auto client_ctx = pyossl::unwrap(ssl::Context::create(ssl::TLS_METHOD));
  REQUIRE_OK(client_ctx.set_cipher_list(cipher));
  connection_pair pair(client_ctx, server_ctx);
  const auto offered = pair.client.get_cipher_list();
  CHECK(std::find(offered.begin(), offered.end(), cipher) != offered.end());
  CHECK(std::find(offered.begin(), offered.end(), "ECDHE-ECDSA-AES256-GCM-SHA384") == offered.end());
  REQUIRE(handshake(pair.client, pair.server).ok());
  CHECK(pair.client.get_cipher_name() == cipher);
  CHECK(pair.server.get_cipher_name() == cipher);
  CHECK(pair.client.get_cipher_version() == "TLSv1.2");
}

TEST_CASE("Connection::get_client_ca_list reports the CA names on both ends", "[connection]") {
  const tls_files& files = tls_files::get();
  auto server_ctx = pyossl_test::server_context();
  REQUIRE_OK(server_ctx.set_verify(ssl::VERIFY_PEER));
  const auto source = GENERATE(as<std::string>{}, "load_client_ca", "set_client_ca_list", "add_client_ca");
  const auto ca = pyossl::unwrap(
      pyossl::crypto::load_certificate(pyossl::crypto::FILETYPE_PEM, pyossl_test::read_file(files.ca())));
  const auto rogue = pyossl::unwrap(pyossl::crypto::load_certificate(
      pyossl::crypto::FILETYPE_PEM, pyossl_test::read_file(files.path("rogue-ca.pem"))));
  std::vector<std::string> expected;
  if (source == "load_client_ca") {
    REQUIRE_OK(server_ctx.load_client_ca(files.ca()));
    expected = {"pyossl test CA"};
  } else if (source == "set_client_ca_list") {
    const std::vector<pyossl::crypto::X509Name> names{ca.get_subject(), rogue.get_subject()};
    REQUIRE_OK(server_ctx.set_client_ca_list(names));
    expected = {"pyossl test CA", "pyossl rogue CA"};
  } else {
    REQUIRE_OK(server_ctx.add_client_ca(rogue));
    REQUIRE_OK(server_ctx.add_client_ca(ca));
    expected = {"pyossl rogue CA", "pyossl test CA"};
  }
  auto client_ctx = pyossl_test::client_context();
  connection_pair pair(client_ctx, server_ctx);
  const auto names_of = [](const std::vector<pyossl::crypto::X509Name>& list) {
    std::vector<std::string> out;
    for (const auto& name : list) out.push_back(name.get("CN").value_or(""));
    return out;
  };
  CHECK(names_of(pair.server.get_client_ca_list()) == expected);
  CHECK(pair.client.get_client_ca_list().empty());
  REQUIRE(handshake(pair.client, pair.server)
              .ok());  // the client sends no certificate: VERIFY_PEER alone allows that
  CHECK(names_of(pair.client.get_client_ca_list()) == expected);
}

TEST_CASE("Connection::shutdown sets and reports the shutdown flags on both ends", "[connection]") {
  const auto server_ctx = pyossl_test::server_context();
  const auto client_ctx = pyossl_test::client_context();
  connection_pair pair(client_ctx, server_ctx);
  REQUIRE(handshake(pair.client, pair.server).ok());
  CHECK(pair.client.get_shutdown() == ssl::shutdown_state::none);

  CHECK(pyossl::unwrap(pair.client.shutdown()) == false);  // sent, not yet received
  CHECK(pair.client.get_shutdown() == ssl::SENT_SHUTDOWN);
  pump(pair.client, pair.server);
  REQUIRE_FAILS_WITH(pair.server.recv(100), errc::zero_return);
  CHECK(pair.server.get_shutdown() == ssl::RECEIVED_SHUTDOWN);
  CHECK(pyossl::unwrap(pair.server.shutdown()) == true);
  CHECK(pair.server.get_shutdown() == (ssl::SENT_SHUTDOWN | ssl::RECEIVED_SHUTDOWN));
  pump(pair.client, pair.server);
  CHECK(pyossl::unwrap(pair.client.shutdown()) == true);
  CHECK(pair.client.get_shutdown() == (ssl::SENT_SHUTDOWN | ssl::RECEIVED_SHUTDOWN));

  pair.client.set_shutdown(ssl::shutdown_state::none);
  CHECK(pair.client.get_shutdown() == ssl::shutdown_state::none);
  pair.client.set_shutdown(ssl::RECEIVED_SHUTDOWN);
  CHECK(pair.client.get_shutdown() == ssl::RECEIVED_SHUTDOWN);
}

TEST_CASE("Connection::recv after a bare EOF is syscall (-1, Unexpected EOF)", "[connection]") {
  const auto server_ctx = pyossl_test::server_context();
  const auto client_ctx = pyossl_test::client_context();
  connection_pair pair(client_ctx, server_ctx);
  REQUIRE(handshake(pair.client, pair.server).ok());
  REQUIRE_OK(pair.client.send("last words"));
  pump(pair.client, pair.server);
  REQUIRE_OK(pair.server.bio_shutdown());
  CHECK(pyossl::unwrap(pair.server.recv(100)) == "last words");  // what came before the EOF is still read
  const auto after = pair.server.recv(100);
  REQUIRE_FAILS_WITH(after, errc::syscall);
  CHECK(after.error().sys_errno() == -1);
  CHECK(after.error().sys_errstr() == "Unexpected EOF");
}

TEST_CASE("Connection::send of more than a record sends part and the peer gets exactly that part",
          "[connection]") {
  const auto server_ctx = pyossl_test::server_context();
  const auto client_ctx = pyossl_test::client_context();
  connection_pair pair(client_ctx, server_ctx);
  REQUIRE(handshake(pair.client, pair.server).ok());
  std::string data(1 << 16, '\0');
  for (std::size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>(i * 7);
  const std::size_t sent = pyossl::unwrap(pair.client.send(data));
  CHECK(sent > 0);
  CHECK(sent < data.size());
  pump(pair.client, pair.server);
  std::string received;
  for (;;) {
    auto piece = pair.server.recv(1 << 16);
    if (!piece) {
      REQUIRE(piece.error() == errc::want_read);
      break;
    }
    received += *piece;
  }
  CHECK(received == data.substr(0, sent));
}

TEST_CASE("Connection::recv_into never writes past the buffer it is given", "[connection]") {
  const auto server_ctx = pyossl_test::server_context();
  const auto client_ctx = pyossl_test::client_context();
  connection_pair pair(client_ctx, server_ctx);
  REQUIRE(handshake(pair.client, pair.server).ok());
  REQUIRE_OK(pair.client.send(std::string(1000, 'a')));
  pump(pair.client, pair.server);
  std::vector<std::byte> buffer(100, std::byte{0x5a});
  const auto window = std::span(buffer).subspan(10, 20);
  CHECK(pyossl::unwrap(pair.server.recv_into(window)) == 20);
  CHECK(std::all_of(buffer.begin(), buffer.begin() + 10, [](std::byte b) { return b == std::byte{0x5a}; }));
  CHECK(
      std::all_of(buffer.begin() + 10, buffer.begin() + 30, [](std::byte b) { return b == std::byte{'a'}; }));
  CHECK(std::all_of(buffer.begin() + 30, buffer.end(), [](std::byte b) { return b == std::byte{0x5a}; }));
  CHECK(pair.server.pending() == 1000 - 20);
  CHECK(pyossl::unwrap(pair.server.recv_into(std::span<std::byte>())) == 0);
}

TEST_CASE("Connection::renegotiate renegotiates TLS 1.2 and fails clearly on TLS 1.3", "[connection]") {
  SECTION("TLS 1.2") {
    const auto server_ctx = pinned(pyossl_test::server_context(), TLS1_2_VERSION);
    const auto client_ctx = pyossl_test::client_context();
    connection_pair pair(client_ctx, server_ctx);
    REQUIRE(handshake(pair.client, pair.server).ok());
    CHECK(pair.server.total_renegotiations() == 0);
    REQUIRE_OK(pair.server.renegotiate());
    CHECK(pair.server.renegotiate_pending());
    const auto request = pair.server.do_handshake();  // sends the HelloRequest
    if (!request) REQUIRE(request.error() == errc::want_read);
    for (int round = 0; round < 10 && pair.server.renegotiate_pending(); ++round) {
      pump(pair.client, pair.server);
      REQUIRE_FAILS_WITH(pair.client.recv(10), errc::want_read);  // the client answers the request
      pump(pair.client, pair.server);
      REQUIRE_FAILS_WITH(pair.server.recv(10), errc::want_read);  // the server runs the new handshake
    }
    CHECK_FALSE(pair.server.renegotiate_pending());
    CHECK(pair.server.total_renegotiations() == 1);
    REQUIRE_OK(pair.client.send("after"));
    pump(pair.client, pair.server);
    CHECK(pyossl::unwrap(pair.server.recv(10)) == "after");
  }
  SECTION("TLS 1.3") {
    const auto server_ctx = pyossl_test::server_context();
    const auto client_ctx = pyossl_test::client_context();
    connection_pair pair(client_ctx, server_ctx);
    REQUIRE(handshake(pair.client, pair.server).ok());
    const auto refused = pair.client.renegotiate();
    REQUIRE_FAILS_WITH(refused, errc::unsupported);
    CHECK(refused.error().message().find("TLS 1.3") != std::string::npos);
  }
}

TEST_CASE("Connection calls the info callback as the handshake progresses", "[connection]") {
  auto server_ctx = pyossl_test::server_context();
  std::vector<int> wheres;
  ssl::Connection* seen = nullptr;
  REQUIRE_OK(server_ctx.set_info_callback([&](ssl::Connection& connection, int where, int /*ret*/) {
    wheres.push_back(where);
    seen = &connection;
  }));
  const auto client_ctx = pyossl_test::client_context();
  connection_pair pair(client_ctx, server_ctx);
  REQUIRE(handshake(pair.client, pair.server).ok());
  CHECK(seen == &pair.server);
  CHECK(std::count(wheres.begin(), wheres.end(), ssl::CB_HANDSHAKE_START) == 1);
  CHECK(std::count(wheres.begin(), wheres.end(), ssl::CB_HANDSHAKE_DONE) == 1);
  CHECK(std::any_of(wheres.begin(), wheres.end(),
                    [](int where) { return (where & ssl::CB_ACCEPT_LOOP) == ssl::CB_ACCEPT_LOOP; }));
}

TEST_CASE("Connection rethrows a callback's exception from the call that ran it", "[connection][callbacks]") {
  const auto kind = GENERATE(as<std::string>{}, "verify", "info");
  auto server_ctx = pyossl_test::server_context();
  auto client_ctx = pyossl_test::client_context();
  if (kind == "verify") {
    // Rebuild the client context with a throwing verify callback.
    client_ctx = pyossl::unwrap(ssl::Context::create(ssl::TLS_METHOD));
    REQUIRE_OK(client_ctx.set_verify(ssl::VERIFY_PEER,
                                     [](ssl::Connection&, pyossl::crypto::X509&, int, int, int) -> bool {
                                       throw callback_failure("verify callback failed");
                                     }));
  } else {
    REQUIRE_OK(client_ctx.set_info_callback([](ssl::Connection&, int where, int) {
      if (where & ssl::CB_HANDSHAKE_START) throw callback_failure("info callback failed");
    }));
  }
  connection_pair pair(client_ctx, server_ctx);
  CHECK_THROWS_AS(handshake(pair.client, pair.server), callback_failure);
  CHECK(ERR_peek_error() == 0UL);
  CHECK(pair.client.get_context().get_app_data().has_value() == false);
}

TEST_CASE("an info callback that throws during a recv that read data loses no data",
          "[connection][callbacks]") {
  auto server_ctx = pyossl_test::server_context();
  auto client_ctx = pyossl_test::client_context();
  bool armed = false;
  REQUIRE_OK(client_ctx.set_info_callback([&armed](ssl::Connection&, int, int) {
    if (armed) throw callback_failure("info callback failed after the handshake");
  }));
  connection_pair pair(client_ctx, server_ctx);
  REQUIRE(handshake(pair.client, pair.server).ok());
  // TLS 1.3: the server's session tickets reach the client with the data, so the client's
  // recv runs the info callback while it reads "hello".
  REQUIRE_OK(pair.server.send("hello"));
  pump(pair.server, pair.client);
  armed = true;
  const auto received = pair.client.recv(100);
  REQUIRE_OK(received);
  CHECK(*received == "hello");
  // The exception comes out of the connection's next call, not lost and not elsewhere.
  CHECK_THROWS_AS(pair.client.recv(100), callback_failure);
  armed = false;
  REQUIRE_FAILS_WITH(pair.client.recv(100), pyossl::errc::want_read);
}

TEST_CASE("A callback's exception comes out on the connection that ran it, not another thread's",
          "[connection][callbacks]") {
  const auto server_ctx = pyossl_test::server_context();
  auto client_ctx = pyossl::unwrap(ssl::Context::create(ssl::TLS_METHOD));
  REQUIRE_OK(client_ctx.set_verify(ssl::VERIFY_PEER,
                                   [](ssl::Connection& connection, pyossl::crypto::X509&, int, int, int) {
                                     if (std::any_cast<int>(connection.get_app_data()) == 1)
                                       throw callback_failure("only connection 1 throws");
                                     return true;
                                   }));
  std::atomic<int> threw{0};
  std::atomic<int> succeeded{0};
  std::vector<std::thread> threads;
  for (int id = 0; id < 2; ++id) {
    threads.emplace_back([&, id] {
      for (int round = 0; round < 20; ++round) {
        connection_pair pair(client_ctx, server_ctx);
        pair.client.set_app_data(id);
        try {
          if (handshake(pair.client, pair.server).ok()) ++succeeded;
        } catch (const callback_failure&) {
          if (id == 1) ++threw;
        }
        ERR_clear_error();  // the server side's alert, on this thread
      }
    });
  }
  for (auto& thread : threads) thread.join();
  CHECK(threw == 20);
  CHECK(succeeded == 20);
}

TEST_CASE("A Connection moved mid-handshake hands callbacks the moved-to object", "[connection][callbacks]") {
  auto client_ctx = pyossl::unwrap(ssl::Context::create(ssl::TLS_METHOD));
  const ssl::Connection* seen = nullptr;
  REQUIRE_OK(client_ctx.set_verify(
      ssl::VERIFY_PEER, [&seen](ssl::Connection& connection, pyossl::crypto::X509&, int, int, int) {
        seen = &connection;
        return true;
      }));
  const auto server_ctx = pyossl_test::server_context();
  ssl::Connection client(client_ctx);
  client.set_connect_state();
  ssl::Connection server(server_ctx);
  server.set_accept_state();
  REQUIRE_FAILS_WITH(client.do_handshake(), errc::want_read);
  ssl::Connection moved(std::move(client));
  REQUIRE(handshake(moved, server).ok());
  CHECK(seen == &moved);
}

TEST_CASE("Connection never lets a stale error-queue entry change a result", "[connection]") {
  const auto server_ctx = pyossl_test::server_context();
  const auto client_ctx = pyossl_test::client_context();
  connection_pair pair(client_ctx, server_ctx);
  REQUIRE(handshake(pair.client, pair.server).ok());
  ERR_raise(ERR_LIB_SSL, SSL_R_BAD_LENGTH);  // a bogus entry someone else left behind
  REQUIRE_FAILS_WITH(pair.server.recv(10), errc::want_read);
  ERR_raise(ERR_LIB_SSL, SSL_R_BAD_LENGTH);
  REQUIRE_OK(pair.client.send("fine"));
  CHECK(ERR_peek_error() == 0UL);
  pump(pair.client, pair.server);
  ERR_raise(ERR_LIB_SSL, SSL_R_BAD_LENGTH);
  CHECK(pyossl::unwrap(pair.server.recv(10)) == "fine");
  CHECK(ERR_peek_error() == 0UL);
}

TEST_CASE("Connection fails cleanly on garbage and truncated records", "[connection][bad-input]") {
  const auto server_ctx = pyossl_test::server_context();
  const auto client_ctx = pyossl_test::client_context();
  SECTION("garbage to a server") {
    connection_pair pair(client_ctx, server_ctx);
    REQUIRE_OK(pair.server.bio_write(std::string(200, '\x42')));
    REQUIRE_FAILS_WITH(pair.server.do_handshake(), errc::ssl);
  }
  SECTION("garbage to a client") {
    connection_pair pair(client_ctx, server_ctx);
    REQUIRE_FAILS_WITH(pair.client.do_handshake(), errc::want_read);
    REQUIRE_OK(pair.client.bio_write(std::string("\x16\x03\x03\x00\x05", 5) + "garbage-after-a-header"));
    REQUIRE_FAILS_WITH(pair.client.do_handshake(), errc::ssl);
  }
  SECTION("a truncated hello, then EOF") {
    connection_pair pair(client_ctx, server_ctx);
    REQUIRE_FAILS_WITH(pair.client.do_handshake(), errc::want_read);
    const std::string hello = pyossl::unwrap(pair.client.bio_read(1 << 16));
    REQUIRE_OK(pair.server.bio_write(std::string_view(hello).substr(0, hello.size() / 2)));
    REQUIRE_FAILS_WITH(pair.server.do_handshake(), errc::want_read);
    REQUIRE_OK(pair.server.bio_shutdown());
    const auto eof = pair.server.do_handshake();
    REQUIRE_FAILS_WITH(eof, errc::syscall);
    CHECK(eof.error().sys_errno() == -1);
  }
  SECTION("garbage after the handshake") {
    connection_pair pair(client_ctx, server_ctx);
    REQUIRE(handshake(pair.client, pair.server).ok());
    REQUIRE_OK(pair.server.bio_write(std::string("\x17\x03\x03\x00\x20", 5) + std::string(32, '\x01')));
    REQUIRE_FAILS_WITH(pair.server.recv(100), errc::ssl);
  }
}

TEST_CASE("Connection to a server without a certificate fails on both ends", "[connection][bad-input]") {
  const auto server_ctx = pyossl::unwrap(ssl::Context::create(ssl::TLS_METHOD));
  const auto client_ctx = pyossl_test::client_context();
  connection_pair pair(client_ctx, server_ctx);
  const auto outcome = handshake(pair.client, pair.server);
  REQUIRE_FAILS_WITH(outcome.server, errc::ssl);
  REQUIRE_FAILS_WITH(outcome.client, errc::ssl);
}

TEST_CASE("Connection before any role is set fails with ssl", "[connection][bad-input]") {
  const auto context = pyossl_test::server_context();
  ssl::Connection connection(context);
  REQUIRE_FAILS_WITH(connection.do_handshake(), errc::ssl);
  REQUIRE_FAILS_WITH(connection.shutdown(), errc::ssl);
}

TEST_CASE("Connection's bio_read with nothing written is want_read", "[connection]") {
  const auto context = pyossl_test::client_context();
  ssl::Connection connection(context);
  REQUIRE_FAILS_WITH(connection.bio_read(100), errc::want_read);
  CHECK(pyossl::unwrap(connection.bio_write(std::string_view())) == 0);
  CHECK(pyossl::unwrap(connection.send(std::string_view())) == 0);
}

TEST_CASE("Connection's socket methods on a memory connection are invalid_argument", "[connection]") {
  const auto context = pyossl_test::client_context();
  ssl::Connection connection(context);
  const pyossl::net::Address address{"127.0.0.1", 0};
  REQUIRE_FAILS_WITH(connection.accept(), errc::invalid_argument);
  REQUIRE_FAILS_WITH(connection.bind(address), errc::invalid_argument);
  REQUIRE_FAILS_WITH(connection.listen(1), errc::invalid_argument);
  REQUIRE_FAILS_WITH(connection.connect(address), errc::invalid_argument);
  REQUIRE_FAILS_WITH(connection.connect_ex(address), errc::invalid_argument);
  REQUIRE_FAILS_WITH(connection.close(), errc::invalid_argument);
  REQUIRE_FAILS_WITH(connection.fileno(), errc::invalid_argument);
  REQUIRE_FAILS_WITH(connection.getpeername(), errc::invalid_argument);
  REQUIRE_FAILS_WITH(connection.getsockname(), errc::invalid_argument);
  REQUIRE_FAILS_WITH(connection.getsockopt(SOL_SOCKET, SO_TYPE), errc::invalid_argument);
  REQUIRE_FAILS_WITH(connection.getsockopt(SOL_SOCKET, SO_TYPE, 4), errc::invalid_argument);
  REQUIRE_FAILS_WITH(connection.setsockopt(SOL_SOCKET, SO_KEEPALIVE, 1), errc::invalid_argument);
  REQUIRE_FAILS_WITH(connection.setblocking(false), errc::invalid_argument);
  REQUIRE_FAILS_WITH(connection.sock_shutdown(SHUT_RDWR), errc::invalid_argument);
}

TEST_CASE("Connection::get_context returns a Context that outlives moves and set_context", "[connection]") {
  static_assert(!std::is_reference_v<decltype(std::declval<ssl::Connection&>().get_context())>,
                "get_context must not hand out a reference that can dangle");
  auto context = pyossl_test::client_context();
  context.set_app_data(std::string("first"));
  auto other = pyossl_test::client_context();
  std::optional<ssl::Connection> connection(std::in_place, context);
  const ssl::Context first = connection->get_context();
  ssl::Connection moved = std::move(*connection);
  connection.reset();
  REQUIRE_OK(moved.set_context(other));
  CHECK(first.native_handle() == context.native_handle());
  CHECK(std::any_cast<std::string>(first.get_app_data()) == "first");
  CHECK(moved.get_context().native_handle() == other.native_handle());
}

TEST_CASE("Connection keeps app data and reports its Context", "[connection]") {
  auto context = pyossl_test::client_context();
  context.set_app_data(std::string("context data"));
  ssl::Connection connection(context);
  CHECK_FALSE(connection.get_app_data().has_value());
  connection.set_app_data(42);
  CHECK(std::any_cast<int>(connection.get_app_data()) == 42);
  CHECK(connection.get_context().native_handle() == context.native_handle());
  CHECK(std::any_cast<std::string>(connection.get_context().get_app_data()) == "context data");
  CHECK_FALSE(connection.want_read());
  CHECK_FALSE(connection.want_write());
  CHECK_FALSE(connection.client_random().has_value());
  CHECK_FALSE(connection.master_key().has_value());
  CHECK_FALSE(connection.get_peer_certificate().has_value());
}

TEST_CASE("Connection resumes a session from the same Context and refuses another's",
          "[connection][session]") {
  const auto version = GENERATE(TLS1_2_VERSION, TLS1_3_VERSION);
  auto server_ctx = pinned(pyossl_test::server_context(), version);
  const auto client_ctx = pyossl_test::client_context();
  std::optional<ssl::Session> session;
  {
    connection_pair first(client_ctx, server_ctx);
    REQUIRE(handshake(first.client, first.server).ok());
    CHECK_FALSE(first.client.session_reused());
    REQUIRE_FAILS_WITH(first.client.recv(1), errc::want_read);  // takes in a TLS 1.3 ticket
    session = first.client.get_session();
    // OpenSSL forgets sessions of connections that end without close_notify.
    CHECK_FALSE(pyossl::unwrap(first.client.shutdown()));
    pump(first.client, first.server);
    REQUIRE_OK(first.server.shutdown());
  }
  REQUIRE(session.has_value());
  CHECK(session->is_resumable());
  connection_pair second(client_ctx, server_ctx);
  REQUIRE_OK(second.client.set_session(*session));
  REQUIRE(handshake(second.client, second.server).ok());
  CHECK(second.client.session_reused());
  CHECK(second.server.session_reused());

  const auto other_ctx = pyossl_test::client_context();
  ssl::Connection stranger(other_ctx);
  REQUIRE_FAILS_WITH(stranger.set_session(*session), errc::invalid_argument);
}

TEST_CASE("Connection sends a server name and the server's callback can switch Context",
          "[connection][sni]") {
  const tls_files& files = tls_files::get();
  auto rogue_ctx = pyossl::unwrap(ssl::Context::create(ssl::TLS_METHOD));
  REQUIRE_OK(rogue_ctx.use_certificate_file(files.rogue_cert()));
  REQUIRE_OK(rogue_ctx.use_privatekey_file(files.rogue_key()));
  auto server_ctx = pyossl_test::server_context();
  std::optional<std::string> asked;
  REQUIRE_OK(server_ctx.set_tlsext_servername_callback([&](ssl::Connection& connection) {
    asked = connection.get_servername();
    if (asked == "rogue.example") pyossl::unwrap(connection.set_context(rogue_ctx));
  }));
  auto client_ctx = pyossl::unwrap(ssl::Context::create(ssl::TLS_METHOD));
  connection_pair pair(client_ctx, server_ctx);
  REQUIRE_OK(pair.client.set_tlsext_host_name("rogue.example"));
  REQUIRE(handshake(pair.client, pair.server).ok());
  CHECK(asked == "rogue.example");
  CHECK(pair.server.get_context().native_handle() == rogue_ctx.native_handle());
  CHECK(common_name(pair.client.get_peer_certificate().value()) == "localhost");
  CHECK(pair.client.get_peer_certificate()->get_subject().get("O") == "pyossl rogue");
  REQUIRE_FAILS_WITH(pair.client.set_tlsext_host_name(std::string_view("a\0b", 3)), errc::invalid_argument);
}
