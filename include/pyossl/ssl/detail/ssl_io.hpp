// The plumbing under ssl::Connection's I/O: how one SSL call's outcome becomes a
// pyossl::error (SSL_get_error, exactly as pyOpenSSL maps it), and the BIO that carries
// TLS over a net::Socket without ever raising SIGPIPE.
#pragma once

#include <cerrno>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <sys/socket.h>
#include <sys/types.h>

#include "pyossl/crypto/x509_extension.hpp"
#include "pyossl/detail/config.hpp"
#include "pyossl/detail/handle.hpp"
#include "pyossl/detail/openssl_error.hpp"
#include "pyossl/detail/syscall_error.hpp"
#include "pyossl/error.hpp"
#include "pyossl/net/socket.hpp"
#include "pyossl/ssl/detail/ssl_state.hpp"

namespace pyossl::detail {

[[nodiscard]] PYOSSL_DECL bool queue_has(const std::vector<error_queue_entry>& queue, int lib,
                                         int reason) noexcept;

// The text of a host-name or IP mismatch: the name expected, the certificate's subject, and
// what OpenSSL compared it with, its subjectAltNames; for a certificate without any, that
// its common name is not used (which would otherwise read as a contradiction when the
// common name is the name expected).
[[nodiscard]] PYOSSL_DECL std::string name_mismatch_text(const std::string& expected,
                                                         const std::string& subject, const ::X509* leaf);

// Attaches why the peer's certificate was rejected, when that is why the handshake failed.
// (Failure paths only, as detail::fail: built for size, out of the way.)
[[gnu::cold]] PYOSSL_DECL void attach_verification(error& e, SSL* ssl, const connection_link& link);

// Says which callable's answer failed the handshake (link.refusal), when OpenSSL's reason
// is the one that answer leads to: OpenSSL's own ("no application protocol") cannot tell.
[[gnu::cold]] PYOSSL_DECL void explain_refusal(error& e, const connection_link& link);

// OpenSSL 3 refuses TLS 1.0 and 1.1, and DTLS 1.0 (their signatures, and the versions
// themselves) at security level 1 and up; its own reasons do not say so. Adds the remedy to
// such failures. Only when a version below (D)TLS 1.2 is involved and the level is not 0
// already: a client or server whose minimum is 1.2 or higher never gets it (its refusal of
// an old peer is the setting working). DTLS numbers its versions downwards (DTLS1_VERSION
// 0xFEFF is above TLS1_2_VERSION), so DTLS is compared by name, not by order.
[[gnu::cold]] PYOSSL_DECL void add_legacy_version_hint(error& e, SSL* ssl);

// The calls on ssl::Connection's hot paths, whose want_read / want_write errors must not
// allocate: their names (and bio_read's "nothing waiting" reason) live in static strings.
enum class io_call { read, write, handshake, shutdown, bio_read, nothing_to_bio_read };

[[nodiscard]] PYOSSL_DECL static_text io_call_text(io_call call);

// The error for an SSL call (SSL_read_ex, SSL_do_handshake, ...) that returned `ret`,
// with `saved_errno` read right after it. The caller cleared the queue before the call.
//   SSL_ERROR_ZERO_RETURN -> zero_return, WANT_READ -> want_read, WANT_WRITE -> want_write,
//   WANT_X509_LOOKUP -> want_x509_lookup, SYSCALL -> syscall with errno, SSL -> ssl.
// An EOF that breaks the protocol is syscall with pyOpenSSL's (-1, "Unexpected EOF"),
// whether OpenSSL 3 reports it as SSL_R_UNEXPECTED_EOF_WHILE_READING or as SYSCALL
// with no errno. DTLS has no end of file unless its transport reports one (bio_shutdown):
// SYSCALL with no errno is then ssl "already failed" after an earlier failure
// (link.failed), else syscall (-1) saying the datagram transport failed.
[[nodiscard]] PYOSSL_DECL unexpected<error> ssl_io_failure(SSL* ssl, int ret, int saved_errno, io_call call,
                                                           const connection_link& link);

// ---- The socket BIO ----
//
// OpenSSL's socket BIO writes with write(2), which raises SIGPIPE when the peer has gone.
// This BIO sends with MSG_NOSIGNAL instead (SO_NOSIGPIPE where that is the platform's
// way), so a vanished peer is an EPIPE error, never a dead process. Its data is the
// Connection's net::Socket, read at each call, so a closed socket fails with EBADF rather
// than writing to whatever file reused the descriptor number. EINTR is retried here.

[[nodiscard]] PYOSSL_DECL bool socket_error_is_retryable(int errnum) noexcept;

PYOSSL_DECL int socket_bio_write(BIO* bio, const char* data, std::size_t length,
                                 std::size_t* written) noexcept;

PYOSSL_DECL int socket_bio_read(BIO* bio, char* out, std::size_t length, std::size_t* read) noexcept;

PYOSSL_DECL long socket_bio_ctrl(BIO* bio, int command, long /*number*/, void* pointer) noexcept;

PYOSSL_DECL int socket_bio_create(BIO* bio) noexcept;

inline int socket_bio_destroy(BIO* /*bio*/) noexcept { return 1; }  // the Connection owns the socket

// The method, made once per process (thread-safe static initialisation).
[[nodiscard]] PYOSSL_DECL const BIO_METHOD* socket_bio_method();

}  // namespace pyossl::detail

// Definitions: inline, or compiled once in the compiled mode (pyossl/detail/config.hpp).
#if PYOSSL_DEFINITIONS

namespace pyossl::detail {

PYOSSL_DECL bool queue_has(const std::vector<error_queue_entry>& queue, int lib, int reason) noexcept {
  for (const error_queue_entry& entry : queue) {
    if (ERR_GET_LIB(entry.code) == lib && ERR_GET_REASON(entry.code) == reason) return true;
  }
  return false;
}

PYOSSL_DECL std::string name_mismatch_text(const std::string& expected, const std::string& subject,
                                           const ::X509* leaf) {
  std::string text =
      "certificate verify failed: expected \"" + expected + "\", but the certificate (" + subject + ")";
  const error_queue_mark mark;  // a name that does not decode is said here, not queued
  const int at = leaf != nullptr ? X509_get_ext_by_NID(leaf, NID_subject_alt_name, -1) : -1;
  if (at < 0) return text + " has no subjectAltName, and its common name is not used for host names";
  const std::optional<std::string> names = subject_alt_name_text(X509_get_ext(leaf, at));
  if (!names) return text + " has a subjectAltName that cannot be decoded";
  return text + " names only " + *names;
}

PYOSSL_DECL void explain_refusal(error& e, const connection_link& link) {
  if (link.refusal.text.empty()) return;
  for (const error_queue_entry& entry : e.queue()) {
    if (ERR_GET_LIB(entry.code) == ERR_LIB_SSL && ERR_GET_REASON(entry.code) == link.refusal.reason) {
      e = error(errc::ssl, e.operation(), e.queue(), entry.reason + ": " + link.refusal.text);
      return;
    }
  }
}

PYOSSL_DECL void attach_verification(error& e, SSL* ssl, const connection_link& link) {
  if (!queue_has(e.queue(), ERR_LIB_SSL, SSL_R_CERTIFICATE_VERIFY_FAILED)) return;
  const long code = SSL_get_verify_result(ssl);
  if (link.last_verify_failure && link.last_verify_failure->code == code) {
    e.set_verification(*link.last_verify_failure);
    if ((code == X509_V_ERR_HOSTNAME_MISMATCH || code == X509_V_ERR_IP_ADDRESS_MISMATCH) &&
        !link.expected_host.empty()) {
      // Say both sides of the mismatch: what was expected, and whom the certificate names.
      error named(errc::ssl, e.operation(), e.queue(),
                  name_mismatch_text(link.expected_host, link.last_verify_failure->subject,
                                     link.last_rejected.get()));
      named.set_verification(*link.last_verify_failure);
      e = std::move(named);
    }
    return;
  }
  // Rejected without reaching the trampoline: say what OpenSSL knows.
  handle<::X509> peer = adopt(SSL_get1_peer_certificate(ssl));
  e.set_verification(verify_failure{code, X509_verify_cert_error_string(code), 0, subject_line(peer.get())});
}

PYOSSL_DECL void add_legacy_version_hint(error& e, SSL* ssl) {
  const bool dtls = SSL_is_dtls(ssl) == 1;
  const auto below_1_2 = [dtls](long version) {
    return dtls ? version == DTLS1_VERSION || version == DTLS1_BAD_VER : version < TLS1_2_VERSION;
  };
  const long min_version = SSL_get_min_proto_version(ssl);  // 0: no minimum
  if ((min_version != 0 && !below_1_2(min_version)) || SSL_get_security_level(ssl) == 0) return;
  const long max_version = SSL_get_max_proto_version(ssl);
  const bool legacy = (max_version != 0 && below_1_2(max_version)) || below_1_2(SSL_version(ssl));
  if (!legacy || e.queue().empty()) return;
  if (!queue_has(e.queue(), ERR_LIB_SSL, SSL_R_NO_PROTOCOLS_AVAILABLE) &&
      !queue_has(e.queue(), ERR_LIB_SSL, SSL_R_NO_SUITABLE_SIGNATURE_ALGORITHM) &&
      !queue_has(e.queue(), ERR_LIB_SSL, SSL_R_UNSUPPORTED_PROTOCOL)) {
    return;
  }
  e = error(errc::ssl, e.operation(), e.queue(),
            e.queue().front().reason +
                (dtls ? " (OpenSSL 3 allows DTLS 1.0 only at security level 0: "
                      : " (OpenSSL 3 allows TLS 1.0 and 1.1 only at security level 0: ") +
                "set_cipher_list(\"DEFAULT:@SECLEVEL=0\") on both ends)");
}

PYOSSL_DECL static_text io_call_text(io_call call) {
  static const std::string texts[] = {
      "SSL_read_ex",  "SSL_write_ex", "SSL_do_handshake",
      "SSL_shutdown", "BIO_read_ex",  "TLS has written nothing for the peer since the last bio_read"};
  return {&texts[static_cast<int>(call)]};
}

PYOSSL_DECL unexpected<error> ssl_io_failure(SSL* ssl, int ret, int saved_errno, io_call call,
                                             const connection_link& link) {
  const int outcome = SSL_get_error(ssl, ret);
  // SSL_get_error answers want_* and zero_return only when the queue is empty: these
  // errors have nothing to drain, and name their operation without allocating.
  if (outcome == SSL_ERROR_WANT_READ || outcome == SSL_ERROR_WANT_WRITE ||
      outcome == SSL_ERROR_WANT_X509_LOOKUP) {
    const errc kind = outcome == SSL_ERROR_WANT_READ    ? errc::want_read
                      : outcome == SSL_ERROR_WANT_WRITE ? errc::want_write
                                                        : errc::want_x509_lookup;
    return unexpected<error>(error(kind, io_call_text(call)));
  }
  const std::string_view operation = *io_call_text(call).text;
  switch (outcome) {
    case SSL_ERROR_ZERO_RETURN:
      return fail(errc::zero_return, operation, "the peer closed the TLS connection (close_notify)");
    case SSL_ERROR_SYSCALL: {
      error e = openssl_error(errc::syscall, operation);
      if (saved_errno != 0) {
        e.set_syscall(saved_errno, errno_text(saved_errno));
      } else if (SSL_is_dtls(ssl) == 1 && BIO_eof(SSL_get_rbio(ssl)) != 1) {
        if (link.failed) {
          return unexpected<error>(
              error(errc::ssl, std::string(operation), e.queue(),
                    "the DTLS connection has already failed (an earlier call ended it); it cannot go on"));
        }
        e.set_syscall(-1, "the datagram transport failed and set no errno");
      } else {
        e.set_syscall(-1, "Unexpected EOF");
      }
      return unexpected<error>(std::move(e));
    }
    case SSL_ERROR_SSL: {
      error e = openssl_error(errc::ssl, operation);
      if (queue_has(e.queue(), ERR_LIB_SSL, SSL_R_UNEXPECTED_EOF_WHILE_READING)) {
        error eof(errc::syscall, std::string(operation), e.queue());
        eof.set_syscall(-1, "Unexpected EOF");
        return unexpected<error>(std::move(eof));
      }
      add_legacy_version_hint(e, ssl);
      attach_verification(e, ssl, link);
      explain_refusal(e, link);
      return unexpected<error>(std::move(e));
    }
    default:
      break;
  }
  return fail(errc::ssl, operation, "the TLS operation failed (SSL_get_error gave an unexpected code)");
}

PYOSSL_DECL bool socket_error_is_retryable(int errnum) noexcept {
  return errnum == EAGAIN || errnum == EWOULDBLOCK || errnum == EINPROGRESS || errnum == EALREADY;
}

PYOSSL_DECL int socket_bio_write(BIO* bio, const char* data, std::size_t length,
                                 std::size_t* written) noexcept {
  const auto* socket = static_cast<const net::Socket*>(BIO_get_data(bio));
  BIO_clear_retry_flags(bio);
  *written = 0;
  ssize_t sent = 0;
  do {
    errno = 0;
    sent = ::send(socket->fileno(), data, length, send_no_sigpipe);
  } while (sent < 0 && errno == EINTR);
  if (sent >= 0) {
    *written = static_cast<std::size_t>(sent);
    return 1;
  }
  if (socket_error_is_retryable(errno)) BIO_set_retry_write(bio);
  return 0;
}

PYOSSL_DECL int socket_bio_read(BIO* bio, char* out, std::size_t length, std::size_t* read) noexcept {
  const auto* socket = static_cast<const net::Socket*>(BIO_get_data(bio));
  BIO_clear_retry_flags(bio);
  *read = 0;
  ssize_t received = 0;
  do {
    errno = 0;
    received = ::recv(socket->fileno(), out, length, 0);
  } while (received < 0 && errno == EINTR);
  if (received > 0) {
    *read = static_cast<std::size_t>(received);
    return 1;
  }
  if (received == 0 && length > 0) {
    BIO_set_flags(bio, BIO_FLAGS_IN_EOF);  // what BIO_eof reports, as OpenSSL's socket BIO
  } else if (received < 0 && socket_error_is_retryable(errno)) {
    BIO_set_retry_read(bio);
  }
  return 0;
}

PYOSSL_DECL long socket_bio_ctrl(BIO* bio, int command, long /*number*/, void* pointer) noexcept {
  switch (command) {
    case BIO_CTRL_FLUSH:
      return 1;
    case BIO_CTRL_EOF:
      return BIO_test_flags(bio, BIO_FLAGS_IN_EOF) != 0 ? 1 : 0;
    case BIO_C_GET_FD: {
      const auto* socket = static_cast<const net::Socket*>(BIO_get_data(bio));
      const int fd = socket != nullptr ? socket->fileno() : -1;
      if (pointer != nullptr) *static_cast<int*>(pointer) = fd;
      return fd;
    }
    default:
      return 0;
  }
}

PYOSSL_DECL int socket_bio_create(BIO* bio) noexcept {
  BIO_set_init(bio, 1);
  return 1;
}

PYOSSL_DECL const BIO_METHOD* socket_bio_method() {
  static const handle<BIO_METHOD> method = [] {
    handle<BIO_METHOD> made = adopt(
        BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK | BIO_TYPE_DESCRIPTOR, "pyossl socket"));
    if (!made || BIO_meth_set_write_ex(made.get(), socket_bio_write) != 1 ||
        BIO_meth_set_read_ex(made.get(), socket_bio_read) != 1 ||
        BIO_meth_set_ctrl(made.get(), socket_bio_ctrl) != 1 ||
        BIO_meth_set_create(made.get(), socket_bio_create) != 1 ||
        BIO_meth_set_destroy(made.get(), socket_bio_destroy) != 1) {
      return handle<BIO_METHOD>();
    }
    return made;
  }();
  if (!method) throw std::bad_alloc();
  return method.get();
}

}  // namespace pyossl::detail
#endif  // PYOSSL_DEFINITIONS
