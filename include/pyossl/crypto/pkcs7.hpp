// pyossl::crypto::PKCS7 — pyOpenSSL's crypto.PKCS7 (manual 3.1.6) and load_pkcs7_data:
// a PKCS#7 (RFC 2315) structure as `.p7b` certificate bundles, `openssl crl2pkcs7` and
// S/MIME signing and encryption write it. Beyond the manual, the certificates and CRLs a
// signed PKCS#7 carries, which is what a `.p7b` bundle is for.
#pragma once

#include <cstddef>
#include <new>
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
#include "pyossl/crypto/x509.hpp"
#include "pyossl/detail/handle.hpp"
#include "pyossl/detail/memory_bio.hpp"
#include "pyossl/detail/openssl_error.hpp"
#include "pyossl/error.hpp"

namespace pyossl::detail {

// d2i_PKCS7 with the signature PEM_ASN1_read_bio calls, so no function-pointer cast is needed.
inline void* d2i_pkcs7_untyped(void** out, const unsigned char** in, long length) {
  return d2i_PKCS7(reinterpret_cast<::PKCS7**>(out), in, length);
}

// PEM: "PKCS7" and "PKCS #7 SIGNED DATA" (PEM_read_bio_PKCS7), and, since a CMS
// ContentInfo of the PKCS#7 types is the same structure, "CMS" (`openssl cms -outform PEM`).
[[nodiscard]] inline result<handle<::PKCS7>> read_pkcs7_pem(std::string_view operation,
                                                            std::string_view buffer) {
  auto bio = input_bio(operation, buffer);
  if (!bio) return unexpected(std::move(bio).error());
  ERR_set_mark();
  auto p7 = adopt(PEM_read_bio_PKCS7(bio->get(), nullptr, nullptr, nullptr));
  if (p7) {
    ERR_clear_last_mark();
    return p7;
  }
  const unsigned long last = ERR_peek_last_error();
  if (ERR_GET_LIB(last) != ERR_LIB_PEM || ERR_GET_REASON(last) != PEM_R_NO_START_LINE) {
    ERR_clear_last_mark();
    return fail(errc::crypto, operation);
  }
  ERR_pop_to_mark();  // no PKCS7 label: try the CMS one
  auto again = input_bio(operation, buffer);
  if (!again) return unexpected(std::move(again).error());
  p7 = adopt(static_cast<::PKCS7*>(
      PEM_ASN1_read_bio(&d2i_pkcs7_untyped, PEM_STRING_CMS, again->get(), nullptr, nullptr, nullptr)));
  if (!p7) return fail(errc::crypto, operation, "no PEM block labelled PKCS7, PKCS #7 SIGNED DATA or CMS");
  return p7;
}

}  // namespace pyossl::detail

namespace pyossl::crypto {

class PKCS7 {
 public:
  // Adopts a PKCS#7 structure the caller owns. load_pkcs7_data makes them.
  explicit PKCS7(detail::handle<::PKCS7> p7) noexcept : p7_(std::move(p7)) {}

  // Copies are independent (PKCS7_dup).
  PKCS7(const PKCS7& other) : p7_(duplicate(other.p7_.get())) {}
  PKCS7& operator=(const PKCS7& other) {
    if (this != &other) p7_ = duplicate(other.p7_.get());
    return *this;
  }
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
  [[nodiscard]] std::string get_type_name() const {
    const char* name = OBJ_nid2sn(nid());
    return name != nullptr ? name : "UNDEF";
  }

  // Beyond the manual: copies of the certificates a signed (or signed-and-enveloped)
  // PKCS#7 carries, in file order; empty if it carries none. Any other type:
  // errc::invalid_argument, since only those two types have a certificate set.
  [[nodiscard]] result<std::vector<X509>> get_certificates() const {
    auto certificates = certificate_stack("PKCS7::get_certificates");
    if (!certificates) return unexpected(std::move(certificates).error());
    auto copies = detail::copy_certificates(*certificates);
    if (!copies) return unexpected(std::move(copies).error());
    std::vector<X509> wrapped;
    wrapped.reserve(copies->size());
    for (auto& copy : *copies) wrapped.emplace_back(std::move(copy));
    return wrapped;
  }

  // Beyond the manual: copies of the CRLs a signed (or signed-and-enveloped) PKCS#7
  // carries (a `.p7b` made by `openssl crl2pkcs7`), in file order; empty if it carries
  // none. Calls X509_CRL_dup. Any other type: errc::invalid_argument.
  [[nodiscard]] result<std::vector<CRL>> get_crls() const {
    auto crls = crl_stack("PKCS7::get_crls");
    if (!crls) return unexpected(std::move(crls).error());
    std::vector<CRL> copies;
    const int count = sk_X509_CRL_num(*crls);
    for (int i = 0; i < count; ++i) {
      auto copy = detail::adopt(X509_CRL_dup(sk_X509_CRL_value(*crls, i)));
      if (!copy) return detail::fail(errc::crypto, "X509_CRL_dup");
      copies.emplace_back(std::move(copy));
    }
    return copies;
  }

  // The OpenSSL object, still owned by this PKCS7.
  [[nodiscard]] ::PKCS7* native_handle() const noexcept { return p7_.get(); }

 private:
  [[nodiscard]] static detail::handle<::PKCS7> duplicate(::PKCS7* p7) {
    if (p7 == nullptr) return {};
    auto copy = detail::adopt(PKCS7_dup(p7));
    if (!copy) throw std::bad_alloc();
    return copy;
  }

  [[nodiscard]] int nid() const noexcept { return p7_ ? OBJ_obj2nid(p7_->type) : NID_undef; }

  [[nodiscard]] result<void> require_certificate_set(std::string_view operation) const {
    if ((type_is_signed() && p7_->d.sign != nullptr) ||
        (type_is_signedAndEnveloped() && p7_->d.signed_and_enveloped != nullptr)) {
      return {};
    }
    return detail::fail(
        errc::invalid_argument, operation,
        "a PKCS#7 of type " + get_type_name() +
            " carries no certificates or CRLs (only signedData and signedAndEnvelopedData do)");
  }

  // The certificate set of a signed or signed-and-enveloped PKCS#7 (nullptr when absent).
  [[nodiscard]] result<STACK_OF(X509) *> certificate_stack(std::string_view operation) const {
    if (auto usable = require_certificate_set(operation); !usable)
      return unexpected(std::move(usable).error());
    return type_is_signed() ? p7_->d.sign->cert : p7_->d.signed_and_enveloped->cert;
  }

  [[nodiscard]] result<STACK_OF(X509_CRL) *> crl_stack(std::string_view operation) const {
    if (auto usable = require_certificate_set(operation); !usable)
      return unexpected(std::move(usable).error());
    return type_is_signed() ? p7_->d.sign->crl : p7_->d.signed_and_enveloped->crl;
  }

  detail::handle<::PKCS7> p7_;
};

// Reads a PKCS#7 structure from `buffer`: PEM (labelled "PKCS7", "PKCS #7 SIGNED DATA"
// or, beyond pyOpenSSL, "CMS" as `openssl cms -outform PEM` writes) or DER (BER).
// Calls PEM_read_bio_PKCS7 / d2i_PKCS7_bio. Garbage, truncated or non-PKCS#7 input:
// errc::crypto; a type other than FILETYPE_PEM or FILETYPE_ASN1: errc::invalid_argument.
[[nodiscard]] inline result<PKCS7> load_pkcs7_data(filetype type, std::string_view buffer) {
  constexpr std::string_view operation = "load_pkcs7_data";
  if (type == filetype::pem) {
    auto p7 = detail::read_pkcs7_pem(operation, buffer);
    if (!p7) return unexpected(std::move(p7).error());
    return PKCS7(std::move(*p7));
  }
  if (type != filetype::asn1) {
    return detail::fail(errc::invalid_argument, operation, "type must be FILETYPE_PEM or FILETYPE_ASN1");
  }
  auto bio = detail::input_bio(operation, buffer);
  if (!bio) return unexpected(std::move(bio).error());
  auto p7 = detail::adopt(d2i_PKCS7_bio(bio->get(), nullptr));
  if (!p7) return detail::fail(errc::crypto, operation, "not a DER PKCS#7 structure, or a truncated one");
  return PKCS7(std::move(p7));
}

}  // namespace pyossl::crypto
