// pyossl::crypto::X509Store — pyOpenSSL's crypto.X509Store (manual 3.1.4): the trusted
// certificates a verification chains up to, and (beyond the manual, as modern pyOpenSSL)
// the flags, time and CRLs it verifies with; X509StoreFlags. Verify with
// crypto::X509StoreContext (crypto/x509_store_context.hpp).
#pragma once

#include <chrono>
#include <ctime>
#include <new>
#include <string>
#include <string_view>
#include <utility>

#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include "pyossl/crypto/x509.hpp"
#include "pyossl/detail/bitmask.hpp"
#include "pyossl/detail/c_string.hpp"
#include "pyossl/detail/config.hpp"
#include "pyossl/detail/handle.hpp"
#include "pyossl/detail/openssl_error.hpp"
#include "pyossl/error.hpp"

namespace pyossl::crypto {

// How an X509Store verifies, pyOpenSSL's X509StoreFlags: OpenSSL's X509_V_FLAG_* bits,
// combined with | (X509StoreFlags::CRL_CHECK | X509StoreFlags::CRL_CHECK_ALL).
enum class X509StoreFlags : unsigned long {
  CRL_CHECK = X509_V_FLAG_CRL_CHECK,                    // check the leaf against its issuer's CRL
  CRL_CHECK_ALL = X509_V_FLAG_CRL_CHECK_ALL,            // with CRL_CHECK: every certificate of the chain
  IGNORE_CRITICAL = X509_V_FLAG_IGNORE_CRITICAL,        // accept unknown critical extensions
  X509_STRICT = X509_V_FLAG_X509_STRICT,                // RFC 5280's rules in full (CA flags, key usage...)
  ALLOW_PROXY_CERTS = X509_V_FLAG_ALLOW_PROXY_CERTS,    // accept RFC 3820 proxy certificates
  POLICY_CHECK = X509_V_FLAG_POLICY_CHECK,              // check certificate policies
  EXPLICIT_POLICY = X509_V_FLAG_EXPLICIT_POLICY,        // require an acceptable policy
  INHIBIT_MAP = X509_V_FLAG_INHIBIT_MAP,                // refuse policy mappings
  NOTIFY_POLICY = X509_V_FLAG_NOTIFY_POLICY,            // report the policy tree to a verify callback
  CHECK_SS_SIGNATURE = X509_V_FLAG_CHECK_SS_SIGNATURE,  // check the root's self-signature too
  PARTIAL_CHAIN = X509_V_FLAG_PARTIAL_CHAIN,            // a trusted intermediate may end the chain
  // pyOpenSSL 16.1 to 23 had it; OpenSSL 1.1 made it a no-op and OpenSSL 3 defines it as 0,
  // so it is accepted and changes nothing.
  CB_ISSUER_CHECK = 0,
};

// The bitmask operators for X509StoreFlags.
using detail::bitmask_operators::operator|;
using detail::bitmask_operators::operator&;
using detail::bitmask_operators::operator^;
using detail::bitmask_operators::operator~;
using detail::bitmask_operators::operator|=;
using detail::bitmask_operators::operator&=;

}  // namespace pyossl::crypto

template <>
struct pyossl::detail::bitmask_enum<pyossl::crypto::X509StoreFlags> : std::true_type {};

namespace pyossl::crypto {

class CRL;

// A store of trusted certificates. OpenSSL cannot copy a store, and a Context's store
// (ssl::Context::get_cert_store) must stay the Context's: so copies of an X509Store share
// one X509_STORE by reference count (X509_STORE_up_ref), and a certificate added through
// any copy is in all of them.
class X509Store {
 public:
  // A new, empty store. Calls X509_STORE_new.
  X509Store();
  // Adopts a store the caller owns (detail::up_ref(p) to share one OpenSSL still uses).
  explicit X509Store(detail::handle<X509_STORE> store) noexcept : store_(std::move(store)) {}

  // Shares the other's store (X509_STORE_up_ref).
  X509Store(const X509Store& other) : store_(share(other.store_.get())) {}
  X509Store& operator=(const X509Store& other);
  // A moved-from X509Store holds no store: add_cert fails with errc::invalid_argument.
  X509Store(X509Store&&) noexcept = default;
  X509Store& operator=(X509Store&&) noexcept = default;
  ~X509Store() = default;

  // Adds `cert` to the trusted certificates (X509_STORE_add_cert, which keeps its own
  // reference; changing `cert` afterwards does not change the store's). Adding a
  // certificate the store already has is not an error (OpenSSL 3 ignores the duplicate;
  // pyOpenSSL 0.10 on OpenSSL 1.0 raised). A moved-from X509 or X509Store:
  // errc::invalid_argument.
  [[nodiscard]] result<void> add_cert(const X509& cert);

  // Beyond the manual (modern pyOpenSSL): trusts the certificates in the PEM file `cafile`
  // and/or the hashed directory `capath` (as `openssl rehash` makes); pass an empty view
  // for the one you do not use. Calls X509_STORE_load_file / X509_STORE_load_path.
  // Neither given, or a NUL byte: errc::invalid_argument; an unreadable file or a file
  // with no certificate: errc::crypto.
  [[nodiscard]] result<void> load_locations(std::string_view cafile, std::string_view capath = {});

  // Beyond the manual (pyOpenSSL 0.15+): adds `flags` to those every verification with
  // this store uses (X509_STORE_set_flags, which ORs them in, as in pyOpenSSL; TLS
  // handshakes of a Context sharing the store use them too). A value with bits that are
  // not X509StoreFlags, or a moved-from store: errc::invalid_argument.
  [[nodiscard]] result<void> set_flags(X509StoreFlags flags);

  // Beyond the manual (pyOpenSSL 17.0+): verifies as if it were `when` instead of now,
  // to the second (X509_VERIFY_PARAM_set_time on the store's parameters, which also turns
  // on X509_V_FLAG_USE_CHECK_TIME). Certificate and CRL validity are checked against it.
  // A moved-from store: errc::invalid_argument.
  [[nodiscard]] result<void> set_time(std::chrono::system_clock::time_point when);

  // Beyond the manual (pyOpenSSL 16.1+): adds a copy of `crl` to the store (X509_CRL_dup,
  // X509_STORE_add_crl), used when CRL_CHECK is set; a signed CRL OpenSSL cannot copy
  // unchanged (odd signature parameters) is shared instead, as raw X509_STORE_add_crl does,
  // so changing that one later changes what the store checks. The same CRL twice is not an error.
  // A CRL never signed, or a moved-from object: errc::invalid_argument. Defined in
  // crypto/crl.hpp (which includes this header), so that users of the store alone do not
  // compile the CRL class.
  [[nodiscard]] result<void> add_crl(const CRL& crl);

  // Beyond the manual (pyOpenSSL 0.12+): trusts OpenSSL's default CA file and directory
  // (the system's, or $SSL_CERT_FILE / $SSL_CERT_DIR). Calls X509_STORE_set_default_paths.
  // A moved-from store: errc::invalid_argument.
  [[nodiscard]] result<void> set_default_paths();

  // The OpenSSL object, still owned by this X509Store (and its copies).
  [[nodiscard]] X509_STORE* native_handle() const noexcept { return store_.get(); }

 private:
  [[nodiscard]] static unexpected<error> moved_from(std::string_view operation);

  [[nodiscard]] static detail::handle<X509_STORE> share(X509_STORE* store);

  detail::handle<X509_STORE> store_;
};

}  // namespace pyossl::crypto

// Definitions: inline, or compiled once in the compiled mode (pyossl/detail/config.hpp).
#if PYOSSL_DEFINITIONS

namespace pyossl::crypto {

PYOSSL_DECL X509Store::X509Store() : store_(detail::adopt(X509_STORE_new())) {
  if (!store_) throw std::bad_alloc();
}

PYOSSL_DECL X509Store& X509Store::operator=(const X509Store& other) {
  if (this != &other) store_ = share(other.store_.get());
  return *this;
}

PYOSSL_DECL result<void> X509Store::add_cert(const X509& cert) {
  constexpr std::string_view operation = "X509_STORE_add_cert";
  if (!store_) return detail::fail(errc::invalid_argument, operation, "the X509Store was moved from");
  if (cert.native_handle() == nullptr)
    return detail::fail(errc::invalid_argument, operation, "the X509 was moved from");
  const detail::handle<::X509> copy = detail::duplicate_certificate(cert.native_handle());
  if (X509_STORE_add_cert(store_.get(), copy.get()) != 1) return detail::fail(errc::crypto, operation);
  return {};
}

PYOSSL_DECL result<void> X509Store::load_locations(std::string_view cafile, std::string_view capath) {
  constexpr std::string_view operation = "X509_STORE_load_locations";
  if (!store_) return detail::fail(errc::invalid_argument, operation, "the X509Store was moved from");
  if (cafile.empty() && capath.empty()) {
    return detail::fail(errc::invalid_argument, operation, "give a CA file, a CA directory or both");
  }
  auto file = detail::c_string(operation, "cafile", cafile);
  if (!file) return unexpected(std::move(file).error());
  auto path = detail::c_string(operation, "capath", capath);
  if (!path) return unexpected(std::move(path).error());
  if (!file->empty() && X509_STORE_load_file(store_.get(), file->c_str()) != 1) {
    return detail::fail(errc::crypto, "X509_STORE_load_file",
                        ERR_peek_error() == 0 ? "cannot load " + *file : "");
  }
  if (!path->empty() && X509_STORE_load_path(store_.get(), path->c_str()) != 1) {
    return detail::fail(errc::crypto, "X509_STORE_load_path",
                        ERR_peek_error() == 0 ? "cannot use " + *path : "");
  }
  return {};
}

PYOSSL_DECL result<void> X509Store::set_flags(X509StoreFlags flags) {
  constexpr std::string_view operation = "X509_STORE_set_flags";
  if (!store_) return moved_from(operation);
  constexpr auto known =
      X509StoreFlags::CRL_CHECK | X509StoreFlags::CRL_CHECK_ALL | X509StoreFlags::IGNORE_CRITICAL |
      X509StoreFlags::X509_STRICT | X509StoreFlags::ALLOW_PROXY_CERTS | X509StoreFlags::POLICY_CHECK |
      X509StoreFlags::EXPLICIT_POLICY | X509StoreFlags::INHIBIT_MAP | X509StoreFlags::NOTIFY_POLICY |
      X509StoreFlags::CHECK_SS_SIGNATURE | X509StoreFlags::PARTIAL_CHAIN;
  if ((flags & ~known) != X509StoreFlags{}) {
    return detail::fail(errc::invalid_argument, operation, "unknown X509StoreFlags bits");
  }
  if (X509_STORE_set_flags(store_.get(), static_cast<unsigned long>(flags)) != 1) {
    return detail::fail(errc::crypto, operation);
  }
  return {};
}

PYOSSL_DECL result<void> X509Store::set_time(std::chrono::system_clock::time_point when) {
  if (!store_) return moved_from("X509_VERIFY_PARAM_set_time");
  const std::time_t seconds = std::chrono::system_clock::to_time_t(when);
  X509_VERIFY_PARAM_set_time(X509_STORE_get0_param(store_.get()), seconds);
  return {};
}

PYOSSL_DECL result<void> X509Store::set_default_paths() {
  constexpr std::string_view operation = "X509_STORE_set_default_paths";
  if (!store_) return moved_from(operation);
  if (X509_STORE_set_default_paths(store_.get()) != 1) return detail::fail(errc::crypto, operation);
  return {};
}

PYOSSL_DECL unexpected<error> X509Store::moved_from(std::string_view operation) {
  return detail::fail(errc::invalid_argument, operation, "the X509Store was moved from");
}

PYOSSL_DECL detail::handle<X509_STORE> X509Store::share(X509_STORE* store) {
  if (store == nullptr) return {};
  auto shared = detail::up_ref(store);
  if (!shared) throw std::bad_alloc();
  return shared;
}

}  // namespace pyossl::crypto
#endif  // PYOSSL_DEFINITIONS
