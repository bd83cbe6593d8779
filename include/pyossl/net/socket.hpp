// pyossl::net::Socket — the small RAII TCP socket (IPv4 and IPv6, POSIX) that a
// socket-backed ssl::Connection runs over: Python's socket methods that manual section
// 3.3.2 forwards, returning result<T> instead of raising socket.error.
//
// Failures are errc::syscall with errno (error::sys_errno / sys_errstr), or
// errc::invalid_argument when an address does not resolve. Interrupted calls (EINTR) are
// retried. Descriptors are made close-on-exec.
//
// SIGPIPE: everything this class sends uses MSG_NOSIGNAL (SO_NOSIGPIPE where the platform
// has that instead), so writing to a peer that has gone fails with EPIPE rather than
// killing the process. OpenSSL's own socket BIO writes with write(2), which has no such
// flag: code that hands this descriptor to OpenSSL (ssl::Connection does) must guard its
// writes itself.
#pragma once

#include <cerrno>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "pyossl/detail/config.hpp"
#include "pyossl/detail/openssl_error.hpp"
#include "pyossl/detail/syscall_error.hpp"
#include "pyossl/detail/unique_fd.hpp"
#include "pyossl/error.hpp"
#include "pyossl/net/address.hpp"

namespace pyossl::detail {

// The send flag that turns SIGPIPE into EPIPE, where the platform has one.
#if defined(MSG_NOSIGNAL)
inline constexpr int send_no_sigpipe = MSG_NOSIGNAL;
#else
inline constexpr int send_no_sigpipe = 0;
#endif

// Marks a new descriptor so that writes to a closed peer never raise SIGPIPE, on platforms
// (macOS, BSDs) that have SO_NOSIGPIPE; a no-op elsewhere (MSG_NOSIGNAL covers Linux).
PYOSSL_DECL void suppress_sigpipe([[maybe_unused]] int fd) noexcept;

// A blocking connect() interrupted by a signal goes on in the background (POSIX): wait for
// it to finish and return its outcome, an errno value (0 for connected).
[[nodiscard]] PYOSSL_DECL int finish_interrupted_connect(int fd) noexcept;

}  // namespace pyossl::detail

namespace pyossl::net {

class Socket {
 public:
  // No socket: fileno() is -1 and every operation fails with EBADF.
  Socket() noexcept = default;
  // Adopts an open descriptor (a TCP or UDP socket), which this Socket then closes.
  explicit Socket(int fd) noexcept : fd_(fd) {}

  // A new TCP socket of `family`, AF_INET or AF_INET6 (anything else is
  // errc::invalid_argument). Calls socket(2); failure is errc::syscall.
  [[nodiscard]] static result<Socket> tcp(int family = AF_INET);

  // A new UDP socket of `family`, AF_INET or AF_INET6 (anything else is
  // errc::invalid_argument), for DTLS: bind it (a server) or connect it (a client, or a
  // server once it knows its peer), then hand it to an ssl::Connection of a DTLS Context.
  // Calls socket(2); failure is errc::syscall.
  [[nodiscard]] static result<Socket> udp(int family = AF_INET);

  // The descriptor, for poll() and friends; -1 when there is no socket.
  [[nodiscard]] int fileno() const noexcept { return fd_.get(); }
  [[nodiscard]] bool valid() const noexcept { return fd_.valid(); }
  // Gives up ownership: returns the descriptor, which the caller must close; leaves no socket.
  [[nodiscard]] int release() noexcept { return fd_.release(); }
  // Closes the socket (close(2), never retried: on Linux the descriptor is gone either way).
  // Unlike ssl::Connection::shutdown it sends no TLS close_notify.
  void close() noexcept { fd_.reset(); }

  // Binds to `address` (resolved with getaddrinfo for this socket's family; an empty host
  // is every local address, port 0 any free port: read it back with getsockname). On a
  // TCP socket it sets SO_REUSEADDR first, so a restarted server can bind while old
  // connections linger in TIME_WAIT (for TCP that never lets two listeners share a port).
  // Not on a UDP socket, where SO_REUSEADDR would let a second socket share the port and
  // split its datagrams: a port in use is EADDRINUSE (set SO_REUSEPORT yourself to share
  // one on purpose, e.g. one DTLS server socket per client). Calls bind(2).
  [[nodiscard]] result<void> bind(const Address& address);

  // Starts accepting connections, queueing up to `backlog`. Calls listen(2).
  [[nodiscard]] result<void> listen(int backlog);

  // Waits for (or, non-blocking, takes) the next connection: returns its socket, blocking
  // whatever this one is, and the peer's address. Non-blocking with none pending is
  // errc::syscall EAGAIN. Calls accept4(2) (accept(2) where that is missing).
  [[nodiscard]] result<std::pair<Socket, Address>> accept();

  // Connects to `address` (the first address getaddrinfo gives for this socket's family).
  // Refused, unreachable, ...: errc::syscall with errno; a non-blocking socket reports
  // EINPROGRESS (poll for writable, then read SO_ERROR). Calls connect(2).
  [[nodiscard]] result<void> connect(const Address& address);

  // As connect, but returns the errno instead of failing: 0 when connected, as Python's
  // connect_ex. An address that does not resolve returns EINVAL (connect says why).
  [[nodiscard]] int connect_ex(const Address& address);

  // The connected peer's address; ENOTCONN when there is none. Calls getpeername(2).
  [[nodiscard]] result<Address> getpeername() const {
    return local_or_peer_address("net::Socket::getpeername", ::getpeername);
  }
  // This end's address (after bind(port 0), the port that was picked). Calls getsockname(2).
  [[nodiscard]] result<Address> getsockname() const {
    return local_or_peer_address("net::Socket::getsockname", ::getsockname);
  }

  // An integer option (getsockopt(level, optname)). Calls getsockopt(2).
  [[nodiscard]] result<int> getsockopt(int level, int optname) const;
  // An option's raw bytes, at most `buflen` (1 to 1024, as Python allows; else
  // errc::invalid_argument), as getsockopt(level, optname, buflen). Calls getsockopt(2).
  [[nodiscard]] result<std::string> getsockopt(int level, int optname, std::size_t buflen) const;

  // Sets an integer option. Calls setsockopt(2).
  [[nodiscard]] result<void> setsockopt(int level, int optname, int value);
  // Sets an option from raw bytes (a struct linger, a struct timeval, ...). Calls setsockopt(2).
  [[nodiscard]] result<void> setsockopt(int level, int optname, std::span<const std::byte> value);

  // Blocking (true) or non-blocking (false) mode: sets or clears O_NONBLOCK with fcntl(2).
  // Non-blocking calls that would wait fail with errc::syscall EAGAIN (EINPROGRESS for
  // connect); through an ssl::Connection they become want_read / want_write.
  [[nodiscard]] result<void> setblocking(bool blocking);

  // Beyond the manual: a limit on how long one blocking send or receive waits
  // (SO_SNDTIMEO and SO_RCVTIMEO; zero means wait forever). A wait that runs out fails
  // with errc::syscall EAGAIN here, and with want_read / want_write through an
  // ssl::Connection. Not Python's settimeout: the socket stays in blocking mode.
  [[nodiscard]] result<void> set_io_timeout(std::chrono::milliseconds timeout);

  // Shuts down one or both directions (SHUT_RD, SHUT_WR, SHUT_RDWR) without closing:
  // Python's socket.shutdown, the manual's sock_shutdown. Calls shutdown(2).
  [[nodiscard]] result<void> shutdown(int how);

  // Beyond the manual, for plain-TCP use (STARTTLS preambles, tests): sends what the
  // kernel takes of `data` now and returns the count. MSG_NOSIGNAL: a vanished peer is
  // errc::syscall EPIPE, never SIGPIPE. Calls send(2).
  [[nodiscard]] result<std::size_t> send(std::span<const std::byte> data);
  [[nodiscard]] result<std::size_t> send(std::string_view data);

  // Beyond the manual: reads what has arrived into `buffer` (waiting for something when
  // blocking) and returns the count; 0 means the peer closed. Calls recv(2).
  [[nodiscard]] result<std::size_t> recv_into(std::span<std::byte> buffer);
  // The same, as a string of at most `bufsize` bytes; empty means the peer closed.
  [[nodiscard]] result<std::string> recv(std::size_t bufsize);

 private:
  // Resolves `address` for this socket's address family (read with getsockname, so an
  // adopted descriptor works too).
  [[nodiscard]] result<detail::handle<addrinfo>> resolve(std::string_view operation, const Address& address,
                                                         bool passive) const;

  template <class Query>
  [[nodiscard]] result<Address> local_or_peer_address(std::string_view operation, Query query) const {
    sockaddr_storage storage{};
    socklen_t length = sizeof(storage);
    if (query(fileno(), reinterpret_cast<sockaddr*>(&storage), &length) != 0) {
      return detail::fail_syscall(operation, errno);
    }
    return detail::to_address(operation, storage, length);
  }

  [[nodiscard]] static std::string describe(std::string_view action, const Address& address, int errnum);

  detail::unique_fd fd_;
};

}  // namespace pyossl::net

// Definitions: inline, or compiled once in the compiled mode (pyossl/detail/config.hpp).
#if PYOSSL_DEFINITIONS

namespace pyossl::detail {

PYOSSL_DECL void suppress_sigpipe([[maybe_unused]] int fd) noexcept {
#if defined(SO_NOSIGPIPE)
  const int on = 1;
  (void)::setsockopt(fd, SOL_SOCKET, SO_NOSIGPIPE, &on, sizeof(on));
#endif
}

PYOSSL_DECL int finish_interrupted_connect(int fd) noexcept {
  pollfd watch{fd, POLLOUT, 0};
  int ready = 0;
  do {
    ready = ::poll(&watch, 1, -1);
  } while (ready < 0 && errno == EINTR);
  if (ready < 0) return errno;
  int outcome = 0;
  socklen_t length = sizeof(outcome);
  if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &outcome, &length) != 0) return errno;
  return outcome;
}

}  // namespace pyossl::detail

namespace pyossl::net {

PYOSSL_DECL result<Socket> Socket::tcp(int family) {
  if (family != AF_INET && family != AF_INET6) {
    return detail::fail(errc::invalid_argument, "net::Socket::tcp", "family must be AF_INET or AF_INET6");
  }
  Socket socket(::socket(family, SOCK_STREAM | SOCK_CLOEXEC, IPPROTO_TCP));
  if (!socket.valid()) return detail::fail_syscall("net::Socket::tcp", errno);
  detail::suppress_sigpipe(socket.fileno());
  return socket;
}

PYOSSL_DECL result<Socket> Socket::udp(int family) {
  if (family != AF_INET && family != AF_INET6) {
    return detail::fail(errc::invalid_argument, "net::Socket::udp", "family must be AF_INET or AF_INET6");
  }
  Socket socket(::socket(family, SOCK_DGRAM | SOCK_CLOEXEC, IPPROTO_UDP));
  if (!socket.valid()) return detail::fail_syscall("net::Socket::udp", errno);
  return socket;
}

PYOSSL_DECL result<void> Socket::bind(const Address& address) {
  constexpr std::string_view operation = "net::Socket::bind";
  auto resolved = resolve(operation, address, true);
  if (!resolved) return unexpected(std::move(resolved).error());
  int type = 0;
  socklen_t type_length = sizeof(type);
  if (::getsockopt(fileno(), SOL_SOCKET, SO_TYPE, &type, &type_length) != 0) {
    return detail::fail_syscall(operation, errno);
  }
  const int on = 1;
  if (type == SOCK_STREAM && ::setsockopt(fileno(), SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) != 0) {
    return detail::fail_syscall(operation, errno);
  }
  const addrinfo* first = resolved->get();
  if (::bind(fileno(), first->ai_addr, first->ai_addrlen) != 0) {
    const int errnum = errno;
    return detail::fail_syscall(operation, errnum, describe("bind to", address, errnum));
  }
  return {};
}

PYOSSL_DECL result<void> Socket::listen(int backlog) {
  if (::listen(fileno(), backlog) != 0) return detail::fail_syscall("net::Socket::listen", errno);
  return {};
}

PYOSSL_DECL result<std::pair<Socket, Address>> Socket::accept() {
  constexpr std::string_view operation = "net::Socket::accept";
  sockaddr_storage peer{};
  socklen_t length = sizeof(peer);
  int fd = -1;
  do {
#if defined(__linux__) || defined(__FreeBSD__) || defined(__NetBSD__) || defined(__OpenBSD__)
    fd = ::accept4(fileno(), reinterpret_cast<sockaddr*>(&peer), &length, SOCK_CLOEXEC);
#else
    fd = ::accept(fileno(), reinterpret_cast<sockaddr*>(&peer), &length);
    if (fd >= 0) (void)::fcntl(fd, F_SETFD, FD_CLOEXEC);
#endif
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) return detail::fail_syscall(operation, errno);
  Socket accepted(fd);
  detail::suppress_sigpipe(fd);
  auto address = detail::to_address(operation, peer, length);
  if (!address) return unexpected(std::move(address).error());
  return std::pair<Socket, Address>(std::move(accepted), std::move(*address));
}

PYOSSL_DECL result<void> Socket::connect(const Address& address) {
  constexpr std::string_view operation = "net::Socket::connect";
  auto resolved = resolve(operation, address, false);
  if (!resolved) return unexpected(std::move(resolved).error());
  const addrinfo* first = resolved->get();
  if (::connect(fileno(), first->ai_addr, first->ai_addrlen) == 0) return {};
  int errnum = errno;
  if (errnum == EINTR) errnum = detail::finish_interrupted_connect(fileno());
  if (errnum == 0) return {};
  return detail::fail_syscall(operation, errnum, describe("connect to", address, errnum));
}

PYOSSL_DECL int Socket::connect_ex(const Address& address) {
  auto connected = connect(address);
  if (connected) return 0;
  return connected.error() == errc::syscall ? connected.error().sys_errno() : EINVAL;
}

PYOSSL_DECL result<int> Socket::getsockopt(int level, int optname) const {
  int value = 0;
  socklen_t length = sizeof(value);
  if (::getsockopt(fileno(), level, optname, &value, &length) != 0) {
    return detail::fail_syscall("net::Socket::getsockopt", errno);
  }
  return value;
}

PYOSSL_DECL result<std::string> Socket::getsockopt(int level, int optname, std::size_t buflen) const {
  constexpr std::string_view operation = "net::Socket::getsockopt";
  if (buflen == 0 || buflen > 1024)
    return detail::fail(errc::invalid_argument, operation, "buflen must be 1 to 1024");
  std::string value(buflen, '\0');
  auto length = static_cast<socklen_t>(buflen);
  if (::getsockopt(fileno(), level, optname, value.data(), &length) != 0) {
    return detail::fail_syscall(operation, errno);
  }
  value.resize(length);
  return value;
}

PYOSSL_DECL result<void> Socket::setsockopt(int level, int optname, int value) {
  if (::setsockopt(fileno(), level, optname, &value, sizeof(value)) != 0) {
    return detail::fail_syscall("net::Socket::setsockopt", errno);
  }
  return {};
}

PYOSSL_DECL result<void> Socket::setsockopt(int level, int optname, std::span<const std::byte> value) {
  if (::setsockopt(fileno(), level, optname, value.data(), static_cast<socklen_t>(value.size())) != 0) {
    return detail::fail_syscall("net::Socket::setsockopt", errno);
  }
  return {};
}

PYOSSL_DECL result<void> Socket::setblocking(bool blocking) {
  constexpr std::string_view operation = "net::Socket::setblocking";
  const int flags = ::fcntl(fileno(), F_GETFL);
  if (flags < 0) return detail::fail_syscall(operation, errno);
  const int wanted = blocking ? (flags & ~O_NONBLOCK) : (flags | O_NONBLOCK);
  if (wanted != flags && ::fcntl(fileno(), F_SETFL, wanted) != 0)
    return detail::fail_syscall(operation, errno);
  return {};
}

PYOSSL_DECL result<void> Socket::set_io_timeout(std::chrono::milliseconds timeout) {
  constexpr std::string_view operation = "net::Socket::set_io_timeout";
  if (timeout.count() < 0)
    return detail::fail(errc::invalid_argument, operation, "timeout must not be negative");
  timeval limit{};
  limit.tv_sec = static_cast<time_t>(timeout.count() / 1000);
  limit.tv_usec = static_cast<suseconds_t>((timeout.count() % 1000) * 1000);
  for (const int option : {SO_RCVTIMEO, SO_SNDTIMEO}) {
    if (::setsockopt(fileno(), SOL_SOCKET, option, &limit, sizeof(limit)) != 0) {
      return detail::fail_syscall(operation, errno);
    }
  }
  return {};
}

PYOSSL_DECL result<void> Socket::shutdown(int how) {
  if (::shutdown(fileno(), how) != 0) return detail::fail_syscall("net::Socket::shutdown", errno);
  return {};
}

PYOSSL_DECL result<std::size_t> Socket::send(std::span<const std::byte> data) {
  ssize_t sent = 0;
  do {
    sent = ::send(fileno(), data.data(), data.size(), detail::send_no_sigpipe);
  } while (sent < 0 && errno == EINTR);
  if (sent < 0) return detail::fail_syscall("net::Socket::send", errno);
  return static_cast<std::size_t>(sent);
}

PYOSSL_DECL result<std::size_t> Socket::send(std::string_view data) {
  return send(std::as_bytes(std::span(data)));
}

PYOSSL_DECL result<std::size_t> Socket::recv_into(std::span<std::byte> buffer) {
  ssize_t received = 0;
  do {
    received = ::recv(fileno(), buffer.data(), buffer.size(), 0);
  } while (received < 0 && errno == EINTR);
  if (received < 0) return detail::fail_syscall("net::Socket::recv", errno);
  return static_cast<std::size_t>(received);
}

PYOSSL_DECL result<std::string> Socket::recv(std::size_t bufsize) {
  std::string data(bufsize, '\0');
  auto received = recv_into(std::as_writable_bytes(std::span(data)));
  if (!received) return unexpected(std::move(received).error());
  data.resize(*received);
  return data;
}

PYOSSL_DECL result<detail::handle<addrinfo>> Socket::resolve(std::string_view operation,
                                                             const Address& address, bool passive) const {
  sockaddr_storage self{};
  socklen_t length = sizeof(self);
  if (::getsockname(fileno(), reinterpret_cast<sockaddr*>(&self), &length) != 0) {
    return detail::fail_syscall(operation, errno);
  }
  return detail::resolve(operation, address, self.ss_family, passive);
}

PYOSSL_DECL std::string Socket::describe(std::string_view action, const Address& address, int errnum) {
  return std::string(action) + " " + to_string(address) + ": " + detail::errno_text(errnum);
}

}  // namespace pyossl::net
#endif  // PYOSSL_DEFINITIONS
