// What a failed certificate verification says: OpenSSL's verdict read off an
// X509_STORE_CTX, for TLS handshakes (ssl::Context's verify callback) and for
// crypto::X509StoreContext alike.
#pragma once

#include <string>

#include <openssl/bio.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include "pyossl/detail/config.hpp"
#include "pyossl/detail/handle.hpp"
#include "pyossl/detail/memory_bio.hpp"
#include "pyossl/error.hpp"

namespace pyossl::detail {

// The subject of `cert` on one line ("CN = server, O = pyossl"), empty if there is none.
[[nodiscard]] PYOSSL_DECL std::string subject_line(const ::X509* cert);

// The verdict `store` holds now: X509_STORE_CTX_get_error (and its text), the depth, and
// the subject of the certificate it was looking at.
[[nodiscard]] PYOSSL_DECL verify_failure verify_failure_of(X509_STORE_CTX* store);

}  // namespace pyossl::detail

// Definitions: inline, or compiled once in the compiled mode (pyossl/detail/config.hpp).
#if PYOSSL_DEFINITIONS

namespace pyossl::detail {

PYOSSL_DECL std::string subject_line(const ::X509* cert) {
  if (cert == nullptr) return {};
  const handle<BIO> out = output_bio();
  if (X509_NAME_print_ex(out.get(), X509_get_subject_name(cert), 0, XN_FLAG_ONELINE & ~ASN1_STRFLGS_ESC_MSB) <
      0)
    return {};
  return bio_contents(out.get());
}

PYOSSL_DECL verify_failure verify_failure_of(X509_STORE_CTX* store) {
  const long code = X509_STORE_CTX_get_error(store);
  return verify_failure{code, X509_verify_cert_error_string(code), X509_STORE_CTX_get_error_depth(store),
                        subject_line(X509_STORE_CTX_get_current_cert(store))};
}

}  // namespace pyossl::detail
#endif  // PYOSSL_DEFINITIONS
