// pyossl::crypto::X509StoreContext — pyOpenSSL's crypto.X509StoreContext (0.15+):
// verifies one certificate against an X509Store outside any TLS connection (code
// signing, S/MIME, audits of client certificates, a CA's own checks).
#pragma once

#include <cstddef>
#include <new>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include "pyossl/crypto/x509.hpp"
#include "pyossl/crypto/x509_store.hpp"
#include "pyossl/detail/config.hpp"
#include "pyossl/detail/handle.hpp"
#include "pyossl/detail/openssl_error.hpp"
#include "pyossl/detail/verify_failure.hpp"
#include "pyossl/error.hpp"

namespace pyossl::detail {

// A stack sharing (X509_up_ref) the certificates of `chain`, for X509_STORE_CTX_init's
// untrusted chain. Here in detail because the stack macros name OpenSSL's X509.
[[nodiscard]] PYOSSL_DECL handle<STACK_OF(X509)> shared_certificate_stack(
    const std::vector<crypto::X509>& chain);

}  // namespace pyossl::detail

namespace pyossl::crypto {

class X509StoreContext {
 public:
  // What to verify: `certificate`, chaining up to `store`'s trusted certificates, through
  // the untrusted intermediates of `chain` (optional; a braced list works). The
  // certificates are copied; the store is shared, so each verification uses the store as
  // it is then (flags, time and CRLs set afterwards count), as in pyOpenSSL. A moved-from
  // argument is reported by verify_certificate.
  X509StoreContext(const X509Store& store, const X509& certificate, const std::vector<X509>& chain = {})
      : store_(store), certificate_(certificate), chain_(chain) {}

  // Verifies the certificate (a fresh X509_STORE_CTX_init, then X509_verify_cert) with
  // exactly the store's trusted certificates, CRLs, flags, time, depth, purpose and trust:
  // pyossl adds nothing. Rejected: errc::crypto with verification() holding OpenSSL's
  // verdict (code, text, depth and subject of the failing certificate: pyOpenSSL's
  // X509StoreContextError). A moved-from store or certificate: errc::invalid_argument.
  [[nodiscard]] result<void> verify_certificate() const;

  // Verifies as verify_certificate does and returns the chain it built, leaf first, the
  // trust anchor last (copies: X509_STORE_CTX_get1_chain, X509_dup). Fails as
  // verify_certificate would.
  [[nodiscard]] result<std::vector<X509>> get_verified_chain() const { return verify(true); }

  // Verifies against `store` from now on (shared, not copied). A moved-from store:
  // errc::invalid_argument, nothing changed.
  [[nodiscard]] result<void> set_store(const X509Store& store);

  // Verifies a copy of `certificate` from now on. A moved-from X509:
  // errc::invalid_argument, nothing changed.
  [[nodiscard]] result<void> set_certificate(const X509& certificate);

 private:
  [[nodiscard]] result<std::vector<X509>> verify(bool want_chain) const;

  // The error for a verification that did not succeed: OpenSSL's verdict when it rejected
  // the chain, or the queue when it could not run at all.
  [[nodiscard]] static unexpected<error> rejection(X509_STORE_CTX* context, int verified);

  X509Store store_;
  X509 certificate_;
  std::vector<X509> chain_;
};

}  // namespace pyossl::crypto

// Definitions: inline, or compiled once in the compiled mode (pyossl/detail/config.hpp).
#if PYOSSL_DEFINITIONS

namespace pyossl::detail {

PYOSSL_DECL handle<STACK_OF(X509)> shared_certificate_stack(const std::vector<crypto::X509>& chain) {
  handle<STACK_OF(X509)> stack(sk_X509_new_null());
  if (!stack) throw std::bad_alloc();
  for (const crypto::X509& certificate : chain) {
    handle<::X509> shared = up_ref(certificate.native_handle());
    if (!shared || sk_X509_push(stack.get(), shared.get()) <= 0) throw std::bad_alloc();
    (void)shared.release();  // the stack owns this reference now
  }
  return stack;
}

}  // namespace pyossl::detail

namespace pyossl::crypto {

PYOSSL_DECL result<void> X509StoreContext::verify_certificate() const {
  auto verified = verify(false);
  if (!verified) return unexpected(std::move(verified).error());
  return {};
}

PYOSSL_DECL result<void> X509StoreContext::set_store(const X509Store& store) {
  if (store.native_handle() == nullptr) {
    return detail::fail(errc::invalid_argument, "X509StoreContext::set_store",
                        "the X509Store was moved from");
  }
  store_ = store;
  return {};
}

PYOSSL_DECL result<void> X509StoreContext::set_certificate(const X509& certificate) {
  if (certificate.native_handle() == nullptr) {
    return detail::fail(errc::invalid_argument, "X509StoreContext::set_certificate",
                        "the X509 was moved from");
  }
  certificate_ = certificate;
  return {};
}

PYOSSL_DECL result<std::vector<X509>> X509StoreContext::verify(bool want_chain) const {
  constexpr std::string_view operation = "X509_verify_cert";
  if (store_.native_handle() == nullptr) {
    return detail::fail(errc::invalid_argument, operation,
                        "no store (the X509Store or the X509StoreContext was moved from)");
  }
  if (certificate_.native_handle() == nullptr) {
    return detail::fail(errc::invalid_argument, operation, "the certificate to verify was moved from");
  }
  for (std::size_t i = 0; i < chain_.size(); ++i) {
    if (chain_[i].native_handle() == nullptr) {
      return detail::fail(errc::invalid_argument, operation,
                          "certificate " + std::to_string(i) + " of the untrusted chain was moved from");
    }
  }
  const detail::handle<STACK_OF(X509)> untrusted = detail::shared_certificate_stack(chain_);
  const detail::handle<X509_STORE_CTX> context(X509_STORE_CTX_new());
  if (!context) throw std::bad_alloc();
  if (X509_STORE_CTX_init(context.get(), store_.native_handle(), certificate_.native_handle(),
                          untrusted.get()) != 1) {
    return detail::fail(errc::crypto, "X509_STORE_CTX_init");
  }
  const int verified = X509_verify_cert(context.get());
  if (verified != 1) return rejection(context.get(), verified);
  detail::clear_error_queue();  // chain building may queue lookups that did not matter
  std::vector<X509> chain;
  if (!want_chain) return chain;
  const detail::handle<STACK_OF(X509)> built(X509_STORE_CTX_get1_chain(context.get()));
  if (!built) return detail::fail(errc::crypto, "X509_STORE_CTX_get1_chain", "no verified chain");
  auto copies = detail::copy_certificates(built.get());
  if (!copies) return unexpected(std::move(copies).error());
  chain.reserve(copies->size());
  for (auto& copy : *copies) chain.emplace_back(std::move(copy));
  return chain;
}

PYOSSL_DECL unexpected<error> X509StoreContext::rejection(X509_STORE_CTX* context, int verified) {
  if (verified < 0 || X509_STORE_CTX_get_error(context) == X509_V_OK) {
    return detail::fail(errc::crypto, "X509_verify_cert",
                        ERR_peek_error() == 0 ? "the verification could not run" : "");
  }
  error rejected = detail::openssl_error(errc::crypto, "X509_verify_cert", "certificate verify failed");
  rejected.set_verification(detail::verify_failure_of(context));
  return unexpected<error>(std::move(rejected));
}

}  // namespace pyossl::crypto
#endif  // PYOSSL_DEFINITIONS
