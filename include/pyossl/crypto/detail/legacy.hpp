// Telling "OpenSSL 3 moved this algorithm to its legacy provider" from "no such
// algorithm", for digest and cipher names (fetch_digest, dump_privatekey's cipher).
#pragma once

#include <string>
#include <string_view>

#include <openssl/objects.h>

#include "pyossl/detail/config.hpp"
#include "pyossl/detail/openssl_error.hpp"
#include "pyossl/error.hpp"

namespace pyossl::detail {

// Whether `name` is an algorithm OpenSSL knows but cannot fetch from the providers loaded:
// one OpenSSL 3 moved to its legacy provider (MD4, Whirlpool, Blowfish, CAST5, DES, RC2,
// SEED). `legacy_by_name` is EVP_get_digestbyname or EVP_get_cipherbyname, `type_of` the
// matching EVP_*_get_type, `fetch_by_name` tries a fetch.
template <class Legacy, class TypeOf, class FetchByName>
[[nodiscard]] bool only_in_legacy_provider(const char* name, Legacy legacy_by_name, TypeOf type_of,
                                           FetchByName fetch_by_name) {
  const error_queue_mark mark;  // the failed fetches are not the report
  const auto* legacy = legacy_by_name(name);
  if (legacy == nullptr) return false;
  const char* canonical = OBJ_nid2sn(type_of(legacy));
  return canonical != nullptr && !fetch_by_name(canonical);
}

// The failure for an algorithm `name` that OpenSSL 3 provides only in its legacy provider.
[[nodiscard]] PYOSSL_DECL unexpected<error> legacy_algorithm(std::string_view operation,
                                                             const std::string& name);

}  // namespace pyossl::detail

// Definitions: inline, or compiled once in the compiled mode (pyossl/detail/config.hpp).
#if PYOSSL_DEFINITIONS

namespace pyossl::detail {

PYOSSL_DECL unexpected<error> legacy_algorithm(std::string_view operation, const std::string& name) {
  return fail(errc::unsupported, operation,
              name +
                  " is not available: OpenSSL 3 provides it only in its legacy provider, which is not loaded "
                  "(OSSL_PROVIDER_load(nullptr, \"legacy\") loads it; load \"default\" beside it)");
}

}  // namespace pyossl::detail
#endif  // PYOSSL_DEFINITIONS
