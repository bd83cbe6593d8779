// ssl::Connection over net::Socket, end to end on loopback: echoes over IPv4 and IPv6,
// blocking and non-blocking, many clients at once; interop with the openssl CLI as client
// (s_client) and as server (s_server), TLS 1.2 and 1.3, with and without client
// certificates; and faulty clients (silent, vanishing mid-handshake, speaking garbage,
// resetting mid-stream) that must cost the server only their own session.
//
// Everything binds 127.0.0.1 or ::1 on a port the kernel picks; every wait is bounded.
#include <poll.h>

#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/evp.h>
#include <sys/socket.h>
#include <sys/time.h>

#include "catch.hpp"
#include "checks.hpp"
#include "child_process.hpp"
#include "process.hpp"
#include "pyossl/net.hpp"
#include "pyossl/ssl.hpp"
#include "temp_dir.hpp"

namespace net = pyossl::net;
namespace ssl = pyossl::ssl;
using namespace std::chrono_literals;
using pyossl::errc;
using pyossl::unwrap;

namespace {

// ---- Fixtures: a CA, a server certificate for localhost/127.0.0.1/::1, a client
// certificate, all made by the openssl CLI once per test run. ----

using pyossl_test::openssl_or_throw;

struct certificates {
  pyossl_test::temp_dir dir;
  std::string ca = dir.file("ca.pem");
  std::string server_cert = dir.file("server.pem");
  std::string server_key = dir.file("server-key.pem");
  std::string client_cert = dir.file("client.pem");
  std::string client_key = dir.file("client-key.pem");

  certificates() {
    openssl_or_throw("req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout '" +
                     dir.file("ca-key.pem") + "' -out '" + ca +
                     "' -days 2 -subj '/CN=pyossl test CA' -addext 'basicConstraints=critical,CA:TRUE'" +
                     " -addext 'keyUsage=critical,keyCertSign'");
    issue("server", "/CN=localhost",
          "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1\nextendedKeyUsage=serverAuth\n");
    issue("client", "/CN=test client", "extendedKeyUsage=clientAuth\n");
  }

  // Issues "<name>.pem" / "<name>-key.pem" signed by the CA, with the extensions in `ext`.
  void issue(const std::string& name, const std::string& subject, const std::string& ext) const {
    const std::string base = dir.file(name);
    pyossl_test::write_file(base + ".ext", ext);
    openssl_or_throw("req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout '" + base +
                     "-key.pem' -out '" + base + ".csr' -subj '" + subject + "'");
    openssl_or_throw("x509 -req -in '" + base + ".csr' -CA '" + ca + "' -CAkey '" + dir.file("ca-key.pem") +
                     "' -CAcreateserial -days 2 -sha256 -extfile '" + base + ".ext' -out '" + base + ".pem'");
  }
};

// Made once per test run, on first use.
const certificates& fixtures() {
  static const certificates made;
  return made;
}

std::string loopback(int family) { return family == AF_INET6 ? "::1" : "127.0.0.1"; }

bool skip_family(int family) {
  auto probe = net::Socket::tcp(family);
  if (probe && probe->bind({loopback(family), 0})) return false;
  WARN("::1 cannot be bound on this machine: IPv6 case skipped");
  return true;
}

std::string sha256(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_Digest(data.data(), data.size(), digest, &length, EVP_sha256(), nullptr) != 1)
    return "digest failed";
  return std::string(reinterpret_cast<char*>(digest), length);
}

// `size` bytes that differ from position to position (and from client to client by `seed`).
std::string payload(std::size_t size, unsigned seed = 1) {
  std::string data(size, '\0');
  std::uint32_t state = seed * 2654435761U + 1;
  for (char& byte : data) {
    state = state * 1664525U + 1013904223U;
    byte = static_cast<char>(state >> 24);
  }
  return data;
}

struct server_settings {
  int min_version = 0;  // 0: whatever OpenSSL allows
  int max_version = 0;
  bool require_client_certificate = false;
};

ssl::Context server_context(const server_settings& settings = {}) {
  const certificates& c = fixtures();
  ssl::Context context = unwrap(ssl::Context::create(ssl::TLS_SERVER_METHOD));
  unwrap(context.use_certificate_chain_file(c.server_cert));
  unwrap(context.use_privatekey_file(c.server_key));
  if (settings.min_version != 0) unwrap(context.set_min_proto_version(settings.min_version));
  if (settings.max_version != 0) unwrap(context.set_max_proto_version(settings.max_version));
  if (settings.require_client_certificate) {
    unwrap(context.load_verify_locations(c.ca));
    unwrap(context.load_client_ca(c.ca));
    unwrap(context.set_verify(ssl::VERIFY_PEER | ssl::VERIFY_FAIL_IF_NO_PEER_CERT));
  }
  return context;
}

ssl::Context client_context(bool with_certificate = false, int max_version = 0) {
  const certificates& c = fixtures();
  ssl::Context context = unwrap(ssl::Context::create(ssl::TLS_CLIENT_METHOD));
  unwrap(context.load_verify_locations(c.ca));
  unwrap(context.set_verify(ssl::VERIFY_PEER));
  if (max_version != 0) unwrap(context.set_max_proto_version(max_version));
  if (with_certificate) {
    unwrap(context.use_certificate_chain_file(c.client_cert));
    unwrap(context.use_privatekey_file(c.client_key));
  }
  return context;
}

// SO_RCVTIMEO and SO_SNDTIMEO on a connection's socket: a blocking call that waits longer
// fails (want_read / want_write) instead of hanging the test. Also TCP_NODELAY: an echo
// answers in pieces, and Nagle's algorithm against delayed ACKs would stall each one ~40 ms.
pyossl::result<void> limit_waits(ssl::Connection& connection, std::chrono::milliseconds limit) {
  if (auto set = connection.setsockopt(IPPROTO_TCP, TCP_NODELAY, 1); !set) return set;
  timeval value{};
  value.tv_sec = static_cast<time_t>(limit.count() / 1000);
  value.tv_usec = static_cast<suseconds_t>(limit.count() % 1000 * 1000);
  const auto bytes = std::as_bytes(std::span(&value, 1));
  if (auto set = connection.setsockopt(SOL_SOCKET, SO_RCVTIMEO, bytes); !set) return set;
  return connection.setsockopt(SOL_SOCKET, SO_SNDTIMEO, bytes);
}

// How one server session ended. Written by server threads, read by the test thread
// (Catch2 assertions stay on the test thread).
struct session_outcome {
  bool clean = false;  // handshake, echo until close_notify, and our close_notify all worked
  std::string stage;   // where it failed: "handshake", "recv", "send", "shutdown"
  std::optional<pyossl::error> failure;
  std::size_t echoed = 0;
  std::string protocol;
};

// A pyossl echo server on loopback: a listening ssl::Connection, a thread per client,
// every wait bounded by `io_limit`. Stops and joins everything when destroyed.
class echo_server {
 public:
  echo_server(const ssl::Context& context, int family = AF_INET, std::chrono::milliseconds io_limit = 5s)
      : listener_(context, unwrap(net::Socket::tcp(family))), io_limit_(io_limit) {
    unwrap(listener_.bind({loopback(family), 0}));
    unwrap(listener_.listen(32));
    address_ = unwrap(listener_.getsockname());
    listening_fd_ = unwrap(listener_.fileno());
    accepter_ = std::thread([this] { accept_loop(); });
  }
  echo_server(const echo_server&) = delete;
  echo_server& operator=(const echo_server&) = delete;
  ~echo_server() {
    stop_ = true;
    accepter_.join();
    for (std::thread& session : sessions_) session.join();
  }

  [[nodiscard]] const net::Address& address() const noexcept { return address_; }

  // The outcomes of the sessions that have ended, once there are `count` (or `limit` passed).
  std::vector<session_outcome> outcomes(std::size_t count, std::chrono::milliseconds limit = 15s) {
    std::unique_lock lock(mutex_);
    ended_.wait_for(lock, limit, [&] { return outcomes_.size() >= count; });
    return outcomes_;
  }

 private:
  void accept_loop() {
    while (!stop_) {
      pollfd watch{listening_fd_, POLLIN, 0};
      if (::poll(&watch, 1, 20) <= 0) continue;
      auto accepted = listener_.accept();
      if (!accepted) continue;  // the client gave up before we took it
      sessions_.emplace_back(
          [this, connection = std::move(accepted->first)]() mutable { serve(connection); });
    }
  }

  void serve(ssl::Connection& connection) {
    session_outcome outcome;
    auto fail = [&](const char* stage, pyossl::error e) {
      outcome.stage = stage;
      outcome.failure = std::move(e);
    };
    if (auto limited = limit_waits(connection, io_limit_); !limited) {
      fail("setsockopt", limited.error());
    } else if (auto handshake = connection.do_handshake(); !handshake) {
      fail("handshake", handshake.error());
    } else {
      outcome.protocol = connection.get_protocol_version_name();
      for (;;) {
        auto data = connection.recv(64 * 1024);
        if (!data) {
          if (data.error() != errc::zero_return) fail("recv", data.error());
          break;
        }
        if (auto sent = connection.sendall(*data); !sent) {
          fail("send", sent.error());
          break;
        }
        outcome.echoed += data->size();
      }
      if (!outcome.failure) {
        if (auto closed = connection.shutdown(); !closed) fail("shutdown", closed.error());
      }
      outcome.clean = !outcome.failure;
    }
    std::lock_guard lock(mutex_);
    outcomes_.push_back(std::move(outcome));
    ended_.notify_all();
  }

  ssl::Connection listener_;
  std::chrono::milliseconds io_limit_;
  net::Address address_;
  int listening_fd_ = -1;
  std::atomic<bool> stop_{false};
  std::thread accepter_;
  std::vector<std::thread> sessions_;  // only the accept thread adds, only the destructor joins
  std::mutex mutex_;
  std::condition_variable ended_;
  std::vector<session_outcome> outcomes_;
};

// What a client saw: the echo (or the first failure), and the protocol it spoke.
struct client_outcome {
  std::string echoed;
  std::optional<pyossl::error> failure;
  std::string protocol;
};

// Connects a blocking client, echoes `data` through the server a chunk at a time (sending
// everything before reading would fill both directions' buffers and stall), closes cleanly.
client_outcome blocking_echo(const ssl::Context& context, const net::Address& server, const std::string& data,
                             int family = AF_INET) {
  client_outcome outcome;
  auto failed = [&](pyossl::error e) {
    outcome.failure = std::move(e);
    return outcome;
  };
  auto socket = net::Socket::tcp(family);
  if (!socket) return failed(socket.error());
  ssl::Connection connection(context, std::move(*socket));
  if (auto limited = limit_waits(connection, 10s); !limited) return failed(limited.error());
  if (auto connected = connection.connect(server); !connected) return failed(connected.error());
  if (auto handshake = connection.do_handshake(); !handshake) return failed(handshake.error());
  outcome.protocol = connection.get_protocol_version_name();
  constexpr std::size_t chunk = 64 * 1024;
  for (std::size_t offset = 0; offset < data.size(); offset += chunk) {
    const std::string_view piece = std::string_view(data).substr(offset, chunk);
    if (auto sent = connection.sendall(piece); !sent) return failed(sent.error());
    const std::size_t expected = offset + piece.size();
    while (outcome.echoed.size() < expected) {
      auto got = connection.recv(expected - outcome.echoed.size());
      if (!got) return failed(got.error());
      outcome.echoed += *got;
    }
  }
  auto closed = connection.shutdown();
  if (!closed) return failed(closed.error());
  if (!*closed) {  // our close_notify is out; the server's answers it
    auto rest = connection.recv(1);
    if (rest || rest.error() != errc::zero_return)
      return failed(rest ? pyossl::error(errc::ssl, "data after echo") : rest.error());
  }
  return outcome;
}

// The same with a non-blocking socket: every want_read / want_write waits in poll().
client_outcome nonblocking_echo(const ssl::Context& context, const net::Address& server,
                                const std::string& data, int family) {
  client_outcome outcome;
  auto failed = [&](pyossl::error e) {
    outcome.failure = std::move(e);
    return outcome;
  };
  auto socket = net::Socket::tcp(family);
  if (!socket) return failed(socket.error());
  ssl::Connection connection(context, std::move(*socket));
  if (auto blocking = connection.setblocking(false); !blocking) return failed(blocking.error());
  const int fd = unwrap(connection.fileno());
  // Runs `call` until it stops asking to wait; waits (bounded) in poll() in between.
  auto drive = [&](auto call) {
    for (;;) {
      auto result = call();
      if (result || (result.error() != errc::want_read && result.error() != errc::want_write)) return result;
      pollfd watch{fd, static_cast<short>(result.error() == errc::want_read ? POLLIN : POLLOUT), 0};
      if (::poll(&watch, 1, 10'000) != 1)
        return decltype(result)(pyossl::unexpected(pyossl::error(errc::syscall, "poll timed out")));
    }
  };
  auto started = connection.connect_ex(server);
  if (!started) return failed(started.error());
  if (*started != 0 && *started != EINPROGRESS) return failed(pyossl::error(errc::syscall, "connect_ex"));
  pollfd writable{fd, POLLOUT, 0};
  if (::poll(&writable, 1, 10'000) != 1) return failed(pyossl::error(errc::syscall, "connect timed out"));
  if (auto handshake = drive([&] { return connection.do_handshake(); }); !handshake)
    return failed(handshake.error());
  outcome.protocol = connection.get_protocol_version_name();
  constexpr std::size_t chunk = 64 * 1024;
  for (std::size_t offset = 0; offset < data.size(); offset += chunk) {
    std::string_view rest = std::string_view(data).substr(offset, chunk);
    const std::size_t expected = offset + rest.size();
    while (!rest.empty()) {
      auto sent = drive([&] { return connection.send(rest); });  // a retry passes the same bytes
      if (!sent) return failed(sent.error());
      rest.remove_prefix(*sent);
    }
    while (outcome.echoed.size() < expected) {
      auto got = drive([&] { return connection.recv(expected - outcome.echoed.size()); });
      if (!got) return failed(got.error());
      outcome.echoed += *got;
    }
  }
  for (;;) {
    auto closed = drive([&] { return connection.shutdown(); });
    if (!closed) return failed(closed.error());
    if (*closed) break;
  }
  return outcome;
}

void require_clean(const client_outcome& outcome, const std::string& sent) {
  INFO((outcome.failure ? outcome.failure->message() : std::string("no failure")));
  REQUIRE_FALSE(outcome.failure);
  CHECK(outcome.echoed.size() == sent.size());
  CHECK(sha256(outcome.echoed) == sha256(sent));
}

}  // namespace

TEST_CASE("socket Connection echoes a megabyte byte-exactly over IPv4 and IPv6, blocking", "[socket_echo]") {
  const int family = GENERATE(AF_INET, AF_INET6);
  if (skip_family(family)) return;
  const ssl::Context server_side = server_context();
  const ssl::Context client_side = client_context();
  echo_server server(server_side, family);
  const std::string data = payload(1 << 20);
  const client_outcome outcome = blocking_echo(client_side, server.address(), data, family);
  require_clean(outcome, data);
  CHECK(outcome.protocol == "TLSv1.3");
  const auto sessions = server.outcomes(1);
  REQUIRE(sessions.size() == 1);
  CHECK(sessions[0].clean);
  CHECK(sessions[0].echoed == data.size());
}

TEST_CASE("socket Connection echoes a megabyte over IPv4 and IPv6 with a non-blocking client",
          "[socket_echo]") {
  const int family = GENERATE(AF_INET, AF_INET6);
  if (skip_family(family)) return;
  const ssl::Context server_side = server_context();
  const ssl::Context client_side = client_context();
  echo_server server(server_side, family);
  const std::string data = payload(1 << 20, 7);
  require_clean(nonblocking_echo(client_side, server.address(), data, family), data);
  const auto sessions = server.outcomes(1);
  REQUIRE(sessions.size() == 1);
  CHECK(sessions[0].clean);
}

TEST_CASE("socket Connection serves 8 concurrent clients, each echo byte-exact", "[socket_echo]") {
  const ssl::Context server_side = server_context();
  const ssl::Context client_side = client_context();
  echo_server server(server_side);
  constexpr int clients = 8;
  std::vector<std::string> sent(clients);
  std::vector<client_outcome> received(clients);
  std::vector<std::thread> threads;
  for (int i = 0; i < clients; ++i) {
    sent[i] = payload((1 << 20) + static_cast<std::size_t>(i) * 4099, static_cast<unsigned>(i + 100));
    threads.emplace_back([&, i] { received[i] = blocking_echo(client_side, server.address(), sent[i]); });
  }
  for (std::thread& thread : threads) thread.join();
  for (int i = 0; i < clients; ++i) {
    INFO("client " << i);
    require_clean(received[i], sent[i]);
  }
  const auto sessions = server.outcomes(clients);
  REQUIRE(sessions.size() == clients);
  for (const session_outcome& session : sessions) CHECK(session.clean);
}

// ---- Interop with the openssl CLI ----

struct interop_case {
  const char* name;
  int version;           // TLS1_2_VERSION or TLS1_3_VERSION
  const char* cli_flag;  // -tls1_2 / -tls1_3
  const char* protocol;
  bool client_certificate;
};

const interop_case interop_cases[] = {
    {"TLS 1.2", TLS1_2_VERSION, "-tls1_2", "TLSv1.2", false},
    {"TLS 1.3", TLS1_3_VERSION, "-tls1_3", "TLSv1.3", false},
    {"TLS 1.2 with a client certificate", TLS1_2_VERSION, "-tls1_2", "TLSv1.2", true},
    {"TLS 1.3 with a client certificate", TLS1_3_VERSION, "-tls1_3", "TLSv1.3", true},
};

TEST_CASE("pyossl's echo server talks to openssl s_client", "[socket_echo][interop]") {
  const interop_case& c = interop_cases[GENERATE(0, 1, 2, 3)];
  INFO(c.name);
  const certificates& files = fixtures();
  const ssl::Context server_side = server_context({0, 0, c.client_certificate});
  echo_server server(server_side);
  std::vector<std::string> argv{PYOSSL_TEST_OPENSSL,
                                "s_client",
                                "-connect",
                                "127.0.0.1:" + std::to_string(server.address().port),
                                "-CAfile",
                                files.ca,
                                "-verify_return_error",
                                "-verify_ip",
                                "127.0.0.1",
                                c.cli_flag,
                                "-quiet",
                                "-no_ign_eof"};
  if (c.client_certificate) argv.insert(argv.end(), {"-cert", files.client_cert, "-key", files.client_key});
  pyossl_test::child_process s_client(argv);
  REQUIRE(s_client.valid());
  const std::string line = "echo me, pyossl\n";
  REQUIRE(s_client.write(line));
  const bool echoed = s_client.wait_for_output(line, 10s);
  INFO(s_client.output());
  CHECK(echoed);
  s_client.close_stdin();  // s_client sends close_notify and exits
  CHECK(s_client.wait(10s) == std::optional<int>(0));
  const auto sessions = server.outcomes(1);
  REQUIRE(sessions.size() == 1);
  INFO((sessions[0].failure ? sessions[0].failure->message() : std::string("no failure")));
  CHECK(sessions[0].clean);
  CHECK(sessions[0].echoed == line.size());
  CHECK(sessions[0].protocol == c.protocol);
}

TEST_CASE("pyossl's echo server refuses an s_client without the required client certificate",
          "[socket_echo][interop]") {
  const certificates& files = fixtures();
  const ssl::Context server_side = server_context({0, 0, true});
  echo_server server(server_side);
  pyossl_test::child_process s_client({PYOSSL_TEST_OPENSSL, "s_client", "-connect",
                                       "127.0.0.1:" + std::to_string(server.address().port), "-CAfile",
                                       files.ca, "-quiet", "-no_ign_eof"});
  REQUIRE(s_client.valid());
  (void)s_client.write("hello\n");  // TLS 1.3: the refusal may come only after the client's first write
  (void)s_client.wait(10s);
  const auto sessions = server.outcomes(1);
  REQUIRE(sessions.size() == 1);
  CHECK_FALSE(sessions[0].clean);
  REQUIRE(sessions[0].failure);
  CHECK(sessions[0].stage == "handshake");
  CHECK(sessions[0].failure->kind() == errc::ssl);
}

TEST_CASE("pyossl's client talks to openssl s_server", "[socket_echo][interop]") {
  const interop_case& c = interop_cases[GENERATE(0, 1, 2, 3)];
  INFO(c.name);
  const certificates& files = fixtures();
  std::vector<std::string> argv{
      PYOSSL_TEST_OPENSSL, "s_server", "-accept", "127.0.0.1:0", "-cert",   files.server_cert, "-key",
      files.server_key,    "-naccept", "1",       "-rev",        c.cli_flag};
  if (c.client_certificate)
    argv.insert(argv.end(), {"-Verify", "1", "-verify_return_error", "-CAfile", files.ca});
  pyossl_test::child_process s_server(argv);
  REQUIRE(s_server.valid());
  REQUIRE(s_server.wait_for_output("ACCEPT 127.0.0.1:", 10s));
  REQUIRE(s_server.wait_for_output("\n", 1s));
  const std::string& banner = s_server.output();
  const std::size_t at = banner.find("ACCEPT 127.0.0.1:") + std::string("ACCEPT 127.0.0.1:").size();
  const net::Address address{"127.0.0.1", static_cast<std::uint16_t>(std::stoi(banner.substr(at)))};

  const ssl::Context client_side = client_context(c.client_certificate, c.version);
  ssl::Connection connection(client_side, unwrap(net::Socket::tcp()));
  REQUIRE_OK(limit_waits(connection, 10s));
  REQUIRE_OK(connection.connect(address));
  REQUIRE_OK(connection.do_handshake());
  CHECK(connection.get_protocol_version_name() == c.protocol);
  REQUIRE_OK(connection.sendall("pyossl\n"));
  std::string reply;  // -rev answers each line reversed
  while (reply.find('\n') == std::string::npos) {
    auto got = connection.recv(256);
    REQUIRE_OK(got);
    reply += *got;
  }
  CHECK(reply == "lssoyp\n");
  REQUIRE_OK(connection.shutdown());
  CHECK(s_server.wait(10s) == std::optional<int>(0));
  CHECK(s_server.output().find(std::string("Protocol version: ") + c.protocol) != std::string::npos);
}

TEST_CASE("pyossl's client without a certificate is refused by an s_server that requires one",
          "[socket_echo][interop]") {
  const int version = GENERATE(TLS1_2_VERSION, TLS1_3_VERSION);
  const certificates& files = fixtures();
  pyossl_test::child_process s_server({PYOSSL_TEST_OPENSSL, "s_server", "-accept", "127.0.0.1:0", "-cert",
                                       files.server_cert, "-key", files.server_key, "-naccept", "1", "-rev",
                                       "-Verify", "1", "-verify_return_error", "-CAfile", files.ca});
  REQUIRE(s_server.valid());
  REQUIRE(s_server.wait_for_output("ACCEPT 127.0.0.1:", 10s));
  REQUIRE(s_server.wait_for_output("\n", 1s));
  const std::string& banner = s_server.output();
  const std::size_t at = banner.find("ACCEPT 127.0.0.1:") + std::string("ACCEPT 127.0.0.1:").size();
  const net::Address address{"127.0.0.1", static_cast<std::uint16_t>(std::stoi(banner.substr(at)))};

  const ssl::Context client_side = client_context(false, version);
  ssl::Connection connection(client_side, unwrap(net::Socket::tcp()));
  REQUIRE_OK(limit_waits(connection, 10s));
  REQUIRE_OK(connection.connect(address));
  // TLS 1.2 fails in the handshake; TLS 1.3 finishes it and the server's alert arrives on
  // the first read. Either way: errc::ssl, never a hang.
  auto handshake = connection.do_handshake();
  if (handshake) {
    REQUIRE_OK(connection.sendall("pyossl\n"));
    REQUIRE_FAILS_WITH(connection.recv(256), errc::ssl);
  } else {
    REQUIRE_FAILS_WITH(handshake, errc::ssl);
  }
  (void)s_server.wait(10s);
}

// ---- Faulty clients: each costs the server only its own session ----

namespace {

// The first flight of a real TLS client (its ClientHello), taken from a memory-BIO
// connection: what a client that vanishes mid-handshake has sent.
std::string client_hello() {
  const ssl::Context context = client_context();
  ssl::Connection memory(context);
  memory.set_connect_state();
  auto step = memory.do_handshake();
  if (step || step.error() != errc::want_read) throw std::runtime_error("expected want_read");
  return unwrap(memory.bio_read(64 * 1024));
}

// Connects a plain TCP socket (no TLS) to the server.
net::Socket raw_client(const net::Address& server) {
  net::Socket socket = unwrap(net::Socket::tcp());
  unwrap(socket.connect(server));
  return socket;
}

}  // namespace

TEST_CASE("a client that connects and sends nothing times out without blocking other clients",
          "[socket_echo][faults]") {
  const ssl::Context server_side = server_context();
  const ssl::Context client_side = client_context();
  echo_server server(server_side, AF_INET, 1s);
  net::Socket silent = raw_client(server.address());

  const std::string data = payload(100'000);
  require_clean(blocking_echo(client_side, server.address(), data),
                data);  // served while the silent one waits

  const auto sessions = server.outcomes(2);
  REQUIRE(sessions.size() == 2);
  const session_outcome& timed_out = sessions[0].clean ? sessions[1] : sessions[0];
  REQUIRE(timed_out.failure);
  CHECK(timed_out.stage == "handshake");
  INFO(timed_out.failure->message());
  // The socket's receive timeout expired: a blocking socket reports it as "try again".
  const bool try_again =
      timed_out.failure->kind() == errc::want_read ||
      (timed_out.failure->kind() == errc::syscall && timed_out.failure->sys_errno() == EAGAIN);
  CHECK(try_again);
}

TEST_CASE("clients that vanish mid-handshake or send garbage fail alone; the server keeps serving",
          "[socket_echo][faults]") {
  struct fault {
    const char* name;
    std::string bytes;  // what the client sends before it closes
    errc expected;
  };
  const std::string hello = client_hello();
  const fault f = GENERATE_COPY(values<fault>({
      {"half a ClientHello, then close", hello.substr(0, hello.size() / 2), errc::syscall},
      {"an HTTP request instead of TLS", "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n", errc::ssl},
      {"random bytes", payload(600, 3), errc::ssl},
  }));
  INFO(f.name);
  const ssl::Context server_side = server_context();
  const ssl::Context client_side = client_context();
  echo_server server(server_side, AF_INET, 5s);
  {
    net::Socket faulty = raw_client(server.address());
    REQUIRE_OK(faulty.send(f.bytes));
    if (f.expected == errc::ssl) {
      // A server that rejects garbage says so (an alert) or just closes: wait for either.
      REQUIRE_OK(faulty.set_io_timeout(5s));
      (void)faulty.recv(4096);
    }
  }  // closed here
  const auto failed = server.outcomes(1);
  REQUIRE(failed.size() == 1);
  REQUIRE(failed[0].failure);
  INFO(failed[0].failure->message());
  CHECK(failed[0].stage == "handshake");
  CHECK(failed[0].failure->kind() == f.expected);
  CHECK_FALSE(failed[0].failure->message().empty());

  const std::string data = payload(64 * 1024);
  require_clean(blocking_echo(client_side, server.address(), data), data);
  const auto sessions = server.outcomes(2);
  REQUIRE(sessions.size() == 2);
  CHECK(sessions[1].clean);
}

TEST_CASE("a client that resets mid-stream ends its session with syscall, never SIGPIPE; others go on",
          "[socket_echo][faults]") {
  const ssl::Context server_side = server_context();
  const ssl::Context client_side = client_context();
  echo_server server(server_side, AF_INET, 5s);
  {
    ssl::Connection resetting(client_side, unwrap(net::Socket::tcp()));
    REQUIRE_OK(resetting.connect(server.address()));
    REQUIRE_OK(resetting.do_handshake());
    // Send a lot and read nothing: the server is busy echoing into our full buffers when
    // the reset arrives, so its next write meets a dead socket (EPIPE, not SIGPIPE).
    REQUIRE_OK(resetting.setblocking(false));
    const int fd = unwrap(resetting.fileno());
    const std::string flood = payload(4 << 20, 9);
    std::string_view rest = flood;
    const auto deadline = std::chrono::steady_clock::now() + 3s;
    while (!rest.empty() && std::chrono::steady_clock::now() < deadline) {
      auto sent = resetting.send(rest.substr(0, 16 * 1024));
      if (!sent) {
        pollfd watch{fd, POLLOUT, 0};
        if (::poll(&watch, 1, 100) == 0) break;  // both directions full: time to reset
        continue;
      }
      rest.remove_prefix(*sent);
    }
    const linger abortive{1, 0};  // close with RST instead of FIN
    REQUIRE_OK(resetting.setsockopt(SOL_SOCKET, SO_LINGER, std::as_bytes(std::span(&abortive, 1))));
    REQUIRE_OK(resetting.close());
  }
  const auto failed = server.outcomes(1);
  REQUIRE(failed.size() == 1);
  REQUIRE(failed[0].failure);
  INFO(failed[0].stage << ": " << failed[0].failure->message());
  CHECK((failed[0].stage == "recv" || failed[0].stage == "send"));
  CHECK(failed[0].failure->kind() == errc::syscall);
  const int errnum = failed[0].failure->sys_errno();
  CHECK((errnum == ECONNRESET || errnum == EPIPE));

  const std::string data = payload(256 * 1024, 4);
  require_clean(blocking_echo(client_side, server.address(), data), data);
}
