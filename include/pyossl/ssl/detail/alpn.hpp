// ALPN's wire format: the protocol names a client offers, each preceded by its length in
// one byte (RFC 7301), as SSL_CTX_set_alpn_protos and SSL_set_alpn_protos take them.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "pyossl/detail/openssl_error.hpp"
#include "pyossl/error.hpp"

namespace pyossl::detail {

// The wire form of `protocols` (strings or string_views). An empty list, an empty name or
// one over 255 bytes is errc::invalid_argument.
template <class Range>
[[nodiscard]] result<std::string> alpn_wire(std::string_view operation, const Range& protocols) {
  std::string wire;
  for (const auto& protocol : protocols) {
    const std::string_view name(protocol);
    if (name.empty()) return fail(errc::invalid_argument, operation, "an ALPN protocol name cannot be empty");
    if (name.size() > 255) {
      return fail(errc::invalid_argument, operation, "an ALPN protocol name is at most 255 bytes long");
    }
    wire += static_cast<char>(static_cast<unsigned char>(name.size()));
    wire += name;
  }
  if (wire.empty()) return fail(errc::invalid_argument, operation, "give at least one ALPN protocol name");
  return wire;
}

}  // namespace pyossl::detail
