// pyossl::crypto::PKCS12 — pyOpenSSL's crypto.PKCS12 (manual 3.1.7) and load_pkcs12: a
// PKCS#12 (".p12", ".pfx") key store holding a private key, its certificate, CA
// certificates and a friendly name, as browsers, Windows and Java keystores export them.
//
// Files written with OpenSSL 3's defaults (AES-256-CBC, PBKDF2, SHA-256 MAC) load
// directly. Legacy ones (RC2-40 / 3DES, from older tools or `openssl pkcs12 -legacy`)
// need algorithms OpenSSL 3 keeps in its legacy provider: load_pkcs12 loads that provider
// into the default library context the first time such a file fails to decrypt, and
// keeps it (with the default provider) for the rest of the process.
#pragma once

#include <algorithm>
#include <climits>
#include <cstddef>
#include <cstdint>
#include <new>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <openssl/asn1.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pkcs12.h>
#include <openssl/x509.h>

#include "pyossl/crypto/detail/pbe_cost.hpp"
#include "pyossl/crypto/pkey.hpp"
#include "pyossl/crypto/x509.hpp"
#include "pyossl/detail/c_string.hpp"
#include "pyossl/detail/config.hpp"
#include "pyossl/detail/handle.hpp"
#include "pyossl/detail/openssl_error.hpp"
#include "pyossl/detail/optional_text.hpp"
#include "pyossl/error.hpp"

namespace pyossl::detail {

// True if `text` is UTF-8 that OpenSSL will turn into a PKCS#12 friendlyName (a
// BMPString, PKCS12_add_friendlyname_utf8) and back unchanged: decoded with UTF8_getc as
// OpenSSL does, no invalid or overlong sequence, no surrogate, no NUL, and nothing outside
// the Basic Multilingual Plane (above U+FFFF), which a BMPString cannot hold.
[[nodiscard]] PYOSSL_DECL bool is_pkcs12_text(std::string_view text) noexcept;

// Whether a failure was OpenSSL 3 lacking an algorithm (ERR_R_UNSUPPORTED from a fetch,
// EVP_R_UNSUPPORTED_ALGORITHM) rather than bad input or a wrong passphrase.
[[nodiscard]] PYOSSL_DECL bool is_unsupported_algorithm(const std::vector<error_queue_entry>& queue) noexcept;

// Loads OpenSSL's legacy provider (RC2, RC4, DES, MD4...) into the default library
// context, with the default provider beside it so both stay available. Tried once per
// process; true if the legacy provider is available. Whatever a failed attempt queues is
// discarded here: the caller reports the failure in its own terms.
// The providers stay loaded until this static's destructor unloads them at exit, which
// runs before OPENSSL_cleanup (registered earlier, when OpenSSL initialised): left to
// OPENSSL_cleanup, OpenSSL 3.0 would leak the legacy provider's child library context.
[[nodiscard]] PYOSSL_DECL bool load_legacy_provider();

// What PKCS12_parse found, each part owned.
struct pkcs12_contents {
  handle<EVP_PKEY> key;
  handle<::X509> certificate;
  handle<STACK_OF(X509)> ca_certificates;
};

// One PKCS12_parse attempt; nullopt on failure, with OpenSSL's queue holding why.
[[nodiscard]] PYOSSL_DECL std::optional<pkcs12_contents> parse_pkcs12(::PKCS12* p12, const char* passphrase);

// A PKCS#12 passphrase as the C string OpenSSL takes, nullopt for none (a NULL pointer);
// errc::invalid_argument if it holds a NUL byte.
[[nodiscard]] PYOSSL_DECL result<std::optional<std::string>> pkcs12_passphrase(
    std::string_view operation, detail::optional_text passphrase);

// Sums the key-derivation work loading `p12` takes (pbe_cost.hpp), before any is done: the
// MAC's iterations and each encrypted authsafe's, as many times as they are derived, and
// the largest shrouded key's, nested bags included; the bags inside an encrypted authsafe
// are read by decrypting it (work already counted). errc::invalid_argument past
// pbe_max_iterations. What cannot be read is left for PKCS12_parse to report.
[[nodiscard]] PYOSSL_DECL result<void> check_pkcs12_work(::PKCS12* p12, const char* passphrase);

// PKCS12_parse, and if it failed for lack of an algorithm, PKCS12_parse again once the
// legacy provider is loaded. A wrong passphrase or bad MAC: errc::crypto; an algorithm
// still missing: errc::unsupported, saying that the legacy provider is not installed
// when it is not.
[[nodiscard]] PYOSSL_DECL result<pkcs12_contents> parse_pkcs12_any_algorithm(::PKCS12* p12,
                                                                             const char* passphrase);

// Takes the certificates out of `stack`, in order, leaving it empty. Here in detail
// because sk_X509_shift casts to `X509*`, which inside pyossl::crypto names crypto::X509.
[[nodiscard]] PYOSSL_DECL std::vector<handle<X509>> take_certificates(STACK_OF(X509) * stack);

// PKCS12_parse returns a certificate apart only when it matches the file's key; without
// a key every certificate comes back as a CA certificate. export_ marks the certificate
// of a key-less PKCS12 with a localKeyID (which PKCS12_parse keeps as X509_keyid_get0):
// takes out of `stack` the one certificate so marked, or returns none if not exactly one is.
[[nodiscard]] PYOSSL_DECL handle<X509> take_marked_certificate(STACK_OF(X509) * stack);

// A copy of `certificate` for PKCS12_create to write (a copy keeps no friendlyName or
// localKeyID): the certificate of the PKCS12 gets a localKeyID of its own only when there
// is no key (PKCS12_create writes the key's), see take_marked_certificate; a CA
// certificate keeps the friendlyName it was loaded with.
[[nodiscard]] PYOSSL_DECL handle<X509> certificate_for_export(X509* certificate, bool mark, bool keep_alias);

// The CA certificates as the stack PKCS12_create takes.
[[nodiscard]] PYOSSL_DECL handle<STACK_OF(X509)> ca_stack_for_export(const std::vector<X509*>& certificates);

}  // namespace pyossl::detail

namespace pyossl::crypto {

class PKCS12 {
 public:
  // An empty PKCS12: no key, no certificate, no CA certificates, no friendly name.
  // Fill it with the setters and write it with export_.
  PKCS12() = default;

  // The certificate, or nullopt if there is none. A copy: changing it leaves this PKCS12
  // unchanged (pyOpenSSL returned the object it held). After load_pkcs12 of a file with no
  // key, see load_pkcs12 for which certificate this is.
  [[nodiscard]] std::optional<X509> get_certificate() const { return certificate_; }

  // The private key, or nullopt if there is none. Keys are immutable: the PKey shares it.
  [[nodiscard]] std::optional<PKey> get_privatekey() const { return key_; }

  // Copies of the CA certificates, in file order, or nullopt if there are none (never
  // an empty vector), as pyOpenSSL returns None.
  [[nodiscard]] std::optional<std::vector<X509>> get_ca_certificates() const { return ca_certificates_; }

  // The friendly name (UTF-8), or nullopt. After load_pkcs12 it is the certificate's
  // friendlyName attribute (X509_alias_get0), as in pyOpenSSL: a file without a
  // certificate has none, even if its key bag names one.
  [[nodiscard]] std::optional<std::string> get_friendlyname() const { return friendly_name_; }

  // Replaces the certificate; std::nullopt removes it. Cannot fail: export_ checks
  // that the key matches it.
  void set_certificate(std::optional<X509> cert) { certificate_ = std::move(cert); }

  // Replaces the private key; std::nullopt or an empty PKey removes it. export_ needs
  // a key with its private half.
  void set_privatekey(std::optional<PKey> pkey);

  // Replaces the CA certificates (kept in this order); std::nullopt or an empty vector
  // removes them, as None does in pyOpenSSL.
  void set_ca_certificates(std::optional<std::vector<X509>> cacerts);

  // Replaces the friendly name; std::nullopt removes it. The name is kept byte for byte
  // through export_ and load_pkcs12. PKCS#12 stores it as a BMPString, so it must be valid
  // UTF-8 without NUL: anything else is errc::invalid_argument (pyOpenSSL would store a
  // mangled Latin-1 reading of such bytes). Characters above U+FFFF (emoji...) do not fit
  // a BMPString either and are refused the same way.
  [[nodiscard]] result<void> set_friendlyname(detail::optional_text name);

  // The manual's export: the PKCS#12 file as DER bytes. Calls PKCS12_create with OpenSSL
  // 3's defaults (key and certificates encrypted with AES-256-CBC under PBKDF2, SHA-256
  // MAC; pyOpenSSL 0.10 got RC2-40/3DES and a SHA-1 MAC from OpenSSL 0.9), then
  // i2d_PKCS12. `passphrase` is a string, as in the manual (no callback); nullopt
  // encrypts with no passphrase, which load_pkcs12 and `openssl pkcs12 -passin pass:`
  // both accept. `iter` is the key-derivation iteration count, `maciter` the MAC's
  // (0 picks OpenSSL 3's default for either, 2048); `maciter` -1 writes no MAC at all, as
  // pyOpenSSL 0.13 allows (load_pkcs12 reads such files; the passphrase then has no MAC
  // to check it against, so a wrong one shows as a decryption failure).
  // Without a key, the certificate's bag gets a localKeyID (its SHA-1 fingerprint, the ID
  // PKCS12_create gives it when there is a key) so that load_pkcs12 can tell it from the
  // CA certificates.
  // Fails with errc::invalid_argument when there is nothing to export, for a public-only
  // key, a negative count (but maciter -1) or a passphrase with a NUL; errc::crypto when the key does not
  // match the certificate or OpenSSL cannot encode them.
  [[nodiscard]] result<std::string> export_(detail::optional_text passphrase = {}, int iter = 2048,
                                            int maciter = 1) const;

 private:
  friend result<PKCS12> load_pkcs12(std::string_view buffer, detail::optional_text passphrase);

  // PKCS#12 stores certificates by their DER encoding, which one never signed does not
  // have (i2d_X509 fails on it); checked first so export_ can say so.
  [[nodiscard]] bool all_certificates_signed() const;

  [[nodiscard]] detail::handle<STACK_OF(X509)> ca_stack() const;

  std::optional<X509> certificate_;
  std::optional<PKey> key_;
  std::optional<std::vector<X509>> ca_certificates_;
  std::optional<std::string> friendly_name_;
};

// Reads a PKCS#12 file (DER, as export_ and `openssl pkcs12 -export` write it) and
// verifies its MAC, if it has one (pyOpenSSL 0.13's maciter -1 writes none). Calls d2i_PKCS12 and
// PKCS12_parse; a file that needs the legacy provider makes it load once (see the top of this header) and is
// parsed again. `passphrase` nullopt tries no passphrase and the empty one. The certificate is the one that
// matches the key (PKCS12_parse); in a file without a key it is the one certificate with a localKeyID, as
// export_ writes it, and every other certificate is a CA certificate (pyOpenSSL put them all there). Garbage
// or truncated input, a wrong passphrase or a bad MAC: errc::crypto; a legacy file where the legacy provider
// is not installed: errc::unsupported, saying so; a passphrase with a NUL: errc::invalid_argument.
[[nodiscard]] PYOSSL_DECL result<PKCS12> load_pkcs12(std::string_view buffer,
                                                     detail::optional_text passphrase = {});

}  // namespace pyossl::crypto

// Definitions: inline, or compiled once in the compiled mode (pyossl/detail/config.hpp).
#if PYOSSL_DEFINITIONS

namespace pyossl::detail {

PYOSSL_DECL bool is_pkcs12_text(std::string_view text) noexcept {
  const auto* bytes = reinterpret_cast<const unsigned char*>(text.data());
  std::size_t at = 0;
  while (at < text.size()) {
    unsigned long code_point = 0;
    const std::size_t left = text.size() - at;
    const int length = UTF8_getc(bytes + at, left > INT_MAX ? INT_MAX : static_cast<int>(left), &code_point);
    if (length <= 0 || code_point == 0 || code_point > 0xFFFF) return false;
    at += static_cast<std::size_t>(length);
  }
  return true;
}

PYOSSL_DECL bool is_unsupported_algorithm(const std::vector<error_queue_entry>& queue) noexcept {
  for (const error_queue_entry& entry : queue) {
    const int reason = ERR_GET_REASON(entry.code);
    if (reason == ERR_GET_REASON(ERR_R_UNSUPPORTED)) return true;
    if (ERR_GET_LIB(entry.code) == ERR_LIB_EVP && reason == EVP_R_UNSUPPORTED_ALGORITHM) return true;
  }
  return false;
}

PYOSSL_DECL bool load_legacy_provider() {
  struct providers {
    handle<OSSL_PROVIDER> default_provider;
    handle<OSSL_PROVIDER> legacy;
  };
  static const providers loaded = [] {
    const error_queue_mark discard_load_errors;
    providers loading;
    loading.default_provider = adopt(OSSL_PROVIDER_load(nullptr, "default"));
    if (loading.default_provider) loading.legacy = adopt(OSSL_PROVIDER_load(nullptr, "legacy"));
    return loading;
  }();
  return loaded.legacy != nullptr;
}

PYOSSL_DECL std::optional<pkcs12_contents> parse_pkcs12(::PKCS12* p12, const char* passphrase) {
  EVP_PKEY* key = nullptr;
  ::X509* certificate = nullptr;
  STACK_OF(X509)* ca_certificates = nullptr;
  const int parsed = PKCS12_parse(p12, passphrase, &key, &certificate, &ca_certificates);
  // Own whatever came back, even on failure, so nothing a failed parse left behind leaks.
  pkcs12_contents contents{adopt(key), adopt(certificate), adopt(ca_certificates)};
  if (parsed != 1) return std::nullopt;
  return contents;
}

PYOSSL_DECL result<std::optional<std::string>> pkcs12_passphrase(std::string_view operation,
                                                                 detail::optional_text passphrase) {
  if (!passphrase) return std::optional<std::string>();
  auto checked = c_string(operation, "passphrase", *passphrase);
  if (!checked) return unexpected(std::move(checked).error());
  return std::optional<std::string>(std::move(*checked));
}

namespace pkcs12_work {

// What a PKCS#12 file costs to load: the MAC's and the encrypted authsafes' derivations,
// summed, each as often as pyossl and PKCS12_parse run it; and the shrouded keys', of which
// PKCS12_parse decrypts one (the first it finds), so the largest. All of it twice: a parse
// that fails for want of a legacy algorithm has run its derivations, and runs again
// (parse_pkcs12_any_algorithm).
struct cost {
  pbe_tally summed;
  std::uint64_t largest_key = 0;

  [[nodiscard]] bool over() const noexcept {
    pbe_tally once = summed;
    once.add(largest_key);
    return pbe_times(once.iterations, 2) > pbe_max_iterations;
  }
};

// Shrouded key bags, and bags nested in safeContents bags, which PKCS12_parse follows to
// any depth: past a depth no exporter writes, the file is refused rather than followed.
inline void add_bags(cost& total, const STACK_OF(PKCS12_SAFEBAG) * bags, int depth) {
  for (int i = 0; i < sk_PKCS12_SAFEBAG_num(bags) && !total.over(); ++i) {
    const PKCS12_SAFEBAG* bag = sk_PKCS12_SAFEBAG_value(bags, i);
    switch (PKCS12_SAFEBAG_get_nid(bag)) {
      case NID_pkcs8ShroudedKeyBag: {
        const X509_ALGOR* algorithm = nullptr;
        if (const X509_SIG* shrouded = PKCS12_SAFEBAG_get0_pkcs8(bag))
          X509_SIG_get0(shrouded, &algorithm, nullptr);
        total.largest_key = std::max(total.largest_key, algorithm != nullptr ? pbe_work(algorithm) : 1);
        break;
      }
      case NID_safeContentsBag:
        if (depth >= 8) {
          total.largest_key = pbe_refused;
          return;
        }
        add_bags(total, PKCS12_SAFEBAG_get0_safes(bag), depth + 1);
        break;
      default:
        break;
    }
  }
}

}  // namespace pkcs12_work

PYOSSL_DECL result<void> check_pkcs12_work(::PKCS12* p12, const char* passphrase) {
  const error_queue_mark mark;  // what cannot be read here, PKCS12_parse reports
  // Without a passphrase PKCS12_parse tries none and then "" (they differ in PKCS#12), for
  // the MAC; the scan below decrypts each encrypted authsafe both ways too, and
  // PKCS12_parse once more.
  const bool no_passphrase = passphrase == nullptr || *passphrase == '\0';
  const std::uint64_t mac_attempts = no_passphrase ? 2 : 1;
  const std::uint64_t authsafe_attempts = (no_passphrase ? 2 : 1) + 1;
  pkcs12_work::cost total;
  if (PKCS12_mac_present(p12) == 1) {
    // The MAC key comes from the PKCS#12 KDF over the MAC's own digest: one block each.
    const X509_ALGOR* mac_algorithm = nullptr;
    const ASN1_INTEGER* mac_iterations = nullptr;
    PKCS12_get0_mac(nullptr, &mac_algorithm, nullptr, &mac_iterations, p12);
    const ASN1_OBJECT* digest = nullptr;
    if (mac_algorithm != nullptr) X509_ALGOR_get0(&digest, nullptr, nullptr, mac_algorithm);
    const std::uint64_t work = pbe_times(pbe_iterations(mac_iterations), digest_weight(OBJ_obj2nid(digest)));
    total.summed.add(pbe_times(work, mac_attempts));
  }
  const handle<STACK_OF(PKCS7)> authsafes(PKCS12_unpack_authsafes(p12));
  // Outer layer first: every count readable without a derivation, so a hostile one is
  // refused before any work is done.
  for (int i = 0; authsafes && i < sk_PKCS7_num(authsafes.get()) && !total.over(); ++i) {
    ::PKCS7* safe = sk_PKCS7_value(authsafes.get(), i);
    if (PKCS7_type_is_encrypted(safe) && safe->d.encrypted != nullptr &&
        safe->d.encrypted->enc_data != nullptr) {
      total.summed.add(pbe_times(pbe_work(safe->d.encrypted->enc_data->algorithm), authsafe_attempts));
    } else if (PKCS7_type_is_data(safe)) {
      const handle<STACK_OF(PKCS12_SAFEBAG)> bags(PKCS12_unpack_p7data(safe));
      if (bags) pkcs12_work::add_bags(total, bags.get(), 0);
    }
  }
  // Then the bags inside encrypted authsafes, whose own derivation is counted and allowed,
  // decrypted with every passphrase PKCS12_parse may use; a legacy cipher (RC2, 3DES)
  // needs the legacy provider.
  const auto add_decrypted = [&total](::PKCS7* safe, const char* pass) {
    handle<STACK_OF(PKCS12_SAFEBAG)> bags(PKCS12_unpack_p7encdata(safe, pass, -1));
    if (!bags && is_unsupported_algorithm(drain_error_queue()) && load_legacy_provider())
      bags.reset(PKCS12_unpack_p7encdata(safe, pass, -1));
    if (bags) pkcs12_work::add_bags(total, bags.get(), 0);
  };
  for (int i = 0; authsafes && i < sk_PKCS7_num(authsafes.get()) && !total.over(); ++i) {
    ::PKCS7* safe = sk_PKCS7_value(authsafes.get(), i);
    if (!PKCS7_type_is_encrypted(safe)) continue;
    if (no_passphrase) {
      add_decrypted(safe, nullptr);
      add_decrypted(safe, "");
    } else {
      add_decrypted(safe, passphrase);
    }
  }
  if (!total.over()) return {};
  return too_much_pbe_work("load_pkcs12");
}

PYOSSL_DECL result<pkcs12_contents> parse_pkcs12_any_algorithm(::PKCS12* p12, const char* passphrase) {
  constexpr std::string_view operation = "PKCS12_parse";
  if (auto contents = parse_pkcs12(p12, passphrase)) return std::move(*contents);
  std::vector<error_queue_entry> queue = drain_error_queue();
  if (!is_unsupported_algorithm(queue))
    return unexpected(error(errc::crypto, std::string(operation), std::move(queue)));
  if (!load_legacy_provider()) {
    return unexpected(error(errc::unsupported, std::string(operation), std::move(queue),
                            "the file is encrypted with a legacy algorithm (RC2, 3DES...) that OpenSSL 3 "
                            "provides only in its legacy provider, which is not installed"));
  }
  if (auto contents = parse_pkcs12(p12, passphrase)) return std::move(*contents);
  queue = drain_error_queue();
  const errc kind = is_unsupported_algorithm(queue) ? errc::unsupported : errc::crypto;
  return unexpected(error(kind, std::string(operation), std::move(queue)));
}

PYOSSL_DECL std::vector<handle<X509>> take_certificates(STACK_OF(X509) * stack) {
  std::vector<handle<X509>> taken;
  while (stack != nullptr && sk_X509_num(stack) > 0) taken.push_back(adopt(sk_X509_shift(stack)));
  return taken;
}

PYOSSL_DECL handle<X509> take_marked_certificate(STACK_OF(X509) * stack) {
  int marked = -1;
  const int count = stack != nullptr ? sk_X509_num(stack) : 0;
  for (int i = 0; i < count; ++i) {
    int length = 0;
    if (X509_keyid_get0(sk_X509_value(stack, i), &length) == nullptr) continue;
    if (marked != -1) return {};
    marked = i;
  }
  return marked == -1 ? handle<X509>() : adopt(sk_X509_delete(stack, marked));
}

PYOSSL_DECL handle<X509> certificate_for_export(X509* certificate, bool mark, bool keep_alias) {
  auto copy = duplicate_certificate(certificate);
  if (mark) {
    unsigned char key_id[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    if (X509_digest(certificate, EVP_sha1(), key_id, &length) != 1 ||
        X509_keyid_set1(copy.get(), key_id, static_cast<int>(length)) != 1) {
      throw std::bad_alloc();
    }
  }
  int alias_length = 0;
  const unsigned char* alias = keep_alias ? X509_alias_get0(certificate, &alias_length) : nullptr;
  if (alias != nullptr && X509_alias_set1(copy.get(), alias, alias_length) != 1) throw std::bad_alloc();
  return copy;
}

PYOSSL_DECL handle<STACK_OF(X509)> ca_stack_for_export(const std::vector<X509*>& certificates) {
  handle<STACK_OF(X509)> stack(sk_X509_new_null());
  if (!stack) throw std::bad_alloc();
  for (X509* certificate : certificates) {
    auto copy = certificate_for_export(certificate, false, true);
    if (sk_X509_push(stack.get(), copy.get()) <= 0) throw std::bad_alloc();
    (void)copy.release();  // the stack owns it now
  }
  return stack;
}

}  // namespace pyossl::detail

namespace pyossl::crypto {

PYOSSL_DECL void PKCS12::set_privatekey(std::optional<PKey> pkey) {
  if (pkey && pkey->empty()) pkey.reset();
  key_ = std::move(pkey);
}

PYOSSL_DECL void PKCS12::set_ca_certificates(std::optional<std::vector<X509>> cacerts) {
  if (cacerts && cacerts->empty()) cacerts.reset();
  ca_certificates_ = std::move(cacerts);
}

PYOSSL_DECL result<void> PKCS12::set_friendlyname(detail::optional_text name) {
  if (name && !detail::is_pkcs12_text(*name)) {
    return detail::fail(errc::invalid_argument, "PKCS12::set_friendlyname",
                        "the friendly name must be valid UTF-8 without NUL characters");
  }
  friendly_name_ = name ? std::optional<std::string>(std::in_place, *name) : std::nullopt;
  return {};
}

PYOSSL_DECL result<std::string> PKCS12::export_(detail::optional_text passphrase, int iter,
                                                int maciter) const {
  constexpr std::string_view operation = "PKCS12_create";
  if (iter < 0 || maciter < -1) {
    return detail::fail(errc::invalid_argument, operation,
                        "iter must not be negative, nor maciter below -1 (no MAC)");
  }
  if (!certificate_ && !key_ && !ca_certificates_) {
    return detail::fail(errc::invalid_argument, operation,
                        "nothing to export: set a certificate, a private key or CA certificates first");
  }
  if (key_ && !key_->has_private_key()) {
    return detail::fail(errc::invalid_argument, operation, "the private key has only a public part");
  }
  if (!all_certificates_signed()) {
    return detail::fail(errc::crypto, operation, "a certificate must be signed before it is exported");
  }
  auto pass = detail::pkcs12_passphrase(operation, passphrase);
  if (!pass) return unexpected(std::move(pass).error());
  const detail::handle<::X509> certificate =
      certificate_ ? detail::certificate_for_export(certificate_->native_handle(), !key_, false) : nullptr;
  const detail::handle<STACK_OF(X509)> ca_certificates = ca_stack();
  detail::handle<::PKCS12> p12(PKCS12_create(*pass ? (*pass)->c_str() : nullptr,
                                             friendly_name_ ? friendly_name_->c_str() : nullptr,
                                             key_ ? key_->native_handle() : nullptr, certificate.get(),
                                             ca_certificates.get(), 0, 0, iter, maciter, 0));
  if (!p12) return detail::fail(errc::crypto, operation);
  const int length = i2d_PKCS12(p12.get(), nullptr);
  if (length <= 0) return detail::fail(errc::crypto, "i2d_PKCS12");
  std::string der(static_cast<std::size_t>(length), '\0');
  auto* out = reinterpret_cast<unsigned char*>(der.data());
  if (i2d_PKCS12(p12.get(), &out) != length) return detail::fail(errc::crypto, "i2d_PKCS12");
  return der;
}

PYOSSL_DECL bool PKCS12::all_certificates_signed() const {
  const detail::error_queue_mark mark;  // what a failed i2d_X509 queues is not the report
  const auto encodable = [](const X509& certificate) {
    return certificate.native_handle() != nullptr && i2d_X509(certificate.native_handle(), nullptr) > 0;
  };
  if (certificate_ && !encodable(*certificate_)) return false;
  if (ca_certificates_) {
    for (const X509& certificate : *ca_certificates_) {
      if (!encodable(certificate)) return false;
    }
  }
  return true;
}

PYOSSL_DECL detail::handle<STACK_OF(X509)> PKCS12::ca_stack() const {
  if (!ca_certificates_) return nullptr;
  std::vector<::X509*> natives;
  natives.reserve(ca_certificates_->size());
  for (const X509& certificate : *ca_certificates_) natives.push_back(certificate.native_handle());
  return detail::ca_stack_for_export(natives);
}

PYOSSL_DECL result<PKCS12> load_pkcs12(std::string_view buffer, detail::optional_text passphrase) {
  auto pass = detail::pkcs12_passphrase("load_pkcs12", passphrase);
  if (!pass) return unexpected(std::move(pass).error());
  if (buffer.size() > static_cast<std::size_t>(LONG_MAX)) {
    return detail::fail(errc::invalid_argument, "d2i_PKCS12", "the buffer is larger than OpenSSL can read");
  }
  const auto* in = reinterpret_cast<const unsigned char*>(buffer.data());
  detail::handle<::PKCS12> p12(d2i_PKCS12(nullptr, &in, static_cast<long>(buffer.size())));
  if (!p12) return detail::fail(errc::crypto, "d2i_PKCS12", "not a PKCS#12 file, or a truncated one");
  if (auto bounded = detail::check_pkcs12_work(p12.get(), *pass ? (*pass)->c_str() : nullptr); !bounded)
    return unexpected(std::move(bounded).error());
  if (PKCS12_mac_present(p12.get()) != 1) {
    // A file without a MAC (export_ with maciter -1, `openssl pkcs12 -nomac`): OpenSSL 3.0's
    // PKCS12_parse insists on a MAC whenever a passphrase is given ("mac absent"). Give this
    // in-memory copy one made with the same passphrase, which PKCS12_parse then verifies
    // trivially before it decrypts; a wrong passphrase still fails, at decryption.
    const char* mac_passphrase = *pass ? (*pass)->c_str() : nullptr;
    if (PKCS12_set_mac(p12.get(), mac_passphrase, -1, nullptr, 0, 1, EVP_sha256()) != 1) {
      return detail::fail(errc::crypto, "PKCS12_set_mac", "cannot read the MAC-less file");
    }
  }
  auto contents = detail::parse_pkcs12_any_algorithm(p12.get(), *pass ? (*pass)->c_str() : nullptr);
  if (!contents) return unexpected(std::move(contents).error());

  if (!contents->key && !contents->certificate) {
    contents->certificate = detail::take_marked_certificate(contents->ca_certificates.get());
  }
  PKCS12 result_p12;
  if (contents->certificate) {
    int length = 0;
    if (const unsigned char* alias = X509_alias_get0(contents->certificate.get(), &length)) {
      result_p12.friendly_name_.emplace(reinterpret_cast<const char*>(alias),
                                        static_cast<std::size_t>(length));
    }
    result_p12.certificate_.emplace(std::move(contents->certificate));
  }
  if (contents->key) result_p12.key_.emplace(std::move(contents->key));
  std::vector<detail::handle<::X509>> ca_certificates =
      detail::take_certificates(contents->ca_certificates.get());
  if (!ca_certificates.empty()) {
    result_p12.ca_certificates_.emplace();
    result_p12.ca_certificates_->reserve(ca_certificates.size());
    for (auto& certificate : ca_certificates)
      result_p12.ca_certificates_->emplace_back(std::move(certificate));
  }
  return result_p12;
}

}  // namespace pyossl::crypto
#endif  // PYOSSL_DEFINITIONS
