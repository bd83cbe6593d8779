// Real TLS peers on 127.0.0.1 for interop tests: `openssl s_server` started in the
// background, a pyossl listening socket for `openssl s_client` or a Python peer to dial,
// and the pyOpenSSL interpreter (/usr/bin/python3) when it has OpenSSL installed.
// Every wait is bounded.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/time.h>

#include "child_process.hpp"
#include "process.hpp"
#include "pyossl/net.hpp"
#include "pyossl/ssl.hpp"

namespace pyossl_test {

// Socket reads and writes (and accept) on `connection` give up after `limit`.
inline pyossl::result<void> limit_waits(pyossl::ssl::Connection& connection, std::chrono::milliseconds limit) {
  timeval value{};
  value.tv_sec = static_cast<time_t>(limit.count() / 1000);
  value.tv_usec = static_cast<suseconds_t>(limit.count() % 1000 * 1000);
  const auto bytes = std::as_bytes(std::span(&value, 1));
  if (auto set = connection.setsockopt(SOL_SOCKET, SO_RCVTIMEO, bytes); !set) return set;
  return connection.setsockopt(SOL_SOCKET, SO_SNDTIMEO, bytes);
}

// `openssl s_server -accept 127.0.0.1:0 <arguments>`, started and listening.
struct s_server_peer {
  std::unique_ptr<child_process> process;
  pyossl::net::Address address;
  [[nodiscard]] bool started() const { return address.port != 0; }
};

inline s_server_peer start_s_server(const std::vector<std::string>& arguments) {
  using namespace std::chrono_literals;
  std::vector<std::string> argv{PYOSSL_TEST_OPENSSL, "s_server", "-accept", "127.0.0.1:0"};
  argv.insert(argv.end(), arguments.begin(), arguments.end());
  s_server_peer peer{std::make_unique<child_process>(argv), {"127.0.0.1", 0}};
  if (!peer.process->valid() || !peer.process->wait_for_output("ACCEPT 127.0.0.1:", 10s) ||
      !peer.process->wait_for_output("\n", 1s)) {
    return peer;
  }
  const std::string& banner = peer.process->output();
  const std::size_t at = banner.find("ACCEPT 127.0.0.1:") + std::string("ACCEPT 127.0.0.1:").size();
  peer.address.port = static_cast<std::uint16_t>(std::stoi(banner.substr(at)));
  return peer;
}

// A pyossl client Connection over a fresh socket to `address`, with bounded waits,
// connected (the handshake is the caller's).
inline pyossl::ssl::Connection dial(const pyossl::ssl::Context& context, const pyossl::net::Address& address) {
  using namespace std::chrono_literals;
  pyossl::ssl::Connection connection(context, pyossl::unwrap(pyossl::net::Socket::tcp()));
  pyossl::unwrap(limit_waits(connection, 10s));
  pyossl::unwrap(connection.connect(address));
  return connection;
}

// A pyossl server listening on 127.0.0.1 (an ephemeral port), accept() bounded in time.
struct listener {
  pyossl::ssl::Connection connection;
  std::uint16_t port = 0;

  explicit listener(const pyossl::ssl::Context& context)
      : connection(context, pyossl::unwrap(pyossl::net::Socket::tcp())) {
    using namespace std::chrono_literals;
    pyossl::unwrap(connection.setsockopt(SOL_SOCKET, SO_REUSEADDR, 1));
    pyossl::unwrap(connection.bind({"127.0.0.1", 0}));
    pyossl::unwrap(connection.listen(1));
    pyossl::unwrap(limit_waits(connection, 10s));
    port = pyossl::unwrap(connection.getsockname()).port;
  }

  // The next client, its waits bounded too.
  pyossl::result<pyossl::ssl::Connection> accept() {
    using namespace std::chrono_literals;
    auto accepted = connection.accept();
    if (!accepted) return pyossl::unexpected(std::move(accepted).error());
    pyossl::ssl::Connection client = std::move(accepted->first);
    if (auto limited = limit_waits(client, 10s); !limited) return pyossl::unexpected(std::move(limited).error());
    return client;
  }
};

// The interpreter that has pyOpenSSL, or an empty string (with why in `reason`) if none.
inline std::string pyopenssl_python(std::string& reason) {
  const command_result probe = run_command("/usr/bin/python3 -c 'import OpenSSL.SSL'");
  if (probe.exit_code == 0) return "/usr/bin/python3";
  reason = "/usr/bin/python3 cannot import OpenSSL (pyOpenSSL): " + probe.output;
  return {};
}

}  // namespace pyossl_test
