// Certificates for tests, made with pyossl itself: names, self-signed certificates and
// certificates issued by a CA, with the keys of keys.hpp.
#pragma once

#include <initializer_list>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

#include <openssl/err.h>

#include "checks.hpp"
#include "keys.hpp"
#include "pyossl/crypto/pkey.hpp"
#include "pyossl/crypto/x509.hpp"
#include "pyossl/crypto/x509_extension.hpp"
#include "pyossl/crypto/x509_name.hpp"

namespace pyossl_test {

// Throws with the error's message if `r` failed: for fixtures, where a failure is a bug
// in the test, not the behaviour under test. Throws too if the success left OpenSSL's
// error queue non-empty, as REQUIRE_OK checks: a stale entry would otherwise be drained
// into the next expected failure, and no check would see it.
template <class R>
decltype(auto) must(R&& r) {
  if (!r.has_value()) throw std::runtime_error(r.error().message());
  if (ERR_peek_error() != 0) {
    throw std::runtime_error("a success left OpenSSL's error queue non-empty: " + queued_errors());
  }
  if constexpr (!std::is_void_v<typename std::remove_cvref_t<R>::value_type>) return *std::forward<R>(r);
}

inline const key_case& rsa_2048() { return key_cases().at(1); }
inline const key_case& ec_p256() { return key_cases().at(3); }
inline const key_case& ed25519() { return key_cases().at(5); }

inline pyossl::crypto::X509Name make_name(
    std::initializer_list<std::pair<std::string_view, std::string_view>> attributes) {
  pyossl::crypto::X509Name name;
  for (const auto& [attribute, value] : attributes) must(name.set(attribute, value));
  return name;
}

// A v3 certificate for `subject_key`, valid from an hour ago for a day, signed by
// `issuer_key` with `issuer_name` as issuer (self-signed when the issuer is the subject).
inline pyossl::crypto::X509 make_certificate(const pyossl::crypto::X509Name& subject,
                                             const pyossl::crypto::PKey& subject_key,
                                             const pyossl::crypto::X509Name& issuer_name,
                                             const pyossl::crypto::PKey& issuer_key, std::int64_t serial = 1,
                                             std::string_view digest = "sha256") {
  pyossl::crypto::X509 cert;
  must(cert.set_version(2));
  must(cert.set_serial_number(serial));
  must(cert.set_subject(subject));
  must(cert.set_issuer(issuer_name));
  must(cert.gmtime_adj_notBefore(-3600));
  must(cert.gmtime_adj_notAfter(24 * 3600));
  must(cert.set_pubkey(subject_key));
  must(cert.sign(issuer_key, digest));
  return cert;
}

inline pyossl::crypto::X509 self_signed(const pyossl::crypto::X509Name& subject,
                                        const pyossl::crypto::PKey& key, std::string_view digest = "sha256") {
  return make_certificate(subject, key, subject, key, 1, digest);
}

}  // namespace pyossl_test
