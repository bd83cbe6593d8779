// poll_echo: non-blocking TLS. A client and a server in one thread, both on non-blocking
// sockets over 127.0.0.1, driven by a single poll() loop.
//
// In non-blocking mode every I/O call may stop half-way and say what it needs:
// errc::want_read (wait until the socket is readable) or errc::want_write (until it is
// writable), then be called again. That is the whole pattern: try, and on want_* go back
// to poll() for that event. The client sends 1 MiB while the echo streams back, so both
// directions fill up and both sides really do have to wait for each other.
//
//   usage: poll_echo [bytes]   (default 1048576)
#include <poll.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <exception>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

#include <pyossl/crypto/x509_store.hpp>
#include <pyossl/net.hpp>
#include <pyossl/ssl.hpp>

#include "self_signed.hpp"

namespace crypto = pyossl::crypto;
namespace net = pyossl::net;
namespace ssl = pyossl::ssl;
using pyossl::errc;
using pyossl::unwrap;

namespace {

// The poll() event a non-blocking call is waiting for, or 0 if it failed for real (then
// it throws) or finished.
template <class T>
short waits_for(const pyossl::result<T>& outcome) {
  if (outcome) return 0;
  if (outcome.error() == errc::want_read) return POLLIN;
  if (outcome.error() == errc::want_write) return POLLOUT;
  pyossl::throw_error(outcome.error());
}

// One end of the echo. advance() does all it can without waiting and returns the poll()
// events it now needs; `finished` once its part is done.
struct endpoint {
  explicit endpoint(ssl::Connection over_socket) : connection(std::move(over_socket)) {}

  ssl::Connection connection;
  bool handshake_done = false;
  bool finished = false;

  // Runs the handshake; true once it is complete, else `events` says what it waits for.
  bool handshake(short& events) {
    if (handshake_done) return true;
    auto step = connection.do_handshake();
    events = waits_for(step);
    handshake_done = static_cast<bool>(step);
    return handshake_done;
  }

  // Closes TLS: send our close_notify, then (if the peer has not sent its own yet) wait
  // for it. shutdown() is true once both have been exchanged.
  short close() {
    for (;;) {
      auto closed = connection.shutdown();
      if (!closed) return waits_for(closed);
      if (*closed) {
        finished = true;
        return 0;
      }
    }
  }
};

// The client: sends `message`, collects the echo, closes once all of it is back.
struct client_side : endpoint {
  client_side(ssl::Connection over_socket, std::string to_send)
      : endpoint(std::move(over_socket)), message(std::move(to_send)) {}

  std::string message;
  std::size_t sent = 0;
  std::string echoed;

  short advance() {
    short events = 0;
    if (finished || !handshake(events)) return events;
    // Send and receive in the same turn: the server echoes while we are still sending, and
    // if we only sent, both sides' buffers would fill and neither could move.
    while (sent < message.size()) {
      // A retried send must pass the same bytes again: a view into `message` does.
      auto wrote = connection.send(std::string_view(message).substr(sent, 16 * 1024));
      if (!wrote) {
        events |= waits_for(wrote);
        break;
      }
      sent += *wrote;
    }
    while (echoed.size() < message.size()) {
      auto got = connection.recv(64 * 1024);
      if (!got) return events | waits_for(got);
      echoed += *got;
    }
    return close();
  }
};

// The server: echoes everything it receives until the client closes, then closes too.
struct server_side : endpoint {
  using endpoint::endpoint;

  std::deque<std::string> outbox;  // chunks to echo; a deque never moves a chunk we are retrying
  std::size_t front_sent = 0;
  bool peer_closed = false;

  short advance() {
    short events = 0;
    if (finished || !handshake(events)) return events;
    while (!peer_closed) {
      auto got = connection.recv(64 * 1024);
      if (!got && got.error() == errc::zero_return) {
        peer_closed = true;  // the client's close_notify: it has everything it wants
      } else if (!got) {
        events |= waits_for(got);
        break;
      } else {
        outbox.push_back(std::move(*got));
      }
    }
    while (!outbox.empty()) {
      auto wrote = connection.send(std::string_view(outbox.front()).substr(front_sent));
      if (!wrote) return events | waits_for(wrote);
      front_sent += *wrote;
      if (front_sent == outbox.front().size()) {
        outbox.pop_front();
        front_sent = 0;
      }
    }
    return peer_closed ? close() : events;
  }
};

}  // namespace

int main(int argc, char* argv[]) try {
  const std::size_t size = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : std::size_t{1} << 20;

  const examples::identity identity = examples::make_self_signed("localhost", "IP:127.0.0.1");
  ssl::Context server_context = unwrap(ssl::Context::create(ssl::TLS_SERVER_METHOD));
  unwrap(server_context.use_certificate(identity.certificate));
  unwrap(server_context.use_privatekey(identity.key));
  ssl::Context client_context = unwrap(ssl::Context::create(ssl::TLS_CLIENT_METHOD));
  unwrap(client_context.get_cert_store().add_cert(identity.certificate));
  unwrap(client_context.set_verify(ssl::VERIFY_PEER));

  // The listener: a plain socket is enough, TLS starts on the accepted connection.
  net::Socket listener = unwrap(net::Socket::tcp());
  unwrap(listener.bind({"127.0.0.1", 0}));
  unwrap(listener.listen(1));
  unwrap(listener.setblocking(false));
  const net::Address address = unwrap(listener.getsockname());

  // The client connects without waiting: EINPROGRESS means "poll for writable, then ask
  // SO_ERROR how it went".
  std::string message(size, '\0');
  for (std::size_t i = 0; i < size; ++i) message[i] = static_cast<char>('a' + i % 26);
  client_side client(ssl::Connection(client_context, unwrap(net::Socket::tcp())), std::move(message));
  const int client_fd = unwrap(client.connection.fileno());
  unwrap(client.connection.setblocking(false));
  if (const int started = unwrap(client.connection.connect_ex(address));
      started != 0 && started != EINPROGRESS) {
    throw std::runtime_error("connect: " + std::string(std::strerror(started)));
  }

  std::optional<server_side> server;
  int server_fd = -1;
  short client_events = POLLOUT;  // first: wait for the connect to finish
  bool connected = false;
  short server_events = 0;
  while (!client.finished || !server || !server->finished) {
    // Until a client arrives the second slot watches the listener; then the server end.
    std::array<pollfd, 2> watch{
        {{client_fd, client_events, 0},
         {server ? server_fd : listener.fileno(), server ? server_events : short{POLLIN}, 0}}};
    const int ready = ::poll(watch.data(), watch.size(), 5000);
    if (ready < 0 && errno != EINTR) throw std::runtime_error("poll failed");
    if (ready == 0) throw std::runtime_error("stalled: nothing happened for 5 seconds");

    if (!server && (watch[1].revents & POLLIN) != 0) {
      auto [socket, peer] = unwrap(listener.accept());
      std::printf("server: accepted %s\n", net::to_string(peer).c_str());
      server.emplace(ssl::Connection(server_context, std::move(socket)));
      server_fd = unwrap(server->connection.fileno());
      unwrap(server->connection.setblocking(false));
      server->connection.set_accept_state();
      server_events = server->advance();
    } else if (server && watch[1].revents != 0) {
      server_events = server->advance();
    }
    if (watch[0].revents != 0) {
      if (!connected) {
        if (const int error = unwrap(client.connection.getsockopt(SOL_SOCKET, SO_ERROR)); error != 0) {
          throw std::runtime_error("connect: " + std::string(std::strerror(error)));
        }
        connected = true;  // connect_ex already made this the client end (set_connect_state)
      }
      client_events = client.advance();
    }
  }

  std::printf("%s, %s\n", client.connection.get_protocol_version_name().c_str(),
              client.connection.get_cipher_name().value_or("?").c_str());
  std::printf("client: sent %zu bytes, %zu came back\n", client.sent, client.echoed.size());
  if (client.echoed != client.message) {
    std::fprintf(stderr, "poll_echo: the echo does not match\n");
    return 1;
  }
  std::printf("echo matches, both sides closed cleanly\n");
  return 0;
} catch (const std::exception& failure) {
  std::fprintf(stderr, "poll_echo: %s\n", failure.what());
  return 1;
}
