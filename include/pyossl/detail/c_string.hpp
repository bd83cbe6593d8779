// Strings handed to OpenSSL's C API, which ends them at the first NUL.
#pragma once

#include <string>
#include <string_view>

#include "pyossl/detail/config.hpp"
#include "pyossl/detail/openssl_error.hpp"

namespace pyossl::detail {

// `text` as a C string, or errc::invalid_argument if it holds a NUL byte that C would
// silently cut it at. `what` names the argument in the message ("path", "cipher list").
[[nodiscard]] PYOSSL_DECL result<std::string> c_string(std::string_view operation, std::string_view what,
                                                       std::string_view text);

}  // namespace pyossl::detail

// Definitions: inline, or compiled once in the compiled mode (pyossl/detail/config.hpp).
#if PYOSSL_DEFINITIONS

namespace pyossl::detail {

PYOSSL_DECL result<std::string> c_string(std::string_view operation, std::string_view what,
                                         std::string_view text) {
  if (text.find('\0') != std::string_view::npos) {
    return fail(errc::invalid_argument, operation, std::string(what) + " contains a NUL byte");
  }
  return std::string(text);
}

}  // namespace pyossl::detail
#endif  // PYOSSL_DEFINITIONS
