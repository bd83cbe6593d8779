// pyossl::crypto::X509Store — pyOpenSSL's crypto.X509Store (manual 3.1.4): the trusted
// certificates a verification chains up to.
#pragma once

#include <new>
#include <string>
#include <string_view>
#include <utility>

#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include "pyossl/crypto/x509.hpp"
#include "pyossl/detail/c_string.hpp"
#include "pyossl/detail/handle.hpp"
#include "pyossl/detail/openssl_error.hpp"
#include "pyossl/error.hpp"

namespace pyossl::crypto {

// A store of trusted certificates. OpenSSL cannot copy a store, and a Context's store
// (ssl::Context::get_cert_store) must stay the Context's: so copies of an X509Store share
// one X509_STORE by reference count (X509_STORE_up_ref), and a certificate added through
// any copy is in all of them.
class X509Store {
 public:
  // A new, empty store. Calls X509_STORE_new.
  X509Store() : store_(detail::adopt(X509_STORE_new())) {
    if (!store_) throw std::bad_alloc();
  }
  // Adopts a store the caller owns (detail::up_ref(p) to share one OpenSSL still uses).
  explicit X509Store(detail::handle<X509_STORE> store) noexcept : store_(std::move(store)) {}

  // Shares the other's store (X509_STORE_up_ref).
  X509Store(const X509Store& other) : store_(share(other.store_.get())) {}
  X509Store& operator=(const X509Store& other) {
    if (this != &other) store_ = share(other.store_.get());
    return *this;
  }
  // A moved-from X509Store holds no store: add_cert fails with errc::invalid_argument.
  X509Store(X509Store&&) noexcept = default;
  X509Store& operator=(X509Store&&) noexcept = default;
  ~X509Store() = default;

  // Adds `cert` to the trusted certificates (X509_STORE_add_cert, which keeps its own
  // reference; changing `cert` afterwards does not change the store's). Adding a
  // certificate the store already has is not an error (OpenSSL 3 ignores the duplicate;
  // pyOpenSSL 0.10 on OpenSSL 1.0 raised). A moved-from X509 or X509Store:
  // errc::invalid_argument.
  [[nodiscard]] result<void> add_cert(const X509& cert) {
    constexpr std::string_view operation = "X509_STORE_add_cert";
    if (!store_) return detail::fail(errc::invalid_argument, operation, "the X509Store was moved from");
    if (cert.native_handle() == nullptr)
      return detail::fail(errc::invalid_argument, operation, "the X509 was moved from");
    const detail::handle<::X509> copy = detail::duplicate_certificate(cert.native_handle());
    if (X509_STORE_add_cert(store_.get(), copy.get()) != 1) return detail::fail(errc::crypto, operation);
    return {};
  }

  // Beyond the manual (modern pyOpenSSL): trusts the certificates in the PEM file `cafile`
  // and/or the hashed directory `capath` (as `openssl rehash` makes); pass an empty view
  // for the one you do not use. Calls X509_STORE_load_file / X509_STORE_load_path.
  // Neither given, or a NUL byte: errc::invalid_argument; an unreadable file or a file
  // with no certificate: errc::crypto.
  [[nodiscard]] result<void> load_locations(std::string_view cafile, std::string_view capath = {}) {
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

  // The OpenSSL object, still owned by this X509Store (and its copies).
  [[nodiscard]] X509_STORE* native_handle() const noexcept { return store_.get(); }

 private:
  [[nodiscard]] static detail::handle<X509_STORE> share(X509_STORE* store) {
    if (store == nullptr) return {};
    auto shared = detail::up_ref(store);
    if (!shared) throw std::bad_alloc();
    return shared;
  }

  detail::handle<X509_STORE> store_;
};

}  // namespace pyossl::crypto
