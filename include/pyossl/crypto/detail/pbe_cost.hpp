// How much work a password-based encryption asks for, read from its parameters before any
// key is derived. The counts are the file's choice: a hostile PKCS#12 file or encrypted
// private key asks for billions of iterations (hours of CPU, then a wrong-passphrase
// error). load_pkcs12 and load_privatekey add up what a file asks for and refuse it past
// pbe_max_iterations, before deriving anything.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string_view>

#include <openssl/asn1.h>
#include <openssl/objects.h>
#include <openssl/x509.h>

#include "pyossl/detail/config.hpp"
#include "pyossl/detail/handle.hpp"
#include "pyossl/detail/openssl_error.hpp"
#include "pyossl/error.hpp"

namespace pyossl::detail {

// Exporters use 2,000 to 10,000 PBKDF2 iterations per use (OpenSSL, Windows, macOS, Java),
// a few uses a file; 10 million is a few seconds of CPU (PBKDF2-SHA256: about 2.5 s on
// the 2 GHz cores pyossl is tested on).
inline constexpr std::uint64_t pbe_max_iterations = 10'000'000;

// Iterations summed so far; `over` once past the limit (the sum saturates there).
struct pbe_tally {
  std::uint64_t iterations = 0;
  bool over = false;

  void add(std::uint64_t count) noexcept {
    const std::uint64_t room = pbe_max_iterations - std::min(iterations, pbe_max_iterations);
    iterations = count > room ? pbe_max_iterations + 1 : iterations + count;
    over = iterations > pbe_max_iterations;
  }
  // An ASN.1 count; absent, negative or unreadable counts as one.
  void add(const ASN1_INTEGER* count) noexcept {
    std::uint64_t value = 1;
    if (count != nullptr && (ASN1_INTEGER_get_uint64(&value, count) != 1 || value == 0)) value = 1;
    add(value);
  }
};

// Adds what `algorithm` asks for: PKCS#5 v1 and PKCS#12 PBE (PBEPARAM) and PBES2 with PBKDF2,
// their iteration count; PBES2 with scrypt, 2·N·r·p (ROMix runs 2N BlockMix of r blocks, p
// times over; a block is about one PBKDF2 iteration's work); anything else, one.
PYOSSL_DECL void add_pbe(pbe_tally& total, const X509_ALGOR* algorithm);

// The refusal: errc::invalid_argument, saying why.
[[nodiscard, gnu::cold]] PYOSSL_DECL unexpected<error> too_much_pbe_work(std::string_view operation);

}  // namespace pyossl::detail

// Definitions: inline, or compiled once in the compiled mode (pyossl/detail/config.hpp).
#if PYOSSL_DEFINITIONS

namespace pyossl::detail {

namespace pbe_cost {

// `parameter` (an X509_ALGOR's, or an ASN1_TYPE's value) decoded as T, when it is a SEQUENCE.
template <class T, class Decode>
handle<T> decode_sequence(int type, const void* parameter, Decode decode) {
  if (type != V_ASN1_SEQUENCE || parameter == nullptr) return {};
  const auto* sequence = static_cast<const ASN1_STRING*>(parameter);
  const unsigned char* der = ASN1_STRING_get0_data(sequence);
  return handle<T>(decode(nullptr, &der, ASN1_STRING_length(sequence)));
}

// scrypt's 2·N·r·p, saturating past the limit; one when a parameter is unreadable.
inline std::uint64_t scrypt_work(const SCRYPT_PARAMS& params) noexcept {
  std::uint64_t n = 0, r = 0, p = 0;
  if (ASN1_INTEGER_get_uint64(&n, params.costParameter) != 1 ||
      ASN1_INTEGER_get_uint64(&r, params.blockSize) != 1 ||
      ASN1_INTEGER_get_uint64(&p, params.parallelizationParameter) != 1) {
    return 1;
  }
  std::uint64_t work = 2;
  for (const std::uint64_t factor : {n, r, p}) {
    if (factor != 0 && work > (pbe_max_iterations + 1) / factor) return pbe_max_iterations + 1;
    work *= std::max<std::uint64_t>(factor, 1);
  }
  return work;
}

}  // namespace pbe_cost

PYOSSL_DECL void add_pbe(pbe_tally& total, const X509_ALGOR* algorithm) {
  const error_queue_mark mark;  // parameters that do not decode are OpenSSL's to report later
  const ASN1_OBJECT* oid = nullptr;
  int type = 0;
  const void* parameter = nullptr;
  X509_ALGOR_get0(&oid, &type, &parameter, algorithm);
  if (OBJ_obj2nid(oid) != NID_pbes2) {
    const auto pbe = pbe_cost::decode_sequence<PBEPARAM>(type, parameter, d2i_PBEPARAM);
    return total.add(pbe ? pbe->iter : nullptr);
  }
  const auto pbes2 = pbe_cost::decode_sequence<PBE2PARAM>(type, parameter, d2i_PBE2PARAM);
  if (!pbes2 || pbes2->keyfunc == nullptr) return total.add(std::uint64_t{1});
  X509_ALGOR_get0(&oid, &type, &parameter, pbes2->keyfunc);
  switch (OBJ_obj2nid(oid)) {
    case NID_id_pbkdf2: {
      const auto pbkdf2 = pbe_cost::decode_sequence<PBKDF2PARAM>(type, parameter, d2i_PBKDF2PARAM);
      return total.add(pbkdf2 ? pbkdf2->iter : nullptr);
    }
    case NID_id_scrypt: {
      const auto scrypt = pbe_cost::decode_sequence<SCRYPT_PARAMS>(type, parameter, d2i_SCRYPT_PARAMS);
      return total.add(scrypt ? pbe_cost::scrypt_work(*scrypt) : std::uint64_t{1});
    }
    default:
      return total.add(std::uint64_t{1});
  }
}

PYOSSL_DECL unexpected<error> too_much_pbe_work(std::string_view operation) {
  return fail(errc::invalid_argument, operation,
              "the file asks for more than " + std::to_string(pbe_max_iterations) +
                  " key-derivation iterations in all (hostile, or far beyond what any exporter writes); "
                  "refused before deriving anything");
}

}  // namespace pyossl::detail
#endif  // PYOSSL_DEFINITIONS
