// std::chrono views of a certificate's validity period, beside X509's GENERALIZEDTIME
// strings (get_notBefore / get_notAfter). A header of its own so that <chrono> is included
// only where these are used.
#pragma once

#include <chrono>
#include <ctime>
#include <optional>

#include <openssl/asn1.h>
#include <openssl/x509.h>

#include "pyossl/crypto/x509.hpp"
#include "pyossl/detail/config.hpp"
#include "pyossl/detail/openssl_error.hpp"

namespace pyossl::detail {

// An ASN.1 time (UTCTime or GeneralizedTime, any offset) as UTC seconds since the epoch
// (ASN1_TIME_to_tm), or std::nullopt if absent or unreadable.
[[nodiscard]] PYOSSL_DECL std::optional<std::chrono::sys_seconds> asn1_time_point(const ASN1_TIME* time);

}  // namespace pyossl::detail

namespace pyossl::crypto {

// Beyond the manual (Python cryptography's not_valid_before_utc): the start of `cert`'s
// validity period as a UTC time point, or std::nullopt if not set or unreadable. Seconds,
// not system_clock::time_point, so that RFC 5280's "no end" 99991231235959Z fits.
[[nodiscard]] PYOSSL_DECL std::optional<std::chrono::sys_seconds> not_valid_before(const X509& cert);

// Beyond the manual (not_valid_after_utc): the end of the validity period; as not_valid_before.
[[nodiscard]] PYOSSL_DECL std::optional<std::chrono::sys_seconds> not_valid_after(const X509& cert);

}  // namespace pyossl::crypto

// Definitions: inline, or compiled once in the compiled mode (pyossl/detail/config.hpp).
#if PYOSSL_DEFINITIONS

namespace pyossl::detail {

PYOSSL_DECL std::optional<std::chrono::sys_seconds> asn1_time_point(const ASN1_TIME* time) {
  if (time == nullptr || ASN1_STRING_length(time) <= 0) return std::nullopt;
  const error_queue_mark mark;  // an unreadable time is reported as absent
  std::tm parts{};
  if (ASN1_TIME_to_tm(time, &parts) != 1) return std::nullopt;
  using namespace std::chrono;
  const year_month_day date{year{parts.tm_year + 1900}, month{static_cast<unsigned>(parts.tm_mon + 1)},
                            day{static_cast<unsigned>(parts.tm_mday)}};
  if (!date.ok()) return std::nullopt;
  return sys_days{date} + hours{parts.tm_hour} + minutes{parts.tm_min} + seconds{parts.tm_sec};
}

}  // namespace pyossl::detail

namespace pyossl::crypto {

PYOSSL_DECL std::optional<std::chrono::sys_seconds> not_valid_before(const X509& cert) {
  return cert.native_handle() != nullptr ? detail::asn1_time_point(X509_get0_notBefore(cert.native_handle()))
                                         : std::nullopt;
}

PYOSSL_DECL std::optional<std::chrono::sys_seconds> not_valid_after(const X509& cert) {
  return cert.native_handle() != nullptr ? detail::asn1_time_point(X509_get0_notAfter(cert.native_handle()))
                                         : std::nullopt;
}

}  // namespace pyossl::crypto
#endif  // PYOSSL_DEFINITIONS
