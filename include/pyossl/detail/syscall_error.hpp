// Failures of plain system calls (sockets): errc::syscall carrying errno, the way
// pyOpenSSL's SysCallError carries (errnum, errstr).
#pragma once

#include <string>
#include <string_view>
#include <system_error>

#include "pyossl/detail/config.hpp"
#include "pyossl/detail/openssl_error.hpp"

namespace pyossl::detail {

// errc::syscall for `operation`, with errno `errnum` and its text attached. `reason`
// adds context to the message ("connect to 127.0.0.1 port 9: Connection refused").
[[nodiscard]] PYOSSL_DECL unexpected<error> fail_syscall(std::string_view operation, int errnum,
                                                         std::string_view reason = {});

}  // namespace pyossl::detail

// Definitions: inline, or compiled once in the compiled mode (pyossl/detail/config.hpp).
#if PYOSSL_DEFINITIONS

namespace pyossl::detail {

PYOSSL_DECL unexpected<error> fail_syscall(std::string_view operation, int errnum, std::string_view reason) {
  error e = openssl_error(errc::syscall, operation, reason);
  e.set_syscall(errnum, errno_text(errnum));
  return unexpected<error>(std::move(e));
}

}  // namespace pyossl::detail
#endif  // PYOSSL_DEFINITIONS
