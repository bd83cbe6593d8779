// Strings handed to OpenSSL's C API, which ends them at the first NUL.
#pragma once

#include <string>
#include <string_view>

#include "pyossl/detail/openssl_error.hpp"

namespace pyossl::detail {

// `text` as a C string, or errc::invalid_argument if it holds a NUL byte that C would
// silently cut it at. `what` names the argument in the message ("path", "cipher list").
[[nodiscard]] inline result<std::string> c_string(std::string_view operation, std::string_view what,
                                                  std::string_view text) {
  if (text.find('\0') != std::string_view::npos) {
    return fail(errc::invalid_argument, operation, std::string(what) + " contains a NUL byte");
  }
  return std::string(text);
}

}  // namespace pyossl::detail
