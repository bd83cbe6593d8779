// pyossl's error model: what kinds of failure there are (errc), what one failure carries
// (pyossl::error), the result<T> every fallible call returns, and, for those who prefer
// exceptions, unwrap() and the exception classes named like pyOpenSSL's.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "pyossl/detail/config.hpp"

namespace pyossl {

// The kinds of failure. The first six are SSL_get_error's outcomes, as pyOpenSSL's
// SSL.Error and its subclasses name them; crypto and rand are those modules' Error.
enum class errc {
  ssl = 1,           // SSL.Error: a TLS-level failure (SSL_ERROR_SSL)
  zero_return,       // SSL.ZeroReturnError: the peer closed the TLS connection cleanly
  want_read,         // SSL.WantReadError: call again when the transport has data to read
  want_write,        // SSL.WantWriteError: call again when the transport can take data
  want_x509_lookup,  // SSL.WantX509LookupError: a certificate callback asked to be called again
  syscall,           // SSL.SysCallError: the transport failed, or ended without close_notify
  crypto,            // crypto.Error: a certificate, key or encoding operation failed
  rand,              // rand.Error: the random generator or its seed source failed
  invalid_argument,  // the call itself was wrong (bad size, wrong file type, misuse)
  unsupported,       // this OpenSSL cannot do it (removed primitive, missing provider)
};

namespace detail {
// What each kind of failure means, in words.
[[nodiscard]] PYOSSL_DECL const char* errc_text(errc kind) noexcept;

class error_category_impl final : public std::error_category {
 public:
  [[nodiscard]] const char* name() const noexcept override { return "pyossl"; }
  [[nodiscard]] std::string message(int value) const override;
};
}  // namespace detail

// The category of every pyossl error code.
PYOSSL_DECL const std::error_category& error_category() noexcept;

PYOSSL_DECL std::error_code make_error_code(errc kind) noexcept;

}  // namespace pyossl

template <>
struct std::is_error_code_enum<pyossl::errc> : std::true_type {};

namespace pyossl {

// One entry of OpenSSL's error queue: pyOpenSSL's (lib, function, reason) tuple, plus the
// packed code and any text OpenSSL attached to the entry.
struct error_queue_entry {
  unsigned long code = 0;
  std::string lib;
  std::string func;
  std::string reason;
  std::string data;
};

// Why a peer's certificate chain was rejected: X509_STORE_CTX's verdict at the failure.
struct verify_failure {
  long code = 0;        // X509_V_ERR_*
  std::string text;     // X509_verify_cert_error_string(code)
  int depth = 0;        // 0 is the peer's own certificate
  std::string subject;  // the failing certificate's subject, one line
};

namespace detail {
// What an error carries beyond its kind: kept on the heap, and made only when there is
// something to carry, so a want_read / want_write error costs no allocation.
struct error_details {
  std::string operation;
  std::vector<error_queue_entry> queue;
  std::string reason;
  int sys_errno = 0;
  std::string sys_errstr;
  std::optional<verify_failure> verification;
};

// Frees an error's details out of line: every result<T>'s destructor runs ~error, and
// inlining the details' destruction there would copy it into each of them.
struct error_details_deleter {
  [[gnu::noinline]] void operator()(error_details* details) const noexcept {
    std::default_delete<error_details>()(details);
  }
};

// An operation name (or a fixed reason) with static storage duration, e.g. a function-local
// static std::string: an error that refers to one allocates nothing (the hot paths' errors).
struct static_text {
  const std::string* text = nullptr;
};
}  // namespace detail

// One failure, complete: what kind, which operation, everything OpenSSL queued for it,
// and for transport failures the errno; never an empty message. Small (its kind and two
// pointers) until it carries something: queue entries, a reason, errno, a verification.
class error {
 public:
  error(errc kind, std::string operation, std::vector<error_queue_entry> queue = {}, std::string reason = {});
  // An error naming a static operation (and reason): allocates nothing (pyossl's hot paths).
  error(errc kind, detail::static_text operation, detail::static_text reason = {}) noexcept
      : kind_(kind), static_operation_(operation.text), static_reason_(reason.text) {}

  error(const error& other);
  error& operator=(const error& other);
  error(error&&) noexcept = default;
  error& operator=(error&&) noexcept = default;
  ~error() = default;

  [[nodiscard]] errc kind() const noexcept { return kind_; }
  [[nodiscard]] std::error_code code() const noexcept { return make_error_code(kind_); }
  // The operation that failed, in OpenSSL's or pyossl's terms ("SSL_do_handshake", "rand::egd").
  [[nodiscard]] const std::string& operation() const noexcept;
  // OpenSSL's error queue as drained at the failure, oldest entry first.
  [[nodiscard]] const std::vector<error_queue_entry>& queue() const noexcept;
  // pyossl's own explanation where OpenSSL queued none (or to add to it).
  [[nodiscard]] const std::string& reason() const noexcept;

  // For errc::syscall: pyOpenSSL's (errnum, errstr). An EOF that broke the protocol is
  // (-1, "Unexpected EOF"); 0 when no errno applies.
  [[nodiscard]] int sys_errno() const noexcept { return details_ ? details_->sys_errno : 0; }
  [[nodiscard]] const std::string& sys_errstr() const noexcept;
  error& set_syscall(int errnum, std::string errstr) &;

  // For a failed certificate verification: which certificate, at what depth, and why.
  [[nodiscard]] const std::optional<verify_failure>& verification() const noexcept;
  error& set_verification(verify_failure failure) &;

  // One readable line: the operation and the first reason ("SSL_do_handshake: certificate
  // verify failed (unable to get local issuer certificate)").
  [[nodiscard]] std::string message() const;

  friend bool operator==(const error& e, errc kind) noexcept { return e.kind_ == kind; }

 private:
  static void append_parenthesised(std::string& line, const std::string& text);
  [[nodiscard]] static const std::string& empty_text() noexcept;
  [[nodiscard]] detail::error_details& details();

  errc kind_;
  const std::string* static_operation_ = nullptr;  // else details_->operation
  const std::string* static_reason_ = nullptr;     // else details_->reason
  using details_pointer = std::unique_ptr<detail::error_details, detail::error_details_deleter>;
  [[nodiscard]] static details_pointer make_details();

  details_pointer details_;
};

}  // namespace pyossl

#include "pyossl/detail/result.hpp"

namespace pyossl {

// The base of every exception pyossl throws (only from unwrap, see below). It is a
// std::system_error whose code() is the error's kind, and it keeps the whole error.
// what() is the error's message() alone: std::system_error would append the kind's text
// (": crypto error"), which the message already says or makes plain.
class exception : public std::system_error {
 public:
  explicit exception(pyossl::error e)
      : std::system_error(e.code()), what_(e.message()), error_(std::move(e)) {}
  [[nodiscard]] const char* what() const noexcept override { return what_.c_str(); }
  [[nodiscard]] const pyossl::error& error() const noexcept { return error_; }

 private:
  std::string what_;
  pyossl::error error_;
};

// The exception classes of pyOpenSSL's modules, for code ported with unwrap().
namespace ssl {
class Error : public exception {
 public:
  using exception::exception;
};
class ZeroReturnError : public Error {
 public:
  using Error::Error;
};
class WantReadError : public Error {
 public:
  using Error::Error;
};
class WantWriteError : public Error {
 public:
  using Error::Error;
};
class WantX509LookupError : public Error {
 public:
  using Error::Error;
};
class SysCallError : public Error {
 public:
  using Error::Error;
};
}  // namespace ssl
namespace crypto {
class Error : public exception {
 public:
  using exception::exception;
};
}  // namespace crypto
namespace rand {
class Error : public exception {
 public:
  using exception::exception;
};
}  // namespace rand

// Throws the exception class that matches the error's kind: ssl::Error and its
// subclasses, crypto::Error, rand::Error; invalid_argument and unsupported throw
// pyossl::exception itself (pyOpenSSL raises TypeError/ValueError there).
[[noreturn]] PYOSSL_DECL void throw_error(pyossl::error e);

// The value of a result, or the matching exception: the pyOpenSSL way of failing.
template <class T>
T unwrap(result<T> r) {
  if (!r.has_value()) throw_error(std::move(r).error());
  if constexpr (!std::is_void_v<T>) return std::move(*r);
}

}  // namespace pyossl

// Definitions: inline, or compiled once in the compiled mode (pyossl/detail/config.hpp).
#if PYOSSL_DEFINITIONS

namespace pyossl::detail {

PYOSSL_DECL const char* errc_text(errc kind) noexcept {
  switch (kind) {
    case errc::ssl:
      return "SSL error";
    case errc::zero_return:
      return "TLS connection closed by peer";
    case errc::want_read:
      return "operation wants to read from the transport";
    case errc::want_write:
      return "operation wants to write to the transport";
    case errc::want_x509_lookup:
      return "operation wants an X509 lookup callback";
    case errc::syscall:
      return "transport error";
    case errc::crypto:
      return "crypto error";
    case errc::rand:
      return "random number generator error";
    case errc::invalid_argument:
      return "invalid argument";
    case errc::unsupported:
      return "not supported by this OpenSSL";
  }
  return "unknown pyossl error";
}

PYOSSL_DECL std::string error_category_impl::message(int value) const {
  return errc_text(static_cast<errc>(value));
}

}  // namespace pyossl::detail

namespace pyossl {

PYOSSL_DECL const std::error_category& error_category() noexcept {
  static const detail::error_category_impl category;
  return category;
}

PYOSSL_DECL std::error_code make_error_code(errc kind) noexcept {
  return {static_cast<int>(kind), error_category()};
}

PYOSSL_DECL error::error(errc kind, std::string operation, std::vector<error_queue_entry> queue,
                         std::string reason)
    : kind_(kind), details_(make_details()) {
  details_->operation = std::move(operation);
  details_->queue = std::move(queue);
  details_->reason = std::move(reason);
}

PYOSSL_DECL error::error(const error& other)
    : kind_(other.kind_),
      static_operation_(other.static_operation_),
      static_reason_(other.static_reason_),
      details_(other.details_ ? make_details() : nullptr) {
  if (details_) *details_ = *other.details_;
}

PYOSSL_DECL error& error::operator=(const error& other) {
  if (this != &other) *this = error(other);
  return *this;
}

PYOSSL_DECL const std::string& error::operation() const noexcept {
  if (static_operation_ != nullptr) return *static_operation_;
  return details_ ? details_->operation : empty_text();
}

PYOSSL_DECL const std::vector<error_queue_entry>& error::queue() const noexcept {
  static const std::vector<error_queue_entry> none;
  return details_ ? details_->queue : none;
}

PYOSSL_DECL const std::string& error::reason() const noexcept {
  if (static_reason_ != nullptr) return *static_reason_;
  return details_ ? details_->reason : empty_text();
}

PYOSSL_DECL const std::string& error::sys_errstr() const noexcept {
  return details_ ? details_->sys_errstr : empty_text();
}

PYOSSL_DECL error& error::set_syscall(int errnum, std::string errstr) & {
  details().sys_errno = errnum;
  details().sys_errstr = std::move(errstr);
  return *this;
}

PYOSSL_DECL const std::optional<verify_failure>& error::verification() const noexcept {
  static const std::optional<verify_failure> none;
  return details_ ? details_->verification : none;
}

PYOSSL_DECL error& error::set_verification(verify_failure failure) & {
  details().verification = std::move(failure);
  return *this;
}

PYOSSL_DECL std::string error::message() const {
  const std::string& name = operation();
  std::string line = name.empty() ? std::string("pyossl") : name;
  line += ": ";
  if (!reason().empty()) {
    line += reason();
  } else if (details_ && !details_->queue.empty()) {
    const error_queue_entry& first = details_->queue.front();
    line += first.reason;
    if (!first.data.empty()) append_parenthesised(line, first.data);
  } else if (details_ && !details_->sys_errstr.empty()) {
    line += details_->sys_errstr;
  } else {
    line += detail::errc_text(kind_);
  }
  if (details_ && details_->verification && line.find(details_->verification->text) == std::string::npos) {
    append_parenthesised(line, details_->verification->text);
  }
  return line;
}

PYOSSL_DECL void error::append_parenthesised(std::string& line, const std::string& text) {
  line += " (";
  line += text;
  line += ')';
}

PYOSSL_DECL const std::string& error::empty_text() noexcept {
  static const std::string none;
  return none;
}

PYOSSL_DECL detail::error_details& error::details() {
  if (!details_) details_ = make_details();
  return *details_;
}

PYOSSL_DECL auto error::make_details() -> details_pointer {
  return details_pointer(std::make_unique<detail::error_details>().release());
}

PYOSSL_DECL void throw_error(pyossl::error e) {
  switch (e.kind()) {
    case errc::ssl:
      throw ssl::Error(std::move(e));
    case errc::zero_return:
      throw ssl::ZeroReturnError(std::move(e));
    case errc::want_read:
      throw ssl::WantReadError(std::move(e));
    case errc::want_write:
      throw ssl::WantWriteError(std::move(e));
    case errc::want_x509_lookup:
      throw ssl::WantX509LookupError(std::move(e));
    case errc::syscall:
      throw ssl::SysCallError(std::move(e));
    case errc::crypto:
      throw crypto::Error(std::move(e));
    case errc::rand:
      throw rand::Error(std::move(e));
    case errc::invalid_argument:
    case errc::unsupported:
      break;
  }
  throw exception(std::move(e));
}

}  // namespace pyossl
#endif  // PYOSSL_DEFINITIONS
