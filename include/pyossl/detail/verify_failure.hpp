// What a failed certificate verification says: OpenSSL's verdict read off an
// X509_STORE_CTX, for TLS handshakes (ssl::Context's verify callback) and for
// crypto::X509StoreContext alike.
#pragma once

#include <cstddef>
#include <new>
#include <string>

#include <openssl/bio.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include "pyossl/detail/handle.hpp"
#include "pyossl/error.hpp"

namespace pyossl::detail {

// The subject of `cert` on one line ("CN = server, O = pyossl"), empty if there is none.
[[nodiscard]] inline std::string subject_line(const ::X509* cert) {
  if (cert == nullptr) return {};
  auto bio = adopt(BIO_new(BIO_s_mem()));
  if (!bio) throw std::bad_alloc();
  if (X509_NAME_print_ex(bio.get(), X509_get_subject_name(cert), 0, XN_FLAG_ONELINE & ~ASN1_STRFLGS_ESC_MSB) <
      0) {
    return {};
  }
  char* data = nullptr;
  const long length = BIO_get_mem_data(bio.get(), &data);
  return length > 0 ? std::string(data, static_cast<std::size_t>(length)) : std::string();
}

// The verdict `store` holds now: X509_STORE_CTX_get_error (and its text), the depth, and
// the subject of the certificate it was looking at.
[[nodiscard]] inline verify_failure verify_failure_of(X509_STORE_CTX* store) {
  const long code = X509_STORE_CTX_get_error(store);
  return verify_failure{code, X509_verify_cert_error_string(code), X509_STORE_CTX_get_error_depth(store),
                        subject_line(X509_STORE_CTX_get_current_cert(store))};
}

}  // namespace pyossl::detail
