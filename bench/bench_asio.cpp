// pyossl::asio::stream against asio::ssl::stream, in one binary, over loopback TCP, both
// ends in one io_context on one thread: full handshakes (TCP connect included), 16 KiB
// bulk writes, and 64-byte echo round trips.
//
// Both use the same certificate and key (EC P-256, made here with pyossl::crypto), TLS 1.3
// only, OpenSSL's default suites and groups, no certificate verification (the same work
// for both), and the same coroutines; only the stream type differs.
#include <cstddef>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <benchmark/benchmark.h>
#include <asio.hpp>
#include <asio/experimental/awaitable_operators.hpp>
#include <asio/ssl.hpp>

#include <openssl/ssl.h>

#include <pyossl/asio.hpp>
#include <pyossl/crypto.hpp>
#include <pyossl/ssl.hpp>

namespace {

namespace crypto = pyossl::crypto;
namespace ssl = pyossl::ssl;
using tcp = asio::ip::tcp;
using asio::use_awaitable;
using namespace asio::experimental::awaitable_operators;

// The server's identity, made once, as PEM for both libraries.
struct identity {
  std::string certificate_pem;
  std::string key_pem;
  static const identity& get() {
    static const identity made = [] {
      crypto::PKey key;
      pyossl::unwrap(key.generate_key(crypto::TYPE_EC, 256));
      crypto::X509Name name;
      pyossl::unwrap(name.set("CN", "localhost"));
      crypto::X509 certificate;
      pyossl::unwrap(certificate.set_version(2));
      pyossl::unwrap(certificate.set_serial_number(1));
      pyossl::unwrap(certificate.gmtime_adj_notBefore(-60));
      pyossl::unwrap(certificate.gmtime_adj_notAfter(24 * 3600));
      pyossl::unwrap(certificate.set_subject(name));
      pyossl::unwrap(certificate.set_issuer(name));
      pyossl::unwrap(certificate.set_pubkey(key));
      pyossl::unwrap(certificate.sign(key, "sha256"));
      return identity{pyossl::unwrap(crypto::dump_certificate(crypto::FILETYPE_PEM, certificate)),
                      pyossl::unwrap(crypto::dump_privatekey(crypto::FILETYPE_PEM, key))};
    }();
    return made;
  }
};

struct pyossl_library {
  using stream_type = pyossl::asio::stream<tcp::socket>;
  ssl::Context server_context = pyossl::unwrap(ssl::Context::create(ssl::TLS_SERVER_METHOD));
  ssl::Context client_context = pyossl::unwrap(ssl::Context::create(ssl::TLS_CLIENT_METHOD));
  pyossl_library() {
    const identity& id = identity::get();
    pyossl::unwrap(server_context.set_min_proto_version(TLS1_3_VERSION));
    pyossl::unwrap(client_context.set_min_proto_version(TLS1_3_VERSION));
    pyossl::unwrap(server_context.use_certificate(
        pyossl::unwrap(crypto::load_certificate(crypto::FILETYPE_PEM, id.certificate_pem))));
    pyossl::unwrap(server_context.use_privatekey(
        pyossl::unwrap(crypto::load_privatekey(crypto::FILETYPE_PEM, id.key_pem))));
  }
  stream_type server(tcp::socket socket) { return stream_type(server_context, std::move(socket)); }
  stream_type client(tcp::socket socket) { return stream_type(client_context, std::move(socket)); }
  static constexpr auto server_role = pyossl::asio::handshake_type::server;
  static constexpr auto client_role = pyossl::asio::handshake_type::client;
};

struct asio_library {
  using stream_type = asio::ssl::stream<tcp::socket>;
  asio::ssl::context server_context{asio::ssl::context::tls_server};
  asio::ssl::context client_context{asio::ssl::context::tls_client};
  asio_library() {
    const identity& id = identity::get();
    SSL_CTX_set_min_proto_version(server_context.native_handle(), TLS1_3_VERSION);
    SSL_CTX_set_min_proto_version(client_context.native_handle(), TLS1_3_VERSION);
    server_context.use_certificate(asio::buffer(id.certificate_pem), asio::ssl::context::pem);
    server_context.use_private_key(asio::buffer(id.key_pem), asio::ssl::context::pem);
  }
  stream_type server(tcp::socket socket) { return stream_type(std::move(socket), server_context); }
  stream_type client(tcp::socket socket) { return stream_type(std::move(socket), client_context); }
  static constexpr auto server_role = asio::ssl::stream_base::server;
  static constexpr auto client_role = asio::ssl::stream_base::client;
};

// A fresh loopback TCP connection: {client, server}.
std::pair<tcp::socket, tcp::socket> tcp_pair(asio::io_context& io, tcp::acceptor& acceptor) {
  tcp::socket client(io);
  client.connect(acceptor.local_endpoint());
  tcp::socket server = acceptor.accept();
  client.set_option(tcp::no_delay(true));
  server.set_option(tcp::no_delay(true));
  return {std::move(client), std::move(server)};
}

// Runs `body` as a coroutine on `io` and reports its failure as the benchmark's error.
template <class Body>
void run(benchmark::State& state, asio::io_context& io, Body body) {
  std::string failure;
  asio::co_spawn(io, std::move(body), [&](std::exception_ptr thrown) {
    if (!thrown) return;
    try {
      std::rethrow_exception(thrown);
    } catch (const std::exception& e) {
      failure = e.what();
    }
  });
  io.run();
  if (!failure.empty()) state.SkipWithError(failure.c_str());
}

// A loopback connection with both ends' handshakes done: {client, server}.
template <class Library>
asio::awaitable<std::pair<typename Library::stream_type, typename Library::stream_type>> connected_pair(
    Library& library, asio::io_context& io, tcp::acceptor& acceptor) {
  auto [client_socket, server_socket] = tcp_pair(io, acceptor);
  auto client = library.client(std::move(client_socket));
  auto server = library.server(std::move(server_socket));
  co_await (client.async_handshake(Library::client_role, use_awaitable) &&
            server.async_handshake(Library::server_role, use_awaitable));
  co_return std::pair{std::move(client), std::move(server)};
}

template <class Library>
void handshake(benchmark::State& state) {
  Library library;
  asio::io_context io(1);
  tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::address_v4::loopback(), 0));
  run(state, io, [&]() -> asio::awaitable<void> {
    for (auto _ : state) {
      auto streams = co_await connected_pair(library, io, acceptor);
      benchmark::DoNotOptimize(streams);
    }
  });
  state.SetItemsProcessed(state.iterations());
}

template <class Library>
void bulk_16k(benchmark::State& state) {
  Library library;
  asio::io_context io(1);
  tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::address_v4::loopback(), 0));
  std::vector<char> out(16 * 1024, 'x');
  std::vector<char> in(out.size());
  run(state, io, [&]() -> asio::awaitable<void> {
    auto streams = co_await connected_pair(library, io, acceptor);
    auto& client = streams.first;
    auto& server = streams.second;
    for (auto _ : state) {
      co_await (asio::async_write(client, asio::buffer(out), use_awaitable) &&
                asio::async_read(server, asio::buffer(in), use_awaitable));
    }
  });
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(out.size()));
}

template <class Library>
void echo_64(benchmark::State& state) {
  Library library;
  asio::io_context io(1);
  tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::address_v4::loopback(), 0));
  std::string message(64, 'e');
  std::string at_server(64, '\0');
  std::string at_client(64, '\0');
  run(state, io, [&]() -> asio::awaitable<void> {
    auto streams = co_await connected_pair(library, io, acceptor);
    auto& client = streams.first;
    auto& server = streams.second;
    auto echo_back = [&]() -> asio::awaitable<void> {
      co_await asio::async_read(server, asio::buffer(at_server), use_awaitable);
      co_await asio::async_write(server, asio::buffer(at_server), use_awaitable);
    };
    auto round_trip = [&]() -> asio::awaitable<void> {
      co_await asio::async_write(client, asio::buffer(message), use_awaitable);
      co_await asio::async_read(client, asio::buffer(at_client), use_awaitable);
    };
    for (auto _ : state) co_await (round_trip() && echo_back());
    if (at_client != message) throw std::runtime_error("the echo does not match");
  });
  state.SetItemsProcessed(state.iterations());
}

BENCHMARK_TEMPLATE(handshake, asio_library)->Name("asio_ssl_stream/handshake")->Unit(benchmark::kMicrosecond);
BENCHMARK_TEMPLATE(handshake, pyossl_library)
    ->Name("pyossl_asio_stream/handshake")
    ->Unit(benchmark::kMicrosecond);
BENCHMARK_TEMPLATE(bulk_16k, asio_library)->Name("asio_ssl_stream/bulk_16k")->Unit(benchmark::kMicrosecond);
BENCHMARK_TEMPLATE(bulk_16k, pyossl_library)
    ->Name("pyossl_asio_stream/bulk_16k")
    ->Unit(benchmark::kMicrosecond);
BENCHMARK_TEMPLATE(echo_64, asio_library)->Name("asio_ssl_stream/echo_64")->Unit(benchmark::kMicrosecond);
BENCHMARK_TEMPLATE(echo_64, pyossl_library)
    ->Name("pyossl_asio_stream/echo_64")
    ->Unit(benchmark::kMicrosecond);

}  // namespace
