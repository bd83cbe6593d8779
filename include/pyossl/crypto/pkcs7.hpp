// pyossl::crypto::PKCS7 — pyOpenSSL's crypto.PKCS7 (manual 3.1.6) and load_pkcs7_data:
// a PKCS#7 (RFC 2315) structure as `.p7b` certificate bundles, `openssl crl2pkcs7` and
// S/MIME signing and encryption write it. Beyond the manual, the certificates and CRLs a
// signed PKCS#7 carries, which is what a `.p7b` bundle is for.
#pragma once

#include <cstddef>
#include <new>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/pkcs7.h>
#include <openssl/x509.h>

#include "pyossl/crypto/crl.hpp"
#include "pyossl/crypto/filetype.hpp"
#include "pyossl/crypto/passphrase.hpp"
#include "pyossl/crypto/x509.hpp"
#include "pyossl/detail/config.hpp"
#include "pyossl/detail/handle.hpp"
#include "pyossl/detail/memory_bio.hpp"
#include "pyossl/detail/openssl_error.hpp"
#include "pyossl/error.hpp"

namespace pyossl::detail {

// A PKCS#7 structure and the DER it was read from: copies are made from those bytes,
// since OpenSSL cannot always re-read what it writes back (see PKCS7's copy constructor).
struct pkcs7_read {
  handle<::PKCS7> p7;
  std::string der;
};

// d2i_PKCS7 of all of `der`: a null handle if it is no PKCS#7 structure.
[[nodiscard]] PYOSSL_DECL handle<::PKCS7> pkcs7_from_der(std::string_view der);

// The body of the first PEM block labelled `label` (PEM_bytes_read_bio, which also takes
// "PKCS #7 SIGNED DATA" for "PKCS7"), or std::nullopt with the queue left as OpenSSL set
// it. Encrypted blocks are refused rather than prompting on a terminal.
[[nodiscard]] PYOSSL_DECL std::optional<std::string> pem_block(BIO* bio, const char* label);

// PEM: "PKCS7" and "PKCS #7 SIGNED DATA" (as PEM_read_bio_PKCS7 reads), and, since a CMS
// ContentInfo of the PKCS#7 types is the same structure, "CMS" (`openssl cms -outform PEM`).
[[nodiscard]] PYOSSL_DECL result<pkcs7_read> read_pkcs7_pem(std::string_view operation,
                                                            std::string_view buffer);

}  // namespace pyossl::detail

namespace pyossl::crypto {

class PKCS7 {
 public:
  // Adopts a PKCS#7 structure the caller owns. load_pkcs7_data makes them.
  explicit PKCS7(detail::handle<::PKCS7> p7) noexcept : p7_(std::move(p7)) {}

  // Copies are independent and equal: a loaded PKCS7 is re-read from the bytes it was
  // loaded from (d2i_PKCS7), an adopted one copied with PKCS7_dup. OpenSSL cannot always
  // re-read what it writes back; an adopted PKCS7 it cannot copy throws crypto::Error
  // (the copy cannot return a result), never a different object (docs/porting.md).
  PKCS7(const PKCS7& other) : p7_(duplicate(other)), der_(other.der_) {}
  PKCS7& operator=(const PKCS7& other);
  PKCS7(PKCS7&&) noexcept = default;
  PKCS7& operator=(PKCS7&&) noexcept = default;
  ~PKCS7() = default;

  // True for signedData (a signed message, or a `.p7b` certificate bundle).
  // PKCS7_type_is_signed. (The manual leaves these four undocumented.)
  [[nodiscard]] bool type_is_signed() const noexcept { return nid() == NID_pkcs7_signed; }
  // True for envelopedData (encrypted to recipients). PKCS7_type_is_enveloped.
  [[nodiscard]] bool type_is_enveloped() const noexcept { return nid() == NID_pkcs7_enveloped; }
  // True for signedAndEnvelopedData. PKCS7_type_is_signedAndEnveloped.
  [[nodiscard]] bool type_is_signedAndEnveloped() const noexcept {  // NOLINT(readability-identifier-naming)
    return nid() == NID_pkcs7_signedAndEnveloped;
  }
  // True for plain data. PKCS7_type_is_data.
  [[nodiscard]] bool type_is_data() const noexcept { return nid() == NID_pkcs7_data; }

  // OpenSSL's short name of the content type, as pyOpenSSL gives it: "pkcs7-signedData",
  // "pkcs7-envelopedData", "pkcs7-data", ... (OBJ_nid2sn of the type; "UNDEF" if unknown).
  [[nodiscard]] std::string get_type_name() const;

  // Beyond the manual: copies of the certificates a signed (or signed-and-enveloped)
  // PKCS#7 carries, in file order; empty if it carries none. Any other type:
  // errc::invalid_argument, since only those two types have a certificate set.
  [[nodiscard]] result<std::vector<X509>> get_certificates() const;

  // Beyond the manual: copies of the CRLs a signed (or signed-and-enveloped) PKCS#7
  // carries (a `.p7b` made by `openssl crl2pkcs7`), in file order; empty if it carries
  // none. Calls X509_CRL_dup; a CRL OpenSSL cannot copy unchanged: errc::crypto (as
  // get_certificates). Any other type: errc::invalid_argument.
  [[nodiscard]] result<std::vector<CRL>> get_crls() const;

  // The OpenSSL object, still owned by this PKCS7.
  [[nodiscard]] ::PKCS7* native_handle() const noexcept { return p7_.get(); }

 private:
  friend result<PKCS7> load_pkcs7_data(filetype type, std::string_view buffer);

  PKCS7(detail::handle<::PKCS7> p7, std::string der) noexcept : p7_(std::move(p7)), der_(std::move(der)) {}

  [[nodiscard]] static detail::handle<::PKCS7> duplicate(const PKCS7& other);

  [[nodiscard]] int nid() const noexcept;

  [[nodiscard]] result<void> require_certificate_set(std::string_view operation) const;

  // The certificate set of a signed or signed-and-enveloped PKCS#7 (nullptr when absent).
  [[nodiscard]] result<STACK_OF(X509) *> certificate_stack(std::string_view operation) const;

  [[nodiscard]] result<STACK_OF(X509_CRL) *> crl_stack(std::string_view operation) const;

  detail::handle<::PKCS7> p7_;
  std::string der_;  // the DER it was loaded from; empty if adopted
};

// Reads a PKCS#7 structure from `buffer`: PEM (labelled "PKCS7", "PKCS #7 SIGNED DATA"
// or, beyond pyOpenSSL, "CMS" as `openssl cms -outform PEM` writes) or DER (BER).
// Calls PEM_bytes_read_bio / d2i_PKCS7; bytes after a DER structure are ignored. Garbage,
// truncated or non-PKCS#7 input: errc::crypto; a type other than FILETYPE_PEM or
// FILETYPE_ASN1: errc::invalid_argument.
[[nodiscard]] PYOSSL_DECL result<PKCS7> load_pkcs7_data(filetype type, std::string_view buffer);

}  // namespace pyossl::crypto

// Definitions: inline, or compiled once in the compiled mode (pyossl/detail/config.hpp).
#if PYOSSL_DEFINITIONS

namespace pyossl::detail {

PYOSSL_DECL handle<::PKCS7> pkcs7_from_der(std::string_view der) {
  const auto* bytes = reinterpret_cast<const unsigned char*>(der.data());
  return adopt(d2i_PKCS7(nullptr, &bytes, static_cast<long>(der.size())));
}

PYOSSL_DECL std::optional<std::string> pem_block(BIO* bio, const char* label) {
  unsigned char* data = nullptr;
  long length = 0;
  char* name = nullptr;
  // PKCS#7 is never encrypted: the one passphrase callback, with no request, gives none.
  if (PEM_bytes_read_bio(&data, &length, &name, label, bio, passphrase_callback, nullptr) != 1)
    return std::nullopt;
  std::string der(reinterpret_cast<const char*>(data), static_cast<std::size_t>(length));
  OPENSSL_free(data);
  OPENSSL_free(name);
  return der;
}

PYOSSL_DECL result<pkcs7_read> read_pkcs7_pem(std::string_view operation, std::string_view buffer) {
  auto bio = input_bio(operation, buffer);
  if (!bio) return unexpected(std::move(bio).error());
  std::optional<std::string> der;
  {
    error_queue_mark mark;  // "no start line" means: try the CMS label; the rest is reported
    der = pem_block(bio->get(), PEM_STRING_PKCS7);
    const unsigned long last = ERR_peek_last_error();
    if (!der && (ERR_GET_LIB(last) != ERR_LIB_PEM || ERR_GET_REASON(last) != PEM_R_NO_START_LINE)) {
      mark.keep();
      return fail(errc::crypto, operation);
    }
  }
  if (!der) {
    auto again = input_bio(operation, buffer);
    if (!again) return unexpected(std::move(again).error());
    der = pem_block(again->get(), PEM_STRING_CMS);
    if (!der) return fail(errc::crypto, operation, "no PEM block labelled PKCS7, PKCS #7 SIGNED DATA or CMS");
  }
  auto p7 = pkcs7_from_der(*der);
  if (!p7) return fail(errc::crypto, operation, "the PEM block holds no PKCS#7 structure");
  return pkcs7_read{std::move(p7), std::move(*der)};
}

}  // namespace pyossl::detail

namespace pyossl::crypto {

PYOSSL_DECL PKCS7& PKCS7::operator=(const PKCS7& other) {
  if (this != &other) {
    p7_ = duplicate(other);
    der_ = other.der_;
  }
  return *this;
}

PYOSSL_DECL std::string PKCS7::get_type_name() const {
  const char* name = OBJ_nid2sn(nid());
  return name != nullptr ? name : "UNDEF";
}

PYOSSL_DECL result<std::vector<X509>> PKCS7::get_certificates() const {
  auto certificates = certificate_stack("PKCS7::get_certificates");
  if (!certificates) return unexpected(std::move(certificates).error());
  auto copies = detail::copy_certificates(*certificates);
  if (!copies) return unexpected(std::move(copies).error());
  std::vector<X509> wrapped;
  wrapped.reserve(copies->size());
  for (auto& copy : *copies) wrapped.emplace_back(std::move(copy));
  return wrapped;
}

PYOSSL_DECL result<std::vector<CRL>> PKCS7::get_crls() const {
  auto crls = crl_stack("PKCS7::get_crls");
  if (!crls) return unexpected(std::move(crls).error());
  std::vector<CRL> copies;
  const int count = sk_X509_CRL_num(*crls);
  for (int i = 0; i < count; ++i) {
    auto copy = detail::copy_crl(sk_X509_CRL_value(*crls, i));
    if (!copy) return unexpected(std::move(copy).error());
    copies.emplace_back(std::move(*copy));
  }
  return copies;
}

PYOSSL_DECL detail::handle<::PKCS7> PKCS7::duplicate(const PKCS7& other) {
  if (!other.p7_) return {};
  auto copy =
      other.der_.empty() ? detail::adopt(PKCS7_dup(other.p7_.get())) : detail::pkcs7_from_der(other.der_);
  if (copy) return copy;
  const bool exhausted = ERR_GET_REASON(ERR_peek_last_error()) == ERR_R_MALLOC_FAILURE;
  auto failure =
      detail::openssl_error(errc::crypto, "PKCS7 copy", "OpenSSL cannot re-read this PKCS#7 structure");
  if (exhausted) throw std::bad_alloc();
  throw_error(std::move(failure));
}

PYOSSL_DECL int PKCS7::nid() const noexcept { return p7_ ? OBJ_obj2nid(p7_->type) : NID_undef; }

PYOSSL_DECL result<void> PKCS7::require_certificate_set(std::string_view operation) const {
  if ((type_is_signed() && p7_->d.sign != nullptr) ||
      (type_is_signedAndEnveloped() && p7_->d.signed_and_enveloped != nullptr)) {
    return {};
  }
  return detail::fail(errc::invalid_argument, operation,
                      "a PKCS#7 of type " + get_type_name() +
                          " carries no certificates or CRLs (only signedData and signedAndEnvelopedData do)");
}

PYOSSL_DECL result<STACK_OF(X509) *> PKCS7::certificate_stack(std::string_view operation) const {
  if (auto usable = require_certificate_set(operation); !usable) return unexpected(std::move(usable).error());
  return type_is_signed() ? p7_->d.sign->cert : p7_->d.signed_and_enveloped->cert;
}

PYOSSL_DECL result<STACK_OF(X509_CRL) *> PKCS7::crl_stack(std::string_view operation) const {
  if (auto usable = require_certificate_set(operation); !usable) return unexpected(std::move(usable).error());
  return type_is_signed() ? p7_->d.sign->crl : p7_->d.signed_and_enveloped->crl;
}

PYOSSL_DECL result<PKCS7> load_pkcs7_data(filetype type, std::string_view buffer) {
  constexpr std::string_view operation = "load_pkcs7_data";
  if (type == filetype::pem) {
    auto read = detail::read_pkcs7_pem(operation, buffer);
    if (!read) return unexpected(std::move(read).error());
    return PKCS7(std::move(read->p7), std::move(read->der));
  }
  if (auto valid = detail::check_filetype(operation, type); !valid)
    return unexpected(std::move(valid).error());
  const auto* start = reinterpret_cast<const unsigned char*>(buffer.data());
  const unsigned char* end = start;
  auto p7 = detail::adopt(d2i_PKCS7(nullptr, &end, static_cast<long>(buffer.size())));
  if (!p7) return detail::fail(errc::crypto, operation, "not a DER PKCS#7 structure, or a truncated one");
  return PKCS7(std::move(p7), std::string(buffer.substr(0, static_cast<std::size_t>(end - start))));
}

}  // namespace pyossl::crypto
#endif  // PYOSSL_DEFINITIONS
