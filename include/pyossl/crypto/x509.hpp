// pyossl::crypto::X509 — pyOpenSSL's crypto.X509 (manual 3.1.1): an X.509 certificate,
// to build and sign or to read. Load and dump it with crypto/certificate_io.hpp.
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <new>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <openssl/asn1.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "pyossl/crypto/detail/digest.hpp"
#include "pyossl/crypto/pkey.hpp"
#include "pyossl/crypto/x509_extension.hpp"
#include "pyossl/crypto/x509_name.hpp"
#include "pyossl/detail/config.hpp"
#include "pyossl/detail/der.hpp"
#include "pyossl/detail/handle.hpp"
#include "pyossl/detail/openssl_error.hpp"
#include "pyossl/error.hpp"

namespace pyossl::detail {

// The DER encoding of `certificate` (i2d_X509), or empty if it cannot be encoded (one
// never signed). Queues nothing that outlives the call.
[[nodiscard]] PYOSSL_DECL std::string certificate_der(const ::X509* certificate);

// Makes `copy` carry the signature algorithm and value of `certificate` (the outer ones;
// the signed part's algorithm is one of its fields). False if OpenSSL refused.
[[nodiscard]] PYOSSL_DECL bool copy_signature(::X509* copy, const ::X509* certificate);

// A copy of `certificate`, equal to it. X509_dup copies by writing and re-reading the
// encoding, which fails for a certificate never signed and for one whose encoding OpenSSL
// writes back in a form it cannot re-read (tests/support/odd_der.hpp); such a one is
// rebuilt field by field: version, serial, names, validity, key, extensions and, if
// signed, the signature. A signed rebuild must encode exactly like the original, else
// errc::crypto; std::bad_alloc when memory ran out.
[[nodiscard]] PYOSSL_DECL result<handle<::X509>> copy_certificate(const ::X509* certificate);

// copy_certificate for a copy constructor, which cannot return a result: a certificate
// that cannot be copied equal throws crypto::Error, never a different one (porting.md).
[[nodiscard]] PYOSSL_DECL handle<::X509> duplicate_certificate(const ::X509* certificate);

// An ASN.1 time as GENERALIZEDTIME "YYYYMMDDhhmmssZ" (ASN1_TIME_to_generalizedtime, which
// also converts UTCTime and offsets to UTC), or std::nullopt if absent or unreadable.
[[nodiscard]] PYOSSL_DECL std::optional<std::string> generalized_time(const ASN1_TIME* time);

// The manual's GENERALIZEDTIME text ("YYYYMMDDhhmmssZ", "YYYYMMDDhhmmss+hhmm",
// "YYYYMMDDhhmmss-hhmm") as the time RFC 5280 says to store: converted to UTC, as UTCTime
// for 1950 to 2049 and GeneralizedTime otherwise (ASN1_GENERALIZEDTIME_set_string, then
// ASN1_TIME_normalize). Any other form, or a date or offset out of range:
// errc::invalid_argument.
[[nodiscard]] PYOSSL_DECL result<handle<ASN1_STRING>> parse_generalized_time(std::string_view operation,
                                                                             std::string_view when);

// An ASN.1 INTEGER as hex: upper case, no leading zeros, "-" before a negative value.
[[nodiscard]] PYOSSL_DECL std::string integer_hex(const ASN1_INTEGER* integer);

// Hex digits (either case; a leading "-" too when `allow_negative`; no "0x", spaces or
// colons) as an ASN.1 INTEGER. Calls BN_hex2bn, BN_to_ASN1_INTEGER. Anything else:
// errc::invalid_argument.
[[nodiscard]] PYOSSL_DECL result<handle<ASN1_STRING>> parse_hex_integer(std::string_view operation,
                                                                        std::string_view hex,
                                                                        bool allow_negative);

}  // namespace pyossl::detail

namespace pyossl::crypto {

class X509 {
 public:
  // A new, empty certificate (version 1, serial 0, empty names, no validity, no key):
  // set its fields, then sign it. Calls X509_new.
  X509();
  // Adopts a certificate the caller owns.
  explicit X509(detail::handle<::X509> cert) noexcept : cert_(std::move(cert)) {}

  // Copies are independent certificates equal to the original (X509_dup; one OpenSSL cannot
  // re-read, or an unsigned one, is copied field by field and checked; see porting.md).
  X509(const X509& other) : cert_(detail::duplicate_certificate(other.cert_.get())) {}
  X509& operator=(const X509& other);
  // A moved-from X509 holds no certificate: its getters return empty values and the
  // rest fail with errc::invalid_argument.
  X509(X509&&) noexcept = default;
  X509& operator=(X509&&) noexcept = default;
  ~X509() = default;

  // --- names -------------------------------------------------------------------------

  // A copy of the subject name (X509_get_subject_name, X509_NAME_dup). pyOpenSSL returns a
  // view that writes through; pyossl returns a value: change it, then set_subject.
  [[nodiscard]] X509Name get_subject() const;
  // Replaces the subject name with a copy of `subject`. Calls X509_set_subject_name.
  [[nodiscard]] result<void> set_subject(const X509Name& subject);
  // A copy of the issuer name (X509_get_issuer_name, X509_NAME_dup); see get_subject.
  [[nodiscard]] X509Name get_issuer() const;
  // Replaces the issuer name with a copy of `issuer`. Calls X509_set_issuer_name.
  [[nodiscard]] result<void> set_issuer(const X509Name& issuer);
  // The hash of the subject name, as X509Name::hash (X509_NAME_hash_ex, the value
  // `openssl x509 -subject_hash` prints). errc::crypto if SHA-1 is unavailable.
  [[nodiscard]] result<unsigned long> subject_name_hash() const;

  // --- key -----------------------------------------------------------------------------

  // The certificate's public key (X509_get_pubkey), a PKey with no private half.
  // errc::crypto if the certificate has no key or OpenSSL cannot decode it.
  [[nodiscard]] result<PKey> get_pubkey() const;
  // Puts the public half of `key` into the certificate (never the private half: pyossl
  // copies it with i2d_PUBKEY / d2i_PUBKEY, then calls X509_set_pubkey). An empty PKey:
  // errc::invalid_argument; a key with no public encoding: errc::crypto.
  [[nodiscard]] result<void> set_pubkey(const PKey& key);

  // --- serial number and version ---------------------------------------------------------

  // The serial number (ASN1_INTEGER_get_int64). Real certificates carry serials of up to
  // 20 bytes, which do not fit: those fail with errc::invalid_argument, and
  // get_serial_number_hex reads any serial. An unset serial reads as 0.
  [[nodiscard]] result<std::int64_t> get_serial_number() const;
  // Sets the serial number (ASN1_INTEGER_set_int64). RFC 5280 wants it positive; OpenSSL,
  // like pyOpenSSL, takes any value.
  [[nodiscard]] result<void> set_serial_number(std::int64_t serial);
  // Beyond the manual: the serial number of any size as hex, upper case without leading
  // zeros ("0", "1F", "-5", "4C0F...": what `openssl x509 -serial` prints, less zero padding).
  [[nodiscard]] std::string get_serial_number_hex() const;
  // Beyond the manual: the serial number of any size in decimal ("0", "-5",
  // "434412623541393818376451106542183155183"), what str(cert.get_serial_number()) gives in
  // pyOpenSSL, where Python's int has no size limit. Calls ASN1_INTEGER_to_BN, BN_bn2dec.
  [[nodiscard]] std::string get_serial_number_decimal() const;
  // Beyond the manual: sets a serial number of any size from hex digits (either case, an
  // optional leading "-"; no "0x", spaces or colons). Calls BN_hex2bn, BN_to_ASN1_INTEGER.
  // Anything else: errc::invalid_argument.
  [[nodiscard]] result<void> set_serial_number_hex(std::string_view hex);

  // The version field: 0 for v1, 2 for v3 (X509_get_version). A certificate with
  // extensions must be version 2 (v3).
  [[nodiscard]] long get_version() const noexcept;
  // Sets the version field (X509_set_version): 0 (v1), 1 (v2) or 2 (v3). pyOpenSSL 0.10
  // took any number; anything else gives a certificate no one reads, so pyossl refuses it
  // with errc::invalid_argument.
  [[nodiscard]] result<void> set_version(long version);

  // --- validity ----------------------------------------------------------------------

  // The start of the validity period as GENERALIZEDTIME "YYYYMMDDhhmmssZ" (a UTCTime in
  // the certificate is converted; ASN1_TIME_to_generalizedtime), or std::nullopt if the
  // field is not set (or unreadable).
  [[nodiscard]] std::optional<std::string> get_notBefore() const;
  // The end of the validity period; as get_notBefore.
  [[nodiscard]] std::optional<std::string> get_notAfter() const;
  // Sets the start of the validity period from GENERALIZEDTIME "YYYYMMDDhhmmssZ",
  // "YYYYMMDDhhmmss+hhmm" or "YYYYMMDDhhmmss-hhmm". pyOpenSSL 0.10 stored the text as
  // given; pyossl stores it as RFC 5280 requires (in UTC; UTCTime for 1950-2049) so that
  // OpenSSL's verifier accepts it, and get_notBefore returns it in UTC. Calls
  // ASN1_GENERALIZEDTIME_set_string, ASN1_TIME_normalize, X509_set1_notBefore. Any other
  // form, an impossible date, an offset beyond 12 hours: errc::invalid_argument.
  [[nodiscard]] result<void> set_notBefore(std::string_view when);
  // Sets the end of the validity period; as set_notBefore (X509_set1_notAfter).
  [[nodiscard]] result<void> set_notAfter(std::string_view when);
  // Sets the start of the validity period to now plus `seconds` (negative: in the past).
  // Calls X509_gmtime_adj.
  [[nodiscard]] result<void> gmtime_adj_notBefore(long seconds);
  // Sets the end of the validity period to now plus `seconds`. Calls X509_gmtime_adj.
  [[nodiscard]] result<void> gmtime_adj_notAfter(long seconds);
  // True if the end of the validity period has passed (X509_cmp_current_time). A
  // certificate whose notAfter is not set or unreadable counts as expired (pyOpenSSL 0.10
  // said "not expired"), so the answer is never a reason to trust it.
  [[nodiscard]] bool has_expired() const;

  // --- signature and digest ------------------------------------------------------------

  // Signs the certificate with `key`, hashing with the digest named `digest` ("sha256",
  // any name EVP_MD_fetch knows). Beyond the manual, an empty name lets the key choose
  // (SHA-256 for RSA, EC and DSA): the only way to sign with Ed25519 and Ed448 keys, which
  // take no digest. Calls X509_sign. An empty or public-only key, or an unknown digest:
  // errc::invalid_argument; a digest the key cannot sign with (any named digest with
  // Ed25519, SHAKE with RSA): errc::crypto.
  [[nodiscard]] result<void> sign(const PKey& key, std::string_view digest);

  // The long name of the algorithm the certificate is signed with
  // ("sha256WithRSAEncryption", "ED25519"), from X509_get0_tbs_sigalg as modern pyOpenSSL
  // reads it. For an algorithm OpenSSL has no name for, its dotted OID
  // ("1.2.840.113549.1.1.127"), on purpose, where pyOpenSSL raises ValueError("Undefined
  // signature algorithm"). A certificate that was never signed: errc::crypto (pyOpenSSL:
  // ValueError).
  [[nodiscard]] result<std::string> get_signature_algorithm() const;

  // The digest of the certificate's DER encoding with the digest named `digest_name`
  // ("sha256", "sha1", "md5", "sha3-256", "shake256": any name EVP_MD_fetch knows), as
  // pyOpenSSL's text: upper-case hex pairs joined by colons ("AB:CD:..."), the fingerprint
  // `openssl x509 -fingerprint` prints. Calls i2d_X509 and EVP_Digest* (not X509_digest,
  // whose cached SHA-1 can outlive a change to the certificate). An unknown digest:
  // errc::invalid_argument; a certificate that cannot be encoded (never signed):
  // errc::crypto.
  [[nodiscard]] result<std::string> digest(std::string_view digest_name) const;

  // --- extensions ----------------------------------------------------------------------

  // Appends copies of `extensions` to the certificate's extensions (X509_add_ext). pyOpenSSL
  // does not check for duplicates, nor does pyossl. A moved-from X509Extension:
  // errc::invalid_argument, and nothing is added.
  [[nodiscard]] result<void> add_extensions(std::span<const X509Extension> extensions);
  [[nodiscard]] result<void> add_extensions(std::initializer_list<X509Extension> extensions);

  // Beyond the manual (modern pyOpenSSL): how many extensions the certificate has.
  // Calls X509_get_ext_count.
  [[nodiscard]] int get_extension_count() const noexcept;
  // Beyond the manual (modern pyOpenSSL): a copy of extension number `index`, counting from
  // 0. Calls X509_get_ext. An index out of range: errc::invalid_argument (pyOpenSSL:
  // IndexError).
  [[nodiscard]] result<X509Extension> get_extension(int index) const;

  // The OpenSSL object, still owned by this X509.
  [[nodiscard]] ::X509* native_handle() const noexcept { return cert_.get(); }

 private:
  // OpenSSL 3 keeps a loaded certificate's original encoding and reuses it for i2d,
  // X509_dup and digests even after a field changes; every setter calls this on success
  // so copies, dumps and digests see the change. i2d_re_X509_tbs marks the encoding stale
  // (its length computation may queue complaints about unset fields: not a failure here).
  [[nodiscard]] result<void> changed() noexcept;

  [[nodiscard]] static unexpected<error> moved_from(std::string_view operation);

  [[nodiscard]] static X509Name copy_name(const X509_NAME* name);

  [[nodiscard]] result<void> set_name(std::string_view operation, const X509Name& name,
                                      int (*setter)(::X509*, const X509_NAME*));

  [[nodiscard]] result<void> set_time(std::string_view operation, std::string_view when,
                                      int (*setter)(::X509*, const ASN1_TIME*));

  [[nodiscard]] static result<void> adjust_time(ASN1_TIME* time, long seconds);

  [[nodiscard]] result<std::string> encode() const;

  detail::handle<::X509> cert_;
};

}  // namespace pyossl::crypto

namespace pyossl::detail {
// Independent copies (copy_certificate: X509_dup, or field by field where OpenSSL cannot
// re-read a certificate's encoding) of the certificates in `stack`, in order; none for a
// null stack. Here in detail because sk_X509_value casts to `X509*`, which inside
// pyossl::crypto would name crypto::X509.
[[nodiscard]] PYOSSL_DECL result<std::vector<handle<::X509>>> copy_certificates(const STACK_OF(X509) * stack);

PYOSSL_DECL ::X509* certificate_of(const crypto::X509* certificate) noexcept;
}  // namespace pyossl::detail

// Definitions: inline, or compiled once in the compiled mode (pyossl/detail/config.hpp).
#if PYOSSL_DEFINITIONS

namespace pyossl::detail {

PYOSSL_DECL std::string certificate_der(const ::X509* certificate) {
  const error_queue_mark mark;
  unsigned char* bytes = nullptr;
  const int length = i2d_X509(certificate, &bytes);
  if (length <= 0) return {};
  std::string der(reinterpret_cast<const char*>(bytes), static_cast<std::size_t>(length));
  OPENSSL_free(bytes);
  return der;
}

PYOSSL_DECL bool copy_signature(::X509* copy, const ::X509* certificate) {
  const ASN1_BIT_STRING* signature = nullptr;
  const X509_ALGOR* algorithm = nullptr;
  X509_get0_signature(&signature, &algorithm, certificate);
  const ASN1_BIT_STRING* copy_signature = nullptr;
  const X509_ALGOR* copy_algorithm = nullptr;
  X509_get0_signature(&copy_signature, &copy_algorithm, copy);
  // The copy's own fields, reachable only through OpenSSL's const getters.
  auto* out_signature = const_cast<ASN1_BIT_STRING*>(copy_signature);
  auto* out_algorithm = const_cast<X509_ALGOR*>(copy_algorithm);
  auto* out_tbs_algorithm = const_cast<X509_ALGOR*>(X509_get0_tbs_sigalg(copy));
  if (algorithm == nullptr || signature == nullptr || ASN1_STRING_length(signature) == 0) return true;
  return X509_ALGOR_copy(out_algorithm, algorithm) == 1 &&
         X509_ALGOR_copy(out_tbs_algorithm, X509_get0_tbs_sigalg(certificate)) == 1 &&
         ASN1_STRING_copy(out_signature, signature) == 1;
}

PYOSSL_DECL result<handle<::X509>> copy_certificate(const ::X509* certificate) {
  if (certificate == nullptr) return handle<::X509>();
  {
    const error_queue_mark mark;  // a failed re-reading is expected, not an error to report
    if (::X509* copy = X509_dup(certificate)) return adopt(copy);
  }
  handle<::X509> fresh = adopt(X509_new());
  if (!fresh) throw std::bad_alloc();
  ::X509* out = fresh.get();
  bool copied =
      X509_set_version(out, X509_get_version(certificate)) == 1 &&
      X509_set_serialNumber(out, const_cast<ASN1_INTEGER*>(X509_get0_serialNumber(certificate))) == 1 &&
      X509_set_issuer_name(out, X509_get_issuer_name(certificate)) == 1 &&
      X509_set_subject_name(out, X509_get_subject_name(certificate)) == 1 &&
      X509_set1_notBefore(out, X509_get0_notBefore(certificate)) == 1 &&
      X509_set1_notAfter(out, X509_get0_notAfter(certificate)) == 1;
  if (EVP_PKEY* key = X509_get0_pubkey(certificate); copied && key != nullptr) {
    copied = X509_set_pubkey(out, key) == 1;
  }
  for (int index = 0; copied && index < X509_get_ext_count(certificate); ++index) {
    copied = X509_add_ext(out, X509_get_ext(certificate, index), -1) == 1;
  }
  copied = copied && copy_signature(out, certificate);
  if (!copied) {
    ERR_clear_error();
    throw std::bad_alloc();
  }
  const std::string original = certificate_der(certificate);
  if (original.empty() || certificate_der(out) == original) return fresh;
  return fail(errc::crypto, "X509 copy", "the certificate cannot be copied without changing its encoding");
}

PYOSSL_DECL handle<::X509> duplicate_certificate(const ::X509* certificate) {
  auto copy = copy_certificate(certificate);
  if (!copy) throw_error(std::move(copy).error());
  return std::move(*copy);
}

PYOSSL_DECL std::optional<std::string> generalized_time(const ASN1_TIME* time) {
  if (time == nullptr || ASN1_STRING_length(time) <= 0) return std::nullopt;
  const error_queue_mark mark;  // an unreadable time is reported as absent
  const handle<ASN1_STRING> converted(ASN1_TIME_to_generalizedtime(time, nullptr));
  if (!converted) return std::nullopt;
  return std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(converted.get())),
                     static_cast<std::size_t>(ASN1_STRING_length(converted.get())));
}

PYOSSL_DECL result<handle<ASN1_STRING>> parse_generalized_time(std::string_view operation,
                                                               std::string_view when) {
  const auto digits = [&](std::size_t from, std::size_t to) {
    for (std::size_t i = from; i < to; ++i) {
      if (when[i] < '0' || when[i] > '9') return false;
    }
    return true;
  };
  const bool utc = when.size() == 15 && digits(0, 14) && when[14] == 'Z';
  const bool offset =
      when.size() == 19 && digits(0, 14) && (when[14] == '+' || when[14] == '-') && digits(15, 19);
  if (!utc && !offset) {
    return fail(errc::invalid_argument, operation,
                "a time must be YYYYMMDDhhmmssZ, YYYYMMDDhhmmss+hhmm or YYYYMMDDhhmmss-hhmm, not \"" +
                    std::string(when.substr(0, 40)) + "\"");
  }
  handle<ASN1_STRING> time(ASN1_GENERALIZEDTIME_new());
  if (!time) throw std::bad_alloc();
  const std::string text(when);
  if (ASN1_GENERALIZEDTIME_set_string(time.get(), text.c_str()) != 1 ||
      ASN1_TIME_normalize(time.get()) != 1) {
    return fail(errc::invalid_argument, operation, "not a valid date and time: \"" + text + "\"");
  }
  return time;
}

PYOSSL_DECL std::string integer_hex(const ASN1_INTEGER* integer) {
  constexpr char digits[] = "0123456789ABCDEF";
  const unsigned char* bytes = ASN1_STRING_get0_data(integer);
  const int length = ASN1_STRING_length(integer);
  std::string hex;
  for (int i = 0; i < length; ++i) {
    hex += digits[bytes[i] >> 4];
    hex += digits[bytes[i] & 0x0F];
  }
  const std::size_t first = hex.find_first_not_of('0');
  if (first == std::string::npos) return "0";
  hex.erase(0, first);
  if (ASN1_STRING_type(integer) == V_ASN1_NEG_INTEGER) hex.insert(0, 1, '-');
  return hex;
}

PYOSSL_DECL result<handle<ASN1_STRING>> parse_hex_integer(std::string_view operation, std::string_view hex,
                                                          bool allow_negative) {
  const std::string_view digits = allow_negative && hex.starts_with('-') ? hex.substr(1) : hex;
  if (digits.empty() || digits.size() > 4096 ||
      digits.find_first_not_of("0123456789abcdefABCDEF") != std::string_view::npos) {
    return fail(errc::invalid_argument, operation,
                allow_negative ? "a serial number in hex is hex digits with an optional leading '-'"
                               : "a serial number in hex is hex digits only, not \"" +
                                     std::string(hex.substr(0, 40)) + "\"");
  }
  BIGNUM* parsed = nullptr;
  const std::string text(hex);
  const int consumed = BN_hex2bn(&parsed, text.c_str());
  const handle<BIGNUM> number(parsed);
  if (consumed != static_cast<int>(text.size())) return fail(errc::crypto, "BN_hex2bn");
  handle<ASN1_STRING> integer(BN_to_ASN1_INTEGER(number.get(), nullptr));
  if (!integer) return fail(errc::crypto, "BN_to_ASN1_INTEGER");
  return integer;
}

}  // namespace pyossl::detail

namespace pyossl::crypto {

PYOSSL_DECL X509::X509() : cert_(detail::adopt(X509_new())) {
  if (!cert_) throw std::bad_alloc();
}

PYOSSL_DECL X509& X509::operator=(const X509& other) {
  if (this != &other) cert_ = detail::duplicate_certificate(other.cert_.get());
  return *this;
}

PYOSSL_DECL X509Name X509::get_subject() const {
  return copy_name(cert_ ? X509_get_subject_name(cert_.get()) : nullptr);
}

PYOSSL_DECL result<void> X509::set_subject(const X509Name& subject) {
  return set_name("X509_set_subject_name", subject, X509_set_subject_name);
}

PYOSSL_DECL X509Name X509::get_issuer() const {
  return copy_name(cert_ ? X509_get_issuer_name(cert_.get()) : nullptr);
}

PYOSSL_DECL result<void> X509::set_issuer(const X509Name& issuer) {
  return set_name("X509_set_issuer_name", issuer, X509_set_issuer_name);
}

PYOSSL_DECL result<unsigned long> X509::subject_name_hash() const {
  int ok = 0;
  const unsigned long hash =
      cert_ ? X509_NAME_hash_ex(X509_get_subject_name(cert_.get()), nullptr, nullptr, &ok) : 0;
  if (ok != 1) return detail::fail(errc::crypto, "X509_NAME_hash_ex", "cannot hash the subject name");
  return hash;
}

PYOSSL_DECL result<PKey> X509::get_pubkey() const {
  constexpr std::string_view operation = "X509_get_pubkey";
  if (!cert_) return moved_from(operation);
  detail::handle<EVP_PKEY> key(X509_get_pubkey(cert_.get()));
  if (!key)
    return detail::fail(errc::crypto, operation,
                        ERR_peek_error() == 0 ? "the certificate has no public key" : "");
  return PKey(std::move(key));
}

PYOSSL_DECL result<void> X509::set_pubkey(const PKey& key) {
  constexpr std::string_view operation = "X509_set_pubkey";
  if (!cert_) return moved_from(operation);
  if (key.empty()) return detail::fail(errc::invalid_argument, operation, "the key is empty");
  auto public_key = detail::public_key_copy(operation, key.native_handle());
  if (!public_key) return unexpected(std::move(public_key).error());
  if (X509_set_pubkey(cert_.get(), public_key->get()) != 1) return detail::fail(errc::crypto, operation);
  return changed();
}

PYOSSL_DECL result<std::int64_t> X509::get_serial_number() const {
  constexpr std::string_view operation = "X509::get_serial_number";
  if (!cert_) return moved_from(operation);
  const ASN1_INTEGER* serial = X509_get0_serialNumber(cert_.get());
  if (ASN1_STRING_length(serial) <= 0) return std::int64_t{0};
  std::int64_t value = 0;
  if (ASN1_INTEGER_get_int64(&value, serial) != 1) {
    return detail::fail(errc::invalid_argument, operation,
                        "the serial number " + detail::integer_hex(serial) +
                            " does not fit in 64 bits; use get_serial_number_hex");
  }
  return value;
}

PYOSSL_DECL result<void> X509::set_serial_number(std::int64_t serial) {
  constexpr std::string_view operation = "ASN1_INTEGER_set_int64";
  if (!cert_) return moved_from(operation);
  if (ASN1_INTEGER_set_int64(X509_get_serialNumber(cert_.get()), serial) != 1) {
    return detail::fail(errc::crypto, operation);
  }
  return changed();
}

PYOSSL_DECL std::string X509::get_serial_number_hex() const {
  if (!cert_ || ASN1_STRING_length(X509_get0_serialNumber(cert_.get())) <= 0) return "0";
  return detail::integer_hex(X509_get0_serialNumber(cert_.get()));
}

PYOSSL_DECL std::string X509::get_serial_number_decimal() const {
  if (!cert_ || ASN1_STRING_length(X509_get0_serialNumber(cert_.get())) <= 0) return "0";
  const detail::handle<BIGNUM> number(ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert_.get()), nullptr));
  if (!number) throw std::bad_alloc();
  const detail::handle<char> text(BN_bn2dec(number.get()));
  if (!text) throw std::bad_alloc();
  return text.get();
}

PYOSSL_DECL result<void> X509::set_serial_number_hex(std::string_view hex) {
  constexpr std::string_view operation = "X509::set_serial_number_hex";
  if (!cert_) return moved_from(operation);
  auto serial = detail::parse_hex_integer(operation, hex, true);
  if (!serial) return unexpected(std::move(serial).error());
  if (X509_set_serialNumber(cert_.get(), serial->get()) != 1) return detail::fail(errc::crypto, operation);
  return changed();
}

PYOSSL_DECL long X509::get_version() const noexcept { return cert_ ? X509_get_version(cert_.get()) : 0; }

PYOSSL_DECL result<void> X509::set_version(long version) {
  constexpr std::string_view operation = "X509_set_version";
  if (!cert_) return moved_from(operation);
  if (version < 0 || version > 2) {
    return detail::fail(errc::invalid_argument, operation, "the version must be 0 (v1), 1 (v2) or 2 (v3)");
  }
  if (X509_set_version(cert_.get(), version) != 1) return detail::fail(errc::crypto, operation);
  return changed();
}

PYOSSL_DECL std::optional<std::string> X509::get_notBefore() const {
  return cert_ ? detail::generalized_time(X509_get0_notBefore(cert_.get())) : std::nullopt;
}

PYOSSL_DECL std::optional<std::string> X509::get_notAfter() const {
  return cert_ ? detail::generalized_time(X509_get0_notAfter(cert_.get())) : std::nullopt;
}

PYOSSL_DECL result<void> X509::set_notBefore(std::string_view when) {
  return set_time("X509_set1_notBefore", when, X509_set1_notBefore);
}

PYOSSL_DECL result<void> X509::set_notAfter(std::string_view when) {
  return set_time("X509_set1_notAfter", when, X509_set1_notAfter);
}

PYOSSL_DECL result<void> X509::gmtime_adj_notBefore(long seconds) {
  if (!cert_) return moved_from("X509_gmtime_adj");
  if (auto adjusted = adjust_time(X509_getm_notBefore(cert_.get()), seconds); !adjusted) return adjusted;
  return changed();
}

PYOSSL_DECL result<void> X509::gmtime_adj_notAfter(long seconds) {
  if (!cert_) return moved_from("X509_gmtime_adj");
  if (auto adjusted = adjust_time(X509_getm_notAfter(cert_.get()), seconds); !adjusted) return adjusted;
  return changed();
}

PYOSSL_DECL bool X509::has_expired() const {
  if (!cert_) return true;
  const detail::error_queue_mark mark;
  return X509_cmp_current_time(X509_get0_notAfter(cert_.get())) <= 0;
}

PYOSSL_DECL result<void> X509::sign(const PKey& key, std::string_view digest) {
  constexpr std::string_view operation = "X509_sign";
  if (!cert_) return moved_from(operation);
  auto md = detail::signing_digest(operation, key, digest);
  if (!md) return unexpected(std::move(md).error());
  if (X509_sign(cert_.get(), key.native_handle(), md->get()) <= 0) {
    return detail::fail(errc::crypto, operation,
                        ERR_peek_error() == 0 ? "the key cannot sign with this digest" : "");
  }
  return {};
}

PYOSSL_DECL result<std::string> X509::get_signature_algorithm() const {
  constexpr std::string_view operation = "X509_get0_tbs_sigalg";
  if (!cert_) return moved_from(operation);
  const ASN1_OBJECT* algorithm = nullptr;
  X509_ALGOR_get0(&algorithm, nullptr, nullptr, X509_get0_tbs_sigalg(cert_.get()));
  if (algorithm == nullptr || OBJ_length(algorithm) == 0) {
    return detail::fail(errc::crypto, operation, "the certificate is not signed");
  }
  const int nid = OBJ_obj2nid(algorithm);
  if (nid != NID_undef) return std::string(OBJ_nid2ln(nid));
  return detail::object_short_name(algorithm);
}

PYOSSL_DECL result<std::string> X509::digest(std::string_view digest_name) const {
  constexpr std::string_view operation = "X509::digest";
  if (!cert_) return moved_from(operation);
  auto md = detail::fetch_digest(operation, digest_name);
  if (!md) return unexpected(std::move(md).error());
  auto der = encode();
  if (!der) return unexpected(std::move(der).error());
  auto bytes = detail::digest_bytes(operation, md->get(), *der);
  if (!bytes) return unexpected(std::move(bytes).error());
  return detail::colon_hex(*bytes);
}

PYOSSL_DECL result<void> X509::add_extensions(std::span<const X509Extension> extensions) {
  constexpr std::string_view operation = "X509_add_ext";
  if (!cert_) return moved_from(operation);
  for (const X509Extension& extension : extensions) {
    if (extension.native_handle() == nullptr) {
      return detail::fail(errc::invalid_argument, operation, "an X509Extension was moved from");
    }
  }
  for (const X509Extension& extension : extensions) {
    if (X509_add_ext(cert_.get(), extension.native_handle(), -1) != 1)
      return detail::fail(errc::crypto, operation);
  }
  return changed();
}

PYOSSL_DECL result<void> X509::add_extensions(std::initializer_list<X509Extension> extensions) {
  return add_extensions(std::span<const X509Extension>(extensions.begin(), extensions.size()));
}

PYOSSL_DECL int X509::get_extension_count() const noexcept {
  return cert_ ? X509_get_ext_count(cert_.get()) : 0;
}

PYOSSL_DECL result<X509Extension> X509::get_extension(int index) const {
  constexpr std::string_view operation = "X509_get_ext";
  if (index < 0 || index >= get_extension_count()) {
    return detail::fail(errc::invalid_argument, operation, "extension index out of range");
  }
  detail::handle<X509_EXTENSION> copy(X509_EXTENSION_dup(X509_get_ext(cert_.get(), index)));
  if (!copy) return detail::fail(errc::crypto, operation);
  return X509Extension(std::move(copy));
}

PYOSSL_DECL result<void> X509::changed() noexcept {
  const detail::error_queue_mark mark;
  (void)i2d_re_X509_tbs(cert_.get(), nullptr);
  return {};
}

PYOSSL_DECL unexpected<error> X509::moved_from(std::string_view operation) {
  return detail::fail(errc::invalid_argument, operation, "the X509 was moved from");
}

PYOSSL_DECL X509Name X509::copy_name(const X509_NAME* name) {
  return name != nullptr ? X509Name(detail::duplicate_name(name)) : X509Name();
}

PYOSSL_DECL result<void> X509::set_name(std::string_view operation, const X509Name& name,
                                        int (*setter)(::X509*, const X509_NAME*)) {
  if (!cert_) return moved_from(operation);
  if (name.native_handle() == nullptr) {
    return detail::fail(errc::invalid_argument, operation, "the X509Name was moved from");
  }
  if (setter(cert_.get(), name.native_handle()) != 1) return detail::fail(errc::crypto, operation);
  return changed();
}

PYOSSL_DECL result<void> X509::set_time(std::string_view operation, std::string_view when,
                                        int (*setter)(::X509*, const ASN1_TIME*)) {
  if (!cert_) return moved_from(operation);
  auto time = detail::parse_generalized_time(operation, when);
  if (!time) return unexpected(std::move(time).error());
  if (setter(cert_.get(), time->get()) != 1) return detail::fail(errc::crypto, operation);
  return changed();
}

PYOSSL_DECL result<void> X509::adjust_time(ASN1_TIME* time, long seconds) {
  if (X509_gmtime_adj(time, seconds) == nullptr) {
    return detail::fail(errc::crypto, "X509_gmtime_adj",
                        ERR_peek_error() == 0 ? "the time is out of range" : "");
  }
  return {};
}

PYOSSL_DECL result<std::string> X509::encode() const {
  return detail::encode_der("i2d_X509", cert_.get(), i2d_X509,
                            "cannot encode the certificate (it must be signed first)");
}

}  // namespace pyossl::crypto

namespace pyossl::detail {

PYOSSL_DECL result<std::vector<handle<::X509>>> copy_certificates(const STACK_OF(X509) * stack) {
  std::vector<handle<::X509>> copies;
  const int count = stack != nullptr ? sk_X509_num(stack) : 0;
  for (int i = 0; i < count; ++i) {
    auto copy = copy_certificate(sk_X509_value(stack, i));
    if (!copy) return unexpected(std::move(copy).error());
    copies.push_back(std::move(*copy));
  }
  return copies;
}

PYOSSL_DECL ::X509* certificate_of(const crypto::X509* certificate) noexcept {
  return certificate != nullptr ? certificate->native_handle() : nullptr;
}

}  // namespace pyossl::detail
#endif  // PYOSSL_DEFINITIONS
