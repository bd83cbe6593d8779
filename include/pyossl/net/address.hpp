// pyossl::net::Address — a TCP endpoint, Python's (host, port) pair, and its resolution
// with getaddrinfo.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "pyossl/detail/c_string.hpp"
#include "pyossl/detail/config.hpp"
#include "pyossl/detail/handle.hpp"
#include "pyossl/detail/openssl_error.hpp"
#include "pyossl/error.hpp"

namespace pyossl::net {

// Python's (host, port). `host` is a numeric address ("127.0.0.1", "::1", IPv6 without
// brackets) or a name that getaddrinfo resolves ("localhost"); an empty host means "any
// address" for bind and the loopback address for connect. Port 0 in bind picks a free port.
struct Address {
  std::string host;
  std::uint16_t port = 0;

  friend bool operator==(const Address&, const Address&) = default;
};

// "127.0.0.1:443", or "[::1]:443" for an IPv6 host: for messages and logs.
[[nodiscard]] PYOSSL_DECL std::string to_string(const Address& address);

}  // namespace pyossl::net

namespace pyossl::detail {

// getaddrinfo's list shares the one owning handle; freeaddrinfo frees the whole list.
template <>
struct native_traits<addrinfo> {
  static void free(addrinfo* p) noexcept { ::freeaddrinfo(p); }
};

// Resolves `address` for a TCP socket of `family` (AF_INET or AF_INET6). `passive` is for
// bind (an empty host is the wildcard address). The port is never looked up as a service
// name (AI_NUMERICSERV). Fails with errc::invalid_argument and getaddrinfo's reason.
[[nodiscard]] PYOSSL_DECL result<handle<addrinfo>> resolve(std::string_view operation,
                                                           const net::Address& address, int family,
                                                           bool passive);

// The numeric host and port of a socket address (getnameinfo with NI_NUMERICHOST, so it
// never touches DNS). Fails with errc::invalid_argument for a non-IP address family.
[[nodiscard]] PYOSSL_DECL result<net::Address> to_address(std::string_view operation,
                                                          const sockaddr_storage& storage, socklen_t length);

}  // namespace pyossl::detail

// Definitions: inline, or compiled once in the compiled mode (pyossl/detail/config.hpp).
#if PYOSSL_DEFINITIONS

namespace pyossl::net {

PYOSSL_DECL std::string to_string(const Address& address) {
  const bool ipv6 = address.host.find(':') != std::string::npos;
  return (ipv6 ? "[" + address.host + "]" : address.host) + ":" + std::to_string(address.port);
}

}  // namespace pyossl::net

namespace pyossl::detail {

PYOSSL_DECL result<handle<addrinfo>> resolve(std::string_view operation, const net::Address& address,
                                             int family, bool passive) {
  auto host = c_string(operation, "host", address.host);
  if (!host) return unexpected(std::move(host).error());
  addrinfo hints{};
  hints.ai_family = family;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_protocol = IPPROTO_TCP;
  hints.ai_flags = AI_NUMERICSERV | (passive ? AI_PASSIVE : 0);
  const std::string port = std::to_string(address.port);
  addrinfo* list = nullptr;
  const int status = ::getaddrinfo(host->empty() ? nullptr : host->c_str(), port.c_str(), &hints, &list);
  if (status != 0) {
    return fail(errc::invalid_argument, operation,
                "cannot resolve " + net::to_string(address) + ": " + ::gai_strerror(status));
  }
  return adopt(list);
}

PYOSSL_DECL result<net::Address> to_address(std::string_view operation, const sockaddr_storage& storage,
                                            socklen_t length) {
  std::uint16_t port = 0;
  if (storage.ss_family == AF_INET) {
    sockaddr_in ipv4{};
    std::memcpy(&ipv4, &storage, sizeof(ipv4));
    port = ntohs(ipv4.sin_port);
  } else if (storage.ss_family == AF_INET6) {
    sockaddr_in6 ipv6{};
    std::memcpy(&ipv6, &storage, sizeof(ipv6));
    port = ntohs(ipv6.sin6_port);
  } else {
    return fail(errc::invalid_argument, operation, "not an IPv4 or IPv6 socket address");
  }
  char host[NI_MAXHOST];
  const int status = ::getnameinfo(reinterpret_cast<const sockaddr*>(&storage), length, host, sizeof(host),
                                   nullptr, 0, NI_NUMERICHOST);
  if (status != 0) return fail(errc::invalid_argument, operation, ::gai_strerror(status));
  return net::Address{host, port};
}

}  // namespace pyossl::detail
#endif  // PYOSSL_DEFINITIONS
