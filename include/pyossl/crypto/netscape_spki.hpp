// pyossl::crypto::NetscapeSPKI — pyOpenSSL's crypto.NetscapeSPKI (manual 3.1.9): a
// Netscape signed public key and challenge (SPKAC), what HTML's <keygen> posted and what
// `openssl spkac` still reads and writes.
#pragma once

#include <climits>
#include <cstddef>
#include <new>
#include <string>
#include <string_view>
#include <utility>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "pyossl/crypto/detail/digest.hpp"
#include "pyossl/crypto/pkey.hpp"
#include "pyossl/detail/c_string.hpp"
#include "pyossl/detail/config.hpp"
#include "pyossl/detail/der.hpp"
#include "pyossl/detail/handle.hpp"
#include "pyossl/detail/openssl_error.hpp"
#include "pyossl/error.hpp"

namespace pyossl::detail {

// A copy of `spki`. One that was never signed cannot be encoded, so cannot be copied by
// encoding (ASN1_item_dup): it is rebuilt from its public key, the only part it can have.
[[nodiscard]] PYOSSL_DECL handle<NETSCAPE_SPKI> duplicate_spki(NETSCAPE_SPKI* spki);

}  // namespace pyossl::detail

namespace pyossl::crypto {

class NetscapeSPKI {
 public:
  // A new, empty SPKI: set_pubkey and sign fill it. Calls NETSCAPE_SPKI_new.
  NetscapeSPKI();
  // Adopts an SPKI the caller owns.
  explicit NetscapeSPKI(detail::handle<NETSCAPE_SPKI> spki) noexcept : spki_(std::move(spki)) {}

  // Copies are independent SPKIs (an unsigned one keeps its public key).
  NetscapeSPKI(const NetscapeSPKI& other)
      : spki_(other.spki_ ? detail::duplicate_spki(other.spki_.get()) : detail::handle<NETSCAPE_SPKI>()) {}
  NetscapeSPKI& operator=(const NetscapeSPKI& other);
  NetscapeSPKI(NetscapeSPKI&&) noexcept = default;
  NetscapeSPKI& operator=(NetscapeSPKI&&) noexcept = default;
  ~NetscapeSPKI() = default;

  // The manual's NetscapeSPKI(enc): decodes the base64 text that b64_encode (or
  // `openssl spkac`, after its "SPKAC=" prefix) gives. Calls NETSCAPE_SPKI_b64_decode.
  // Surrounding whitespace is ignored. Empty, non-base64 or non-SPKI input: errc::crypto;
  // a NUL byte inside: errc::invalid_argument.
  [[nodiscard]] static result<NetscapeSPKI> from_b64(std::string_view enc);

  // The SPKI as one line of base64 (DER, no line breaks), the form from_b64 and
  // `openssl spkac` read. Does what NETSCAPE_SPKI_b64_encode does (i2d_NETSCAPE_SPKI then
  // EVP_EncodeBlock). An SPKI that was never signed cannot be encoded: errc::crypto.
  [[nodiscard]] result<std::string> b64_encode() const;

  // The public key the SPKI carries. Calls NETSCAPE_SPKI_get_pubkey; an SPKI with no key
  // set yet: errc::crypto.
  [[nodiscard]] result<PKey> get_pubkey() const;

  // Puts the public half of `key` into the SPKI: get_pubkey then gives a public key,
  // never the key pair (X509_PUBKEY_set alone would keep the whole pair cached, and
  // pyOpenSSL returned it). Calls i2d_PUBKEY, d2i_PUBKEY and NETSCAPE_SPKI_set_pubkey;
  // an empty PKey: errc::invalid_argument; a key OpenSSL cannot encode: errc::crypto.
  [[nodiscard]] result<void> set_pubkey(const PKey& key);

  // Signs the SPKI with `key` and the digest named `digest_name` ("sha256", "md5", ...:
  // any name EVP_MD_fetch knows). Beyond the manual, an empty name lets the key choose:
  // the only way to sign with Ed25519 and Ed448 keys, which take no digest.
  // Calls NETSCAPE_SPKI_sign. An empty or public-only key, or an unknown digest:
  // errc::invalid_argument; a digest the key cannot sign with: errc::crypto.
  [[nodiscard]] result<void> sign(const PKey& key, std::string_view digest_name);

  // Checks the SPKI's signature against `key` (a public key, or a key pair's public
  // half). Calls NETSCAPE_SPKI_verify. Succeeds only if the signature is valid: a
  // signature made by another key, a key of the wrong type, or an unsigned SPKI fail
  // with errc::crypto (as pyOpenSSL raises crypto.Error), so `if (spki.verify(key))`
  // reads as "verified"; an empty PKey is errc::invalid_argument.
  [[nodiscard]] result<void> verify(const PKey& key) const;

  // The OpenSSL object, still owned by this NetscapeSPKI.
  [[nodiscard]] NETSCAPE_SPKI* native_handle() const noexcept { return spki_.get(); }

 private:
  [[nodiscard]] static unexpected<error> moved_from(std::string_view operation);

  detail::handle<NETSCAPE_SPKI> spki_;
};

}  // namespace pyossl::crypto

// Definitions: inline, or compiled once in the compiled mode (pyossl/detail/config.hpp).
#if PYOSSL_DEFINITIONS

namespace pyossl::detail {

PYOSSL_DECL handle<NETSCAPE_SPKI> duplicate_spki(NETSCAPE_SPKI* spki) {
  const error_queue_mark mark;  // the failed encoding is expected, not an error to report
  if (void* copy = ASN1_item_dup(ASN1_ITEM_rptr(NETSCAPE_SPKI), spki)) {
    return adopt(static_cast<NETSCAPE_SPKI*>(copy));
  }
  handle<NETSCAPE_SPKI> fresh = adopt(NETSCAPE_SPKI_new());
  if (!fresh) throw std::bad_alloc();
  if (EVP_PKEY* key = X509_PUBKEY_get0(spki->spkac->pubkey)) {
    if (NETSCAPE_SPKI_set_pubkey(fresh.get(), key) != 1) throw std::bad_alloc();
  }
  return fresh;
}

}  // namespace pyossl::detail

namespace pyossl::crypto {

PYOSSL_DECL NetscapeSPKI::NetscapeSPKI() : spki_(detail::adopt(NETSCAPE_SPKI_new())) {
  if (!spki_) throw std::bad_alloc();
}

PYOSSL_DECL NetscapeSPKI& NetscapeSPKI::operator=(const NetscapeSPKI& other) {
  if (this != &other) *this = NetscapeSPKI(other);
  return *this;
}

PYOSSL_DECL result<NetscapeSPKI> NetscapeSPKI::from_b64(std::string_view enc) {
  constexpr std::string_view operation = "NETSCAPE_SPKI_b64_decode";
  auto text = detail::c_string(operation, "base64 text", enc);
  if (!text) return unexpected(std::move(text).error());
  if (text->empty()) return detail::fail(errc::crypto, operation, "the base64 text is empty");
  if (text->size() > INT_MAX)
    return detail::fail(errc::invalid_argument, operation, "the base64 text is too long");
  auto spki = detail::adopt(NETSCAPE_SPKI_b64_decode(text->c_str(), static_cast<int>(text->size())));
  if (!spki) return detail::fail(errc::crypto, operation, "not the base64 encoding of an SPKI");
  return NetscapeSPKI(std::move(spki));
}

PYOSSL_DECL result<std::string> NetscapeSPKI::b64_encode() const {
  constexpr std::string_view operation = "NETSCAPE_SPKI_b64_encode";
  const int der_length = spki_ ? i2d_NETSCAPE_SPKI(spki_.get(), nullptr) : -1;
  if (der_length <= 0) {
    return detail::fail(errc::crypto, operation,
                        "an SPKI can be encoded only once it has a public key and is signed");
  }
  std::string der(static_cast<std::size_t>(der_length), '\0');
  auto* out = reinterpret_cast<unsigned char*>(der.data());
  if (i2d_NETSCAPE_SPKI(spki_.get(), &out) != der_length) return detail::fail(errc::crypto, operation);
  std::string encoded(static_cast<std::size_t>((der_length + 2) / 3 * 4 + 1), '\0');
  const int written = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(encoded.data()),
                                      reinterpret_cast<const unsigned char*>(der.data()), der_length);
  encoded.resize(static_cast<std::size_t>(written));
  return encoded;
}

PYOSSL_DECL result<PKey> NetscapeSPKI::get_pubkey() const {
  auto key = detail::adopt(spki_ ? NETSCAPE_SPKI_get_pubkey(spki_.get()) : nullptr);
  if (!key) return detail::fail(errc::crypto, "NETSCAPE_SPKI_get_pubkey", "the SPKI has no public key");
  return PKey(std::move(key));
}

PYOSSL_DECL result<void> NetscapeSPKI::set_pubkey(const PKey& key) {
  constexpr std::string_view operation = "NETSCAPE_SPKI_set_pubkey";
  if (!spki_) return moved_from(operation);
  if (key.empty()) return detail::fail(errc::invalid_argument, operation, "the key is empty");
  auto public_half = detail::public_key_copy(operation, key.native_handle());
  if (!public_half) return unexpected(std::move(public_half).error());
  if (NETSCAPE_SPKI_set_pubkey(spki_.get(), public_half->get()) != 1)
    return detail::fail(errc::crypto, operation);
  return {};
}

PYOSSL_DECL result<void> NetscapeSPKI::sign(const PKey& key, std::string_view digest_name) {
  constexpr std::string_view operation = "NETSCAPE_SPKI_sign";
  if (!spki_) return moved_from(operation);
  auto digest = detail::signing_digest(operation, key, digest_name);
  if (!digest) return unexpected(std::move(digest).error());
  if (NETSCAPE_SPKI_sign(spki_.get(), key.native_handle(), digest->get()) <= 0) {
    return detail::fail(errc::crypto, operation,
                        ERR_peek_error() == 0 ? "the key cannot sign with this digest" : "");
  }
  return {};
}

PYOSSL_DECL result<void> NetscapeSPKI::verify(const PKey& key) const {
  constexpr std::string_view operation = "NETSCAPE_SPKI_verify";
  if (!spki_) return moved_from(operation);
  if (key.empty()) return detail::fail(errc::invalid_argument, operation, "the key is empty");
  const int verified = NETSCAPE_SPKI_verify(spki_.get(), key.native_handle());
  if (verified == 1) return {};
  if (verified == 0) return detail::fail(errc::crypto, operation, "the signature does not match the key");
  return detail::fail(errc::crypto, operation);
}

PYOSSL_DECL unexpected<error> NetscapeSPKI::moved_from(std::string_view operation) {
  return detail::fail(errc::invalid_argument, operation, "the NetscapeSPKI was moved from");
}

}  // namespace pyossl::crypto
#endif  // PYOSSL_DEFINITIONS
