// async_echo_client: opens one or many TLS connections to an echo server at once, on one
// thread (Asio and C++20 coroutines over pyossl::asio::stream), checks the server's
// certificate and host name, sends a message on each, and exits non-zero unless every
// echo matches.
//
//   usage: async_echo_client [--host 127.0.0.1] (--port N | --port-file FILE)
//                            [--cafile FILE] [--connections N] [message]
//
//   --port-file    read the port from FILE, waiting up to 10 s for it to appear
//   --cafile       trust these certificates (PEM); default: the system's trusted CAs
//   --connections  how many connections to run at once (default 1)
#include <atomic>
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

#include <asio.hpp>

#include <openssl/ssl.h>

#include <pyossl/asio.hpp>
#include <pyossl/ssl.hpp>

#include "echo_setup.hpp"

namespace ssl = pyossl::ssl;
using pyossl::unwrap;
using pyossl::asio::handshake_type;
using tcp = asio::ip::tcp;
using tls_stream = pyossl::asio::stream<tcp::socket>;
using asio::use_awaitable;

namespace {

struct options {
  std::string host = "127.0.0.1";
  std::string port;
  std::string port_file;
  std::string cafile;
  int connections = 1;
  std::string message = "Hello, async TLS!";
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
      parsed.port = value;
    else if (flag == "--port-file")
      parsed.port_file = value;
    else if (flag == "--cafile")
      parsed.cafile = value;
    else if (flag == "--connections")
      parsed.connections = std::atoi(value);
    else
      throw std::invalid_argument("unknown option " + std::string(flag) +
                                  " (see the comment atop async_echo_client.cpp)");
  }
  if (i < argc) parsed.message = argv[i];
  if (parsed.port.empty() && parsed.port_file.empty())
    throw std::invalid_argument("give --port or --port-file");
  return parsed;
}

// One connection: connect, handshake (the chain and the host name checked), send, read
// the echo, close TLS. Returns whether the echo matched; throws on any failure.
asio::awaitable<bool> echo(const ssl::Context& context, const options& settings,
                           tcp::resolver::results_type endpoints, int number) {
  tls_stream stream(context, co_await asio::this_coro::executor);
  // Before the handshake: the host name to verify (the certificate's subjectAltName must
  // name it) and, for a name, SNI.
  unwrap(stream.connection().set_verify_hostname(settings.host));
  asio::error_code not_an_address;
  asio::ip::make_address(settings.host, not_an_address);
  if (not_an_address) unwrap(stream.connection().set_tlsext_host_name(settings.host));

  co_await asio::async_connect(stream.next_layer(), endpoints, use_awaitable);
  co_await stream.async_handshake(handshake_type::client, use_awaitable);
  if (number == 0) {
    const auto peer = stream.connection().get_peer_certificate();
    std::printf("connected to %s:%s\nprotocol: %s\ncipher:   %s\nserver:   %s (verified)\n",
                settings.host.c_str(), std::to_string(stream.next_layer().remote_endpoint().port()).c_str(),
                stream.connection().get_protocol_version_name().c_str(),
                stream.connection().get_cipher_name().value_or("?").c_str(),
                peer ? peer->get_subject().get("CN").value_or("(no common name)").c_str() : "(none)");
  }

  const std::string message = settings.message + " #" + std::to_string(number);
  std::string echoed(message.size(), '\0');
  co_await asio::async_write(stream, asio::buffer(message), use_awaitable);
  co_await asio::async_read(stream, asio::buffer(echoed), use_awaitable);  // exactly that many bytes
  // close_notify both ways: the server learns we got everything.
  co_await stream.async_shutdown(use_awaitable);
  if (number == 0) std::printf("sent:     %s\nreceived: %s\n", message.c_str(), echoed.c_str());
  co_return echoed == message;
}

}  // namespace

int main(int argc, char* argv[]) try {
  options settings = parse(argc, argv);
  if (!settings.port_file.empty()) settings.port = examples::read_port_file(settings.port_file);

  ssl::Context context = unwrap(ssl::Context::create(ssl::TLS_CLIENT_METHOD));
  unwrap(context.set_min_proto_version(TLS1_3_VERSION));
  if (settings.cafile.empty()) {
    unwrap(context.set_default_verify_paths());
  } else {
    unwrap(context.load_verify_locations(settings.cafile));
  }
  unwrap(context.set_verify(ssl::VERIFY_PEER));  // the handshake fails unless the chain is trusted

  asio::io_context io(1);
  const auto endpoints = tcp::resolver(io).resolve(settings.host, settings.port);
  std::atomic<int> matched{0};
  std::atomic<int> failed{0};
  for (int i = 0; i < settings.connections; ++i) {
    asio::co_spawn(io, echo(context, settings, endpoints, i), [&, i](std::exception_ptr failure, bool same) {
      if (failure) {
        try {
          std::rethrow_exception(failure);
        } catch (const std::exception& e) {
          std::fprintf(stderr, "async_echo_client: connection %d: %s\n", i, e.what());
        }
        ++failed;
      } else if (same) {
        ++matched;
      } else {
        std::fprintf(stderr, "async_echo_client: connection %d: the echo does not match\n", i);
        ++failed;
      }
    });
  }
  io.run();
  if (failed != 0 || matched != settings.connections) {
    std::fprintf(stderr, "async_echo_client: %d of %d echoes matched\n", matched.load(),
                 settings.connections);
    return 1;
  }
  std::printf("%d echo%s matched\n", matched.load(), matched == 1 ? "" : "es");
  return 0;
} catch (const std::exception& failure) {
  std::fprintf(stderr, "async_echo_client: %s\n", failure.what());
  return 1;
}
