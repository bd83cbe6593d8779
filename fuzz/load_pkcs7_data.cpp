// Fuzzes load_pkcs7_data (PEM and DER), then its type, certificates, CRLs and a copy,
// which must hold the same certificates (issue 12: copies threw bad_alloc).
#include "fuzz_common.hpp"

namespace {

std::vector<std::string> certificate_ders(const pyossl::crypto::PKCS7& p7) {
  std::vector<std::string> ders;
  auto certificates = p7.get_certificates();
  pyossl_fuzz::require_explained(certificates);
  if (!certificates) return ders;
  for (const auto& certificate : *certificates) {
    pyossl_fuzz::exercise(certificate);
    auto der = pyossl::crypto::dump_certificate(pyossl::crypto::FILETYPE_ASN1, certificate);
    ders.push_back(der ? *der : std::string("(cannot encode)"));
  }
  pyossl_fuzz::require_empty_queue();
  return ders;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input = pyossl_fuzz::as_text(data, size);
  for (const auto type : {pyossl::crypto::FILETYPE_PEM, pyossl::crypto::FILETYPE_ASN1}) {
    auto p7 = pyossl::crypto::load_pkcs7_data(type, input);
    pyossl_fuzz::require_explained(p7);
    if (!p7) continue;
    (void)p7->type_is_signed();
    (void)p7->type_is_enveloped();
    (void)p7->type_is_signedAndEnveloped();
    (void)p7->type_is_data();
    const std::string type_name = p7->get_type_name();
    const auto ders = certificate_ders(*p7);
    pyossl_fuzz::require_explained(p7->get_crls());
    const pyossl::crypto::PKCS7 copy(*p7);
    pyossl_fuzz::require_empty_queue();
    PYOSSL_FUZZ_CHECK(copy.get_type_name() == type_name);
    PYOSSL_FUZZ_CHECK(certificate_ders(copy) == ders);
  }
  return 0;
}
