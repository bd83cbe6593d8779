// Fuzzes load_certificate (PEM and DER) and what a user does next with a certificate.
#include "fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input = pyossl_fuzz::as_text(data, size);
  for (const auto type : {pyossl::crypto::FILETYPE_PEM, pyossl::crypto::FILETYPE_ASN1}) {
    auto certificate = pyossl::crypto::load_certificate(type, input);
    pyossl_fuzz::require_explained(certificate);
    if (certificate) pyossl_fuzz::exercise(*certificate);
  }
  return 0;
}
