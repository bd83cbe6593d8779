// Fuzzes load_pkcs12 with no passphrase and with "fuzz-secret" (the seeds use both), then
// the certificate, key and CA certificates, and an export read back.
#include "fuzz_common.hpp"

namespace {

void exercise(const pyossl::crypto::PKCS12& p12) {
  if (auto certificate = p12.get_certificate()) pyossl_fuzz::exercise(*certificate);
  if (auto key = p12.get_privatekey()) pyossl_fuzz::exercise(*key);
  if (auto authorities = p12.get_ca_certificates()) {
    for (const auto& certificate : *authorities) pyossl_fuzz::exercise(certificate);
  }
  (void)p12.get_friendlyname();
  // A cheap export (one iteration) that must read back with the same certificate.
  auto exported = p12.export_("again", 1, 1);
  pyossl_fuzz::require_explained(exported);
  if (!exported) return;
  auto again = pyossl::crypto::load_pkcs12(*exported, "again");
  pyossl_fuzz::require_explained(again);
  PYOSSL_FUZZ_CHECK(again.has_value());
  PYOSSL_FUZZ_CHECK(again->get_certificate().has_value() == p12.get_certificate().has_value());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input = pyossl_fuzz::as_text(data, size);
  for (const char* passphrase : {static_cast<const char*>(nullptr), "fuzz-secret"}) {
    auto p12 = pyossl::crypto::load_pkcs12(input, passphrase);
    pyossl_fuzz::require_explained(p12);
    if (p12) exercise(*p12);
  }
  return 0;
}
