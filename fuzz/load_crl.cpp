// Fuzzes load_crl (PEM and DER) and what a CA or a verifier does next with a CRL: its
// issuer, every revoked entry's serial, reason and date, dumps, and copies.
#include "fuzz_common.hpp"

namespace {

void exercise(const pyossl::crypto::CRL& crl) {
  pyossl_fuzz::exercise(crl.get_issuer());
  if (auto revoked = crl.get_revoked()) {
    for (const pyossl::crypto::Revoked& entry : *revoked) {
      const std::string serial = entry.get_serial();  // whole bytes, "-" before a negative one
      PYOSSL_FUZZ_CHECK((serial.size() - (serial.rfind('-', 0) == 0 ? 1 : 0)) % 2 == 0);
      (void)entry.get_reason();
      (void)entry.get_rev_date();
      pyossl_fuzz::require_empty_queue();
      const pyossl::crypto::Revoked copy(entry);
      PYOSSL_FUZZ_CHECK(copy.get_serial() == serial);
    }
  }
  pyossl_fuzz::require_empty_queue();
  for (const auto type : {pyossl::crypto::FILETYPE_PEM, pyossl::crypto::FILETYPE_ASN1}) {
    auto dumped = pyossl::crypto::dump_crl(type, crl);
    pyossl_fuzz::require_explained(dumped);
    if (!dumped) continue;
    // What was dumped loads again and dumps the same (the round trip users rely on).
    auto again = pyossl::crypto::load_crl(type, *dumped);
    pyossl_fuzz::require_explained(again);
    PYOSSL_FUZZ_CHECK(again.has_value());
    auto redumped = pyossl::crypto::dump_crl(type, *again);
    pyossl_fuzz::require_explained(redumped);
    PYOSSL_FUZZ_CHECK(redumped.has_value() && *redumped == *dumped);
  }
  // A copy is equal to its original, or the copy fails loudly (never a different CRL).
  try {
    const pyossl::crypto::CRL copy(crl);
    auto original = pyossl::crypto::dump_crl(pyossl::crypto::FILETYPE_ASN1, crl);
    auto copied = pyossl::crypto::dump_crl(pyossl::crypto::FILETYPE_ASN1, copy);
    PYOSSL_FUZZ_CHECK(original.has_value() == copied.has_value());
    if (original) PYOSSL_FUZZ_CHECK(*original == *copied);
  } catch (const pyossl::exception&) {
  }
  pyossl_fuzz::require_empty_queue();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input = pyossl_fuzz::as_text(data, size);
  for (const auto type : {pyossl::crypto::FILETYPE_PEM, pyossl::crypto::FILETYPE_ASN1}) {
    auto crl = pyossl::crypto::load_crl(type, input);
    pyossl_fuzz::require_explained(crl);
    if (crl) exercise(*crl);
  }
  return 0;
}
