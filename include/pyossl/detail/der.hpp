// DER encoding of OpenSSL objects into a std::string: the i2d_* calling convention once.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include <openssl/x509.h>

#include "pyossl/detail/config.hpp"
#include "pyossl/detail/handle.hpp"
#include "pyossl/detail/openssl_error.hpp"
#include "pyossl/error.hpp"

namespace pyossl::detail {

// `object` encoded by `i2d` (i2d_X509, i2d_X509_NAME, i2d_X509_REQ...): once to learn the
// length, once into the string. An object OpenSSL cannot encode: errc::crypto, with
// `reason` when OpenSSL queued nothing.
template <class T>
[[nodiscard]] result<std::string> encode_der(std::string_view operation, const T* object,
                                             int (*i2d)(const T*, unsigned char**), std::string_view reason) {
  const int length = object != nullptr ? i2d(object, nullptr) : -1;
  if (length <= 0) return fail(errc::crypto, operation, reason);
  std::string der(static_cast<std::size_t>(length), '\0');
  auto* out = reinterpret_cast<unsigned char*>(der.data());
  if (i2d(object, &out) != length) return fail(errc::crypto, operation, reason);
  return der;
}

// A public-only copy of `key` (i2d_PUBKEY, d2i_PUBKEY). X509_set_pubkey and
// X509_REQ_set_pubkey keep the EVP_PKEY they are given, private half and all, and hand it
// back from X509_get_pubkey: a certificate or request must carry only the public key.
[[nodiscard]] PYOSSL_DECL result<handle<EVP_PKEY>> public_key_copy(std::string_view operation,
                                                                   const EVP_PKEY* key);

}  // namespace pyossl::detail

// Definitions: inline, or compiled once in the compiled mode (pyossl/detail/config.hpp).
#if PYOSSL_DEFINITIONS

namespace pyossl::detail {

PYOSSL_DECL result<handle<EVP_PKEY>> public_key_copy(std::string_view operation, const EVP_PKEY* key) {
  auto der = encode_der(operation, key, i2d_PUBKEY, "cannot encode the public key");
  if (!der) return unexpected(std::move(der).error());
  const auto* in = reinterpret_cast<const unsigned char*>(der->data());
  handle<EVP_PKEY> copy(d2i_PUBKEY(nullptr, &in, static_cast<long>(der->size())));
  if (!copy)
    return fail(errc::crypto, operation, ERR_peek_error() == 0 ? "cannot decode the public key" : "");
  return copy;
}

}  // namespace pyossl::detail
#endif  // PYOSSL_DEFINITIONS
