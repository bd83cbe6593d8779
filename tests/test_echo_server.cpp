// examples/echo_server under load and against faulty clients (issue 12): many clients at
// once, many short connections one after another, and clients that stay silent, trickle,
// send garbage or half a ClientHello, or reset mid-handshake or mid-transfer; afterwards the
// server still serves, and its threads and descriptors (from /proc) are back where they
// started. The server runs with small deadlines (--handshake-timeout 1 --timeout 2) so the
// faults resolve in seconds. Rates are logged, never asserted (a shared CI machine).
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "catch.hpp"
#include "child_process.hpp"
#include "pyossl/ssl.hpp"
#include "temp_dir.hpp"

namespace ssl = pyossl::ssl;
namespace net = pyossl::net;
using namespace std::chrono_literals;

namespace {

using clock_type = std::chrono::steady_clock;

// Counts the entries of a /proc directory (threads in task/, descriptors in fd/).
std::size_t count_entries(const std::string& directory) {
  std::error_code ignored;
  std::size_t count = 0;
  for (auto it = std::filesystem::directory_iterator(directory, ignored);
       !ignored && it != std::filesystem::directory_iterator(); it.increment(ignored)) {
    ++count;
  }
  return count;
}

// The server's peak resident set (VmHWM, kB) from /proc/PID/status.
long peak_rss_kb(int pid) {
  const std::string status = pyossl_test::read_file("/proc/" + std::to_string(pid) + "/status");
  const auto at = status.find("VmHWM:");
  return at == std::string::npos ? -1 : std::stol(status.substr(at + 6));
}

// echo_server on 127.0.0.1, a port the kernel picks, logging to a file (not a pipe the test
// would have to drain), with small deadlines. exec keeps the server's PID the shell's.
struct server {
  pyossl_test::temp_dir dir;
  std::string port_file = dir.file("port");
  std::string cert_file = dir.file("cert.pem");
  std::string log_file = dir.file("server.log");
  pyossl_test::child_process process;
  std::uint16_t port = 0;
  ssl::Context client_context = pyossl::unwrap(ssl::Context::create(ssl::TLS_CLIENT_METHOD));

  explicit server(const std::string& max_clients = "300", const std::string& handshake_timeout = "1")
      : process({"/bin/sh", "-c",
                 "exec '" PYOSSL_ECHO_SERVER "' --port-file '" + port_file + "' --cert-out '" + cert_file +
                     "' --handshake-timeout " + handshake_timeout + " --timeout 2 --max-clients " +
                     max_clients + " 2>'" + log_file + "'"}) {
    REQUIRE(process.valid());
    const auto deadline = clock_type::now() + 20s;
    while (!std::filesystem::exists(port_file) && clock_type::now() < deadline)
      std::this_thread::sleep_for(20ms);
    REQUIRE(std::filesystem::exists(port_file));
    port = static_cast<std::uint16_t>(std::stoi(pyossl_test::read_file(port_file)));
    REQUIRE(client_context.load_verify_locations(cert_file).has_value());
    REQUIRE(client_context.set_verify(ssl::VERIFY_PEER).has_value());
  }

  [[nodiscard]] std::string proc() const { return "/proc/" + std::to_string(process.pid()); }
  [[nodiscard]] std::size_t threads() const { return count_entries(proc() + "/task"); }
  [[nodiscard]] std::size_t descriptors() const { return count_entries(proc() + "/fd"); }
  [[nodiscard]] std::string log() const { return pyossl_test::read_file(log_file); }
  // Waits (at most 10 s) for `text` in the log: the server logs just after it closes.
  [[nodiscard]] bool logs(std::string_view text) const {
    const auto deadline = clock_type::now() + 10s;
    while (log().find(text) == std::string::npos) {
      if (clock_type::now() > deadline) return false;
      std::this_thread::sleep_for(20ms);
    }
    return true;
  }

  // Waits (at most 20 s) for the thread and descriptor counts to come back to these.
  [[nodiscard]] bool settles_at(std::size_t thread_count, std::size_t descriptor_count) const {
    const auto deadline = clock_type::now() + 20s;
    while (clock_type::now() < deadline) {
      if (threads() == thread_count && descriptors() == descriptor_count) return true;
      std::this_thread::sleep_for(50ms);
    }
    return false;
  }

  // A good client: handshake, `echoes` echoes of distinct sizes and bytes each checked
  // byte for byte, a clean close. Returns "" or what went wrong.
  [[nodiscard]] std::string good_client(int echoes, int seed = 0) const {
    ssl::Connection connection(client_context, pyossl::unwrap(net::Socket::tcp(AF_INET)));
    if (!connection.setsockopt(IPPROTO_TCP, TCP_NODELAY, 1)) return "TCP_NODELAY";
    if (auto connected = connection.connect({"127.0.0.1", port}); !connected)
      return connected.error().message();
    if (auto handshake = connection.do_handshake(); !handshake) return handshake.error().message();
    for (int i = 0; i < echoes; ++i) {
      const std::size_t size = 1 + static_cast<std::size_t>((seed * 131 + i * 977) % 3000);
      std::string message(size, '\0');
      for (std::size_t j = 0; j < size; ++j) message[j] = static_cast<char>((seed + i * 7 + j * 13) & 0xFF);
      if (auto sent = connection.sendall(message); !sent) return sent.error().message();
      std::string echoed;
      while (echoed.size() < size) {
        auto piece = connection.recv(size - echoed.size());
        if (!piece) return piece.error().message();
        echoed += *piece;
      }
      if (echoed != message) return "echo " + std::to_string(i) + " differs";
    }
    auto closed = connection.shutdown();
    if (!closed) return closed.error().message();
    if (!*closed) {
      auto rest = connection.recv(1);
      if (rest || rest.error() != pyossl::errc::zero_return) return "no close_notify from the server";
    }
    return "";
  }
};

// A plain TCP connection to the server, for clients that misbehave below TLS.
struct raw_client {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

  explicit raw_client(std::uint16_t port) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) == 0);
  }
  raw_client(const raw_client&) = delete;
  raw_client& operator=(const raw_client&) = delete;
  ~raw_client() {
    if (fd >= 0) ::close(fd);
  }

  void send(std::string_view bytes) const { (void)::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL); }
  // Closes with a TCP reset instead of a FIN (SO_LINGER with a zero timeout).
  void reset() {
    const linger abort{1, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &abort, sizeof(abort));
    ::close(fd);
    fd = -1;
  }
  // True once the server has closed its end (EOF or reset), waiting at most `limit`.
  [[nodiscard]] bool closed_by_server(std::chrono::milliseconds limit) const {
    const auto deadline = clock_type::now() + limit;
    char buffer[4096];
    while (clock_type::now() < deadline) {
      pollfd ready{fd, POLLIN, 0};
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock_type::now());
      if (::poll(&ready, 1, static_cast<int>(std::max<long>(1, left.count()))) <= 0) continue;
      const ssize_t got = ::recv(fd, buffer, sizeof(buffer), 0);
      if (got <= 0) return true;
    }
    return false;
  }
};

// The bytes of a TLS 1.3 ClientHello, made by a memory-BIO Connection.
std::string client_hello() {
  auto context = pyossl::unwrap(ssl::Context::create(ssl::TLS_CLIENT_METHOD));
  ssl::Connection client(context);
  client.set_connect_state();
  (void)client.do_handshake();  // want_read: the ClientHello is waiting in the BIO
  return pyossl::unwrap(client.bio_read(64 * 1024));
}

}  // namespace

TEST_CASE("echo_server echoes byte for byte to 200 concurrent clients, 20 echoes each",
          "[echo_server][load]") {
  // A generous handshake deadline: 200 handshakes at once take seconds under sanitizers on
  // two cores, and this test is about echoes, not deadlines (those are tested below).
  const server echo("300", "60");
  const std::size_t threads_before = echo.threads();
  const std::size_t descriptors_before = echo.descriptors();
  constexpr int clients = 200;
  constexpr int echoes = 20;
  std::vector<std::string> failures(clients);
  std::atomic<bool> running{true};
  std::size_t peak_threads = threads_before;
  const auto start = clock_type::now();
  {
    std::vector<std::jthread> workers;
    for (int i = 0; i < clients; ++i)
      workers.emplace_back([&, i] { failures[i] = echo.good_client(echoes, i); });
    std::jthread sampler([&] {
      while (running) {
        peak_threads = std::max(peak_threads, echo.threads());
        std::this_thread::sleep_for(10ms);
      }
    });
    workers.clear();  // joins the clients
    running = false;
  }
  const double seconds = std::chrono::duration<double>(clock_type::now() - start).count();
  for (int i = 0; i < clients; ++i) {
    INFO("client " << i);
    CHECK(failures[i].empty());
    if (!failures[i].empty()) FAIL_CHECK(failures[i]);
  }
  std::printf(
      "echo_server load: %d clients x %d echoes in %.2f s: %.0f echoes/s, peak %zu threads, peak RSS %ld "
      "kB\n",
      clients, echoes, seconds, clients * echoes / seconds, peak_threads, peak_rss_kb(echo.process.pid()));
  CHECK(echo.settles_at(threads_before, descriptors_before));
}

TEST_CASE("echo_server takes 1000 short connections one after another", "[echo_server][load]") {
  const server echo;
  const std::size_t threads_before = echo.threads();
  const std::size_t descriptors_before = echo.descriptors();
  const auto start = clock_type::now();
  int served = 0;
  for (int i = 0; i < 1000; ++i) {
    const std::string failure = echo.good_client(1, i);
    INFO("connection " << i);
    REQUIRE(failure.empty());
    ++served;
  }
  const double seconds = std::chrono::duration<double>(clock_type::now() - start).count();
  std::printf("echo_server load: %d sequential connections in %.2f s: %.0f connections/s, peak RSS %ld kB\n",
              served, seconds, served / seconds, peak_rss_kb(echo.process.pid()));
  CHECK(echo.settles_at(threads_before, descriptors_before));
}

TEST_CASE("echo_server drops faulty clients, logs why, and keeps serving with no thread or descriptor left",
          "[echo_server][fault]") {
  const server echo;
  const std::size_t threads_before = echo.threads();
  const std::size_t descriptors_before = echo.descriptors();
  REQUIRE(echo.good_client(1).empty());
  const std::string hello = client_hello();
  REQUIRE(hello.size() > 100);

  SECTION("a silent client is dropped at the handshake deadline") {
    const raw_client silent(echo.port);
    CHECK(silent.closed_by_server(10s));
    CHECK(echo.logs("dropped: handshake not done in time"));
  }
  SECTION("a client trickling its ClientHello a byte at a time is dropped at the handshake deadline") {
    const raw_client drip(echo.port);
    bool closed = false;
    for (std::size_t i = 0; i < hello.size() && !closed; ++i) {
      drip.send(hello.substr(i, 1));
      closed = drip.closed_by_server(200ms);  // 5 bytes a second: each read alone would be quick
    }
    CHECK((closed || drip.closed_by_server(10s)));
    CHECK(echo.logs("dropped: handshake not done in time"));
  }
  SECTION("a client sending garbage is dropped at once") {
    const raw_client garbage(echo.port);
    garbage.send(std::string(300, '\x17') + "GET / HTTP/1.0\r\n\r\n");
    CHECK(garbage.closed_by_server(10s));
    CHECK(echo.logs("dropped:"));
  }
  SECTION("a client sending half a ClientHello, then closing, is dropped") {
    raw_client truncated(echo.port);
    truncated.send(hello.substr(0, hello.size() / 2));
    ::shutdown(truncated.fd, SHUT_WR);
    CHECK(truncated.closed_by_server(10s));
    CHECK(echo.logs("dropped:"));
  }
  SECTION("a client resetting mid-handshake is dropped") {
    raw_client reset(echo.port);
    reset.send(hello);
    std::this_thread::sleep_for(100ms);  // let the server answer
    reset.reset();
    CHECK(echo.logs("dropped:"));
  }
  SECTION("a client resetting mid-transfer is dropped") {
    ssl::Connection client(echo.client_context, pyossl::unwrap(net::Socket::tcp(AF_INET)));
    REQUIRE(client.connect({"127.0.0.1", echo.port}).has_value());
    REQUIRE(client.do_handshake().has_value());
    REQUIRE(client.sendall(std::string(100000, 'x')).has_value());  // more than it reads back
    const linger abort{1, 0};
    REQUIRE(client.setsockopt(SOL_SOCKET, SO_LINGER, std::as_bytes(std::span(&abort, 1))).has_value());
    REQUIRE(client.close().has_value());
    CHECK(echo.logs("dropped:"));
  }
  SECTION("a client silent after its handshake is dropped at the idle deadline") {
    ssl::Connection client(echo.client_context, pyossl::unwrap(net::Socket::tcp(AF_INET)));
    REQUIRE(client.connect({"127.0.0.1", echo.port}).has_value());
    REQUIRE(client.do_handshake().has_value());
    auto data = client.recv(1);  // blocks until the server drops us
    CHECK_FALSE(data.has_value());
    CHECK(echo.logs("dropped: idle too long"));
  }
  INFO(echo.log());
  CHECK(echo.good_client(3).empty());
  CHECK(echo.settles_at(threads_before, descriptors_before));
}

TEST_CASE("echo_server refuses clients beyond --max-clients, logs it, and serves once one leaves",
          "[echo_server][fault]") {
  const server echo("2", "60");  // a long handshake deadline: only a refusal closes the third
  {
    const raw_client first(echo.port);
    const raw_client second(echo.port);
    const auto deadline = clock_type::now() + 10s;
    while (echo.threads() < 4 && clock_type::now() < deadline)
      std::this_thread::sleep_for(20ms);  // main, watchdog, 2 clients
    const raw_client third(echo.port);
    CHECK(third.closed_by_server(10s));
    CHECK(echo.logs("refused: already serving 2 clients"));
  }  // the first two leave
  const auto deadline = clock_type::now() + 10s;
  std::string failure = "not tried";
  while (!failure.empty() && clock_type::now() < deadline) {
    failure = echo.good_client(1);
    if (!failure.empty()) std::this_thread::sleep_for(100ms);  // the dropped ones may still be ending
  }
  CHECK(failure.empty());
}
