// A key and a self-signed certificate, made with pyossl::crypto the way pyOpenSSL
// programs do it: what the example servers use when nobody gives them a certificate.
//
// Failures throw (pyossl::unwrap): a server that cannot make its certificate cannot start.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <pyossl/crypto/pkey.hpp>
#include <pyossl/crypto/x509.hpp>
#include <pyossl/crypto/x509_extension.hpp>
#include <pyossl/crypto/x509_name.hpp>
#include <pyossl/rand.hpp>

namespace examples {

struct identity {
  pyossl::crypto::X509 certificate;
  pyossl::crypto::PKey key;
};

// A P-256 key and a certificate for `common_name`, valid from now for `days`, naming
// `subject_alt_names` ("DNS:localhost,IP:127.0.0.1"): clients check the host they dialled
// against the subjectAltName, never the common name.
inline identity make_self_signed(std::string_view common_name, std::string_view subject_alt_names,
                                 long days = 1) {
  namespace crypto = pyossl::crypto;  // aliases, never `using namespace` (X509 would be ambiguous)
  namespace rand = pyossl::rand;
  using pyossl::unwrap;

  crypto::PKey key;
  unwrap(key.generate_key(crypto::TYPE_EC, 256));  // EC P-256: fast to make, and TLS 1.3's favourite

  crypto::X509Name name;
  unwrap(name.set("CN", common_name));

  crypto::X509 certificate;
  unwrap(certificate.set_version(2));  // X.509 v3, so it can carry extensions
  // A random positive serial: two certificates from the same issuer must never share one.
  const std::string serial = unwrap(rand::bytes(8));
  long serial_number = 0;
  for (const char byte : serial) serial_number = (serial_number << 8) | static_cast<unsigned char>(byte);
  unwrap(certificate.set_serial_number(serial_number & 0x7fffffffffffffffL));
  unwrap(certificate.gmtime_adj_notBefore(-60));  // a minute early: clocks disagree a little
  unwrap(certificate.gmtime_adj_notAfter(days * 24 * 60 * 60));
  unwrap(certificate.set_subject(name));
  unwrap(certificate.set_issuer(name));  // self-signed: it issues itself
  unwrap(certificate.set_pubkey(key));

  const std::vector<crypto::X509Extension> extensions{
      unwrap(crypto::X509Extension::create("subjectAltName", false, subject_alt_names)),
      unwrap(crypto::X509Extension::create("basicConstraints", true, "CA:FALSE")),
      unwrap(crypto::X509Extension::create("extendedKeyUsage", false, "serverAuth")),
  };
  unwrap(certificate.add_extensions(extensions));
  unwrap(certificate.sign(key, "sha256"));
  return {std::move(certificate), std::move(key)};
}

}  // namespace examples
