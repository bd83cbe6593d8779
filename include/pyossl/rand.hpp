// pyossl::rand — pyOpenSSL's OpenSSL.rand: the OpenSSL random generator.
//
// Every function of manual section 3.2. Where OpenSSL 3 no longer has the primitive,
// the function says so below: cleanup() is a no-op, screen() exists only on Windows,
// and egd() speaks the EGD protocol itself since OpenSSL dropped RAND_egd.
#pragma once

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstddef>
#include <cstring>
#include <span>
#include <string>
#include <string_view>

#include <openssl/rand.h>

#include <sys/socket.h>
#include <sys/un.h>

#include "pyossl/detail/c_string.hpp"
#include "pyossl/detail/config.hpp"
#include "pyossl/detail/openssl_error.hpp"
#include "pyossl/detail/syscall_error.hpp"
#include "pyossl/detail/unique_fd.hpp"
#include "pyossl/error.hpp"

namespace pyossl::rand {

// Mixes `data` into the generator's state, crediting `entropy` bytes of randomness
// (a lower bound). Calls RAND_add. Cannot fail.
PYOSSL_DECL void add(std::span<const std::byte> data, double entropy) noexcept;
PYOSSL_DECL void add(std::string_view data, double entropy) noexcept;

// Same as add(data, data.size()): every byte counted as random. Calls RAND_add.
PYOSSL_DECL void seed(std::string_view data) noexcept;
PYOSSL_DECL void seed(std::span<const std::byte> data) noexcept;

// Fills `out` with random bytes (beyond the manual: no allocation). Calls RAND_bytes;
// fails with errc::rand if the generator cannot produce them.
[[nodiscard]] PYOSSL_DECL result<void> bytes_into(std::span<std::byte> out);

// `num_bytes` random bytes as a string. Calls RAND_bytes. A negative count is
// errc::invalid_argument; a generator that cannot deliver is errc::rand.
[[nodiscard]] PYOSSL_DECL result<std::string> bytes(long num_bytes);

// True if the generator has been seeded with enough data. Calls RAND_status.
[[nodiscard]] inline bool status() noexcept { return RAND_status() == 1; }

// pyOpenSSL's "erase the memory used by the PRNG". RAND_cleanup has been a no-op since
// OpenSSL 1.1 (OpenSSL frees its state at exit), so this does nothing.
inline void cleanup() noexcept {}

// Windows' "add the screen's contents": on Windows, asks OpenSSL to reseed from the
// operating system (RAND_poll, the modern equivalent of the removed RAND_screen);
// elsewhere fails with errc::unsupported.
[[nodiscard]] PYOSSL_DECL result<void> screen();

}  // namespace pyossl::rand

// The EGD client's and the seed files' plumbing.
namespace pyossl::detail {

// errc::rand for `operation`; a non-zero `errnum` adds its text to the reason ("cannot read
// x: No such file or directory") and is carried as the error's sys_errno.
[[nodiscard]] PYOSSL_DECL unexpected<error> rand_failure(std::string_view operation, std::string_view what,
                                                         int errnum = 0);

// Reads exactly out.size() bytes; false on EOF or error (errno tells which: 0 is EOF).
[[nodiscard]] PYOSSL_DECL bool read_exactly(int fd, std::span<unsigned char> out, std::size_t& got) noexcept;

[[nodiscard]] PYOSSL_DECL bool write_all(int fd, std::span<const unsigned char> data) noexcept;

}  // namespace pyossl::detail

namespace pyossl::rand {

// Asks the Entropy Gathering Daemon on the Unix socket `path` for `bytes` bytes and adds
// them to the generator; returns how many it got. OpenSSL 3 has no RAND_egd, so this
// speaks EGD's protocol itself (command 0x01: "read entropy, non-blocking", at most 255
// bytes a request) and stops early when the daemon has less entropy than asked.
// Fails with errc::rand, carrying errno, if the socket cannot be reached or the daemon
// closes early or answers short; errc::invalid_argument for a bad path or count.
[[nodiscard]] PYOSSL_DECL result<int> egd(std::string_view path, int bytes = 255);

// Seeds the generator from the file at `path`: `max_bytes` bytes, or all of it when
// negative. Returns how many bytes were read. Calls RAND_load_file; a file that cannot
// be read is errc::rand, its reason ending in errno's text ("No such file or directory").
[[nodiscard]] PYOSSL_DECL result<int> load_file(std::string_view path, long max_bytes = -1);

// Writes 1024 random bytes to `path`, for load_file to seed from later; returns the
// count written. Calls RAND_write_file; a file that cannot be written is errc::rand, its
// reason ending in errno's text.
[[nodiscard]] PYOSSL_DECL result<int> write_file(std::string_view path);

}  // namespace pyossl::rand

// Definitions: inline, or compiled once in the compiled mode (pyossl/detail/config.hpp).
#if PYOSSL_DEFINITIONS

namespace pyossl::rand {

PYOSSL_DECL void add(std::span<const std::byte> data, double entropy) noexcept {
  // RAND_add takes an int length: feed larger buffers in pieces, entropy spread evenly.
  const double per_byte = data.empty() ? 0.0 : entropy / static_cast<double>(data.size());
  while (!data.empty()) {
    const std::size_t piece = std::min<std::size_t>(data.size(), INT_MAX);
    RAND_add(data.data(), static_cast<int>(piece), per_byte * static_cast<double>(piece));
    data = data.subspan(piece);
  }
}

PYOSSL_DECL void add(std::string_view data, double entropy) noexcept {
  add(std::as_bytes(std::span(data)), entropy);
}

PYOSSL_DECL void seed(std::string_view data) noexcept { add(data, static_cast<double>(data.size())); }

PYOSSL_DECL void seed(std::span<const std::byte> data) noexcept {
  add(data, static_cast<double>(data.size()));
}

PYOSSL_DECL result<void> bytes_into(std::span<std::byte> out) {
  while (!out.empty()) {
    const std::size_t piece = std::min<std::size_t>(out.size(), INT_MAX);
    if (RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(piece)) != 1) {
      return detail::fail(errc::rand, "rand::bytes");
    }
    out = out.subspan(piece);
  }
  return {};
}

PYOSSL_DECL result<std::string> bytes(long num_bytes) {
  if (num_bytes < 0)
    return detail::fail(errc::invalid_argument, "rand::bytes", "num_bytes must not be negative");
#if defined(__cpp_lib_string_resize_and_overwrite)
  // Allocated once and written once, by OpenSSL (no zero fill first).
  std::string out;
  result<void> filled;
  // libstdc++ 12 hands the callback the new capacity, not the size asked for: use our own.
  const auto count = static_cast<std::size_t>(num_bytes);
  out.resize_and_overwrite(count, [&filled, count](char* data, std::size_t /*capacity*/) {
    filled = bytes_into(std::as_writable_bytes(std::span(data, count)));
    return filled ? count : 0;
  });
#else
  std::string out(static_cast<std::size_t>(num_bytes), '\0');
  auto filled = bytes_into(std::as_writable_bytes(std::span(out)));
#endif
  if (!filled) return unexpected(std::move(filled).error());
  return out;
}

PYOSSL_DECL result<void> screen() {
#if defined(_WIN32)
  if (RAND_poll() != 1) return detail::fail(errc::rand, "rand::screen");
  return {};
#else
  return detail::fail(errc::unsupported, "rand::screen", "rand::screen is available on Windows only");
#endif
}

}  // namespace pyossl::rand

namespace pyossl::detail {

PYOSSL_DECL unexpected<error> rand_failure(std::string_view operation, std::string_view what, int errnum) {
  std::string reason(what);
  if (errnum != 0) reason += ": " + errno_text(errnum);
  error e = openssl_error(errc::rand, operation, reason);
  if (errnum != 0) e.set_syscall(errnum, errno_text(errnum));
  return unexpected<error>(std::move(e));
}

PYOSSL_DECL bool read_exactly(int fd, std::span<unsigned char> out, std::size_t& got) noexcept {
  got = 0;
  while (got < out.size()) {
    const ssize_t n = ::recv(fd, out.data() + got, out.size() - got, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      if (n == 0) errno = 0;
      return false;
    }
    got += static_cast<std::size_t>(n);
  }
  return true;
}

PYOSSL_DECL bool write_all(int fd, std::span<const unsigned char> data) noexcept {
  while (!data.empty()) {
    const ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data = data.subspan(static_cast<std::size_t>(n));
  }
  return true;
}

}  // namespace pyossl::detail

namespace pyossl::rand {

PYOSSL_DECL result<int> egd(std::string_view path, int bytes) {
  constexpr std::string_view operation = "rand::egd";
  if (bytes < 0) return detail::fail(errc::invalid_argument, operation, "bytes must not be negative");
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof(address.sun_path) || path.find('\0') != std::string_view::npos) {
    return detail::fail(errc::invalid_argument, operation,
                        "path must be a Unix socket path of 1 to 107 bytes without NUL");
  }
  std::memcpy(address.sun_path, path.data(), path.size());

  detail::unique_fd socket_fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!socket_fd.valid()) return detail::rand_failure("rand::egd", "cannot create a Unix socket", errno);
  int rc = 0;
  do {
    rc = ::connect(socket_fd.get(), reinterpret_cast<const sockaddr*>(&address), sizeof(address));
  } while (rc != 0 && errno == EINTR);
  if (rc != 0)
    return detail::rand_failure("rand::egd", "cannot connect to the EGD socket " + std::string(path), errno);

  int total = 0;
  unsigned char buffer[255];
  while (total < bytes) {
    const auto wanted = static_cast<unsigned char>(std::min(bytes - total, 255));
    const unsigned char request[2] = {0x01, wanted};
    if (!detail::write_all(socket_fd.get(), request)) {
      return detail::rand_failure("rand::egd", "cannot send the request to EGD", errno);
    }
    unsigned char count = 0;
    std::size_t got = 0;
    if (!detail::read_exactly(socket_fd.get(), std::span(&count, 1), got)) {
      return detail::rand_failure("rand::egd", "EGD closed the connection before answering", errno);
    }
    if (count > wanted)
      return detail::rand_failure("rand::egd", "EGD answered with more bytes than were asked for");
    if (!detail::read_exactly(socket_fd.get(), std::span(buffer, count), got)) {
      return detail::rand_failure(
          "rand::egd",
          "EGD promised " + std::to_string(count) + " bytes but sent only " + std::to_string(got), errno);
    }
    RAND_add(buffer, count, static_cast<double>(count));
    total += count;
    if (count < wanted) break;  // the daemon has no more entropy right now
  }
  OPENSSL_cleanse(buffer, sizeof(buffer));
  return total;
}

PYOSSL_DECL result<int> load_file(std::string_view path, long max_bytes) {
  auto c_path = detail::c_string("rand::load_file", "path", path);
  if (!c_path) return unexpected(std::move(c_path).error());
  ERR_clear_error();
  // OpenSSL queues only "Filename=..." for a file it cannot open; errno says why.
  errno = 0;
  const int read = RAND_load_file(c_path->c_str(), max_bytes);
  const int errnum = errno;
  if (read < 0 || (read == 0 && ERR_peek_error() != 0)) {
    return detail::rand_failure("rand::load_file", "cannot read " + *c_path, errnum);
  }
  return read;
}

PYOSSL_DECL result<int> write_file(std::string_view path) {
  auto c_path = detail::c_string("rand::write_file", "path", path);
  if (!c_path) return unexpected(std::move(c_path).error());
  errno = 0;  // as in load_file
  const int written = RAND_write_file(c_path->c_str());
  const int errnum = errno;
  if (written < 0) return detail::rand_failure("rand::write_file", "cannot write " + *c_path, errnum);
  return written;
}

}  // namespace pyossl::rand
#endif  // PYOSSL_DEFINITIONS
