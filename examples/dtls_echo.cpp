// dtls_echo: datagram TLS over UDP on 127.0.0.1. A DTLS server and client in one thread,
// on non-blocking UDP sockets, driven by one poll() loop.
//
// What DTLS adds to the poll_echo pattern:
// - Datagrams get lost. Each side keeps a retransmission timer: wait in poll() no longer
//   than DTLSv1_get_timeout() says, and when it runs out call DTLSv1_handle_timeout(),
//   which resends the last flight. This program throws the client's first ClientHello
//   away on purpose, so you can watch the resend happen.
// - A server should not keep state for a client whose address may be forged. It answers
//   the first ClientHello with a cookie (set_cookie_generate_callback) and commits to the
//   client only when DTLSv1_listen sees that cookie come back
//   (set_cookie_verify_callback). The cookie is HMAC-SHA256(secret, client address)
//   (RFC 6347 4.2.1): only a client that receives datagrams at its address can return
//   it, and the server remembers nothing but the secret. getpeername() names the client
//   inside the callbacks.
// - Once DTLSv1_listen succeeds, the server's socket is connected to that client: it
//   hears no one else. A server for many clients binds a new socket to the same port
//   (SO_REUSEPORT) for the next one.
//
//   usage: dtls_echo [message]
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <exception>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include <pyossl/net.hpp>
#include <pyossl/rand.hpp>
#include <pyossl/ssl.hpp>

#include "self_signed.hpp"

namespace net = pyossl::net;
namespace ssl = pyossl::ssl;
using pyossl::errc;
using pyossl::unwrap;
using namespace std::chrono_literals;

namespace {

// True if the call finished; false if it waits for a datagram; throws on a real failure.
template <class T>
bool done(const pyossl::result<T>& outcome) {
  if (outcome) return true;
  if (outcome.error() == errc::want_read) return false;
  pyossl::throw_error(outcome.error());
}

// HMAC-SHA256(secret, the client's address): the cookie for the client `connection` is
// hearing from. Raw OpenSSL (EVP_Q_mac): pyossl has no MAC API.
std::string cookie_for(ssl::Connection& connection, const std::string& secret) {
  const std::string peer = net::to_string(unwrap(connection.getpeername()));
  unsigned char mac[EVP_MAX_MD_SIZE];
  std::size_t length = 0;
  if (EVP_Q_mac(nullptr, "HMAC", nullptr, "SHA256", nullptr, secret.data(), secret.size(),
                reinterpret_cast<const unsigned char*>(peer.data()), peer.size(), mac, sizeof(mac),
                &length) == nullptr) {
    throw std::runtime_error("HMAC-SHA256 failed");
  }
  return std::string(reinterpret_cast<const char*>(mac), length);
}

// The poll() timeout: the sooner of the two retransmission timers, at most 100 ms.
int poll_timeout(const ssl::Connection& a, const ssl::Connection& b) {
  auto wait = std::chrono::microseconds(100ms);
  for (const ssl::Connection* side : {&a, &b}) {
    if (auto timer = side->DTLSv1_get_timeout()) wait = std::min(wait, *timer);
  }
  return static_cast<int>(std::chrono::ceil<std::chrono::milliseconds>(wait).count());
}

int run(std::string_view message) {
  const auto identity = examples::make_self_signed("localhost", "DNS:localhost,IP:127.0.0.1");
  const std::string secret = unwrap(pyossl::rand::bytes(16));

  ssl::Context server_context = unwrap(ssl::Context::create(ssl::DTLS_SERVER_METHOD));
  unwrap(server_context.use_certificate(identity.certificate));
  unwrap(server_context.use_privatekey(identity.key));
  unwrap(server_context.set_cookie_generate_callback(
      [&](ssl::Connection& connection) { return cookie_for(connection, secret); }));
  unwrap(server_context.set_cookie_verify_callback([&](ssl::Connection& connection, std::string_view cookie) {
    const std::string expected = cookie_for(connection, secret);
    return cookie.size() == expected.size() &&
           CRYPTO_memcmp(cookie.data(), expected.data(), cookie.size()) == 0;
  }));

  ssl::Context client_context = unwrap(ssl::Context::create(ssl::DTLS_CLIENT_METHOD));
  unwrap(client_context.get_cert_store().add_cert(identity.certificate));  // trust exactly it
  unwrap(client_context.set_verify(ssl::VERIFY_PEER));

  // The server: a UDP socket bound to a port the kernel picks; DTLSv1_listen connects it to
  // the client whose cookie comes back.
  net::Socket server_socket = unwrap(net::Socket::udp());
  unwrap(server_socket.bind({"127.0.0.1", 0}));
  const net::Address server_address = unwrap(server_socket.getsockname());
  unwrap(server_socket.setblocking(false));
  const int server_fd = server_socket.fileno();
  ssl::Connection server(server_context, std::move(server_socket));
  server.set_accept_state();
  std::printf("server: listening on UDP 127.0.0.1:%u\n", server_address.port);

  // The client: a UDP socket connected to the server.
  ssl::Connection client(client_context, unwrap(net::Socket::udp()));
  unwrap(client.connect(server_address));
  unwrap(client.setblocking(false));

  // Lose the first ClientHello, as a network might.
  (void)client.do_handshake();
  ::pollfd first{server_fd, POLLIN, 0};
  if (::poll(&first, 1, 1000) == 1) {
    char discarded[2048];
    (void)::recv(server_fd, discarded, sizeof(discarded), 0);
    std::printf("network: lost the client's first ClientHello\n");
  }

  bool listened = false, server_ready = false, client_ready = false, sent = false;
  std::string echoed, received;
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (echoed.size() < message.size()) {
    if (std::chrono::steady_clock::now() > deadline) {
      std::fprintf(stderr, "dtls_echo: gave up after 10 s\n");
      return 1;
    }
    if (!listened && done(server.DTLSv1_listen())) {
      listened = true;
      std::printf("server: %s returned our cookie; keeping state for it now\n",
                  net::to_string(unwrap(server.getpeername())).c_str());
    }
    if (listened && !server_ready) server_ready = done(server.do_handshake());
    if (!client_ready && done(client.do_handshake())) {
      client_ready = true;
      std::printf("client: %s, %s\n", client.get_protocol_version_name().c_str(),
                  client.get_cipher_name().value_or("?").c_str());
    }
    if (client_ready && !sent) sent = done(client.send(message));
    if (server_ready) {
      auto data = server.recv(2048);
      if (done(data)) {
        received += *data;
        unwrap(server.send(*data));  // one datagram back per datagram in
      }
    }
    if (client_ready) {
      auto data = client.recv(2048);
      if (done(data)) echoed += *data;
    }

    ::pollfd watch[2] = {{server_fd, POLLIN, 0}, {unwrap(client.fileno()), POLLIN, 0}};
    if (::poll(watch, 2, poll_timeout(client, server)) == 0) {
      // A timer ran out with nothing heard: resend the last flight.
      if (unwrap(client.DTLSv1_handle_timeout())) std::printf("client: timer expired, resent its flight\n");
      if (unwrap(server.DTLSv1_handle_timeout())) std::printf("server: timer expired, resent its flight\n");
    }
  }

  std::printf("sent:     %.*s\nreceived: %s\n", static_cast<int>(message.size()), message.data(),
              echoed.c_str());
  (void)client.shutdown();
  if (echoed != message) {
    std::fprintf(stderr, "dtls_echo: the echo does not match\n");
    return 1;
  }
  std::printf("echo matches\n");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc > 1 ? argv[1] : "Hello from pyossl over DTLS!");
  } catch (const std::exception& failure) {
    std::fprintf(stderr, "dtls_echo: %s\n", failure.what());
    return 1;
  }
}
