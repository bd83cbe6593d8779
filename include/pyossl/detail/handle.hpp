// pyossl::detail::handle — the one owning pointer for every OpenSSL object.
//
// Modelled on BoringSSL's bssl::UniquePtr: a single stateless deleter, and one line per
// OpenSSL type saying which function frees it (and, for reference-counted types, which
// one takes another reference). Wrappers hold a handle<T>; nothing else calls *_free.
#pragma once

#include <memory>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/decoder.h>
#include <openssl/encoder.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/pkcs12.h>
#include <openssl/pkcs7.h>
#include <openssl/provider.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

namespace pyossl::detail {

// How to free (and, where OpenSSL counts references, share) one OpenSSL type.
// Specialised below, one line per type.
template <class T>
struct native_traits;

#define PYOSSL_DETAIL_NATIVE(type, free_function)            \
  template <>                                                \
  struct native_traits<type> {                               \
    static void free(type* p) noexcept { free_function(p); } \
  }
#define PYOSSL_DETAIL_NATIVE_REFCOUNTED(type, free_function, up_ref_function) \
  template <>                                                                 \
  struct native_traits<type> {                                                \
    static void free(type* p) noexcept { free_function(p); }                  \
    static bool up_ref(type* p) noexcept { return up_ref_function(p) == 1; }  \
  }

// ASN1_INTEGER, ASN1_TIME, ASN1_OCTET_STRING and the other string types are all ASN1_STRING.
PYOSSL_DETAIL_NATIVE(ASN1_STRING, ASN1_STRING_free);
PYOSSL_DETAIL_NATIVE(ASN1_OBJECT, ASN1_OBJECT_free);
PYOSSL_DETAIL_NATIVE(BIGNUM, BN_free);
PYOSSL_DETAIL_NATIVE(BIO, BIO_free_all);
PYOSSL_DETAIL_NATIVE(BIO_ADDR, BIO_ADDR_free);
PYOSSL_DETAIL_NATIVE(BIO_METHOD, BIO_meth_free);
PYOSSL_DETAIL_NATIVE(EVP_CIPHER_CTX, EVP_CIPHER_CTX_free);
PYOSSL_DETAIL_NATIVE(EVP_MD_CTX, EVP_MD_CTX_free);
PYOSSL_DETAIL_NATIVE(EVP_PKEY_CTX, EVP_PKEY_CTX_free);
PYOSSL_DETAIL_NATIVE(OSSL_DECODER_CTX, OSSL_DECODER_CTX_free);
PYOSSL_DETAIL_NATIVE(OSSL_ENCODER_CTX, OSSL_ENCODER_CTX_free);
// An OSSL_PARAM array OpenSSL allocated (EVP_PKEY_todata).
PYOSSL_DETAIL_NATIVE(OSSL_PARAM, OSSL_PARAM_free);
// A provider loaded with OSSL_PROVIDER_load: "freeing" unloads it.
PYOSSL_DETAIL_NATIVE(OSSL_PROVIDER, OSSL_PROVIDER_unload);
PYOSSL_DETAIL_NATIVE(NETSCAPE_SPKI, NETSCAPE_SPKI_free);
PYOSSL_DETAIL_NATIVE(PKCS12, PKCS12_free);
PYOSSL_DETAIL_NATIVE(PKCS7, PKCS7_free);
// Password-based encryption parameters, decoded from an X509_ALGOR (PKCS#12 scanning).
PYOSSL_DETAIL_NATIVE(PBEPARAM, PBEPARAM_free);
PYOSSL_DETAIL_NATIVE(PBE2PARAM, PBE2PARAM_free);
PYOSSL_DETAIL_NATIVE(PBKDF2PARAM, PBKDF2PARAM_free);
PYOSSL_DETAIL_NATIVE(SCRYPT_PARAMS, SCRYPT_PARAMS_free);
PYOSSL_DETAIL_NATIVE(X509_SIG, X509_SIG_free);  // an encrypted PKCS#8 key (EncryptedPrivateKeyInfo)
PYOSSL_DETAIL_NATIVE(X509_EXTENSION, X509_EXTENSION_free);
PYOSSL_DETAIL_NATIVE(X509_NAME, X509_NAME_free);
PYOSSL_DETAIL_NATIVE(X509_NAME_ENTRY, X509_NAME_ENTRY_free);
PYOSSL_DETAIL_NATIVE(X509_REQ, X509_REQ_free);
PYOSSL_DETAIL_NATIVE(X509_REVOKED, X509_REVOKED_free);
PYOSSL_DETAIL_NATIVE(X509_STORE_CTX, X509_STORE_CTX_free);
PYOSSL_DETAIL_NATIVE(X509_ATTRIBUTE, X509_ATTRIBUTE_free);
// Bytes OpenSSL allocated for the caller (ASN1_STRING_to_UTF8, i2d_* into a NULL buffer).
PYOSSL_DETAIL_NATIVE(unsigned char, OPENSSL_free);
PYOSSL_DETAIL_NATIVE(char, OPENSSL_free);
PYOSSL_DETAIL_NATIVE_REFCOUNTED(EVP_CIPHER, EVP_CIPHER_free, EVP_CIPHER_up_ref);
PYOSSL_DETAIL_NATIVE_REFCOUNTED(EVP_MD, EVP_MD_free, EVP_MD_up_ref);
PYOSSL_DETAIL_NATIVE_REFCOUNTED(EVP_PKEY, EVP_PKEY_free, EVP_PKEY_up_ref);
PYOSSL_DETAIL_NATIVE_REFCOUNTED(SSL, SSL_free, SSL_up_ref);
PYOSSL_DETAIL_NATIVE_REFCOUNTED(SSL_CTX, SSL_CTX_free, SSL_CTX_up_ref);
PYOSSL_DETAIL_NATIVE_REFCOUNTED(SSL_SESSION, SSL_SESSION_free, SSL_SESSION_up_ref);
PYOSSL_DETAIL_NATIVE_REFCOUNTED(X509, X509_free, X509_up_ref);
PYOSSL_DETAIL_NATIVE_REFCOUNTED(X509_CRL, X509_CRL_free, X509_CRL_up_ref);
PYOSSL_DETAIL_NATIVE_REFCOUNTED(X509_STORE, X509_STORE_free, X509_STORE_up_ref);

// A stack owns its elements: freeing the stack frees what it holds.
inline void free_x509_stack(STACK_OF(X509) * s) noexcept { sk_X509_pop_free(s, X509_free); }
inline void free_x509_name_stack(STACK_OF(X509_NAME) * s) noexcept {
  sk_X509_NAME_pop_free(s, X509_NAME_free);
}
inline void free_x509_extension_stack(STACK_OF(X509_EXTENSION) * s) noexcept {
  sk_X509_EXTENSION_pop_free(s, X509_EXTENSION_free);
}
inline void free_x509_crl_stack(STACK_OF(X509_CRL) * s) noexcept { sk_X509_CRL_pop_free(s, X509_CRL_free); }
PYOSSL_DETAIL_NATIVE(STACK_OF(X509), free_x509_stack);
PYOSSL_DETAIL_NATIVE(STACK_OF(X509_NAME), free_x509_name_stack);
PYOSSL_DETAIL_NATIVE(STACK_OF(X509_EXTENSION), free_x509_extension_stack);
PYOSSL_DETAIL_NATIVE(STACK_OF(X509_CRL), free_x509_crl_stack);
PYOSSL_DETAIL_NATIVE(GENERAL_NAMES, GENERAL_NAMES_free);
inline void free_pkcs7_stack(STACK_OF(PKCS7) * s) noexcept { sk_PKCS7_pop_free(s, PKCS7_free); }
inline void free_safebag_stack(STACK_OF(PKCS12_SAFEBAG) * s) noexcept {
  sk_PKCS12_SAFEBAG_pop_free(s, PKCS12_SAFEBAG_free);
}
PYOSSL_DETAIL_NATIVE(STACK_OF(PKCS7), free_pkcs7_stack);
PYOSSL_DETAIL_NATIVE(STACK_OF(PKCS12_SAFEBAG), free_safebag_stack);
// A cipher stack does not own its ciphers (they are OpenSSL's static tables).
inline void free_ssl_cipher_stack(STACK_OF(SSL_CIPHER) * s) noexcept { sk_SSL_CIPHER_free(s); }
PYOSSL_DETAIL_NATIVE(STACK_OF(SSL_CIPHER), free_ssl_cipher_stack);

#undef PYOSSL_DETAIL_NATIVE
#undef PYOSSL_DETAIL_NATIVE_REFCOUNTED

struct deleter {
  template <class T>
  void operator()(T* p) const noexcept {
    native_traits<T>::free(p);
  }
};

// Owns one OpenSSL object; frees it with the function registered above.
template <class T>
using handle = std::unique_ptr<T, deleter>;

// Adopts a pointer the caller owns (the result of an OpenSSL *_new, *_dup, d2i_...).
template <class T>
[[nodiscard]] handle<T> adopt(T* p) noexcept {
  return handle<T>(p);
}

// Takes another reference to a reference-counted object: both handles then own it.
template <class T>
[[nodiscard]] handle<T> up_ref(T* p) noexcept {
  if (p == nullptr || !native_traits<T>::up_ref(p)) return handle<T>();
  return handle<T>(p);
}

}  // namespace pyossl::detail
