// echo_client: connects to an echo server over TLS 1.3, checks its certificate and host
// name, sends a message, reads the echo back and exits non-zero unless it matches.
//
//   usage: echo_client [--host 127.0.0.1] (--port N | --port-file FILE) [--cafile FILE]
//                      [--cert FILE --key FILE] [message]
//
//   --port-file   read the port from FILE, waiting up to 10 s for it to appear (the demo
//                 starts server and client together)
//   --cafile      trust these certificates (PEM) too, besides the system's trusted CAs
//   --cert/--key  present a client certificate if the server asks for one
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <pyossl/crypto/x509.hpp>
#include <pyossl/net.hpp>
#include <pyossl/ssl.hpp>

#include "echo_setup.hpp"

namespace crypto = pyossl::crypto;
namespace net = pyossl::net;
namespace ssl = pyossl::ssl;
using pyossl::errc;
using pyossl::unwrap;

namespace {

struct options {
  std::string host = "127.0.0.1";
  int port = 0;
  std::string port_file;
  std::string cafile;
  std::string cert_file;
  std::string key_file;
  std::string message = "Hello, TLS!";
};

options parse(int argc, char* argv[]) {
  options parsed;
  int i = 1;
  for (; i + 1 < argc && std::string_view(argv[i]).starts_with("--"); i += 2) {
    const std::string_view flag = argv[i];
    const char* value = argv[i + 1];
    if (flag == "--host")
      parsed.host = value;
    else if (flag == "--port")
      parsed.port = std::atoi(value);
    else if (flag == "--port-file")
      parsed.port_file = value;
    else if (flag == "--cafile")
      parsed.cafile = value;
    else if (flag == "--cert")
      parsed.cert_file = value;
    else if (flag == "--key")
      parsed.key_file = value;
    else
      throw std::invalid_argument("unknown option " + std::string(flag) +
                                  " (see the comment atop echo_client.cpp)");
  }
  if (i < argc) parsed.message = argv[i];
  if (parsed.port == 0 && parsed.port_file.empty()) throw std::invalid_argument("give --port or --port-file");
  return parsed;
}

// Reads exactly `size` bytes: TLS delivers records, not our message boundaries.
pyossl::result<std::string> recv_exactly(ssl::Connection& connection, std::size_t size) {
  std::string data;
  while (data.size() < size) {
    auto piece = connection.recv(size - data.size());
    if (!piece) return piece;
    data += *piece;
  }
  return data;
}

}  // namespace

int main(int argc, char* argv[]) try {
  options settings = parse(argc, argv);
  if (!settings.port_file.empty()) settings.port = std::stoi(examples::read_port_file(settings.port_file));
  const net::Address server{settings.host, static_cast<std::uint16_t>(settings.port)};

  // The secure client in one call: the system's trusted CAs, VERIFY_PEER, TLS 1.2 at least,
  // and host-name checking (a trusted chain is not enough: it must be issued to the host
  // we dial).
  ssl::Context context = unwrap(ssl::create_default_context());
  unwrap(context.set_min_proto_version(TLS1_3_VERSION));
  if (!settings.cafile.empty()) unwrap(context.load_verify_locations(settings.cafile));
  if (!settings.cert_file.empty()) {
    unwrap(context.use_certificate_chain_file(settings.cert_file));
    unwrap(context.use_privatekey_file(settings.key_file, crypto::FILETYPE_PEM));
  }

  const int family = settings.host.find(':') != std::string::npos ? AF_INET6 : AF_INET;
  ssl::Connection connection(context, unwrap(net::Socket::tcp(family)));
  // The host we expect: sent as SNI for a name, and checked against the certificate's
  // subjectAltNames (DNS names, or IP addresses for an address, which is never sent).
  unwrap(connection.set_tlsext_host_name(settings.host));

  // Send each small write at once, not after the server's delayed ACK (Nagle's algorithm).
  unwrap(connection.setsockopt(IPPROTO_TCP, TCP_NODELAY, 1));
  unwrap(connection.connect(server));
  unwrap(connection.do_handshake());
  const auto peer = connection.get_peer_certificate();
  std::printf("connected to %s\n", net::to_string(server).c_str());
  std::printf("protocol: %s\ncipher:   %s\n", connection.get_protocol_version_name().c_str(),
              connection.get_cipher_name().value_or("?").c_str());
  std::printf("server:   %s (verified)\n",
              peer ? peer->get_subject().get("CN").value_or("(no common name)").c_str() : "(no certificate)");

  unwrap(connection.sendall(settings.message));
  const std::string echoed = unwrap(recv_exactly(connection, settings.message.size()));
  std::printf("sent:     %s\nreceived: %s\n", settings.message.c_str(), echoed.c_str());

  // Close TLS properly: send close_notify, then wait for the server's, which proves it got
  // everything (a bare close would look like a truncation attack to the peer).
  if (!unwrap(connection.shutdown())) {
    auto rest = connection.recv(1);
    if (rest || rest.error() != errc::zero_return)
      throw std::runtime_error("expected the server's close_notify");
  }

  if (echoed != settings.message) {
    std::fprintf(stderr, "echo_client: the echo does not match\n");
    return 1;
  }
  std::printf("echo matches\n");
  return 0;
} catch (const std::exception& failure) {
  std::fprintf(stderr, "echo_client: %s\n", failure.what());
  return 1;
}
