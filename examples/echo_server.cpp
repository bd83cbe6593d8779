// echo_server: a TLS 1.3 echo server over TCP, blocking sockets, one thread per client.
// Every byte a client sends comes back to it until it closes the TLS connection.
//
//   usage: echo_server [--host 127.0.0.1] [--port 0] [--cert FILE --key FILE]
//                      [--cert-out FILE] [--port-file FILE] [--clients N] [--timeout SECONDS]
//
//   --host, --port   where to listen (port 0: the kernel picks a free one)
//   --cert, --key    PEM certificate (chain) and key; without them the server makes a
//                    self-signed certificate for localhost and 127.0.0.1 at start-up
//   --cert-out       write the certificate in use (PEM), for clients to trust
//   --port-file      write the port once listening, for scripts (the demo reads it)
//   --clients        exit after this many connections (default: serve forever)
//   --timeout        drop a client that stays silent this long (default 10)
//
// The log goes to stderr, so stdout stays free for whatever runs the server.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <future>
#include <iterator>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <sys/socket.h>
#include <sys/time.h>

#include <pyossl/crypto/certificate_io.hpp>
#include <pyossl/net.hpp>
#include <pyossl/ssl.hpp>

#include "self_signed.hpp"

namespace crypto = pyossl::crypto;
namespace net = pyossl::net;
namespace ssl = pyossl::ssl;
using pyossl::errc;
using pyossl::unwrap;

namespace {

struct options {
  std::string host = "127.0.0.1";
  int port = 0;
  std::string cert_file;
  std::string key_file;
  std::string cert_out;
  std::string port_file;
  long clients = -1;  // forever
  long timeout_seconds = 10;
};

options parse(int argc, char* argv[]) {
  options parsed;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string_view flag = argv[i];
    const char* value = argv[i + 1];
    if (flag == "--host")
      parsed.host = value;
    else if (flag == "--port")
      parsed.port = std::atoi(value);
    else if (flag == "--cert")
      parsed.cert_file = value;
    else if (flag == "--key")
      parsed.key_file = value;
    else if (flag == "--cert-out")
      parsed.cert_out = value;
    else if (flag == "--port-file")
      parsed.port_file = value;
    else if (flag == "--clients")
      parsed.clients = std::atol(value);
    else if (flag == "--timeout")
      parsed.timeout_seconds = std::atol(value);
    else
      throw std::invalid_argument("unknown option " + std::string(flag) +
                                  " (see the comment atop echo_server.cpp)");
  }
  if (argc % 2 == 0) throw std::invalid_argument("every option takes a value");
  if (parsed.cert_file.empty() != parsed.key_file.empty())
    throw std::invalid_argument("--cert and --key go together");
  return parsed;
}

// Writes `contents` to `path` all at once (a temporary file renamed into place), so a
// reader polling for the file never sees half of it.
void write_file_atomically(const std::string& path, const std::string& contents) {
  const std::string temporary = path + ".tmp";
  std::ofstream(temporary, std::ios::binary) << contents;
  std::filesystem::rename(temporary, path);
}

// The server's TLS settings: TLS 1.3 only, our certificate and key. Returns the context
// and the certificate in use (PEM), for --cert-out.
std::pair<ssl::Context, std::string> make_context(const options& settings) {
  ssl::Context context = unwrap(ssl::Context::create(ssl::TLS_SERVER_METHOD));
  unwrap(context.set_min_proto_version(TLS1_3_VERSION));
  std::string certificate_pem;
  if (!settings.cert_file.empty()) {
    unwrap(context.use_certificate_chain_file(settings.cert_file));
    unwrap(context.use_privatekey_file(settings.key_file, crypto::FILETYPE_PEM));
    std::ifstream in(settings.cert_file, std::ios::binary);
    certificate_pem.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  } else {
    // Nobody gave us a certificate: make one that names every way a local client dials us.
    const auto made = examples::make_self_signed("localhost", "DNS:localhost,IP:127.0.0.1,IP:::1");
    unwrap(context.use_certificate(made.certificate));
    unwrap(context.use_privatekey(made.key));
    certificate_pem = unwrap(crypto::dump_certificate(crypto::FILETYPE_PEM, made.certificate));
    std::fprintf(stderr, "echo_server: made a self-signed certificate for localhost, 127.0.0.1 and ::1\n");
  }
  unwrap(context.check_privatekey());  // a key that does not match fails here, not per client
  return {std::move(context), std::move(certificate_pem)};
}

// Serves one client on its own thread: handshake, echo until the client closes, close.
// A client's failure ends only that client, never the server.
void serve(ssl::Connection connection, const net::Address& peer) {
  const std::string who = net::to_string(peer);
  if (auto handshake = connection.do_handshake(); !handshake) {
    // want_read here means the client stayed silent past the timeout.
    std::fprintf(stderr, "echo_server: %s: handshake failed: %s\n", who.c_str(),
                 handshake.error().message().c_str());
    return;
  }
  std::fprintf(stderr, "echo_server: %s: %s, %s\n", who.c_str(),
               connection.get_protocol_version_name().c_str(),
               connection.get_cipher_name().value_or("?").c_str());

  std::size_t echoed = 0;
  for (;;) {
    auto data = connection.recv(16 * 1024);
    if (!data) {
      if (data.error() == errc::zero_return) break;  // the client closed TLS cleanly
      std::fprintf(stderr, "echo_server: %s: %s\n", who.c_str(), data.error().message().c_str());
      return;
    }
    if (auto sent = connection.sendall(*data); !sent) {
      std::fprintf(stderr, "echo_server: %s: %s\n", who.c_str(), sent.error().message().c_str());
      return;
    }
    echoed += data->size();
  }
  // Answer the client's close_notify with ours, so it knows the echo is complete.
  if (auto closed = connection.shutdown(); !closed) {
    std::fprintf(stderr, "echo_server: %s: shutdown: %s\n", who.c_str(), closed.error().message().c_str());
    return;
  }
  std::fprintf(stderr, "echo_server: %s: echoed %zu bytes, closed\n", who.c_str(), echoed);
}

// A limit on how long one blocking read or write may wait (SO_RCVTIMEO / SO_SNDTIMEO),
// so a client that connects and says nothing cannot hold its thread forever.
pyossl::result<void> set_timeout(ssl::Connection& connection, long seconds) {
  timeval limit{};
  limit.tv_sec = seconds;
  const auto bytes = std::as_bytes(std::span(&limit, 1));
  if (auto set = connection.setsockopt(SOL_SOCKET, SO_RCVTIMEO, bytes); !set) return set;
  return connection.setsockopt(SOL_SOCKET, SO_SNDTIMEO, bytes);
}

}  // namespace

int main(int argc, char* argv[]) try {
  const options settings = parse(argc, argv);
  const auto [context, certificate_pem] = make_context(settings);
  // The certificate in use, so a client can trust exactly it (the demo's client does).
  if (!settings.cert_out.empty()) write_file_atomically(settings.cert_out, certificate_pem);

  // The listening Connection, pyOpenSSL style: the socket methods live on the Connection.
  const int family = settings.host.find(':') != std::string::npos ? AF_INET6 : AF_INET;
  ssl::Connection listener(context, unwrap(net::Socket::tcp(family)));
  unwrap(listener.bind({settings.host, static_cast<std::uint16_t>(settings.port)}));
  unwrap(listener.listen(16));
  const net::Address bound = unwrap(listener.getsockname());  // the port, if the kernel picked it
  std::fprintf(stderr, "echo_server: listening on %s\n", net::to_string(bound).c_str());
  if (!settings.port_file.empty())
    write_file_atomically(settings.port_file, std::to_string(bound.port) + "\n");

  // One thread per client (std::async). Finished ones are reaped as we go; leaving main
  // waits for the rest (a std::future from std::async joins in its destructor).
  std::vector<std::future<void>> sessions;
  for (long connections = 0; settings.clients < 0 || connections < settings.clients; ++connections) {
    auto accepted = listener.accept();
    if (!accepted) {
      std::fprintf(stderr, "echo_server: accept: %s\n", accepted.error().message().c_str());
      continue;  // e.g. the client reset before we took it: keep serving the others
    }
    auto& [connection, peer] = *accepted;
    if (auto limited = set_timeout(connection, settings.timeout_seconds); !limited) {
      std::fprintf(stderr, "echo_server: %s\n", limited.error().message().c_str());
      continue;
    }
    std::erase_if(sessions, [](const std::future<void>& session) {
      return session.wait_for(std::chrono::seconds(0)) == std::future_status::ready;
    });
    sessions.push_back(std::async(std::launch::async, serve, std::move(connection), peer));
  }
  return 0;
} catch (const std::exception& failure) {
  std::fprintf(stderr, "echo_server: %s\n", failure.what());
  return 1;
}
