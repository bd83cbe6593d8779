// async_echo_server: a TLS 1.3 echo server on one thread, for as many clients as connect:
// Asio's io_context and C++20 coroutines over pyossl::asio::stream. Each client has a
// handshake deadline, so a client that connects and stays silent costs one timer, not a
// thread.
//
//   usage: async_echo_server [--host 127.0.0.1] [--port 0] [--cert FILE --key FILE]
//                            [--cert-out FILE] [--port-file FILE] [--clients N]
//                            [--handshake-timeout SECONDS]
//
//   --cert/--key         the server's certificate chain and key (PEM); without them a
//                        self-signed certificate for localhost is made at start-up
//   --cert-out           write the certificate in use (PEM), for clients to trust
//   --port-file          write the port once listening (the demo reads it)
//   --clients            exit once this many clients have been served (default: forever)
//   --handshake-timeout  seconds a client has to finish its handshake (default 10)
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

#include <asio.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/experimental/awaitable_operators.hpp>

#include <openssl/ssl.h>

#include <pyossl/asio.hpp>
#include <pyossl/crypto.hpp>
#include <pyossl/ssl.hpp>

#include "echo_setup.hpp"

namespace crypto = pyossl::crypto;
namespace ssl = pyossl::ssl;
using pyossl::unwrap;
using pyossl::asio::handshake_type;
using tcp = asio::ip::tcp;
using tls_stream = pyossl::asio::stream<tcp::socket>;
using asio::use_awaitable;
using asio::experimental::as_tuple;
using namespace asio::experimental::awaitable_operators;

namespace {

struct options {
  std::string host = "127.0.0.1";
  unsigned short port = 0;
  std::string cert_file;
  std::string key_file;
  std::string cert_out;
  std::string port_file;
  long clients = -1;  // forever
  long handshake_timeout = 10;
};

options parse(int argc, char* argv[]) {
  options parsed;
  for (int i = 1; i < argc; i += 2) {
    const std::string_view flag = argv[i];
    if (i + 1 >= argc) throw std::invalid_argument("missing value after " + std::string(flag));
    const char* value = argv[i + 1];
    if (flag == "--host")
      parsed.host = value;
    else if (flag == "--port")
      parsed.port = static_cast<unsigned short>(std::atoi(value));
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
    else if (flag == "--handshake-timeout")
      parsed.handshake_timeout = std::atol(value);
    else
      throw std::invalid_argument("unknown option " + std::string(flag) +
                                  " (see the comment atop async_echo_server.cpp)");
  }
  return parsed;
}

// One client: the handshake races a deadline, then echo until the client's close_notify,
// then close TLS. Failures end this client only; they are reported, never thrown.
asio::awaitable<void> serve(tls_stream stream, std::chrono::seconds handshake_timeout) {
  const std::string who = stream.next_layer().remote_endpoint().address().to_string() + ":" +
                          std::to_string(stream.next_layer().remote_endpoint().port());
  asio::steady_timer deadline(co_await asio::this_coro::executor, handshake_timeout);
  // Whichever finishes first cancels the other: a silent client's handshake is aborted.
  auto first = co_await (stream.async_handshake(handshake_type::server, as_tuple(use_awaitable)) ||
                         deadline.async_wait(as_tuple(use_awaitable)));
  if (first.index() == 1) {
    std::fprintf(stderr, "async_echo_server: %s: no handshake within %lld s, dropped\n", who.c_str(),
                 static_cast<long long>(handshake_timeout.count()));
    co_return;
  }
  if (auto [code] = std::get<0>(first); code) {
    // last_error() holds the whole pyossl::error: OpenSSL's reasons, a verify verdict.
    std::fprintf(stderr, "async_echo_server: %s: handshake failed: %s\n", who.c_str(),
                 stream.last_error() ? stream.last_error()->message().c_str() : code.message().c_str());
    co_return;
  }
  std::fprintf(stderr, "async_echo_server: %s: %s, %s\n", who.c_str(),
               stream.connection().get_protocol_version_name().c_str(),
               stream.connection().get_cipher_name().value_or("?").c_str());

  std::size_t echoed = 0;
  char buffer[16384];
  for (;;) {
    auto [code, count] = co_await stream.async_read_some(asio::buffer(buffer), as_tuple(use_awaitable));
    if (code == asio::error::eof) break;  // the client's close_notify: a clean end
    if (code) {
      std::fprintf(stderr, "async_echo_server: %s: %s\n", who.c_str(), code.message().c_str());
      co_return;
    }
    auto [write_code, written] =
        co_await asio::async_write(stream, asio::buffer(buffer, count), as_tuple(use_awaitable));
    if (write_code) co_return;
    echoed += written;
  }
  auto [closed] = co_await stream.async_shutdown(as_tuple(use_awaitable));
  std::fprintf(stderr, "async_echo_server: %s: echoed %zu bytes, %s\n", who.c_str(), echoed,
               closed ? "closed without the client's close_notify" : "closed");
}

// Accepts clients, one coroutine each, all on this thread; stops after `clients` (if >= 0).
asio::awaitable<void> listen(tcp::acceptor& acceptor, const ssl::Context& context, long clients,
                             std::chrono::seconds handshake_timeout) {
  const auto executor = co_await asio::this_coro::executor;
  for (long served = 0; clients < 0 || served < clients; ++served) {
    tcp::socket socket = co_await acceptor.async_accept(use_awaitable);
    asio::co_spawn(executor, serve(tls_stream(context, std::move(socket)), handshake_timeout),
                   asio::detached);
  }
}

}  // namespace

int main(int argc, char* argv[]) try {
  const options settings = parse(argc, argv);
  const auto [context, certificate_pem] =
      examples::echo_server_context(settings.cert_file, settings.key_file, "async_echo_server");
  if (!settings.cert_out.empty()) examples::write_file_atomically(settings.cert_out, certificate_pem);

  asio::io_context io(1);  // one thread: every client is a coroutine on it
  tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address(settings.host), settings.port));
  acceptor.listen(asio::socket_base::max_listen_connections);
  const auto bound = acceptor.local_endpoint();
  std::fprintf(stderr, "async_echo_server: listening on %s:%u\n", bound.address().to_string().c_str(),
               static_cast<unsigned>(bound.port()));
  if (!settings.port_file.empty())
    examples::write_file_atomically(settings.port_file, std::to_string(bound.port()) + "\n");

  asio::co_spawn(
      io, listen(acceptor, context, settings.clients, std::chrono::seconds(settings.handshake_timeout)),
      [](std::exception_ptr failure) {
        if (failure) std::rethrow_exception(failure);
      });
  // Returns once the listener has stopped and every client coroutine has finished.
  io.run();
  return 0;
} catch (const std::exception& failure) {
  std::fprintf(stderr, "async_echo_server: %s\n", failure.what());
  return 1;
}
