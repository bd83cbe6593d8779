// pyossl::crypto's file-type and key-type constants: FILETYPE_PEM / FILETYPE_ASN1 and
// TYPE_RSA / TYPE_DSA of manual section 3.1, plus the key types OpenSSL 3 adds.
#pragma once

#include <string_view>

#include <openssl/evp.h>

#include "pyossl/detail/config.hpp"
#include "pyossl/detail/openssl_error.hpp"
#include "pyossl/error.hpp"

namespace pyossl::crypto {

// How keys, certificates and requests are encoded in a buffer.
enum class filetype : int {
  pem = 1,       // base64 text between "-----BEGIN ...-----" lines (OpenSSL's X509_FILETYPE_PEM)
  asn1 = 2,      // binary DER (OpenSSL's X509_FILETYPE_ASN1)
  text = 65535,  // human-readable (`openssl x509 -text -noout -nameopt oneline`): written, never read
};
inline constexpr filetype FILETYPE_PEM = filetype::pem;
inline constexpr filetype FILETYPE_ASN1 = filetype::asn1;
// pyOpenSSL 0.11's FILETYPE_TEXT (the same value, 2**16 - 1): only dump_certificate,
// dump_certificate_request, dump_privatekey, dump_crl and CRL::export_ take it; every
// loader refuses it.
inline constexpr filetype FILETYPE_TEXT = filetype::text;

// The algorithm of a PKey. The values are OpenSSL's EVP_PKEY_* ids, as pyOpenSSL's
// TYPE_RSA (6) and TYPE_DSA (116) are; PKey::type() of a key of any other algorithm
// (RSA-PSS, SM2, ...) is that algorithm's id cast to key_type.
enum class key_type : int {
  none = 0,  // an empty PKey
  rsa = EVP_PKEY_RSA,
  dsa = EVP_PKEY_DSA,
  dh = EVP_PKEY_DH,
  ec = EVP_PKEY_EC,
  ed25519 = EVP_PKEY_ED25519,
  ed448 = EVP_PKEY_ED448,
};
inline constexpr key_type TYPE_RSA = key_type::rsa;
inline constexpr key_type TYPE_DSA = key_type::dsa;
// Beyond the manual (modern pyOpenSSL has TYPE_DH; EC and EdDSA are pyossl's additions).
inline constexpr key_type TYPE_DH = key_type::dh;
inline constexpr key_type TYPE_EC = key_type::ec;
inline constexpr key_type TYPE_ED25519 = key_type::ed25519;
inline constexpr key_type TYPE_ED448 = key_type::ed448;

}  // namespace pyossl::crypto

namespace pyossl::detail {

// Whether a function prints FILETYPE_TEXT (the dump_* functions that take it) or refuses it.
enum class text_filetype : bool { refused, printed };

// errc::invalid_argument unless `type` is FILETYPE_PEM or FILETYPE_ASN1, or FILETYPE_TEXT
// where `text` says it is printed (a value cast from an int can be anything, and the
// message names every type the function takes; a refused FILETYPE_TEXT has its own reason).
[[nodiscard]] PYOSSL_DECL result<void> check_filetype(std::string_view operation, crypto::filetype type,
                                                      text_filetype text = text_filetype::refused);

}  // namespace pyossl::detail

// Definitions: inline, or compiled once in the compiled mode (pyossl/detail/config.hpp).
#if PYOSSL_DEFINITIONS

namespace pyossl::detail {

PYOSSL_DECL result<void> check_filetype(std::string_view operation, crypto::filetype type,
                                        text_filetype text) {
  if (type == crypto::filetype::pem || type == crypto::filetype::asn1) return {};
  if (text == text_filetype::printed) {
    if (type == crypto::filetype::text) return {};
    return fail(errc::invalid_argument, operation,
                "type must be FILETYPE_PEM, FILETYPE_ASN1 or FILETYPE_TEXT");
  }
  if (type == crypto::filetype::text) {
    return fail(errc::invalid_argument, operation,
                "FILETYPE_TEXT is for printing (dump_certificate, dump_certificate_request, dump_privatekey, "
                "dump_crl) and is never read or written here: use FILETYPE_PEM or FILETYPE_ASN1");
  }
  return fail(errc::invalid_argument, operation, "type must be FILETYPE_PEM or FILETYPE_ASN1");
}

}  // namespace pyossl::detail
#endif  // PYOSSL_DEFINITIONS
