// Fuzzes load_privatekey without a passphrase (PEM and DER), then uses the key.
#include "fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input = pyossl_fuzz::as_text(data, size);
  for (const auto type : {pyossl::crypto::FILETYPE_PEM, pyossl::crypto::FILETYPE_ASN1}) {
    auto key = pyossl::crypto::load_privatekey(type, input);
    pyossl_fuzz::require_explained(key);
    if (key) pyossl_fuzz::exercise(*key);
  }
  return 0;
}
