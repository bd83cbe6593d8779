// ssl::Connection over a socket: handshakes over a socketpair and over loopback TCP,
// blocking and non-blocking (want_read / want_write), a vanished peer (EPIPE, never
// SIGPIPE; EOF without close_notify), and the memory-only methods refused.
#include <csignal>
#include <future>
#include <string>
#include <thread>
#include <utility>

#include <sys/socket.h>

#include "catch.hpp"
#include "checks.hpp"
#include "pyossl/ssl.hpp"
#include "tls_fixtures.hpp"

using pyossl::errc;
namespace ssl = pyossl::ssl;
namespace net = pyossl::net;

namespace {

std::pair<net::Socket, net::Socket> socket_pair() {
  int fds[2] = {-1, -1};
  REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) == 0);
  return {net::Socket(fds[0]), net::Socket(fds[1])};
}

struct socket_connections {
  ssl::Context client_ctx = pyossl_test::client_context();
  ssl::Context server_ctx = pyossl_test::server_context();
  ssl::Connection client;
  ssl::Connection server;
  explicit socket_connections(std::pair<net::Socket, net::Socket> sockets = socket_pair())
      : client(client_ctx, std::move(sockets.first)), server(server_ctx, std::move(sockets.second)) {
    client.set_connect_state();
    server.set_accept_state();
  }
};

// Both handshakes at once, the server's on another thread (blocking sockets).
void blocking_handshake(ssl::Connection& client, ssl::Connection& server) {
  auto server_side = std::async(std::launch::async, [&server] {
    auto outcome = server.do_handshake();
    ERR_clear_error();
    return outcome;
  });
  REQUIRE_OK(client.do_handshake());
  REQUIRE_OK(server_side.get());
}

// Both handshakes in one thread over non-blocking sockets.
void nonblocking_handshake(ssl::Connection& client, ssl::Connection& server) {
  pyossl::result<void> client_step = pyossl::unexpected(pyossl::error(errc::want_read, "not started"));
  pyossl::result<void> server_step = client_step;
  for (int round = 0; round < 1000 && !(client_step && server_step); ++round) {
    if (!client_step) client_step = client.do_handshake();
    if (!server_step) server_step = server.do_handshake();
    for (const auto* step : {&client_step, &server_step}) {
      if (!*step) REQUIRE((step->error() == errc::want_read || step->error() == errc::want_write));
    }
  }
  REQUIRE_OK(client_step);
  REQUIRE_OK(server_step);
}

}  // namespace

TEST_CASE("Connection handshakes and talks over a blocking socketpair", "[connection][socket]") {
  socket_connections ends;
  blocking_handshake(ends.client, ends.server);
  CHECK(ends.client.get_peer_certificate().has_value());
  REQUIRE(pyossl::unwrap(ends.client.sendall(std::string(100000, 'z'))) == 100000);
  std::string received;
  while (received.size() < 100000) received += pyossl::unwrap(ends.server.recv(1 << 16));
  CHECK(received == std::string(100000, 'z'));
  CHECK(pyossl::unwrap(ends.client.fileno()) >= 0);
}

TEST_CASE("Connection over a non-blocking socket reports want_read and want_write", "[connection][socket]") {
  socket_connections ends;
  REQUIRE_OK(ends.client.setblocking(false));
  REQUIRE_OK(ends.server.setblocking(false));
  REQUIRE_FAILS_WITH(ends.server.do_handshake(), errc::want_read);  // no hello yet
  nonblocking_handshake(ends.client, ends.server);
  REQUIRE_FAILS_WITH(ends.server.recv(10), errc::want_read);

  // Fill the socket until TLS cannot write more.
  REQUIRE_OK(ends.client.setsockopt(SOL_SOCKET, SO_SNDBUF, 4096));
  const std::string chunk(16384, 'w');
  std::size_t sent = 0;
  pyossl::result<std::size_t> last = std::size_t{0};
  for (int i = 0; i < 10000; ++i) {
    last = ends.client.send(chunk);
    if (!last) break;
    sent += *last;
  }
  REQUIRE_FAILS_WITH(last, errc::want_write);
  CHECK(ends.client.want_write());

  // Drain the server, retrying the client's pending write with the same bytes, until all
  // that was sent has arrived.
  std::size_t received = 0;
  bool pending_write = true;
  while (received < sent || pending_write) {
    auto data = ends.server.recv(1 << 16);
    if (data)
      received += data->size();
    else
      REQUIRE(data.error() == errc::want_read);
    if (pending_write) {
      auto retried = ends.client.send(chunk);
      if (retried) {
        sent += *retried;
        pending_write = false;
      } else {
        REQUIRE(retried.error() == errc::want_write);
      }
    }
  }
  CHECK(received == sent);
}

TEST_CASE("Connection to a vanished peer fails with EPIPE and never raises SIGPIPE", "[connection][socket]") {
  const auto previous = std::signal(SIGPIPE, SIG_DFL);  // SIGPIPE would kill this process
  {
    socket_connections ends;
    blocking_handshake(ends.client, ends.server);
    REQUIRE_OK(ends.server.close());
    CHECK(pyossl::unwrap(ends.server.fileno()) == -1);
    pyossl::result<std::size_t> sent = std::size_t{0};
    for (int i = 0; i < 100 && sent; ++i) sent = ends.client.send(std::string(1000, 'p'));
    REQUIRE_FAILS_WITH(sent, errc::syscall);
    CHECK((sent.error().sys_errno() == EPIPE || sent.error().sys_errno() == ECONNRESET));
    // The closed end fails too, without touching whatever reused its descriptor number.
    const auto closed = ends.server.send("x");
    REQUIRE_FAILS_WITH(closed, errc::syscall);
    CHECK(closed.error().sys_errno() == EBADF);
  }
  std::signal(SIGPIPE, previous);
}

TEST_CASE("Connection::recv after the peer's socket ends without close_notify is Unexpected EOF",
          "[connection][socket]") {
  socket_connections ends;
  blocking_handshake(ends.client, ends.server);
  REQUIRE_OK(ends.client.sock_shutdown(SHUT_WR));
  const auto eof = ends.server.recv(10);
  REQUIRE_FAILS_WITH(eof, errc::syscall);
  CHECK(eof.error().sys_errno() == -1);
  CHECK(eof.error().sys_errstr() == "Unexpected EOF");
}

TEST_CASE("Connection's close_notify over a socket is zero_return", "[connection][socket]") {
  socket_connections ends;
  blocking_handshake(ends.client, ends.server);
  CHECK_FALSE(pyossl::unwrap(ends.client.shutdown()));
  REQUIRE_FAILS_WITH(ends.server.recv(10), errc::zero_return);
  CHECK(pyossl::unwrap(ends.server.shutdown()));
}

TEST_CASE("Connection's memory-BIO methods on a socket connection are invalid_argument",
          "[connection][socket]") {
  socket_connections ends;
  REQUIRE_FAILS_WITH(ends.client.bio_read(10), errc::invalid_argument);
  REQUIRE_FAILS_WITH(ends.client.bio_write("x"), errc::invalid_argument);
  REQUIRE_FAILS_WITH(ends.client.bio_shutdown(), errc::invalid_argument);
}

TEST_CASE("Connection listens, accepts and connects over loopback TCP", "[connection][socket]") {
  const auto server_ctx = pyossl_test::server_context();
  const auto client_ctx = pyossl_test::client_context();
  ssl::Connection listener(server_ctx, pyossl::unwrap(net::Socket::tcp(AF_INET)));
  REQUIRE_OK(listener.bind({"127.0.0.1", 0}));
  REQUIRE_OK(listener.listen(4));
  const auto where = pyossl::unwrap(listener.getsockname());
  CHECK(where.port != 0);

  ssl::Connection client(client_ctx, pyossl::unwrap(net::Socket::tcp(AF_INET)));
  CHECK(pyossl::unwrap(client.connect_ex(where)) == 0);
  auto accepted = listener.accept();
  REQUIRE_OK(accepted);
  auto& [server, peer] = *accepted;
  CHECK(peer.host == "127.0.0.1");
  CHECK(server.get_context().native_handle() == server_ctx.native_handle());
  CHECK(pyossl::unwrap(client.getpeername()) == where);
  CHECK(pyossl::unwrap(client.getsockopt(SOL_SOCKET, SO_TYPE)) == SOCK_STREAM);
  REQUIRE_OK(client.setsockopt(SOL_SOCKET, SO_KEEPALIVE, 1));
  CHECK(pyossl::unwrap(client.getsockopt(SOL_SOCKET, SO_KEEPALIVE)) != 0);

  blocking_handshake(client, server);  // accept() set the accept state, connect_ex the connect state
  REQUIRE(pyossl::unwrap(server.send("over tcp")) == 8);
  CHECK(pyossl::unwrap(client.recv(100)) == "over tcp");
  REQUIRE_OK(client.close());
}
