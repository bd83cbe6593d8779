// Fuzzes load_publickey (PEM and DER) and what a user does next with the key.
#include "fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input = pyossl_fuzz::as_text(data, size);
  for (const auto type : {pyossl::crypto::FILETYPE_PEM, pyossl::crypto::FILETYPE_ASN1}) {
    auto key = pyossl::crypto::load_publickey(type, input);
    pyossl_fuzz::require_explained(key);
    if (key) {
      pyossl_fuzz::exercise(*key);
      auto der = pyossl::crypto::dump_publickey(pyossl::crypto::FILETYPE_ASN1, *key);
      pyossl_fuzz::require_explained(der);
    }
  }
  return 0;
}
