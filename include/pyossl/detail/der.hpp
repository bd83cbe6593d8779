// DER encoding of OpenSSL objects into a std::string: the i2d_* calling convention once.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

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

}  // namespace pyossl::detail
