// pyossl::crypto::sign and crypto::verify — pyOpenSSL 0.11's signatures over arbitrary
// data: sign with a private key, verify with the public key of a certificate.
#pragma once

#include <cstddef>
#include <new>
#include <string>
#include <string_view>
#include <utility>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "pyossl/crypto/detail/digest.hpp"
#include "pyossl/crypto/pkey.hpp"
#include "pyossl/crypto/x509.hpp"
#include "pyossl/detail/config.hpp"
#include "pyossl/detail/handle.hpp"
#include "pyossl/detail/openssl_error.hpp"
#include "pyossl/error.hpp"

namespace pyossl::detail {

// The digest for signing or verifying with `key` (EVP_PKEY_*): `name` fetched, or none for
// an empty name (the key's default: SHA-256 for RSA, DSA and EC). Ed25519 and Ed448 hash
// the data themselves, so for them the name must be empty: a named digest is errc::crypto
// (as X509::sign, and as pyOpenSSL's EVP_SignFinal failing).
[[nodiscard]] PYOSSL_DECL result<handle<EVP_MD>> signature_digest(std::string_view operation, EVP_PKEY* key,
                                                                  std::string_view name);

}  // namespace pyossl::detail

namespace pyossl::crypto {

// The signature of `data` by the private key `key`, hashing with the digest named
// `digest` ("sha256", any name EVP_MD_fetch knows): PKCS#1 v1.5 for RSA, DER-encoded
// (r, s) for DSA and EC, raw EdDSA for Ed25519 and Ed448, which take no digest: pass ""
// (an empty name also lets RSA, DSA and EC keys use their default, SHA-256). Calls
// EVP_DigestSignInit and EVP_DigestSign. An empty or public-only key, an unknown digest:
// errc::invalid_argument; a digest only OpenSSL 3's legacy provider has ("md4") while it
// is not loaded: errc::unsupported; a named digest with Ed25519/Ed448, or one the key
// cannot use (SHAKE with RSA): errc::crypto.
[[nodiscard]] PYOSSL_DECL result<std::string> sign(const PKey& key, std::string_view data,
                                                   std::string_view digest);

// Checks that `signature` is the signature of `data` by the key of `cert`, made with the
// digest named `digest` ("" for Ed25519/Ed448 or a key's default, as in sign). Success
// only for a valid signature, so `if (verify(...))` means verified. Calls
// EVP_DigestVerifyInit and EVP_DigestVerify. A bad or malformed signature, or a named
// digest with Ed25519/Ed448: errc::crypto (pyOpenSSL's crypto.Error); an empty
// certificate or one without a public key, an unknown digest: errc::invalid_argument.
[[nodiscard]] PYOSSL_DECL result<void> verify(const X509& cert, std::string_view signature,
                                              std::string_view data, std::string_view digest);

}  // namespace pyossl::crypto

// Definitions: inline, or compiled once in the compiled mode (pyossl/detail/config.hpp).
#if PYOSSL_DEFINITIONS

namespace pyossl::detail {

PYOSSL_DECL result<handle<EVP_MD>> signature_digest(std::string_view operation, EVP_PKEY* key,
                                                    std::string_view name) {
  if (name.empty()) return handle<EVP_MD>();
  if (EVP_PKEY_is_a(key, "ED25519") == 1 || EVP_PKEY_is_a(key, "ED448") == 1) {
    return fail(errc::crypto, operation,
                "Ed25519 and Ed448 keys hash the data themselves: pass an empty digest name");
  }
  return fetch_digest(operation, name);
}

}  // namespace pyossl::detail

namespace pyossl::crypto {

PYOSSL_DECL result<std::string> sign(const PKey& key, std::string_view data, std::string_view digest) {
  constexpr std::string_view operation = "sign";
  if (key.empty()) return detail::fail(errc::invalid_argument, operation, "the key is empty");
  if (!key.has_private_key())
    return detail::fail(errc::invalid_argument, operation, "the key has only a public part");
  auto md = detail::signature_digest(operation, key.native_handle(), digest);
  if (!md) return unexpected(std::move(md).error());
  detail::handle<EVP_MD_CTX> context(EVP_MD_CTX_new());
  if (!context) throw std::bad_alloc();
  if (EVP_DigestSignInit(context.get(), nullptr, md->get(), nullptr, key.native_handle()) != 1) {
    return detail::fail(errc::crypto, operation, "the key cannot sign with this digest");
  }
  const auto* bytes = reinterpret_cast<const unsigned char*>(data.data());
  std::size_t length = 0;
  if (EVP_DigestSign(context.get(), nullptr, &length, bytes, data.size()) != 1) {
    return detail::fail(errc::crypto, operation);
  }
  std::string signature(length, '\0');
  if (EVP_DigestSign(context.get(), reinterpret_cast<unsigned char*>(signature.data()), &length, bytes,
                     data.size()) != 1) {
    return detail::fail(errc::crypto, operation);
  }
  signature.resize(length);  // DSA and ECDSA signatures are often shorter than the maximum
  return signature;
}

PYOSSL_DECL result<void> verify(const X509& cert, std::string_view signature, std::string_view data,
                                std::string_view digest) {
  constexpr std::string_view operation = "verify";
  EVP_PKEY* key = cert.native_handle() == nullptr ? nullptr : X509_get0_pubkey(cert.native_handle());
  if (key == nullptr)
    return detail::fail(errc::invalid_argument, operation, "the certificate has no public key");
  auto md = detail::signature_digest(operation, key, digest);
  if (!md) return unexpected(std::move(md).error());
  detail::handle<EVP_MD_CTX> context(EVP_MD_CTX_new());
  if (!context) throw std::bad_alloc();
  if (EVP_DigestVerifyInit(context.get(), nullptr, md->get(), nullptr, key) != 1) {
    return detail::fail(errc::crypto, operation, "the key cannot verify with this digest");
  }
  const int verified =
      EVP_DigestVerify(context.get(), reinterpret_cast<const unsigned char*>(signature.data()),
                       signature.size(), reinterpret_cast<const unsigned char*>(data.data()), data.size());
  if (verified != 1) return detail::fail(errc::crypto, operation, "bad signature");
  return {};
}

}  // namespace pyossl::crypto
#endif  // PYOSSL_DEFINITIONS
