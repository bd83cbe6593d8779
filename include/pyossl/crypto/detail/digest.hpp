// Message digests by name, for signing and fingerprints (X509::sign, X509::digest,
// X509Req::sign): OpenSSL 3's EVP_MD_fetch, and pyOpenSSL's colon-hex text.
#pragma once

#include <cstddef>
#include <new>
#include <string>
#include <string_view>
#include <utility>

#include <openssl/evp.h>

#include "pyossl/crypto/detail/legacy.hpp"
#include "pyossl/crypto/pkey.hpp"
#include "pyossl/detail/c_string.hpp"
#include "pyossl/detail/config.hpp"
#include "pyossl/detail/handle.hpp"
#include "pyossl/detail/openssl_error.hpp"
#include "pyossl/error.hpp"

namespace pyossl::detail {

// The digest OpenSSL knows as `name` ("sha256", "SHA2-256", "sha1", "md5", "sha3-512",
// "shake256"...), fetched from the default library context (EVP_MD_fetch). An unknown
// name, or one with a NUL byte: errc::invalid_argument (pyOpenSSL: ValueError "No such
// digest method"); one OpenSSL 3 keeps in its legacy provider (md4, whirlpool) when that
// is not loaded: errc::unsupported.
[[nodiscard]] PYOSSL_DECL result<handle<EVP_MD>> fetch_digest(std::string_view operation,
                                                              std::string_view name);

// The digest to sign with `key`, checking the key first: `name` fetched, or, when `name`
// is empty, none, so that OpenSSL uses the key's own default (SHA-256 for RSA, EC and DSA;
// Ed25519 and Ed448 take no separate digest and sign only this way). An empty or
// public-only key, or an unknown digest: errc::invalid_argument.
[[nodiscard]] PYOSSL_DECL result<handle<EVP_MD>> signing_digest(std::string_view operation,
                                                                const crypto::PKey& key,
                                                                std::string_view name);

// `bytes` as pyOpenSSL's digest text: upper-case hex pairs joined by colons ("AB:CD:01").
[[nodiscard]] PYOSSL_DECL std::string colon_hex(std::string_view bytes);

// The digest of `data` with `digest` (EVP_DigestInit_ex, EVP_DigestUpdate, EVP_DigestFinal_ex;
// an extendable-output digest such as SHAKE256 gives its default length, EVP_MD_get_size,
// with EVP_DigestFinalXOF, as `openssl dgst` does).
[[nodiscard]] PYOSSL_DECL result<std::string> digest_bytes(std::string_view operation, const EVP_MD* digest,
                                                           std::string_view data);

}  // namespace pyossl::detail

// Definitions: inline, or compiled once in the compiled mode (pyossl/detail/config.hpp).
#if PYOSSL_DEFINITIONS

namespace pyossl::detail {

PYOSSL_DECL result<handle<EVP_MD>> fetch_digest(std::string_view operation, std::string_view name) {
  auto text = c_string(operation, "digest name", name);
  if (!text) return unexpected(std::move(text).error());
  if (text->empty()) return fail(errc::invalid_argument, operation, "the digest name is empty");
  handle<EVP_MD> digest(EVP_MD_fetch(nullptr, text->c_str(), nullptr));
  if (digest) return digest;
  const auto fetchable = [](const char* canonical) {
    return handle<EVP_MD>(EVP_MD_fetch(nullptr, canonical, nullptr)) != nullptr;
  };
  if (only_in_legacy_provider(text->c_str(), EVP_get_digestbyname, EVP_MD_get_type, fetchable))
    return legacy_algorithm(operation, *text);
  return fail(errc::invalid_argument, operation, "no such digest: " + *text);
}

PYOSSL_DECL result<handle<EVP_MD>> signing_digest(std::string_view operation, const crypto::PKey& key,
                                                  std::string_view name) {
  if (key.empty()) return fail(errc::invalid_argument, operation, "the key is empty");
  if (!key.has_private_key())
    return fail(errc::invalid_argument, operation, "the key has only a public part");
  if (name.empty()) return handle<EVP_MD>();
  return fetch_digest(operation, name);
}

PYOSSL_DECL std::string colon_hex(std::string_view bytes) {
  constexpr char digits[] = "0123456789ABCDEF";
  std::string text;
  text.reserve(bytes.size() * 3);
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    if (i != 0) text += ':';
    const auto byte = static_cast<unsigned char>(bytes[i]);
    text += digits[byte >> 4];
    text += digits[byte & 0x0F];
  }
  return text;
}

PYOSSL_DECL result<std::string> digest_bytes(std::string_view operation, const EVP_MD* digest,
                                             std::string_view data) {
  const int size = EVP_MD_get_size(digest);
  if (size <= 0) return fail(errc::invalid_argument, operation, "the digest has no output size");
  handle<EVP_MD_CTX> context(EVP_MD_CTX_new());
  if (!context) throw std::bad_alloc();
  std::string out(static_cast<std::size_t>(size), '\0');
  auto* out_bytes = reinterpret_cast<unsigned char*>(out.data());
  if (EVP_DigestInit_ex(context.get(), digest, nullptr) != 1 ||
      EVP_DigestUpdate(context.get(), data.data(), data.size()) != 1) {
    return fail(errc::crypto, operation);
  }
  if ((EVP_MD_get_flags(digest) & EVP_MD_FLAG_XOF) != 0) {
    if (EVP_DigestFinalXOF(context.get(), out_bytes, out.size()) != 1) return fail(errc::crypto, operation);
    return out;
  }
  unsigned int length = 0;
  if (EVP_DigestFinal_ex(context.get(), out_bytes, &length) != 1) return fail(errc::crypto, operation);
  out.resize(length);
  return out;
}

}  // namespace pyossl::detail
#endif  // PYOSSL_DEFINITIONS
