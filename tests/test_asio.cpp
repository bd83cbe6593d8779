// pyossl::asio::stream over loopback TCP: coroutine, callback, future and synchronous
// echoes; exact-length reads; 200 clients on one thread; one read and one write in flight
// at once; a handshake and a shutdown beside a pending read; cancellation; a peer that
// vanishes; openssl s_client as the peer; a host-name mismatch; TLS 1.3 tickets.
//
// Everything binds 127.0.0.1 on a port the kernel picks; every io_context runs for a
// bounded time, and each test checks that its operations finished.
#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <exception>
#include <future>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <asio.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/experimental/awaitable_operators.hpp>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include "catch.hpp"
#include "checks.hpp"
#include "child_process.hpp"
#include "process.hpp"
#include "pyossl/asio.hpp"
#include "pyossl/ssl.hpp"
#include "tls_fixtures.hpp"

namespace ssl = pyossl::ssl;
using namespace std::chrono_literals;
using pyossl::errc;
using pyossl::asio::handshake_type;
using tcp = asio::ip::tcp;
using tls_stream = pyossl::asio::stream<tcp::socket>;

namespace {

// A connected pair of loopback sockets: {client, server}.
std::pair<tcp::socket, tcp::socket> tcp_pair(asio::io_context& io) {
  tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::address_v4::loopback(), 0));
  tcp::socket client(io);
  client.connect(acceptor.local_endpoint());
  tcp::socket server = acceptor.accept();
  return {std::move(client), std::move(server)};
}

struct stream_pair {
  ssl::Context client_context = pyossl_test::client_context();
  ssl::Context server_context = pyossl_test::server_context();
  tls_stream client;
  tls_stream server;
  explicit stream_pair(std::pair<tcp::socket, tcp::socket> sockets)
      : client(client_context, std::move(sockets.first)), server(server_context, std::move(sockets.second)) {}
  explicit stream_pair(asio::io_context& io) : stream_pair(tcp_pair(io)) {}
};

// A pattern nobody could echo by accident: byte i of message `seed`.
std::string payload(std::size_t size, unsigned seed) {
  std::string data(size, '\0');
  for (std::size_t i = 0; i < size; ++i)
    data[i] = static_cast<char>((i * 131 + seed * 7919 + (i >> 8)) & 0xff);
  return data;
}

// Runs `io` until it has no work or 30 s pass; rethrows what a coroutine threw.
void run_bounded(asio::io_context& io) { io.run_for(30s); }

// co_spawn's completion: keeps the exception of a failed coroutine for the test to rethrow.
struct keep_exception {
  std::exception_ptr* slot;
  void operator()(std::exception_ptr thrown) const {
    if (thrown) *slot = thrown;
  }
};

// The server side of an echo: handshake, echo until the peer's close_notify, shut down.
template <class Stream>
asio::awaitable<void> echo_once(Stream& server) {
  co_await server.async_handshake(handshake_type::server, asio::use_awaitable);
  std::array<char, 4096> buffer{};
  for (;;) {
    auto [code, count] = co_await server.async_read_some(asio::buffer(buffer),
                                                         asio::experimental::as_tuple(asio::use_awaitable));
    if (code == asio::error::eof) break;
    if (code) throw std::system_error(code);
    co_await asio::async_write(server, asio::buffer(buffer.data(), count), asio::use_awaitable);
  }
  co_await server.async_shutdown(asio::use_awaitable);
}

// The same owning its stream (a spawned session per accepted client).
template <class Stream>
asio::awaitable<void> echo_session(Stream server) {
  co_await echo_once(server);
}

// A client: connect, handshake, send `size` bytes while reading the echo (one read and one
// write in flight), shut down; counts a byte-exact echo in `matched`.
template <class Stream>
asio::awaitable<void> echo_client(Stream stream, tcp::endpoint endpoint, unsigned seed, std::size_t size,
                                  std::atomic<int>* matched) {
  co_await stream.next_layer().async_connect(endpoint, asio::use_awaitable);
  co_await stream.async_handshake(handshake_type::client, asio::use_awaitable);
  const std::string message = payload(size, seed);
  std::string echoed(message.size(), '\0');
  using namespace asio::experimental::awaitable_operators;
  co_await (asio::async_write(stream, asio::buffer(message), asio::use_awaitable) &&
            asio::async_read(stream, asio::buffer(echoed), asio::use_awaitable));
  co_await stream.async_shutdown(asio::use_awaitable);
  if (echoed == message) ++*matched;
}

}  // namespace

TEST_CASE("coroutine echo: handshake, write, exact read and shutdown with co_await", "[asio]") {
  asio::io_context io;
  stream_pair pair(io);
  std::exception_ptr server_failure;
  std::exception_ptr client_failure;
  std::string echoed;
  bool client_done = false;
  asio::co_spawn(io, echo_once(pair.server), keep_exception{&server_failure});
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        co_await pair.client.async_handshake(handshake_type::client, asio::use_awaitable);
        const std::string message = "hello over pyossl::asio::stream";
        co_await asio::async_write(pair.client, asio::buffer(message), asio::use_awaitable);
        echoed.resize(message.size());
        co_await asio::async_read(pair.client, asio::buffer(echoed), asio::use_awaitable);
        co_await pair.client.async_shutdown(asio::use_awaitable);
        client_done = true;
      },
      keep_exception{&client_failure});
  run_bounded(io);
  if (client_failure) std::rethrow_exception(client_failure);
  if (server_failure) std::rethrow_exception(server_failure);
  REQUIRE(client_done);
  CHECK(echoed == "hello over pyossl::asio::stream");
  CHECK(pair.client.connection().get_protocol_version_name() == "TLSv1.3");
  const auto peer = pair.client.connection().get_peer_certificate();
  REQUIRE(peer.has_value());
  CHECK(peer->get_subject().get("CN") == "localhost");
  CHECK_FALSE(pair.client.last_error().has_value());
  CHECK(ERR_peek_error() == 0UL);
}

TEST_CASE("callbacks echo: plain completion handlers drive every operation", "[asio]") {
  asio::io_context io;
  stream_pair pair(io);
  const std::string message = "callbacks, not coroutines";
  std::string received(message.size(), '\0');
  std::vector<std::string> steps;
  std::error_code client_shutdown = asio::error::would_block;
  std::error_code server_eof;

  pair.server.async_handshake(handshake_type::server, [&](std::error_code code) {
    REQUIRE_FALSE(code);
    steps.push_back("server handshake");
    asio::async_read(pair.server, asio::buffer(received), [&](std::error_code code, std::size_t count) {
      REQUIRE_FALSE(code);
      CHECK(count == message.size());
      asio::async_write(pair.server, asio::buffer(received), [&](std::error_code code, std::size_t) {
        REQUIRE_FALSE(code);
        static std::array<char, 16> more{};
        pair.server.async_read_some(asio::buffer(more), [&](std::error_code code, std::size_t count) {
          server_eof = code;
          CHECK(count == 0);
          pair.server.async_shutdown([&](std::error_code code) { CHECK_FALSE(code); });
        });
      });
    });
  });
  static std::string echoed;
  echoed.assign(message.size(), '\0');
  pair.client.async_handshake(handshake_type::client, [&](std::error_code code) {
    REQUIRE_FALSE(code);
    steps.push_back("client handshake");
    asio::async_write(pair.client, asio::buffer(message), [&](std::error_code code, std::size_t count) {
      REQUIRE_FALSE(code);
      CHECK(count == message.size());
      asio::async_read(pair.client, asio::buffer(echoed), [&](std::error_code code, std::size_t) {
        REQUIRE_FALSE(code);
        pair.client.async_shutdown([&](std::error_code code) { client_shutdown = code; });
      });
    });
  });
  run_bounded(io);
  CHECK(steps.size() == 2);
  CHECK(echoed == message);
  CHECK(server_eof == asio::error::eof);
  CHECK_FALSE(client_shutdown);
  CHECK(ERR_peek_error() == 0UL);
}

TEST_CASE("a completion never runs inside the initiating function", "[asio]") {
  asio::io_context io;
  stream_pair pair(io);
  bool completed = false;
  std::array<char, 1> none{};
  pair.client.async_read_some(asio::buffer(none, 0), [&](std::error_code code, std::size_t count) {
    CHECK_FALSE(code);
    CHECK(count == 0);
    completed = true;
  });
  CHECK_FALSE(completed);  // posted, not called from async_read_some
  io.run_for(5s);
  CHECK(completed);
}

TEST_CASE("asio::async_read of an exact length gathers it across many records", "[asio]") {
  asio::io_context io;
  stream_pair pair(io);
  const std::string sent = payload(300'000, 1);
  std::string received(sent.size(), '\0');
  std::size_t got = 0;
  std::error_code read_code = asio::error::would_block;
  std::exception_ptr failure;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        co_await pair.server.async_handshake(handshake_type::server, asio::use_awaitable);
        // Records of many sizes: the reader must join them to fill its buffer exactly.
        for (std::size_t offset = 0, size = 1; offset < sent.size();
             offset += size, size = size * 3 % 20011) {
          size = std::min(size, sent.size() - offset);
          co_await asio::async_write(pair.server, asio::buffer(sent.data() + offset, size),
                                     asio::use_awaitable);
        }
      },
      keep_exception{&failure});
  pair.client.async_handshake(handshake_type::client, [&](std::error_code code) {
    REQUIRE_FALSE(code);
    asio::async_read(pair.client, asio::buffer(received), [&](std::error_code code, std::size_t count) {
      read_code = code;
      got = count;
    });
  });
  run_bounded(io);
  if (failure) std::rethrow_exception(failure);
  CHECK_FALSE(read_code);
  CHECK(got == sent.size());
  CHECK((received == sent));
}

TEST_CASE("200 concurrent clients on one thread each get a byte-exact echo", "[asio]") {
  constexpr int clients = 200;
  asio::io_context io;
  const ssl::Context server_context = pyossl_test::server_context();
  const ssl::Context client_context = pyossl_test::client_context();
  tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::address_v4::loopback(), 0));
  acceptor.listen(asio::socket_base::max_listen_connections);
  const tcp::endpoint endpoint = acceptor.local_endpoint();
  std::exception_ptr failure;
  std::atomic<int> matched{0};

  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        for (int i = 0; i < clients; ++i) {
          tcp::socket socket = co_await acceptor.async_accept(asio::use_awaitable);
          asio::co_spawn(io, echo_session(tls_stream(server_context, std::move(socket))),
                         keep_exception{&failure});
        }
      },
      keep_exception{&failure});
  for (int i = 0; i < clients; ++i) {
    const auto seed = static_cast<unsigned>(i);
    asio::co_spawn(io,
                   echo_client(tls_stream(client_context, io), endpoint, seed, 1000 + seed * 37, &matched),
                   keep_exception{&failure});
  }
  io.run_for(120s);
  if (failure) std::rethrow_exception(failure);
  CHECK(matched == clients);
  CHECK(ERR_peek_error() == 0UL);
}

TEST_CASE("one read and one write in flight at once move a megabyte each way through small socket buffers",
          "[asio]") {
  asio::io_context io;
  auto sockets = tcp_pair(io);
  // Small kernel buffers: the next layer's writes are partial and both sides must read
  // while they write, or the transfer deadlocks.
  for (tcp::socket* socket : {&sockets.first, &sockets.second}) {
    socket->set_option(asio::socket_base::send_buffer_size(16384));
    socket->set_option(asio::socket_base::receive_buffer_size(16384));
    socket->set_option(tcp::no_delay(true));  // no Nagle stalls on the partial segments
  }
  stream_pair pair(std::move(sockets));
  const std::string client_sends = payload(1 << 20, 2);
  const std::string server_sends = payload(1 << 20, 3);
  std::string client_got(server_sends.size(), '\0');
  std::string server_got(client_sends.size(), '\0');
  int finished = 0;
  std::exception_ptr failure;
  auto duplex = [&](tls_stream& stream, handshake_type type, const std::string& out,
                    std::string& in) -> asio::awaitable<void> {
    co_await stream.async_handshake(type, asio::use_awaitable);
    using namespace asio::experimental::awaitable_operators;
    co_await (asio::async_write(stream, asio::buffer(out), asio::use_awaitable) &&
              asio::async_read(stream, asio::buffer(in), asio::use_awaitable));
    ++finished;
  };
  asio::co_spawn(io, duplex(pair.client, handshake_type::client, client_sends, client_got),
                 keep_exception{&failure});
  asio::co_spawn(io, duplex(pair.server, handshake_type::server, server_sends, server_got),
                 keep_exception{&failure});
  run_bounded(io);
  if (failure) std::rethrow_exception(failure);
  CHECK(finished == 2);
  CHECK((client_got == server_sends));
  CHECK((server_got == client_sends));
}

TEST_CASE("a handshake started beside a pending read completes, and the read gets the data", "[asio]") {
  asio::io_context io;
  stream_pair pair(io);
  std::string got;
  std::error_code handshake_code = asio::error::would_block;
  std::error_code read_code = asio::error::would_block;
  std::array<char, 64> buffer{};
  // The client's read and handshake both run the handshake's I/O; the first takes turns
  // with the second reading the socket.
  pair.client.async_handshake(handshake_type::client, [&](std::error_code code) { handshake_code = code; });
  pair.client.async_read_some(asio::buffer(buffer), [&](std::error_code code, std::size_t count) {
    read_code = code;
    got.assign(buffer.data(), count);
  });
  pair.server.async_handshake(handshake_type::server, [&](std::error_code code) {
    REQUIRE_FALSE(code);
    static const std::string hello = "first words";
    asio::async_write(pair.server, asio::buffer(hello),
                      [](std::error_code code, std::size_t) { CHECK_FALSE(code); });
  });
  run_bounded(io);
  CHECK_FALSE(handshake_code);
  CHECK_FALSE(read_code);
  CHECK(got == "first words");
}

TEST_CASE("a shutdown beside a pending read completes once the peer answers, the read sees eof", "[asio]") {
  asio::io_context io;
  stream_pair pair(io);
  std::error_code server_read = asio::error::would_block;
  std::error_code server_shutdown = asio::error::would_block;
  std::error_code client_read = asio::error::would_block;
  std::error_code client_shutdown = asio::error::would_block;
  std::array<char, 64> server_buffer{};
  std::array<char, 64> client_buffer{};
  pair.server.async_handshake(handshake_type::server, [&](std::error_code code) {
    REQUIRE_FALSE(code);
    pair.server.async_read_some(asio::buffer(server_buffer),
                                [&](std::error_code code, std::size_t) { server_read = code; });
    pair.server.async_shutdown([&](std::error_code code) { server_shutdown = code; });
  });
  pair.client.async_handshake(handshake_type::client, [&](std::error_code code) {
    REQUIRE_FALSE(code);
    pair.client.async_read_some(asio::buffer(client_buffer), [&](std::error_code code, std::size_t) {
      client_read = code;
      pair.client.async_shutdown([&](std::error_code code) { client_shutdown = code; });
    });
  });
  run_bounded(io);
  CHECK(client_read == asio::error::eof);
  CHECK_FALSE(client_shutdown);
  CHECK(server_read == asio::error::eof);
  CHECK_FALSE(server_shutdown);
  CHECK(pair.server.connection().get_shutdown() == (ssl::SENT_SHUTDOWN | ssl::RECEIVED_SHUTDOWN));
}

TEST_CASE("a timer that cancels a stalled read ends it with operation_aborted, and the stream still works",
          "[asio]") {
  asio::io_context io;
  stream_pair pair(io);
  std::error_code first_read = asio::error::would_block;
  std::error_code slot_read = asio::error::would_block;
  std::string later;
  std::exception_ptr failure;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        co_await pair.client.async_handshake(handshake_type::client, asio::use_awaitable);
        std::array<char, 64> buffer{};
        // 1. The next layer's cancel(), from a timer.
        asio::steady_timer timer(io, 50ms);
        timer.async_wait([&](std::error_code) { pair.client.next_layer().cancel(); });
        auto [code, count] = co_await pair.client.async_read_some(
            asio::buffer(buffer), asio::experimental::as_tuple(asio::use_awaitable));
        first_read = code;
        // 2. Per-operation cancellation: a timer emits on the read's cancellation slot.
        asio::cancellation_signal signal;
        asio::steady_timer deadline(io, 50ms);
        deadline.async_wait([&](std::error_code) { signal.emit(asio::cancellation_type::terminal); });
        std::tie(slot_read, std::ignore) = co_await pair.client.async_read_some(
            asio::buffer(buffer),
            asio::bind_cancellation_slot(signal.slot(), asio::experimental::as_tuple(asio::use_awaitable)));
        // 3. Nothing was lost: the next read gets what the server sends now.
        co_await asio::async_write(pair.client, asio::buffer(std::string("go")), asio::use_awaitable);
        auto [later_code, later_count] = co_await pair.client.async_read_some(
            asio::buffer(buffer), asio::experimental::as_tuple(asio::use_awaitable));
        REQUIRE_FALSE(later_code);
        later.assign(buffer.data(), later_count);
      },
      keep_exception{&failure});
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        co_await pair.server.async_handshake(handshake_type::server, asio::use_awaitable);
        std::array<char, 2> go{};
        co_await asio::async_read(pair.server, asio::buffer(go), asio::use_awaitable);
        co_await asio::async_write(pair.server, asio::buffer(std::string("still here")), asio::use_awaitable);
      },
      keep_exception{&failure});
  run_bounded(io);
  if (failure) std::rethrow_exception(failure);
  CHECK(first_read == asio::error::operation_aborted);
  CHECK(slot_read == asio::error::operation_aborted);
  CHECK(later == "still here");
}

TEST_CASE("a peer that closes the socket without close_notify is errc::syscall, close_notify is eof",
          "[asio]") {
  asio::io_context io;
  stream_pair pair(io);
  std::error_code read_code;
  std::error_code clean_code;
  std::exception_ptr failure;
  SECTION("abrupt close") {
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
          co_await pair.server.async_handshake(handshake_type::server, asio::use_awaitable);
          pair.server.next_layer().close();  // no close_notify
        },
        keep_exception{&failure});
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
          co_await pair.client.async_handshake(handshake_type::client, asio::use_awaitable);
          std::array<char, 64> buffer{};
          std::tie(read_code, std::ignore) = co_await pair.client.async_read_some(
              asio::buffer(buffer), asio::experimental::as_tuple(asio::use_awaitable));
        },
        keep_exception{&failure});
    run_bounded(io);
    if (failure) std::rethrow_exception(failure);
    CHECK(read_code == errc::syscall);
    CHECK(read_code.category() == pyossl::error_category());
    REQUIRE(pair.client.last_error().has_value());
    CHECK(pair.client.last_error()->kind() == errc::syscall);
    CHECK(pair.client.last_error()->sys_errstr() == "Unexpected EOF");
    // The throwing overload throws pyossl's ssl::Error, a std::system_error.
    std::array<char, 8> buffer{};
    CHECK_THROWS_AS(pair.client.read_some(asio::buffer(buffer)), ssl::Error);
  }
  SECTION("close_notify") {
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
          co_await pair.server.async_handshake(handshake_type::server, asio::use_awaitable);
          auto [code] =
              co_await pair.server.async_shutdown(asio::experimental::as_tuple(asio::use_awaitable));
          (void)code;  // the client does not answer: the socket closes under it
        },
        keep_exception{&failure});
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
          co_await pair.client.async_handshake(handshake_type::client, asio::use_awaitable);
          std::array<char, 64> buffer{};
          std::tie(clean_code, std::ignore) = co_await pair.client.async_read_some(
              asio::buffer(buffer), asio::experimental::as_tuple(asio::use_awaitable));
          pair.client.next_layer().close();
        },
        keep_exception{&failure});
    run_bounded(io);
    if (failure) std::rethrow_exception(failure);
    CHECK(clean_code == asio::error::eof);
  }
  CHECK(ERR_peek_error() == 0UL);
}

TEST_CASE("writing to a vanished peer fails with the transport's error, and every later write too",
          "[asio]") {
  asio::io_context io;
  stream_pair pair(io);
  std::error_code first_failure;
  std::error_code later_failure;
  std::exception_ptr failure;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        co_await pair.server.async_handshake(handshake_type::server, asio::use_awaitable);
        pair.server.next_layer().close();
      },
      keep_exception{&failure});
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        co_await pair.client.async_handshake(handshake_type::client, asio::use_awaitable);
        const std::string chunk(16384, 'w');
        // The first writes may land in the kernel's buffers; the peer's reset ends them.
        for (int i = 0; i < 1000 && !first_failure; ++i) {
          std::tie(first_failure, std::ignore) = co_await asio::async_write(
              pair.client, asio::buffer(chunk), asio::experimental::as_tuple(asio::use_awaitable));
          asio::steady_timer pause(io, 1ms);
          co_await pause.async_wait(asio::use_awaitable);
        }
        std::tie(later_failure, std::ignore) = co_await pair.client.async_write_some(
            asio::buffer(chunk), asio::experimental::as_tuple(asio::use_awaitable));
      },
      keep_exception{&failure});
  run_bounded(io);
  if (failure) std::rethrow_exception(failure);
  INFO(first_failure.message());
  CHECK((first_failure == asio::error::broken_pipe || first_failure == asio::error::connection_reset));
  CHECK(later_failure == first_failure);
  REQUIRE(pair.client.last_error().has_value());
  CHECK(pair.client.last_error()->kind() == errc::syscall);
  CHECK(pair.client.last_error()->sys_errno() == first_failure.value());
  CHECK(ERR_peek_error() == 0UL);
}

TEST_CASE("a host-name mismatch fails async_handshake with the verification details", "[asio]") {
  asio::io_context io;
  stream_pair pair(io);
  // The server's certificate names localhost and 127.0.0.1; the client expects another host.
  REQUIRE_OK(pair.client.connection().set_verify_hostname("www.example.com"));
  std::error_code client_code;
  std::error_code server_code;
  pair.client.async_handshake(handshake_type::client, [&](std::error_code code) { client_code = code; });
  pair.server.async_handshake(handshake_type::server, [&](std::error_code code) { server_code = code; });
  run_bounded(io);
  CHECK(client_code == errc::ssl);
  CHECK(client_code.category() == pyossl::error_category());
  REQUIRE(pair.client.last_error().has_value());
  const pyossl::error& failure = *pair.client.last_error();
  CHECK(failure.kind() == errc::ssl);
  CHECK(failure.operation() == "SSL_do_handshake");
  REQUIRE(failure.verification().has_value());
  CHECK(failure.verification()->code == X509_V_ERR_HOSTNAME_MISMATCH);
  CHECK(failure.verification()->depth == 0);
  CHECK(failure.message().find("certificate verify failed") != std::string::npos);
  // The client's alert reached the server, which fails too (not by a bare EOF).
  CHECK(server_code == errc::ssl);
  CHECK(ERR_peek_error() == 0UL);
}

TEST_CASE("the throwing handshake throws pyossl's ssl::Error for a rejected certificate", "[asio]") {
  asio::io_context io;
  ssl::Context rogue = pyossl::unwrap(ssl::Context::create(ssl::TLS_METHOD));
  const auto& files = pyossl_test::tls_files::get();
  pyossl::unwrap(rogue.use_certificate_file(files.rogue_cert()));
  pyossl::unwrap(rogue.use_privatekey_file(files.rogue_key()));
  auto sockets = tcp_pair(io);
  const ssl::Context client_context = pyossl_test::client_context();
  tls_stream client(client_context, std::move(sockets.first));
  tls_stream server(rogue, std::move(sockets.second));
  std::thread server_thread([&] {
    std::error_code ignored;
    server.handshake(handshake_type::server, ignored);
  });
  try {
    client.handshake(handshake_type::client);
    FAIL("the handshake succeeded with an untrusted certificate");
  } catch (const ssl::Error& failure) {
    CHECK(failure.code() == errc::ssl);
    REQUIRE(failure.error().verification().has_value());
    CHECK(failure.error().verification()->code == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY);
  }
  server_thread.join();
  CHECK(ERR_peek_error() == 0UL);
}

TEST_CASE("synchronous overloads echo with a thread per side", "[asio]") {
  asio::io_context io;
  stream_pair pair(io);
  std::string server_saw;
  std::error_code server_eof;
  std::thread server([&] {
    pair.server.handshake(handshake_type::server);
    std::array<char, 256> buffer{};
    const std::size_t count = pair.server.read_some(asio::buffer(buffer));
    server_saw.assign(buffer.data(), count);
    asio::write(pair.server, asio::buffer(buffer.data(), count));
    pair.server.read_some(asio::buffer(buffer), server_eof);
    pair.server.shutdown();
  });
  pair.client.handshake(handshake_type::client);
  asio::write(pair.client, asio::buffer(std::string("sync")));
  std::string echoed(4, '\0');
  asio::read(pair.client, asio::buffer(echoed));
  std::error_code shutdown_code;
  pair.client.shutdown(shutdown_code);
  server.join();
  CHECK(server_saw == "sync");
  CHECK(echoed == "sync");
  CHECK(server_eof == asio::error::eof);
  CHECK_FALSE(shutdown_code);
}

TEST_CASE("use_future: operations complete into std::future", "[asio]") {
  asio::io_context io;
  stream_pair pair(io);
  asio::co_spawn(io, echo_once(pair.server), asio::detached);
  auto work = asio::make_work_guard(io);
  std::thread runner([&] { io.run_for(30s); });
  std::future<void> handshake = pair.client.async_handshake(handshake_type::client, asio::use_future);
  handshake.get();
  const std::string message = "future";
  std::future<std::size_t> written = asio::async_write(pair.client, asio::buffer(message), asio::use_future);
  CHECK(written.get() == message.size());
  std::string echoed(message.size(), '\0');
  CHECK(asio::async_read(pair.client, asio::buffer(echoed), asio::use_future).get() == message.size());
  pair.client.async_shutdown(asio::use_future).get();
  work.reset();
  runner.join();
  CHECK(echoed == message);
}

TEST_CASE("TLS 1.3 session tickets arriving during reads let a second connection resume", "[asio]") {
  asio::io_context io;
  const ssl::Context server_context = pyossl_test::server_context();
  const ssl::Context client_context = pyossl_test::client_context();
  std::optional<ssl::Session> session;
  bool resumed = false;
  std::exception_ptr failure;
  auto client_side = [&](tls_stream& client, bool resume) -> asio::awaitable<void> {
    co_await client.async_handshake(handshake_type::client, asio::use_awaitable);
    std::string echoed(6, '\0');
    co_await asio::async_write(client, asio::buffer(std::string("ticket")), asio::use_awaitable);
    co_await asio::async_read(client, asio::buffer(echoed), asio::use_awaitable);  // the tickets came first
    if (resume) resumed = client.connection().session_reused();
    session = client.connection().get_session();
    co_await client.async_shutdown(asio::use_awaitable);
  };
  auto round = [&](bool resume) -> asio::awaitable<void> {
    auto sockets = tcp_pair(io);
    tls_stream client(client_context, std::move(sockets.first));
    tls_stream server(server_context, std::move(sockets.second));
    if (resume) REQUIRE_OK(client.connection().set_session(*session));
    using namespace asio::experimental::awaitable_operators;
    co_await (echo_once(server) && client_side(client, resume));
  };
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        co_await round(false);
        co_await round(true);
      },
      keep_exception{&failure});
  run_bounded(io);
  if (failure) std::rethrow_exception(failure);
  REQUIRE(session.has_value());
  CHECK(resumed);
}

TEST_CASE("openssl s_client as the peer of an asio server stream", "[asio]") {
  asio::io_context io;
  const ssl::Context server_context = pyossl_test::server_context();
  tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::address_v4::loopback(), 0));
  const auto port = acceptor.local_endpoint().port();
  std::string received;
  std::exception_ptr failure;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        tls_stream server(server_context, co_await acceptor.async_accept(asio::use_awaitable));
        co_await server.async_handshake(handshake_type::server, asio::use_awaitable);
        std::string line;
        co_await asio::async_read_until(server, asio::dynamic_buffer(line), '\n', asio::use_awaitable);
        received = line.substr(0, line.find('\n'));
        const std::string reply = "echo: " + received + "\n";
        co_await asio::async_write(server, asio::buffer(reply), asio::use_awaitable);
        co_await server.async_shutdown(asio::experimental::as_tuple(asio::use_awaitable));
      },
      keep_exception{&failure});
  std::thread runner([&] { io.run_for(30s); });
  pyossl_test::child_process client({PYOSSL_TEST_OPENSSL, "s_client", "-connect",
                                     "127.0.0.1:" + std::to_string(port), "-CAfile",
                                     pyossl_test::tls_files::get().ca(), "-verify_return_error",
                                     "-verify_hostname", "localhost", "-quiet"});
  REQUIRE(client.valid());
  CHECK(client.write("hello from s_client\n"));
  const bool echoed = client.wait_for_output("echo: hello from s_client", 20s);
  runner.join();
  client.terminate();
  INFO(client.output());
  if (failure) std::rethrow_exception(failure);
  CHECK(received == "hello from s_client");
  CHECK(echoed);
}

TEST_CASE("threaded: a multi-threaded io_context with a strand per stream echoes for every client",
          "[asio][threaded]") {
  constexpr int clients = 40;
  asio::io_context io;
  const ssl::Context server_context = pyossl_test::server_context();
  const ssl::Context client_context = pyossl_test::client_context();
  tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::address_v4::loopback(), 0));
  acceptor.listen(asio::socket_base::max_listen_connections);
  const tcp::endpoint endpoint = acceptor.local_endpoint();
  using strand_socket = asio::basic_stream_socket<tcp, asio::strand<asio::io_context::executor_type>>;
  using strand_stream = pyossl::asio::stream<strand_socket>;
  std::atomic<int> matched{0};
  std::atomic<int> failures{0};

  auto count_failure = [&](std::exception_ptr e) { failures += e ? 1 : 0; };
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        for (int i = 0; i < clients; ++i) {
          auto strand = asio::make_strand(io);
          strand_socket socket(strand);
          co_await acceptor.async_accept(socket, asio::use_awaitable);
          asio::co_spawn(strand, echo_session(strand_stream(server_context, std::move(socket))),
                         count_failure);
        }
      },
      count_failure);
  for (int i = 0; i < clients; ++i) {
    auto strand = asio::make_strand(io);
    const auto seed = static_cast<unsigned>(i);
    asio::co_spawn(
        strand,
        echo_client(strand_stream(client_context, strand), endpoint, seed, 20'000 + seed * 101, &matched),
        count_failure);
  }
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) threads.emplace_back([&] { io.run_for(120s); });
  for (std::thread& thread : threads) thread.join();
  CHECK(failures == 0);
  CHECK(matched == clients);
}
