// What every pyossl fuzz target shares: a check that stops the run with a message (so
// libFuzzer saves the input), and what a user calls next on what a loader returned.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include <openssl/err.h>

#include <pyossl/crypto.hpp>

namespace pyossl_fuzz {

namespace crypto = pyossl::crypto;

// A broken promise: print it and abort, which libFuzzer reports as a crash with this input.
#define PYOSSL_FUZZ_CHECK(condition)                                                                  \
  do {                                                                                                \
    if (!(condition)) {                                                                               \
      std::fprintf(stderr, "pyossl fuzz: %s:%d: check failed: %s\n", __FILE__, __LINE__, #condition); \
      ERR_print_errors_fp(stderr);                                                                    \
      std::abort();                                                                                   \
    }                                                                                                 \
  } while (false)

// SPEC: no call leaves entries in OpenSSL's error queue, whether it succeeded or failed.
inline void require_empty_queue() { PYOSSL_FUZZ_CHECK(ERR_peek_error() == 0UL); }

inline std::string_view as_text(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// Every failure must say what failed.
template <class R>
void require_explained(const R& result) {
  if (!result) PYOSSL_FUZZ_CHECK(!result.error().message().empty());
  require_empty_queue();
}

inline void exercise(const crypto::X509Name& name) {
  for (const auto& [attribute, value] : name.get_components()) (void)name.get(attribute);
  require_explained(name.hash());
  require_explained(name.der());
  const crypto::X509Name copy(name);
  PYOSSL_FUZZ_CHECK(copy.get_components() == name.get_components());
  require_empty_queue();
}

inline void exercise(const crypto::PKey& key) {
  (void)key.bits();
  (void)key.type();
  (void)key.has_private_key();
  require_explained(key.check());
  require_explained(crypto::dump_publickey(crypto::FILETYPE_PEM, key));
  if (key.has_private_key()) require_explained(crypto::dump_privatekey(crypto::FILETYPE_ASN1, key));
}

inline void exercise(const crypto::X509Extension& extension) {
  (void)extension.get_critical();
  (void)extension.get_short_name();
  (void)extension.get_data();
  require_explained(extension.to_string());
}

// A certificate a user loaded: every getter, its dumps and digests, and a copy, which must
// dump and digest exactly like the original (issue 12's copy bugs).
inline void exercise(const crypto::X509& certificate) {
  exercise(certificate.get_subject());
  exercise(certificate.get_issuer());
  require_explained(certificate.subject_name_hash());
  (void)certificate.get_version();
  require_explained(certificate.get_serial_number());
  (void)certificate.get_serial_number_hex();
  (void)certificate.get_notBefore();
  (void)certificate.get_notAfter();
  (void)certificate.has_expired();
  require_explained(certificate.get_signature_algorithm());
  if (auto key = certificate.get_pubkey()) exercise(*key);
  require_empty_queue();
  for (int i = 0; i < certificate.get_extension_count(); ++i) {
    auto extension = certificate.get_extension(i);
    require_explained(extension);
    if (extension) exercise(*extension);
  }
  const auto pem = crypto::dump_certificate(crypto::FILETYPE_PEM, certificate);
  const auto der = crypto::dump_certificate(crypto::FILETYPE_ASN1, certificate);
  const auto sha256 = certificate.digest("sha256");
  require_explained(pem);
  require_explained(der);
  require_explained(sha256);
  const crypto::X509 copy(certificate);
  require_empty_queue();
  const auto copy_der = crypto::dump_certificate(crypto::FILETYPE_ASN1, copy);
  const auto copy_sha256 = copy.digest("sha256");
  require_empty_queue();
  PYOSSL_FUZZ_CHECK(copy_der.has_value() == der.has_value());
  if (der) PYOSSL_FUZZ_CHECK(*copy_der == *der);
  PYOSSL_FUZZ_CHECK(copy_sha256.has_value() == sha256.has_value());
  if (sha256) PYOSSL_FUZZ_CHECK(*copy_sha256 == *sha256);
}

inline void exercise(const crypto::X509Req& request) {
  exercise(request.get_subject());
  (void)request.get_version();
  if (auto key = request.get_pubkey()) {
    exercise(*key);
    require_explained(request.verify(*key));
  }
  require_empty_queue();
  if (auto extensions = request.get_extensions()) {
    for (const auto& extension : *extensions) exercise(extension);
  }
  require_empty_queue();
  const auto der = crypto::dump_certificate_request(crypto::FILETYPE_ASN1, request);
  require_explained(der);
  const crypto::X509Req copy(request);
  const auto copy_der = crypto::dump_certificate_request(crypto::FILETYPE_ASN1, copy);
  require_empty_queue();
  PYOSSL_FUZZ_CHECK(copy_der.has_value() == der.has_value());
  if (der) PYOSSL_FUZZ_CHECK(*copy_der == *der);
}

}  // namespace pyossl_fuzz
