// pyossl::crypto::Revoked — pyOpenSSL's crypto.Revoked (0.11 to 23): one entry of a
// certificate revocation list: a serial number, when it was revoked and, optionally, why.
// Add it to a crypto::CRL (crypto/crl.hpp).
#pragma once

#include <cctype>
#include <cstddef>
#include <new>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "pyossl/crypto/x509.hpp"
#include "pyossl/detail/config.hpp"
#include "pyossl/detail/handle.hpp"
#include "pyossl/detail/memory_bio.hpp"
#include "pyossl/detail/openssl_error.hpp"
#include "pyossl/error.hpp"

namespace pyossl::detail {

// A copy of `revoked`. X509_REVOKED_dup copies by encoding, which an entry without a
// revocation date cannot survive; such a one is rebuilt field by field.
[[nodiscard]] PYOSSL_DECL handle<X509_REVOKED> duplicate_revoked(const X509_REVOKED* revoked);

// An ASN.1 INTEGER as pyOpenSSL's Revoked.get_serial gives it (i2a_ASN1_INTEGER): upper-case
// hex, whole bytes ("03AB"), "00" for zero, "-" before a negative value.
[[nodiscard]] PYOSSL_DECL std::string integer_hex_bytes(const ASN1_INTEGER* integer);

// A reason name with case and spaces dropped, as pyOpenSSL compares them.
[[nodiscard]] PYOSSL_DECL std::string folded_reason(std::string_view name);

}  // namespace pyossl::detail

namespace pyossl::crypto {

class Revoked {
 public:
  // A new entry: serial 0 ("00"), no revocation date, no reason. Calls X509_REVOKED_new.
  Revoked();
  // Adopts an entry the caller owns.
  explicit Revoked(detail::handle<X509_REVOKED> revoked) noexcept : revoked_(std::move(revoked)) {}

  // Copies are independent (X509_REVOKED_dup; an entry without a date field by field).
  Revoked(const Revoked& other) : revoked_(detail::duplicate_revoked(other.revoked_.get())) {}
  Revoked& operator=(const Revoked& other);
  // A moved-from Revoked holds no entry: its getters return empty values and its setters
  // fail with errc::invalid_argument.
  Revoked(Revoked&&) noexcept = default;
  Revoked& operator=(Revoked&&) noexcept = default;
  ~Revoked() = default;

  // Sets the revoked certificate's serial number from hex digits, either case ("3ab",
  // "03AB"). Calls BN_hex2bn, X509_REVOKED_set_serialNumber. Anything that is not all hex
  // digits (pyOpenSSL's BN_hex2bn took a valid prefix): errc::invalid_argument.
  [[nodiscard]] result<void> set_serial(std::string_view hex);
  // The serial number as pyOpenSSL gives it: upper-case hex of whole bytes, "03AB" (as
  // i2a_ASN1_INTEGER writes it); "00" when unset or moved from.
  [[nodiscard]] std::string get_serial() const;

  // Sets why the certificate was revoked, one of all_reasons() ("keyCompromise"; case and
  // spaces ignored, so get_reason()'s "Key Compromise" works too), replacing any reason
  // already set. Calls X509_REVOKED_add1_ext_i2d with NID_crl_reason. An unknown name:
  // errc::invalid_argument, the entry unchanged.
  [[nodiscard]] result<void> set_reason(std::string_view reason);
  // Removes the reason (pyOpenSSL's set_reason(None)); no reason set is not an error.
  // Calls X509_REVOKED_delete_ext.
  [[nodiscard]] result<void> set_reason(std::nullptr_t);
  // Why the certificate was revoked, in OpenSSL's words as pyOpenSSL returns them ("Key
  // Compromise", "CA Compromise"; X509V3_EXT_print), or std::nullopt if no reason is set.
  [[nodiscard]] std::optional<std::string> get_reason() const;
  // The reason names set_reason takes, in code order, as pyOpenSSL lists them (RFC 5280's
  // removeFromCRL, privilegeWithdrawn and aACompromise are not among them).
  [[nodiscard]] static std::vector<std::string> all_reasons();

  // Sets when the certificate was revoked, from GENERALIZEDTIME "YYYYMMDDhhmmssZ" (or with
  // a +hhmm/-hhmm offset), stored in UTC as RFC 5280 wants (as X509::set_notBefore). Calls
  // X509_REVOKED_set_revocationDate. A malformed time: errc::invalid_argument.
  [[nodiscard]] result<void> set_rev_date(std::string_view when);
  // When the certificate was revoked, as GENERALIZEDTIME "YYYYMMDDhhmmssZ", or
  // std::nullopt if not set.
  [[nodiscard]] std::optional<std::string> get_rev_date() const;

  // The OpenSSL object, still owned by this Revoked.
  [[nodiscard]] X509_REVOKED* native_handle() const noexcept { return revoked_.get(); }

 private:
  [[nodiscard]] static unexpected<error> moved_from(std::string_view operation);

  detail::handle<X509_REVOKED> revoked_;
};

}  // namespace pyossl::crypto

// Definitions: inline, or compiled once in the compiled mode (pyossl/detail/config.hpp).
#if PYOSSL_DEFINITIONS

namespace pyossl::detail {

PYOSSL_DECL handle<X509_REVOKED> duplicate_revoked(const X509_REVOKED* revoked) {
  if (revoked == nullptr) return {};
  const error_queue_mark mark;  // the failed encoding is expected, not an error to report
  if (X509_REVOKED* copy = X509_REVOKED_dup(revoked)) return adopt(copy);
  handle<X509_REVOKED> fresh = adopt(X509_REVOKED_new());
  if (!fresh) throw std::bad_alloc();
  bool copied = X509_REVOKED_set_serialNumber(
                    fresh.get(), const_cast<ASN1_INTEGER*>(X509_REVOKED_get0_serialNumber(revoked))) == 1;
  const ASN1_TIME* date = X509_REVOKED_get0_revocationDate(revoked);
  if (copied && ASN1_STRING_length(date) > 0) {
    copied = X509_REVOKED_set_revocationDate(fresh.get(), const_cast<ASN1_TIME*>(date)) == 1;
  }
  for (int index = 0; copied && index < X509_REVOKED_get_ext_count(revoked); ++index) {
    copied = X509_REVOKED_add_ext(fresh.get(), X509_REVOKED_get_ext(revoked, index), -1) == 1;
  }
  if (!copied) throw std::bad_alloc();
  return fresh;
}

PYOSSL_DECL std::string integer_hex_bytes(const ASN1_INTEGER* integer) {
  constexpr char digits[] = "0123456789ABCDEF";
  const int length = integer != nullptr ? ASN1_STRING_length(integer) : 0;
  if (length <= 0) return "00";
  const unsigned char* bytes = ASN1_STRING_get0_data(integer);
  std::string hex = ASN1_STRING_type(integer) == V_ASN1_NEG_INTEGER ? "-" : "";
  for (int i = 0; i < length; ++i) {
    hex += digits[bytes[i] >> 4];
    hex += digits[bytes[i] & 0x0F];
  }
  return hex;
}

PYOSSL_DECL std::string folded_reason(std::string_view name) {
  std::string folded;
  for (const char c : name) {
    if (c != ' ') folded += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return folded;
}

}  // namespace pyossl::detail

namespace pyossl::crypto {

PYOSSL_DECL Revoked::Revoked() : revoked_(detail::adopt(X509_REVOKED_new())) {
  if (!revoked_) throw std::bad_alloc();
}

PYOSSL_DECL Revoked& Revoked::operator=(const Revoked& other) {
  if (this != &other) revoked_ = detail::duplicate_revoked(other.revoked_.get());
  return *this;
}

PYOSSL_DECL result<void> Revoked::set_serial(std::string_view hex) {
  constexpr std::string_view operation = "Revoked::set_serial";
  if (!revoked_) return moved_from(operation);
  auto serial = detail::parse_hex_integer(operation, hex, false);
  if (!serial) return unexpected(std::move(serial).error());
  if (X509_REVOKED_set_serialNumber(revoked_.get(), serial->get()) != 1) {
    return detail::fail(errc::crypto, operation);
  }
  return {};
}

PYOSSL_DECL std::string Revoked::get_serial() const {
  return detail::integer_hex_bytes(revoked_ ? X509_REVOKED_get0_serialNumber(revoked_.get()) : nullptr);
}

PYOSSL_DECL result<void> Revoked::set_reason(std::string_view reason) {
  constexpr std::string_view operation = "Revoked::set_reason";
  if (!revoked_) return moved_from(operation);
  const std::vector<std::string> names = all_reasons();
  const std::string wanted = detail::folded_reason(reason);
  long code = -1;
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (detail::folded_reason(names[i]) == wanted) code = static_cast<long>(i);
  }
  if (code < 0 || reason.find('\0') != std::string_view::npos) {
    return detail::fail(
        errc::invalid_argument, operation,
        "unknown revocation reason \"" + std::string(reason.substr(0, 40)) + "\" (see Revoked::all_reasons)");
  }
  const detail::handle<ASN1_STRING> value(ASN1_ENUMERATED_new());
  if (!value) throw std::bad_alloc();
  if (ASN1_ENUMERATED_set(value.get(), code) != 1 ||
      X509_REVOKED_add1_ext_i2d(revoked_.get(), NID_crl_reason, value.get(), 0, X509V3_ADD_REPLACE) != 1) {
    return detail::fail(errc::crypto, operation);
  }
  return {};
}

PYOSSL_DECL result<void> Revoked::set_reason(std::nullptr_t) {
  if (!revoked_) return moved_from("Revoked::set_reason");
  for (int index = X509_REVOKED_get_ext_by_NID(revoked_.get(), NID_crl_reason, -1); index >= 0;
       index = X509_REVOKED_get_ext_by_NID(revoked_.get(), NID_crl_reason, -1)) {
    const detail::handle<X509_EXTENSION> removed(X509_REVOKED_delete_ext(revoked_.get(), index));
  }
  return {};
}

PYOSSL_DECL std::optional<std::string> Revoked::get_reason() const {
  if (!revoked_) return std::nullopt;
  const int index = X509_REVOKED_get_ext_by_NID(revoked_.get(), NID_crl_reason, -1);
  if (index < 0) return std::nullopt;
  X509_EXTENSION* extension = X509_REVOKED_get_ext(revoked_.get(), index);
  const detail::handle<BIO> out = detail::output_bio();
  const detail::error_queue_mark mark;  // an unprintable value is shown raw, not reported
  if (X509V3_EXT_print(out.get(), extension, 0, 0) != 1) {
    const detail::handle<BIO> raw = detail::output_bio();
    (void)ASN1_STRING_print(raw.get(), X509_EXTENSION_get_data(extension));
    return detail::bio_contents(raw.get());
  }
  return detail::bio_contents(out.get());
}

PYOSSL_DECL std::vector<std::string> Revoked::all_reasons() {
  return {"unspecified", "keyCompromise",        "CACompromise",   "affiliationChanged",
          "superseded",  "cessationOfOperation", "certificateHold"};
}

PYOSSL_DECL result<void> Revoked::set_rev_date(std::string_view when) {
  constexpr std::string_view operation = "X509_REVOKED_set_revocationDate";
  if (!revoked_) return moved_from(operation);
  auto time = detail::parse_generalized_time(operation, when);
  if (!time) return unexpected(std::move(time).error());
  if (X509_REVOKED_set_revocationDate(revoked_.get(), time->get()) != 1) {
    return detail::fail(errc::crypto, operation);
  }
  return {};
}

PYOSSL_DECL std::optional<std::string> Revoked::get_rev_date() const {
  return revoked_ ? detail::generalized_time(X509_REVOKED_get0_revocationDate(revoked_.get())) : std::nullopt;
}

PYOSSL_DECL unexpected<error> Revoked::moved_from(std::string_view operation) {
  return detail::fail(errc::invalid_argument, operation, "the Revoked was moved from");
}

}  // namespace pyossl::crypto
#endif  // PYOSSL_DEFINITIONS
