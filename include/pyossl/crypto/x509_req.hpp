// pyossl::crypto::X509Req — pyOpenSSL's crypto.X509Req (manual 3.1.3): a PKCS#10
// certificate signing request. Load and dump it with crypto/certificate_io.hpp.
#pragma once

#include <initializer_list>
#include <new>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "pyossl/crypto/detail/digest.hpp"
#include "pyossl/crypto/pkey.hpp"
#include "pyossl/crypto/x509.hpp"
#include "pyossl/crypto/x509_extension.hpp"
#include "pyossl/crypto/x509_name.hpp"
#include "pyossl/detail/config.hpp"
#include "pyossl/detail/handle.hpp"
#include "pyossl/detail/openssl_error.hpp"
#include "pyossl/error.hpp"

namespace pyossl::detail {

// A copy of `request`: X509_REQ_dup, or, for one that was never signed and so cannot be
// encoded, rebuilt from its version, subject, key and attributes.
[[nodiscard]] PYOSSL_DECL handle<X509_REQ> duplicate_request(const X509_REQ* request);

// The extensions a request asks for (X509_REQ_get_extensions), as an owned stack; an
// empty stack when it asks for none. errc::crypto if the request's attribute is malformed.
[[nodiscard]] PYOSSL_DECL result<handle<STACK_OF(X509_EXTENSION)>> requested_extensions(
    std::string_view operation, const X509_REQ* request);

}  // namespace pyossl::detail

namespace pyossl::crypto {

class X509Req {
 public:
  // A new, empty request, version 0 (the only version PKCS#10 defines). Calls
  // X509_REQ_new and X509_REQ_set_version.
  X509Req();
  // Adopts a request the caller owns.
  explicit X509Req(detail::handle<X509_REQ> request) noexcept : request_(std::move(request)) {}

  // Copies are independent requests (X509_REQ_dup; an unsigned one is rebuilt field by field).
  X509Req(const X509Req& other) : request_(detail::duplicate_request(other.request_.get())) {}
  X509Req& operator=(const X509Req& other);
  // A moved-from X509Req holds no request: its getters return empty values and the rest
  // fail with errc::invalid_argument.
  X509Req(X509Req&&) noexcept = default;
  X509Req& operator=(X509Req&&) noexcept = default;
  ~X509Req() = default;

  // A copy of the subject name (X509_REQ_get_subject_name, X509_NAME_dup). pyOpenSSL
  // returns a view that writes through; pyossl returns a value: change it, then set_subject.
  [[nodiscard]] X509Name get_subject() const;
  // Beyond the manual (pyOpenSSL changes the subject through get_subject's view):
  // replaces the subject name with a copy of `subject`. Calls X509_REQ_set_subject_name.
  [[nodiscard]] result<void> set_subject(const X509Name& subject);

  // The request's public key (X509_REQ_get_pubkey), a PKey with no private half.
  // errc::crypto if the request has no key or OpenSSL cannot decode it.
  [[nodiscard]] result<PKey> get_pubkey() const;
  // Puts the public half of `key` into the request (never the private half: pyossl copies
  // it with i2d_PUBKEY / d2i_PUBKEY, then calls X509_REQ_set_pubkey). An empty PKey:
  // errc::invalid_argument; a key with no public encoding: errc::crypto.
  [[nodiscard]] result<void> set_pubkey(const PKey& key);

  // Signs the request with `key`, hashing with the digest named `digest` ("sha256", any
  // name EVP_MD_fetch knows; empty: the key's default, the only way for Ed25519 and
  // Ed448). Calls X509_REQ_sign. An empty or public-only key, or an unknown digest:
  // errc::invalid_argument; a digest the key cannot sign with: errc::crypto.
  [[nodiscard]] result<void> sign(const PKey& key, std::string_view digest);

  // Checks the request's signature against `key` (X509_REQ_verify). Succeeds only if the
  // signature is valid; a signature by another key, a key of another type, or an unsigned
  // request: errc::crypto (as pyOpenSSL raises crypto.Error), so `if (req.verify(key))`
  // reads as "verified". An empty PKey: errc::invalid_argument.
  [[nodiscard]] result<void> verify(const PKey& key) const;

  // The version field (X509_REQ_get_version): 0, the only version PKCS#10 defines.
  [[nodiscard]] long get_version() const noexcept;
  // Sets the version field (X509_REQ_set_version). Only 0 is valid (RFC 2986), as modern
  // pyOpenSSL enforces; pyOpenSSL 0.10 took any number. Anything else:
  // errc::invalid_argument.
  [[nodiscard]] result<void> set_version(long version);

  // Beyond the manual (modern pyOpenSSL): asks for `extensions` in the certificate, adding
  // them to those already asked for (pyOpenSSL adds a second extension-request attribute,
  // which readers ignore; pyossl keeps one). Calls X509_REQ_get_extensions,
  // X509_REQ_delete_attr, X509_REQ_add_extensions. A moved-from X509Extension:
  // errc::invalid_argument, and nothing changes.
  [[nodiscard]] result<void> add_extensions(std::span<const X509Extension> extensions);
  [[nodiscard]] result<void> add_extensions(std::initializer_list<X509Extension> extensions);

  // Beyond the manual (modern pyOpenSSL): copies of the extensions the request asks for,
  // in order; empty if none. Calls X509_REQ_get_extensions; a malformed extension request:
  // errc::crypto.
  [[nodiscard]] result<std::vector<X509Extension>> get_extensions() const;

  // The OpenSSL object, still owned by this X509Req.
  [[nodiscard]] X509_REQ* native_handle() const noexcept { return request_.get(); }

 private:
  [[nodiscard]] static unexpected<error> moved_from(std::string_view operation);

  detail::handle<X509_REQ> request_;
};

}  // namespace pyossl::crypto

// Definitions: inline, or compiled once in the compiled mode (pyossl/detail/config.hpp).
#if PYOSSL_DEFINITIONS

namespace pyossl::detail {

PYOSSL_DECL handle<X509_REQ> duplicate_request(const X509_REQ* request) {
  if (request == nullptr) return {};
  const error_queue_mark mark;  // the failed encoding is expected, not an error to report
  if (X509_REQ* copy = X509_REQ_dup(request)) return adopt(copy);
  handle<X509_REQ> fresh = adopt(X509_REQ_new());
  if (!fresh) throw std::bad_alloc();
  bool copied = X509_REQ_set_version(fresh.get(), X509_REQ_get_version(request)) == 1 &&
                X509_REQ_set_subject_name(fresh.get(), X509_REQ_get_subject_name(request)) == 1;
  if (EVP_PKEY* key = X509_REQ_get0_pubkey(const_cast<X509_REQ*>(request)); copied && key != nullptr) {
    copied = X509_REQ_set_pubkey(fresh.get(), key) == 1;
  }
  for (int index = 0; copied && index < X509_REQ_get_attr_count(request); ++index) {
    copied = X509_REQ_add1_attr(fresh.get(), X509_REQ_get_attr(request, index)) == 1;
  }
  if (!copied) throw std::bad_alloc();
  return fresh;
}

PYOSSL_DECL result<handle<STACK_OF(X509_EXTENSION)>> requested_extensions(std::string_view operation,
                                                                          const X509_REQ* request) {
  handle<STACK_OF(X509_EXTENSION)> extensions;
  {
    error_queue_mark mark;  // no extensions queues nothing; malformed ones are reported
    extensions.reset(X509_REQ_get_extensions(const_cast<X509_REQ*>(request)));
    if (!extensions && ERR_peek_error() != 0) {
      mark.keep();
      return fail(errc::crypto, operation, "the request's extensions are malformed");
    }
  }
  if (!extensions) extensions.reset(sk_X509_EXTENSION_new_null());
  if (!extensions) throw std::bad_alloc();
  return extensions;
}

}  // namespace pyossl::detail

namespace pyossl::crypto {

PYOSSL_DECL X509Req::X509Req() : request_(detail::adopt(X509_REQ_new())) {
  if (!request_ || X509_REQ_set_version(request_.get(), 0) != 1) throw std::bad_alloc();
}

PYOSSL_DECL X509Req& X509Req::operator=(const X509Req& other) {
  if (this != &other) request_ = detail::duplicate_request(other.request_.get());
  return *this;
}

PYOSSL_DECL X509Name X509Req::get_subject() const {
  const X509_NAME* subject = request_ ? X509_REQ_get_subject_name(request_.get()) : nullptr;
  return subject != nullptr ? X509Name(detail::duplicate_name(subject)) : X509Name();
}

PYOSSL_DECL result<void> X509Req::set_subject(const X509Name& subject) {
  constexpr std::string_view operation = "X509_REQ_set_subject_name";
  if (!request_) return moved_from(operation);
  if (subject.native_handle() == nullptr) {
    return detail::fail(errc::invalid_argument, operation, "the X509Name was moved from");
  }
  if (X509_REQ_set_subject_name(request_.get(), subject.native_handle()) != 1) {
    return detail::fail(errc::crypto, operation);
  }
  return {};
}

PYOSSL_DECL result<PKey> X509Req::get_pubkey() const {
  constexpr std::string_view operation = "X509_REQ_get_pubkey";
  if (!request_) return moved_from(operation);
  detail::handle<EVP_PKEY> key(X509_REQ_get_pubkey(request_.get()));
  if (!key)
    return detail::fail(errc::crypto, operation,
                        ERR_peek_error() == 0 ? "the request has no public key" : "");
  return PKey(std::move(key));
}

PYOSSL_DECL result<void> X509Req::set_pubkey(const PKey& key) {
  constexpr std::string_view operation = "X509_REQ_set_pubkey";
  if (!request_) return moved_from(operation);
  if (key.empty()) return detail::fail(errc::invalid_argument, operation, "the key is empty");
  auto public_key = detail::public_key_copy(operation, key.native_handle());
  if (!public_key) return unexpected(std::move(public_key).error());
  if (X509_REQ_set_pubkey(request_.get(), public_key->get()) != 1)
    return detail::fail(errc::crypto, operation);
  return {};
}

PYOSSL_DECL result<void> X509Req::sign(const PKey& key, std::string_view digest) {
  constexpr std::string_view operation = "X509_REQ_sign";
  if (!request_) return moved_from(operation);
  auto md = detail::signing_digest(operation, key, digest);
  if (!md) return unexpected(std::move(md).error());
  if (X509_REQ_sign(request_.get(), key.native_handle(), md->get()) <= 0) {
    return detail::fail(errc::crypto, operation,
                        ERR_peek_error() == 0 ? "the key cannot sign with this digest" : "");
  }
  return {};
}

PYOSSL_DECL result<void> X509Req::verify(const PKey& key) const {
  constexpr std::string_view operation = "X509_REQ_verify";
  if (!request_) return moved_from(operation);
  if (key.empty()) return detail::fail(errc::invalid_argument, operation, "the key is empty");
  const int verified = X509_REQ_verify(request_.get(), key.native_handle());
  if (verified == 1) return {};
  if (verified == 0) return detail::fail(errc::crypto, operation, "the signature does not match the key");
  return detail::fail(errc::crypto, operation, ERR_peek_error() == 0 ? "cannot verify the request" : "");
}

PYOSSL_DECL long X509Req::get_version() const noexcept {
  return request_ ? X509_REQ_get_version(request_.get()) : 0;
}

PYOSSL_DECL result<void> X509Req::set_version(long version) {
  constexpr std::string_view operation = "X509_REQ_set_version";
  if (!request_) return moved_from(operation);
  if (version != 0) return detail::fail(errc::invalid_argument, operation, "a request's version must be 0");
  if (X509_REQ_set_version(request_.get(), version) != 1) return detail::fail(errc::crypto, operation);
  return {};
}

PYOSSL_DECL result<void> X509Req::add_extensions(std::span<const X509Extension> extensions) {
  constexpr std::string_view operation = "X509_REQ_add_extensions";
  if (!request_) return moved_from(operation);
  for (const X509Extension& extension : extensions) {
    if (extension.native_handle() == nullptr) {
      return detail::fail(errc::invalid_argument, operation, "an X509Extension was moved from");
    }
  }
  auto all = detail::requested_extensions(operation, request_.get());
  if (!all) return unexpected(std::move(all).error());
  for (const X509Extension& extension : extensions) {
    detail::handle<X509_EXTENSION> copy(X509_EXTENSION_dup(extension.native_handle()));
    if (!copy || sk_X509_EXTENSION_push(all->get(), copy.get()) <= 0) throw std::bad_alloc();
    (void)copy.release();  // the stack owns it now
  }
  for (const int nid : {NID_ext_req, NID_ms_ext_req}) {
    for (int index = X509_REQ_get_attr_by_NID(request_.get(), nid, -1); index >= 0;
         index = X509_REQ_get_attr_by_NID(request_.get(), nid, -1)) {
      const detail::handle<X509_ATTRIBUTE> removed(X509_REQ_delete_attr(request_.get(), index));
    }
  }
  if (X509_REQ_add_extensions(request_.get(), all->get()) != 1) return detail::fail(errc::crypto, operation);
  return {};
}

PYOSSL_DECL result<void> X509Req::add_extensions(std::initializer_list<X509Extension> extensions) {
  return add_extensions(std::span<const X509Extension>(extensions.begin(), extensions.size()));
}

PYOSSL_DECL result<std::vector<X509Extension>> X509Req::get_extensions() const {
  constexpr std::string_view operation = "X509_REQ_get_extensions";
  if (!request_) return moved_from(operation);
  auto all = detail::requested_extensions(operation, request_.get());
  if (!all) return unexpected(std::move(all).error());
  std::vector<X509Extension> extensions;
  while (X509_EXTENSION* extension = sk_X509_EXTENSION_shift(all->get())) {
    extensions.emplace_back(detail::handle<X509_EXTENSION>(extension));
  }
  return extensions;
}

PYOSSL_DECL unexpected<error> X509Req::moved_from(std::string_view operation) {
  return detail::fail(errc::invalid_argument, operation, "the X509Req was moved from");
}

}  // namespace pyossl::crypto
#endif  // PYOSSL_DEFINITIONS
