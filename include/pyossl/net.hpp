// pyossl::net — the small TCP socket a socket-backed ssl::Connection runs over:
// net::Socket (RAII, IPv4 and IPv6) and net::Address (Python's (host, port)).
#pragma once

#include "pyossl/net/address.hpp"
#include "pyossl/net/socket.hpp"
