// pyossl::crypto::CRL — pyOpenSSL's crypto.CRL (0.11 to 23): a certificate revocation
// list, to build and sign as a CA or to load and hand to an X509Store (X509Store::add_crl
// is defined here); and load_crl / dump_crl (PEM or DER).
#pragma once

#include <new>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <openssl/asn1.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "pyossl/crypto/certificate_io.hpp"
#include "pyossl/crypto/detail/digest.hpp"
#include "pyossl/crypto/filetype.hpp"
#include "pyossl/crypto/pkey.hpp"
#include "pyossl/crypto/revoked.hpp"
#include "pyossl/crypto/x509.hpp"
#include "pyossl/crypto/x509_name.hpp"
#include "pyossl/crypto/x509_store.hpp"
#include "pyossl/detail/config.hpp"
#include "pyossl/detail/handle.hpp"
#include "pyossl/detail/openssl_error.hpp"
#include "pyossl/error.hpp"

namespace pyossl::detail {

// A copy of `crl` equal to it. X509_CRL_dup copies by encoding, which a CRL without a
// lastUpdate cannot survive; an unsigned one is rebuilt field by field (version, issuer,
// times, entries, extensions: everything a CRL holds before it is signed). A signed CRL
// that OpenSSL cannot read back after writing it (odd signature parameters, say) cannot be
// copied without losing its signature: errc::crypto, never an unsigned look-alike.
[[nodiscard]] PYOSSL_DECL result<handle<X509_CRL>> copy_crl(const X509_CRL* crl);

// copy_crl for a copy constructor, which cannot return a result: its failure is thrown.
[[nodiscard]] PYOSSL_DECL handle<X509_CRL> duplicate_crl(const X509_CRL* crl);

// True once X509_CRL_sign has given `crl` a signature.
[[nodiscard]] PYOSSL_DECL bool crl_is_signed(const X509_CRL* crl) noexcept;

}  // namespace pyossl::detail

namespace pyossl::crypto {

class CRL {
 public:
  // A new, empty CRL (version 1, no issuer, no times, no entries): add entries, then
  // sign or export_ it. Calls X509_CRL_new.
  CRL();
  // Adopts a CRL the caller owns. load_crl makes them.
  explicit CRL(detail::handle<X509_CRL> crl) noexcept : crl_(std::move(crl)) {}

  // Copies are independent (X509_CRL_dup; an unsigned CRL is copied field by field). A
  // signed CRL that OpenSSL cannot copy without changing its encoding throws crypto::Error
  // (detail::copy_crl), as X509's copy does.
  CRL(const CRL& other) : crl_(detail::duplicate_crl(other.crl_.get())) {}
  CRL& operator=(const CRL& other);
  // A moved-from CRL holds none: its getters return empty values and the rest fail with
  // errc::invalid_argument.
  CRL(CRL&&) noexcept = default;
  CRL& operator=(CRL&&) noexcept = default;
  ~CRL() = default;

  // Copies of the entries, in the CRL's order (sorted by serial once signed), or
  // std::nullopt if it has none (pyOpenSSL's None). Calls X509_CRL_get_REVOKED.
  [[nodiscard]] std::optional<std::vector<Revoked>> get_revoked() const;
  // Adds a copy of `revoked` (X509_REVOKED_dup, X509_CRL_add0_revoked); changing `revoked`
  // afterwards does not change the CRL. An entry without a revocation date (RFC 5280
  // requires one; no such CRL can be encoded) or a moved-from object:
  // errc::invalid_argument, the CRL unchanged.
  [[nodiscard]] result<void> add_revoked(const Revoked& revoked);

  // A copy of the issuer's name (X509_CRL_get_issuer, X509_NAME_dup); sign and export_ set
  // it from the issuing certificate's subject. Empty for a new or moved-from CRL.
  [[nodiscard]] X509Name get_issuer() const;

  // Sets the version field: 0 (v1) or 1 (v2, which RFC 5280 requires once entries or the
  // CRL carry extensions, a reason say). Calls X509_CRL_set_version. Anything else:
  // errc::invalid_argument.
  [[nodiscard]] result<void> set_version(int version);

  // Sets when this CRL was issued, from GENERALIZEDTIME "YYYYMMDDhhmmssZ" (or with an
  // offset), stored in UTC. Calls X509_CRL_set1_lastUpdate. A malformed time:
  // errc::invalid_argument.
  [[nodiscard]] result<void> set_lastUpdate(std::string_view when);
  // Sets when the next CRL is due; as set_lastUpdate (X509_CRL_set1_nextUpdate).
  [[nodiscard]] result<void> set_nextUpdate(std::string_view when);

  // Signs the CRL as `issuer_cert`: sets the issuer name to its subject, sorts the entries
  // and signs with `issuer_key` (X509_CRL_set_issuer_name, X509_CRL_sort, X509_CRL_sign).
  // `digest` as X509::sign ("" lets the key choose: Ed25519/Ed448). A key that does not
  // match the certificate (X509_check_private_key): errc::crypto; no lastUpdate yet (RFC
  // 5280 requires one, and OpenSSL would sign a CRL nothing can read back), an empty or
  // public-only key, an unknown digest, a moved-from object: errc::invalid_argument. On
  // failure the CRL is unchanged.
  [[nodiscard]] result<void> sign(const X509& issuer_cert, const PKey& issuer_key, std::string_view digest);

  // pyOpenSSL's export: sets lastUpdate to now and nextUpdate to `days` days from now,
  // signs as sign() does, and returns the CRL encoded as `type` says (PEM "X509 CRL", DER,
  // or FILETYPE_TEXT as dump_crl writes it). The default digest is SHA-256 (pyOpenSSL's
  // default was MD5 before 0.15). Negative days, days that put nextUpdate past the year
  // 9999, a bad `type`, or any of sign's bad inputs: errc::invalid_argument (a mismatching
  // key: errc::crypto), the CRL unchanged.
  [[nodiscard]] result<std::string> export_(const X509& cert, const PKey& key, filetype type = FILETYPE_PEM,
                                            int days = 100, std::string_view digest = "sha256");

  // The OpenSSL object, still owned by this CRL.
  [[nodiscard]] X509_CRL* native_handle() const noexcept { return crl_.get(); }

 private:
  [[nodiscard]] static unexpected<error> moved_from(std::string_view operation);

  // Checks sign's and export_'s inputs before anything changes; the digest to sign with.
  [[nodiscard]] static result<detail::handle<EVP_MD>> signing_digest(std::string_view operation,
                                                                     const X509& issuer_cert,
                                                                     const PKey& issuer_key,
                                                                     std::string_view digest);

  [[nodiscard]] result<void> sign_as(std::string_view operation, const X509& issuer_cert,
                                     const PKey& issuer_key, const EVP_MD* md);

  [[nodiscard]] result<void> set_time(std::string_view operation, std::string_view when,
                                      int (*setter)(X509_CRL*, const ASN1_TIME*));

  detail::handle<X509_CRL> crl_;
};

// Reads a CRL from `buffer`: PEM ("BEGIN X509 CRL"; the first one) for FILETYPE_PEM, DER
// for FILETYPE_ASN1 (the whole buffer). Calls PEM_read_bio_X509_CRL / d2i_X509_CRL. The
// signature is not checked here (an X509Store checks it when verifying with CRL_CHECK).
// An empty, truncated or garbled buffer, PEM of another kind, trailing bytes after DER:
// errc::crypto; a bad `type`: errc::invalid_argument.
[[nodiscard]] PYOSSL_DECL result<CRL> load_crl(filetype type, std::string_view buffer);

// Writes `crl` as PEM ("BEGIN X509 CRL") or DER. Calls PEM_write_bio_X509_CRL /
// i2d_X509_CRL. FILETYPE_TEXT (pyOpenSSL's X509_CRL_print) writes what `openssl crl -text
// -noout -nameopt oneline` prints, byte for byte (X509_CRL_print_ex, names as in
// dump_certificate), signed or not. A CRL never signed cannot be encoded as PEM or DER: errc::crypto; a bad
// `type` or a moved-from CRL: errc::invalid_argument.
[[nodiscard]] PYOSSL_DECL result<std::string> dump_crl(filetype type, const CRL& crl);

}  // namespace pyossl::crypto

// Definitions: inline, or compiled once in the compiled mode (pyossl/detail/config.hpp).
#if PYOSSL_DEFINITIONS

namespace pyossl::detail {

PYOSSL_DECL result<handle<X509_CRL>> copy_crl(const X509_CRL* crl) {
  if (crl == nullptr) return handle<X509_CRL>();
  {
    const error_queue_mark mark;  // the failed encoding is expected, not an error to report
    if (X509_CRL* copy = X509_CRL_dup(crl)) return adopt(copy);
  }
  if (crl_is_signed(crl)) {
    return fail(errc::crypto, "X509_CRL_dup", "the CRL cannot be copied without changing its encoding");
  }
  handle<X509_CRL> fresh = adopt(X509_CRL_new());
  if (!fresh) throw std::bad_alloc();
  X509_CRL* out = fresh.get();
  bool copied = X509_CRL_set_version(out, X509_CRL_get_version(crl)) == 1 &&
                X509_CRL_set_issuer_name(out, X509_CRL_get_issuer(crl)) == 1;
  if (const ASN1_TIME* last = X509_CRL_get0_lastUpdate(crl); copied && ASN1_STRING_length(last) > 0) {
    copied = X509_CRL_set1_lastUpdate(out, last) == 1;
  }
  if (const ASN1_TIME* next = X509_CRL_get0_nextUpdate(crl); copied && next != nullptr) {
    copied = X509_CRL_set1_nextUpdate(out, next) == 1;
  }
  STACK_OF(X509_REVOKED)* entries = X509_CRL_get_REVOKED(const_cast<X509_CRL*>(crl));
  for (int index = 0; copied && index < sk_X509_REVOKED_num(entries); ++index) {
    handle<X509_REVOKED> entry = duplicate_revoked(sk_X509_REVOKED_value(entries, index));
    copied = X509_CRL_add0_revoked(out, entry.get()) == 1;
    if (copied) (void)entry.release();
  }
  for (int index = 0; copied && index < X509_CRL_get_ext_count(crl); ++index) {
    copied = X509_CRL_add_ext(out, X509_CRL_get_ext(crl, index), -1) == 1;
  }
  if (!copied) {
    ERR_clear_error();
    throw std::bad_alloc();
  }
  return fresh;
}

PYOSSL_DECL handle<X509_CRL> duplicate_crl(const X509_CRL* crl) {
  auto copy = copy_crl(crl);
  if (!copy) throw_error(std::move(copy).error());
  return std::move(*copy);
}

PYOSSL_DECL bool crl_is_signed(const X509_CRL* crl) noexcept {
  const ASN1_BIT_STRING* signature = nullptr;
  X509_CRL_get0_signature(crl, &signature, nullptr);
  return signature != nullptr && ASN1_STRING_length(signature) > 0;
}

}  // namespace pyossl::detail

namespace pyossl::crypto {

PYOSSL_DECL CRL::CRL() : crl_(detail::adopt(X509_CRL_new())) {
  if (!crl_) throw std::bad_alloc();
}

PYOSSL_DECL CRL& CRL::operator=(const CRL& other) {
  if (this != &other) crl_ = detail::duplicate_crl(other.crl_.get());
  return *this;
}

PYOSSL_DECL std::optional<std::vector<Revoked>> CRL::get_revoked() const {
  STACK_OF(X509_REVOKED)* entries = crl_ ? X509_CRL_get_REVOKED(crl_.get()) : nullptr;
  const int count = entries != nullptr ? sk_X509_REVOKED_num(entries) : 0;
  if (count <= 0) return std::nullopt;
  std::vector<Revoked> copies;
  copies.reserve(static_cast<std::size_t>(count));
  for (int index = 0; index < count; ++index) {
    copies.emplace_back(detail::duplicate_revoked(sk_X509_REVOKED_value(entries, index)));
  }
  return copies;
}

PYOSSL_DECL result<void> CRL::add_revoked(const Revoked& revoked) {
  constexpr std::string_view operation = "X509_CRL_add0_revoked";
  if (!crl_) return moved_from(operation);
  if (revoked.native_handle() == nullptr) {
    return detail::fail(errc::invalid_argument, operation, "the Revoked was moved from");
  }
  if (!revoked.get_rev_date()) {
    return detail::fail(errc::invalid_argument, operation,
                        "the Revoked has no revocation date (set_rev_date first)");
  }
  detail::handle<X509_REVOKED> copy = detail::duplicate_revoked(revoked.native_handle());
  if (X509_CRL_add0_revoked(crl_.get(), copy.get()) != 1) return detail::fail(errc::crypto, operation);
  (void)copy.release();  // the CRL owns it now
  return {};
}

PYOSSL_DECL X509Name CRL::get_issuer() const {
  const X509_NAME* issuer = crl_ ? X509_CRL_get_issuer(crl_.get()) : nullptr;
  return issuer != nullptr ? X509Name(detail::duplicate_name(issuer)) : X509Name();
}

PYOSSL_DECL result<void> CRL::set_version(int version) {
  constexpr std::string_view operation = "X509_CRL_set_version";
  if (!crl_) return moved_from(operation);
  if (version < 0 || version > 1) {
    return detail::fail(errc::invalid_argument, operation, "a CRL's version is 0 (v1) or 1 (v2)");
  }
  if (X509_CRL_set_version(crl_.get(), version) != 1) return detail::fail(errc::crypto, operation);
  return {};
}

PYOSSL_DECL result<void> CRL::set_lastUpdate(
    std::string_view when) {  // NOLINT(readability-identifier-naming)
  return set_time("X509_CRL_set1_lastUpdate", when, X509_CRL_set1_lastUpdate);
}

PYOSSL_DECL result<void> CRL::set_nextUpdate(
    std::string_view when) {  // NOLINT(readability-identifier-naming)
  return set_time("X509_CRL_set1_nextUpdate", when, X509_CRL_set1_nextUpdate);
}

PYOSSL_DECL result<void> CRL::sign(const X509& issuer_cert, const PKey& issuer_key, std::string_view digest) {
  constexpr std::string_view operation = "X509_CRL_sign";
  if (!crl_) return moved_from(operation);
  if (ASN1_STRING_length(X509_CRL_get0_lastUpdate(crl_.get())) <= 0) {
    return detail::fail(errc::invalid_argument, operation,
                        "the CRL has no lastUpdate (set_lastUpdate first)");
  }
  auto md = signing_digest(operation, issuer_cert, issuer_key, digest);
  if (!md) return unexpected(std::move(md).error());
  CRL signed_copy(*this);
  if (auto done = signed_copy.sign_as(operation, issuer_cert, issuer_key, md->get()); !done) return done;
  *this = std::move(signed_copy);
  return {};
}

PYOSSL_DECL result<std::string> CRL::export_(const X509& cert, const PKey& key, filetype type, int days,
                                             std::string_view digest) {
  constexpr std::string_view operation = "CRL::export_";
  if (!crl_) return moved_from(operation);
  if (auto valid = detail::check_filetype(operation, type, detail::text_filetype::printed); !valid)
    return unexpected(std::move(valid).error());
  if (days < 0) return detail::fail(errc::invalid_argument, operation, "days must not be negative");
  auto md = signing_digest(operation, cert, key, digest);
  if (!md) return unexpected(std::move(md).error());
  CRL updated(*this);
  const detail::handle<ASN1_STRING> now(X509_gmtime_adj(nullptr, 0));
  const detail::handle<ASN1_STRING> next(X509_gmtime_adj(nullptr, static_cast<long>(days) * 24 * 60 * 60));
  if (!now) return detail::fail(errc::crypto, "X509_gmtime_adj", "cannot read the clock");
  // OpenSSL queues nothing when the date overflows what an ASN1_TIME holds.
  if (!next) {
    return detail::fail(errc::invalid_argument, operation,
                        "days puts nextUpdate past the year 9999, which a CRL's time cannot hold");
  }
  if (X509_CRL_set1_lastUpdate(updated.crl_.get(), now.get()) != 1 ||
      X509_CRL_set1_nextUpdate(updated.crl_.get(), next.get()) != 1) {
    return detail::fail(errc::crypto, operation);
  }
  if (auto done = updated.sign_as(operation, cert, key, md->get()); !done)
    return unexpected(std::move(done).error());
  auto encoded = dump_crl(type, updated);
  if (!encoded) return encoded;
  *this = std::move(updated);
  return encoded;
}

PYOSSL_DECL unexpected<error> CRL::moved_from(std::string_view operation) {
  return detail::fail(errc::invalid_argument, operation, "the CRL was moved from");
}

PYOSSL_DECL result<detail::handle<EVP_MD>> CRL::signing_digest(std::string_view operation,
                                                               const X509& issuer_cert,
                                                               const PKey& issuer_key,
                                                               std::string_view digest) {
  if (issuer_cert.native_handle() == nullptr) {
    return detail::fail(errc::invalid_argument, operation, "the issuer certificate was moved from");
  }
  auto md = detail::signing_digest(operation, issuer_key, digest);
  if (!md) return md;
  if (X509_check_private_key(issuer_cert.native_handle(), issuer_key.native_handle()) != 1) {
    return detail::fail(errc::crypto, operation, "the key does not match the issuer certificate");
  }
  return md;
}

PYOSSL_DECL result<void> CRL::sign_as(std::string_view operation, const X509& issuer_cert,
                                      const PKey& issuer_key, const EVP_MD* md) {
  if (X509_CRL_set_issuer_name(crl_.get(), X509_get_subject_name(issuer_cert.native_handle())) != 1 ||
      X509_CRL_sort(crl_.get()) != 1) {
    return detail::fail(errc::crypto, operation);
  }
  if (X509_CRL_sign(crl_.get(), issuer_key.native_handle(), md) <= 0) {
    return detail::fail(errc::crypto, operation,
                        ERR_peek_error() == 0 ? "the key cannot sign with this digest" : "");
  }
  return {};
}

PYOSSL_DECL result<void> CRL::set_time(std::string_view operation, std::string_view when,
                                       int (*setter)(X509_CRL*, const ASN1_TIME*)) {
  if (!crl_) return moved_from(operation);
  auto time = detail::parse_generalized_time(operation, when);
  if (!time) return unexpected(std::move(time).error());
  if (setter(crl_.get(), time->get()) != 1) return detail::fail(errc::crypto, operation);
  return {};
}

PYOSSL_DECL result<CRL> load_crl(filetype type, std::string_view buffer) {
  auto crl =
      detail::load_object<X509_CRL>("load_crl", type, buffer, PEM_read_bio_X509_CRL, d2i_X509_CRL, "CRL");
  if (!crl) return unexpected(std::move(crl).error());
  return CRL(std::move(*crl));
}

PYOSSL_DECL result<std::string> dump_crl(filetype type, const CRL& crl) {
  if (auto valid = detail::check_filetype("dump_crl", type, detail::text_filetype::printed); !valid)
    return unexpected(std::move(valid).error());
  if (type == filetype::text) {
    if (crl.native_handle() == nullptr)
      return detail::fail(errc::invalid_argument, "dump_crl", "the CRL was moved from");
    return detail::print_to_string("dump_crl", [&](BIO* out) {
      return X509_CRL_print_ex(out, crl.native_handle(), detail::text_name_flags);
    });
  }
  if (crl.native_handle() != nullptr && !detail::crl_is_signed(crl.native_handle())) {
    return detail::fail(errc::crypto, "dump_crl", "cannot encode the CRL (it must be signed first)");
  }
  return detail::dump_object<X509_CRL>("dump_crl", type, crl.native_handle(), PEM_write_bio_X509_CRL,
                                       i2d_X509_CRL, "cannot encode the CRL (it must be signed first)");
}

PYOSSL_DECL result<void> X509Store::add_crl(const CRL& crl) {
  constexpr std::string_view operation = "X509_STORE_add_crl";
  if (store_ == nullptr) return moved_from(operation);
  if (crl.native_handle() == nullptr)
    return detail::fail(errc::invalid_argument, operation, "the CRL was moved from");
  if (!detail::crl_is_signed(crl.native_handle())) {
    return detail::fail(errc::invalid_argument, operation, "the CRL was never signed (sign it first)");
  }
  // The store gets its own copy, so changing `crl` later cannot change what it checks. A
  // CRL OpenSSL cannot copy unchanged is shared instead (X509_STORE_add_crl takes a
  // reference, as raw code does): refusing it would lose a verdict raw OpenSSL gets right.
  auto copy = detail::copy_crl(crl.native_handle());
  X509_CRL* const added = copy ? copy->get() : crl.native_handle();
  if (X509_STORE_add_crl(store_.get(), added) != 1) return detail::fail(errc::crypto, operation);
  return {};
}

}  // namespace pyossl::crypto
#endif  // PYOSSL_DEFINITIONS
