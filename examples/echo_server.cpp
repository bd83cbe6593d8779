// echo_server: a TLS 1.3 echo server over TCP, blocking sockets, one thread per client.
// Every byte a client sends comes back to it until it closes the TLS connection. A client
// cannot hold it: the handshake has a deadline, a session an idle deadline, and there is a
// cap on clients served at once; every dropped or refused client gets a log line saying why.
//
//   usage: echo_server [--host 127.0.0.1] [--port 0] [--cert FILE --key FILE]
//                      [--cert-out FILE] [--port-file FILE] [--clients N] [--timeout SECONDS]
//                      [--handshake-timeout SECONDS] [--max-clients N]
//
//   --host, --port   where to listen (port 0: the kernel picks a free one)
//   --cert, --key    PEM certificate (chain) and key; without them the server makes a
//                    self-signed certificate for localhost and 127.0.0.1 at start-up
//   --cert-out       write the certificate in use (PEM), for clients to trust
//   --port-file      write the port once listening, for scripts (the demo reads it)
//   --clients        exit after this many connections (default: serve forever)
//   --timeout        drop a client that sends no data this long, however slowly it
//                    trickles bytes (default 10; a deadline per session, not per read)
//   --handshake-timeout  drop a client whose whole handshake takes longer (default 5)
//   --max-clients    serve at most this many at once, refuse the others (default 64)
//
// The log goes to stderr, so stdout stays free for whatever runs the server.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <future>
#include <iterator>
#include <mutex>
#include <set>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <pyossl/crypto/certificate_io.hpp>
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
  std::string cert_file;
  std::string key_file;
  std::string cert_out;
  std::string port_file;
  long clients = -1;  // forever
  long timeout_seconds = 10;
  long handshake_timeout_seconds = 5;
  long max_clients = 64;
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
    else if (flag == "--handshake-timeout")
      parsed.handshake_timeout_seconds = std::atol(value);
    else if (flag == "--max-clients")
      parsed.max_clients = std::atol(value);
    else
      throw std::invalid_argument("unknown option " + std::string(flag) +
                                  " (see the comment atop echo_server.cpp)");
  }
  if (argc % 2 == 0) throw std::invalid_argument("every option takes a value");
  if (parsed.cert_file.empty() != parsed.key_file.empty())
    throw std::invalid_argument("--cert and --key go together");
  return parsed;
}

using clock = std::chrono::steady_clock;

// One client's deadline, which the watchdog enforces.
struct deadline {
  int fd;
  clock::time_point when;
  const char* reason;  // what the client failed to do in time, for the log
  bool expired = false;
};

// Enforces every client's deadline from one thread: a blocking read or write cannot be
// told "give up at 12:00:05", but shutting its socket down wakes it at once (it then
// fails, and the client's thread ends). A timeout per read (SO_RCVTIMEO) would not do:
// a client sending one byte every few seconds would reset it forever.
class watchdog {
 public:
  watchdog() : thread_([this] { run(); }) {}
  ~watchdog() {
    {
      const std::lock_guard lock(mutex_);
      stop_ = true;
    }
    wake_.notify_one();
    thread_.join();
  }

  void watch(deadline& entry) {
    const std::lock_guard lock(mutex_);
    watched_.insert(&entry);
  }
  // Call before the socket closes, so a reused descriptor is never shut down.
  void forget(deadline& entry) {
    const std::lock_guard lock(mutex_);
    watched_.erase(&entry);
  }
  void extend(deadline& entry, std::chrono::seconds from_now, const char* reason) {
    const std::lock_guard lock(mutex_);
    entry.when = clock::now() + from_now;
    entry.reason = reason;
  }
  [[nodiscard]] bool expired(const deadline& entry) {
    const std::lock_guard lock(mutex_);
    return entry.expired;
  }

 private:
  void run() {
    std::unique_lock lock(mutex_);
    while (!wake_.wait_for(lock, std::chrono::milliseconds(100), [this] { return stop_; })) {
      const auto now = clock::now();
      for (deadline* entry : watched_) {
        if (!entry->expired && entry->when <= now) {
          entry->expired = true;
          ::shutdown(entry->fd, SHUT_RDWR);
        }
      }
    }
  }

  std::mutex mutex_;
  std::condition_variable wake_;
  std::set<deadline*> watched_;
  bool stop_ = false;
  std::thread thread_;  // last: starts once the members it uses exist
};

// Logs why a client was dropped: its deadline, else what failed.
void log_drop(watchdog& dog, const deadline& entry, const std::string& who, const pyossl::error& failure) {
  if (dog.expired(entry)) {
    std::fprintf(stderr, "echo_server: %s: dropped: %s\n", who.c_str(), entry.reason);
  } else {
    std::fprintf(stderr, "echo_server: %s: dropped: %s\n", who.c_str(), failure.message().c_str());
  }
}

// Serves one client on its own thread: handshake, echo until the client closes, close.
// A client's failure ends only that client, never the server.
void serve(ssl::Connection connection, const net::Address& peer, const options& settings, watchdog& dog) {
  const std::string who = net::to_string(peer);
  const std::chrono::seconds handshake_limit(settings.handshake_timeout_seconds);
  const std::chrono::seconds idle_limit(settings.timeout_seconds);
  deadline entry{connection.fileno().value_or(-1), clock::now() + handshake_limit,
                 "handshake not done in time"};
  dog.watch(entry);
  struct unwatch {
    watchdog& dog;
    deadline& entry;
    ~unwatch() { dog.forget(entry); }
  } const unwatch_before_close{dog, entry};

  if (auto handshake = connection.do_handshake(); !handshake)
    return log_drop(dog, entry, who, handshake.error());
  std::fprintf(stderr, "echo_server: %s: %s, %s\n", who.c_str(),
               connection.get_protocol_version_name().c_str(),
               connection.get_cipher_name().value_or("?").c_str());

  std::size_t echoed = 0;
  for (;;) {
    dog.extend(entry, idle_limit, "idle too long");  // any data, not any byte, counts
    auto data = connection.recv(16 * 1024);
    if (!data) {
      if (data.error() == errc::zero_return) break;  // the client closed TLS cleanly
      return log_drop(dog, entry, who, data.error());
    }
    if (auto sent = connection.sendall(*data); !sent) return log_drop(dog, entry, who, sent.error());
    echoed += data->size();
  }
  // Answer the client's close_notify with ours, so it knows the echo is complete.
  if (auto closed = connection.shutdown(); !closed) return log_drop(dog, entry, who, closed.error());
  std::fprintf(stderr, "echo_server: %s: echoed %zu bytes, closed\n", who.c_str(), echoed);
}

// Sends small writes at once: without TCP_NODELAY, Nagle's algorithm holds the first
// echo after a handshake until the client's delayed ACK, some 40 ms.
pyossl::result<void> set_nodelay(ssl::Connection& connection) {
  return connection.setsockopt(IPPROTO_TCP, TCP_NODELAY, 1);
}

}  // namespace

int main(int argc, char* argv[]) try {
  const options settings = parse(argc, argv);
  const auto [context, certificate_pem] =
      examples::echo_server_context(settings.cert_file, settings.key_file, "echo_server");
  // The certificate in use, so a client can trust exactly it (the demo's client does).
  if (!settings.cert_out.empty()) examples::write_file_atomically(settings.cert_out, certificate_pem);

  // The listening Connection, pyOpenSSL style: the socket methods live on the Connection.
  const int family = settings.host.find(':') != std::string::npos ? AF_INET6 : AF_INET;
  ssl::Connection listener(context, unwrap(net::Socket::tcp(family)));
  unwrap(listener.bind({settings.host, static_cast<std::uint16_t>(settings.port)}));
  unwrap(listener.listen(128));  // room for a burst of clients connecting at once
  const net::Address bound = unwrap(listener.getsockname());  // the port, if the kernel picked it
  // Fully started before the port is announced: whoever reads the port file (the demo, the
  // load tests counting our threads) sees the server as it will stay.
  watchdog dog;
  std::fprintf(stderr, "echo_server: listening on %s\n", net::to_string(bound).c_str());
  if (!settings.port_file.empty())
    examples::write_file_atomically(settings.port_file, std::to_string(bound.port) + "\n");

  // One thread per client (std::async), at most --max-clients at once. Finished ones are
  // reaped as we go; leaving main waits for the rest (an std::async future joins).
  std::atomic<long> active{0};
  std::vector<std::future<void>> sessions;
  for (long connections = 0; settings.clients < 0 || connections < settings.clients; ++connections) {
    auto accepted = listener.accept();
    if (!accepted) {
      std::fprintf(stderr, "echo_server: accept: %s\n", accepted.error().message().c_str());
      if (accepted.error().sys_errno() == EMFILE || accepted.error().sys_errno() == ENFILE)
        std::this_thread::sleep_for(std::chrono::milliseconds(100));  // out of descriptors: let some close
      continue;  // e.g. the client reset before we took it: keep serving the others
    }
    auto& [connection, peer] = *accepted;
    if (active.load() >= settings.max_clients) {
      std::fprintf(stderr, "echo_server: %s: refused: already serving %ld clients (--max-clients)\n",
                   net::to_string(peer).c_str(), settings.max_clients);
      continue;  // the Connection closes here
    }
    if (auto nodelay = set_nodelay(connection); !nodelay) {
      std::fprintf(stderr, "echo_server: %s: dropped: %s\n", net::to_string(peer).c_str(),
                   nodelay.error().message().c_str());
      continue;
    }
    std::erase_if(sessions, [](const std::future<void>& session) {
      return session.wait_for(std::chrono::seconds(0)) == std::future_status::ready;
    });
    ++active;
    sessions.push_back(std::async(
        std::launch::async,
        [&active, &settings, &dog](ssl::Connection client, net::Address address) {
          serve(std::move(client), address, settings, dog);
          --active;
        },
        std::move(connection), peer));
  }
  sessions.clear();  // wait for the last clients before the watchdog goes
  return 0;
} catch (const std::exception& failure) {
  std::fprintf(stderr, "echo_server: %s\n", failure.what());
  return 1;
}
