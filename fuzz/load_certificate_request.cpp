// Fuzzes load_certificate_request (PEM and DER) and what a CA does next with a request.
#include "fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input = pyossl_fuzz::as_text(data, size);
  for (const auto type : {pyossl::crypto::FILETYPE_PEM, pyossl::crypto::FILETYPE_ASN1}) {
    auto request = pyossl::crypto::load_certificate_request(type, input);
    pyossl_fuzz::require_explained(request);
    if (request) pyossl_fuzz::exercise(*request);
  }
  return 0;
}
