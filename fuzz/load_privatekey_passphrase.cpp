// Fuzzes load_privatekey of encrypted keys: the seeds are encrypted with "fuzz-secret",
// given as a string and as a callable; a wrong one must fail cleanly.
#include "fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input = pyossl_fuzz::as_text(data, size);
  for (const auto type : {pyossl::crypto::FILETYPE_PEM, pyossl::crypto::FILETYPE_ASN1}) {
    auto key = pyossl::crypto::load_privatekey(type, input, "fuzz-secret");
    pyossl_fuzz::require_explained(key);
    if (key) pyossl_fuzz::exercise(*key);
    auto by_callable =
        pyossl::crypto::load_privatekey(type, input, [](bool) { return std::string("fuzz-secret"); });
    pyossl_fuzz::require_explained(by_callable);
    PYOSSL_FUZZ_CHECK(by_callable.has_value() == key.has_value());
    auto wrong = pyossl::crypto::load_privatekey(type, input, "wrong");
    pyossl_fuzz::require_explained(wrong);
  }
  return 0;
}
