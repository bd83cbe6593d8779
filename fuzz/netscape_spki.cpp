// Fuzzes NetscapeSPKI::from_b64, then its key, signature check, encoding and a copy.
#include "fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto spki = pyossl::crypto::NetscapeSPKI::from_b64(pyossl_fuzz::as_text(data, size));
  pyossl_fuzz::require_explained(spki);
  if (!spki) return 0;
  if (auto key = spki->get_pubkey()) {
    pyossl_fuzz::exercise(*key);
    pyossl_fuzz::require_explained(spki->verify(*key));
  }
  pyossl_fuzz::require_empty_queue();
  auto encoded = spki->b64_encode();
  pyossl_fuzz::require_explained(encoded);
  const pyossl::crypto::NetscapeSPKI copy(*spki);
  auto copy_encoded = copy.b64_encode();
  pyossl_fuzz::require_explained(copy_encoded);
  PYOSSL_FUZZ_CHECK(copy_encoded.has_value() == encoded.has_value());
  if (encoded) PYOSSL_FUZZ_CHECK(*copy_encoded == *encoded);
  return 0;
}
