// A tiny TLS client and server in one process, with pyossl: load a certificate and key,
// handshake over memory BIOs, send one line each way. bench/size/binary_size.sh compares
// its stripped size with tiny_tls.c, the same program in C.
#include <cstdio>
#include <string>

#include <pyossl/crypto/certificate_io.hpp>
#include <pyossl/crypto/key_io.hpp>
#include <pyossl/ssl/connection.hpp>
#include <pyossl/ssl/context.hpp>

namespace ssl = pyossl::ssl;
using pyossl::errc;

// Moves what `from` wrote for its peer into `to`.
static bool carry(ssl::Connection& from, ssl::Connection& to) {
  for (;;) {
    auto wire = from.bio_read(16384);
    if (!wire) return wire.error() == errc::want_read;
    if (!to.bio_write(*wire)) return false;
  }
}

static bool progress(ssl::Connection& connection, bool& done) {
  if (done) return true;
  auto step = connection.do_handshake();
  done = step.has_value();
  return done || step.error() == errc::want_read;
}

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: tiny_tls cert.pem key.pem\n");
    return 2;
  }
  auto server_ctx = ssl::Context::create(ssl::TLS_SERVER_METHOD);
  auto client_ctx = ssl::Context::create(ssl::TLS_CLIENT_METHOD);
  if (!server_ctx || !client_ctx) return 1;
  if (!server_ctx->use_certificate_file(argv[1]) || !server_ctx->use_privatekey_file(argv[2])) {
    std::fprintf(stderr, "cannot load the certificate or key\n");
    return 1;
  }
  ssl::Connection server(*server_ctx);
  ssl::Connection client(*client_ctx);
  server.set_accept_state();
  client.set_connect_state();
  bool client_done = false;
  bool server_done = false;
  for (int round = 0; round < 10 && !(client_done && server_done); ++round) {
    if (!progress(client, client_done) || !carry(client, server) || !progress(server, server_done) ||
        !carry(server, client)) {
      std::fprintf(stderr, "handshake failed\n");
      return 1;
    }
  }
  if (!client.send("hello from the client\n") || !carry(client, server)) return 1;
  auto line = server.recv(1024);
  if (!line) {
    std::fprintf(stderr, "%s\n", line.error().message().c_str());
    return 1;
  }
  std::fputs(line->c_str(), stdout);
  if (!server.send("hello from the server\n") || !carry(server, client)) return 1;
  auto reply = client.recv(1024);
  if (!reply) return 1;
  std::fputs(reply->c_str(), stdout);
  return 0;
}
