// How much work a password-based encryption asks for, read from its parameters before any
// key is derived. The counts are the file's choice: a hostile PKCS#12 file or encrypted
// private key asks for billions of iterations (hours of CPU, then a wrong-passphrase
// error). load_pkcs12 and load_privatekey add up what a file asks for and refuse it past
// pbe_max_iterations, before deriving anything.
#pragma once

#include <algorithm>
#include <climits>
#include <cstdint>
#include <string_view>

#include <openssl/asn1.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>

#include "pyossl/detail/config.hpp"
#include "pyossl/detail/handle.hpp"
#include "pyossl/error.hpp"

namespace pyossl::detail {

// The work is counted in PBKDF2-HMAC-SHA-256 iterations of one output block: iterations
// times output blocks times the digest's weight (pbe_work). Exporters use 2,000 to 10,000
// iterations per use (OpenSSL, Windows, macOS, Java), 600,000 at the most, a few uses a
// file; 10 million is about 4.5 s of CPU on the 2 GHz cores pyossl is tested on.
inline constexpr std::uint64_t pbe_max_iterations = 10'000'000;

// A count past the limit on its own: what a file that hides its work is charged.
inline constexpr std::uint64_t pbe_refused = pbe_max_iterations + 1;

// a·b, saturating at pbe_refused.
[[nodiscard]] constexpr std::uint64_t pbe_times(std::uint64_t a, std::uint64_t b) noexcept {
  return b != 0 && a > pbe_refused / b ? pbe_refused : std::min(a * b, pbe_refused);
}

// The work summed so far, saturating just past the limit.
struct pbe_tally {
  std::uint64_t iterations = 0;

  void add(std::uint64_t work) noexcept {
    const std::uint64_t room = pbe_max_iterations - std::min(iterations, pbe_max_iterations);
    iterations = work > room ? pbe_refused : iterations + work;
  }
  [[nodiscard]] bool over() const noexcept { return iterations > pbe_max_iterations; }
};

// What one iteration of a digest (or of its HMAC) costs against SHA-256's: SHA-1, SHA-224,
// SHA-256 and MD5 one; SHA-384 and the SHA-512 family two; anything else (SHA-3, SM3,
// Whirlpool...), which no exporter uses, four.
[[nodiscard]] PYOSSL_DECL std::uint64_t digest_weight(int nid) noexcept;

// An iteration count as OpenSSL will use it: absent or zero is one (OpenSSL's own default);
// a negative or unreadable count, or one past INT_MAX, is refused, because OpenSSL reads
// it into an int and would run its low 32 bits (-(2^32) + 12,000,000 is 12 million).
[[nodiscard]] PYOSSL_DECL std::uint64_t pbe_iterations(const ASN1_INTEGER* count) noexcept;

// What `algorithm` asks for. PBES2 with PBKDF2: iterations × output blocks (the key length
// over the PRF's output, e.g. two for AES-256 under HMAC-SHA-1) × the PRF's weight; PBES2
// with scrypt: 2·N·r·p (ROMix runs 2N BlockMix rounds of 2r 64-byte blocks, p times over;
// a BlockMix of r = 1 is about one PBKDF2 iteration's work); PKCS#5 v1 and PKCS#12 PBE
// (PBEPARAM): iterations × 3 (the PKCS#12 KDF runs once per SHA-1 block of key and IV,
// three for 3DES); anything else, one. Parameters that do not decode count as one: the
// decryption that needs them fails before deriving.
[[nodiscard]] PYOSSL_DECL std::uint64_t pbe_work(const X509_ALGOR* algorithm);

// The refusal: errc::invalid_argument, saying why. Drains nothing: what the scan itself
// queued is the caller's error_queue_mark's to discard.
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

// scrypt's 2·N·r·p, saturating past the limit; refused when a parameter is unreadable.
inline std::uint64_t scrypt_work(const SCRYPT_PARAMS& params) noexcept {
  std::uint64_t n = 0, r = 0, p = 0;
  if (ASN1_INTEGER_get_uint64(&n, params.costParameter) != 1 ||
      ASN1_INTEGER_get_uint64(&r, params.blockSize) != 1 ||
      ASN1_INTEGER_get_uint64(&p, params.parallelizationParameter) != 1) {
    return pbe_refused;
  }
  std::uint64_t work = 2;
  for (const std::uint64_t factor : {n, r, p}) {
    const std::uint64_t used = std::max<std::uint64_t>(factor, 1);
    if (work > pbe_refused / used) return pbe_refused;
    work *= used;
  }
  return work;
}

// The digest under a PBKDF2 PRF (hmacWithSHA256 -> SHA-256; HMAC-SHA-1 when none is
// named), through OpenSSL's own PRF table; NID_undef for a PRF it does not know.
inline int pbkdf2_digest(const PBKDF2PARAM& pbkdf2) noexcept {
  const int prf = pbkdf2.prf != nullptr ? OBJ_obj2nid(pbkdf2.prf->algorithm) : NID_hmacWithSHA1;
  int digest = NID_undef;
  if (EVP_PBE_find(EVP_PBE_TYPE_PRF, prf, nullptr, &digest, nullptr) != 1) return NID_undef;
  return digest;
}

// PBKDF2's output blocks: the key length (PBKDF2's own field, else the cipher's, else 32)
// over the digest's output size (16, the smallest, for a digest OpenSSL does not know, so
// it is not undercounted).
inline std::uint64_t pbkdf2_blocks(const PBE2PARAM& pbes2, const PBKDF2PARAM& pbkdf2, int digest) noexcept {
  std::uint64_t key_length = 32;
  if (pbkdf2.keylength != nullptr) {
    if (ASN1_INTEGER_get_uint64(&key_length, pbkdf2.keylength) != 1 || key_length > 1024) return pbe_refused;
  } else if (pbes2.encryption != nullptr) {
    if (const EVP_CIPHER* cipher = EVP_get_cipherbyobj(pbes2.encryption->algorithm))
      key_length = static_cast<std::uint64_t>(std::max(EVP_CIPHER_get_key_length(cipher), 1));
  }
  const EVP_MD* md = EVP_get_digestbynid(digest);
  const std::uint64_t output =
      md != nullptr ? static_cast<std::uint64_t>(std::max(EVP_MD_get_size(md), 16)) : 16;
  return std::max<std::uint64_t>((key_length + output - 1) / output, 1);
}

}  // namespace pbe_cost

PYOSSL_DECL std::uint64_t digest_weight(int nid) noexcept {
  switch (nid) {
    case NID_sha1:
    case NID_sha224:
    case NID_sha256:
    case NID_md5:
      return 1;
    case NID_sha384:
    case NID_sha512:
    case NID_sha512_224:
    case NID_sha512_256:
      return 2;
    default:
      return 4;
  }
}

PYOSSL_DECL std::uint64_t pbe_iterations(const ASN1_INTEGER* count) noexcept {
  if (count == nullptr) return 1;
  std::int64_t value = 0;
  if (ASN1_INTEGER_get_int64(&value, count) != 1 || value < 0 || value > INT_MAX) return pbe_refused;
  return value == 0 ? 1 : static_cast<std::uint64_t>(value);
}

PYOSSL_DECL std::uint64_t pbe_work(const X509_ALGOR* algorithm) {
  const ASN1_OBJECT* oid = nullptr;
  int type = 0;
  const void* parameter = nullptr;
  X509_ALGOR_get0(&oid, &type, &parameter, algorithm);
  if (OBJ_obj2nid(oid) != NID_pbes2) {
    const auto pbe = pbe_cost::decode_sequence<PBEPARAM>(type, parameter, d2i_PBEPARAM);
    return pbe ? pbe_times(pbe_iterations(pbe->iter), 3) : 1;
  }
  const auto pbes2 = pbe_cost::decode_sequence<PBE2PARAM>(type, parameter, d2i_PBE2PARAM);
  if (!pbes2 || pbes2->keyfunc == nullptr) return 1;
  X509_ALGOR_get0(&oid, &type, &parameter, pbes2->keyfunc);
  switch (OBJ_obj2nid(oid)) {
    case NID_id_pbkdf2: {
      const auto pbkdf2 = pbe_cost::decode_sequence<PBKDF2PARAM>(type, parameter, d2i_PBKDF2PARAM);
      if (!pbkdf2) return 1;
      const int digest = pbe_cost::pbkdf2_digest(*pbkdf2);
      return pbe_times(
          pbe_times(pbe_iterations(pbkdf2->iter), pbe_cost::pbkdf2_blocks(*pbes2, *pbkdf2, digest)),
          digest_weight(digest));
    }
    case NID_id_scrypt: {
      const auto scrypt = pbe_cost::decode_sequence<SCRYPT_PARAMS>(type, parameter, d2i_SCRYPT_PARAMS);
      return scrypt ? pbe_cost::scrypt_work(*scrypt) : 1;
    }
    default:
      return 1;
  }
}

PYOSSL_DECL unexpected<error> too_much_pbe_work(std::string_view operation) {
  return unexpected<error>(
      error(errc::invalid_argument, std::string(operation), {},
            "the file asks for more than " + std::to_string(pbe_max_iterations) +
                " key-derivation iterations in all, or hides how many (hostile, or far beyond what any "
                "exporter writes); refused before deriving anything"));
}

}  // namespace pyossl::detail
#endif  // PYOSSL_DEFINITIONS
