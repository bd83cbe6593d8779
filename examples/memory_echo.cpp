// memory_echo: a TLS client and server in one process, joined by memory BIOs instead of a
// network. Neither connection touches a socket: each writes its TLS records into its
// memory BIO, and this program carries them to the other side (bio_read -> bio_write).
// That is how TLS runs over any transport you already have: an event loop, a message
// queue, a test harness.
//
//   usage: memory_echo [message]
#include <cstdio>
#include <exception>
#include <stdexcept>
#include <string>
#include <utility>

#include <pyossl/crypto/x509_store.hpp>
#include <pyossl/ssl.hpp>

#include "self_signed.hpp"

namespace ssl = pyossl::ssl;
using pyossl::errc;
using pyossl::unwrap;

namespace {

// One hop of the "wire": everything `from` has written to its network side goes to `to`.
void carry(ssl::Connection& from, ssl::Connection& to) {
  for (;;) {
    auto records = from.bio_read(16 * 1024);
    if (!records && records.error() == errc::want_read) return;  // nothing more to carry
    const std::string bytes = unwrap(std::move(records));
    // A memory BIO takes everything; anything less would lose TLS records.
    if (unwrap(to.bio_write(bytes)) != bytes.size()) throw std::runtime_error("bio_write took less than all");
  }
}

// Runs both handshakes until both are done. Each side wants to read until the other has
// answered, so it takes a few round trips; a handful is plenty for TLS 1.3.
void handshake(ssl::Connection& client, ssl::Connection& server) {
  bool client_done = false;
  bool server_done = false;
  for (int round = 0; round < 8 && !(client_done && server_done); ++round) {
    for (auto [connection, done] : {std::pair{&client, &client_done}, std::pair{&server, &server_done}}) {
      if (*done) continue;
      auto step = connection->do_handshake();
      if (step) {
        *done = true;
      } else if (step.error() != errc::want_read) {
        unwrap(std::move(step));  // a real failure: throw it
      }
    }
    carry(client, server);
    carry(server, client);
  }
  if (!client_done || !server_done) throw std::runtime_error("the handshake did not finish");
}

// Reads one message that `from` sent to `to`, after carrying it across.
std::string deliver(ssl::Connection& from, ssl::Connection& to) {
  carry(from, to);
  return unwrap(to.recv(16 * 1024));
}

}  // namespace

int main(int argc, char* argv[]) try {
  const std::string message = argc > 1 ? argv[1] : "hello through memory BIOs";

  // The server's identity: made here, and the client trusts exactly this certificate.
  const examples::identity server_identity = examples::make_self_signed("localhost", "DNS:localhost");

  ssl::Context server_context = unwrap(ssl::Context::create(ssl::TLS_SERVER_METHOD));
  unwrap(server_context.use_certificate(server_identity.certificate));
  unwrap(server_context.use_privatekey(server_identity.key));
  unwrap(server_context.check_privatekey());

  ssl::Context client_context = unwrap(ssl::Context::create(ssl::TLS_CLIENT_METHOD));
  unwrap(client_context.set_min_proto_version(TLS1_3_VERSION));
  unwrap(client_context.get_cert_store().add_cert(server_identity.certificate));
  unwrap(client_context.set_verify(ssl::VERIFY_PEER));  // no callback: OpenSSL's verdict decides

  // Connection(context) without a socket: a memory-BIO connection.
  ssl::Connection client(client_context);
  ssl::Connection server(server_context);
  client.set_connect_state();
  server.set_accept_state();
  handshake(client, server);
  std::printf("handshake: %s, cipher %s\n", client.get_protocol_version_name().c_str(),
              client.get_cipher_name().value_or("(none)").c_str());

  // The echo: client -> server -> client.
  unwrap(client.sendall(message));
  const std::string received = deliver(client, server);
  unwrap(server.sendall(received));
  const std::string echoed = deliver(server, client);
  std::printf("sent:     %s\nreceived: %s\n", message.c_str(), echoed.c_str());

  // A clean close. The client sends close_notify; its shutdown() is false until the
  // server's close_notify comes back. The server reads zero_return (the client's
  // close_notify) and answers with its own, which completes the client's second shutdown().
  bool client_closed = unwrap(client.shutdown());
  carry(client, server);
  if (auto after_close = server.recv(1); after_close || after_close.error() != errc::zero_return) {
    throw std::runtime_error("the server expected the client's close_notify");
  }
  if (!unwrap(server.shutdown())) throw std::runtime_error("the server's shutdown did not complete");
  carry(server, client);
  if (!client_closed) client_closed = unwrap(client.shutdown());
  if (!client_closed) throw std::runtime_error("the client did not see the server's close_notify");
  std::printf("closed cleanly\n");

  if (echoed != message) {
    std::fprintf(stderr, "memory_echo: the echo does not match\n");
    return 1;
  }
  return 0;
} catch (const std::exception& failure) {
  // unwrap throws pyossl's exceptions (ssl::Error, crypto::Error, ...): one line says why.
  std::fprintf(stderr, "memory_echo: %s\n", failure.what());
  return 1;
}
