// DER that OpenSSL reads but cannot re-read after writing it back, made from ordinary
// certificates: the inputs behind two copy bugs an outside fuzzing run found (issue 12).
//
// An ASN.1 ANY holding an empty, constructed, indefinite-length value of universal tag 0
// (bytes 20 80 00 00) is read as an empty value of tag 0, which OpenSSL writes back as
// 00 00: an end-of-contents marker, which its own reader then rejects inside a
// definite-length SEQUENCE ("unexpected eoc"). An algorithm identifier's parameters are
// such an ANY, and a certificate's outer signatureAlgorithm is written afresh (unlike the
// signed part, whose original bytes OpenSSL keeps), so X509_dup and PKCS7_dup fail on it.
#pragma once

#include <cstddef>
#include <stdexcept>
#include <string>
#include <string_view>

namespace pyossl_test {

struct der_element {
  std::size_t header = 0;  // tag and length bytes
  std::size_t length = 0;  // content bytes
};

// The tag-length header at `at` (single-byte tags, definite lengths only).
inline der_element der_read(std::string_view der, std::size_t at) {
  if (at + 2 > der.size()) throw std::runtime_error("DER truncated");
  const auto first = static_cast<unsigned char>(der[at + 1]);
  der_element element{2, first};
  if ((first & 0x80U) != 0) {
    const std::size_t count = first & 0x7FU;
    element.header = 2 + count;
    element.length = 0;
    for (std::size_t i = 0; i < count; ++i)
      element.length = (element.length << 8) | static_cast<unsigned char>(der[at + 2 + i]);
  }
  if (at + element.header + element.length > der.size()) throw std::runtime_error("DER truncated");
  return element;
}

// A tag-length-value with `content` under tag `tag`, in definite-length DER form.
inline std::string der_wrap(unsigned char tag, std::string_view content) {
  std::string out(1, static_cast<char>(tag));
  const std::size_t length = content.size();
  if (length < 0x80) {
    out += static_cast<char>(length);
  } else {
    std::string digits;
    for (std::size_t rest = length; rest != 0; rest >>= 8)
      digits.insert(0, 1, static_cast<char>(rest & 0xFF));
    out += static_cast<char>(0x80 | digits.size());
    out += digits;
  }
  return out + std::string(content);
}

// `der_certificate` (a DER X.509 certificate whose outer signatureAlgorithm has no
// parameters, e.g. ECDSA or Ed25519) with `20 80 00 00` as those parameters.
inline std::string certificate_with_odd_signature_parameters(std::string_view der_certificate) {
  const der_element certificate = der_read(der_certificate, 0);
  const std::string_view body = der_certificate.substr(certificate.header, certificate.length);
  const der_element tbs = der_read(body, 0);
  const std::size_t algorithm_at = tbs.header + tbs.length;
  const der_element algorithm = der_read(body, algorithm_at);
  const std::string_view algorithm_content = body.substr(algorithm_at + algorithm.header, algorithm.length);
  const std::string odd_algorithm =
      der_wrap(0x30, std::string(algorithm_content) + std::string("\x20\x80\x00\x00", 4));
  const std::size_t signature_at = algorithm_at + algorithm.header + algorithm.length;
  return der_wrap(0x30, std::string(body.substr(0, algorithm_at)) + odd_algorithm +
                            std::string(body.substr(signature_at)));
}

// A DER PKCS#7 signedData carrying just `der_certificate` (what `openssl crl2pkcs7 -nocrl
// -outform DER` writes), built byte by byte so the certificate's own bytes are kept.
inline std::string pkcs7_bundle(std::string_view der_certificate) {
  const std::string signed_data_oid = "\x06\x09\x2a\x86\x48\x86\xf7\x0d\x01\x07\x02";
  const std::string data_oid = "\x06\x09\x2a\x86\x48\x86\xf7\x0d\x01\x07\x01";
  const std::string signed_data =
      der_wrap(0x30, std::string("\x02\x01\x01", 3) + der_wrap(0x31, "") + der_wrap(0x30, data_oid) +
                         der_wrap(0xA0, der_certificate) + der_wrap(0x31, ""));
  return der_wrap(0x30, signed_data_oid + der_wrap(0xA0, signed_data));
}

}  // namespace pyossl_test
