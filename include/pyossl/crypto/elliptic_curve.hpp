// pyossl::crypto::get_elliptic_curves and get_elliptic_curve (pyOpenSSL 0.15): the named
// elliptic curves this OpenSSL offers, to choose the key exchange curve of a TLS server
// with ssl::Context::set_tmp_ecdh.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <openssl/ec.h>
#include <openssl/objects.h>

#include "pyossl/detail/c_string.hpp"
#include "pyossl/detail/config.hpp"
#include "pyossl/detail/openssl_error.hpp"
#include "pyossl/error.hpp"

namespace pyossl::crypto {

// One named curve (pyOpenSSL's _EllipticCurve), from get_elliptic_curves or
// get_elliptic_curve; known by OpenSSL's short name, "prime256v1", pyOpenSSL's `curve.name`.
// It converts to that name, so `ctx.set_tmp_ecdh(curve)` ports as it is.
class EllipticCurve {
 public:
  // OpenSSL's short name: "prime256v1", "secp384r1", "brainpoolP256r1".
  [[nodiscard]] const std::string& name() const noexcept { return name_; }
  // OpenSSL's NID for the curve (NID_X9_62_prime256v1...).
  [[nodiscard]] int nid() const noexcept { return nid_; }
  // The short name, for the std::string_view overloads (Context::set_tmp_ecdh).
  operator std::string_view() const noexcept { return name_; }  // NOLINT(google-explicit-constructor)

  friend bool operator==(const EllipticCurve& a, const EllipticCurve& b) noexcept { return a.nid_ == b.nid_; }

 private:
  friend std::vector<EllipticCurve> get_elliptic_curves();
  EllipticCurve(int nid, std::string name) : nid_(nid), name_(std::move(name)) {}

  int nid_;
  std::string name_;
};

// Every named curve this OpenSSL has built in, in OpenSSL's order. Calls
// EC_get_builtin_curves (pyOpenSSL returns a set of the same curves). X25519 and X448 are
// not among them: they are TLS groups, chosen with Context::set_groups.
[[nodiscard]] PYOSSL_DECL std::vector<EllipticCurve> get_elliptic_curves();

// The built-in curve named `name`: OpenSSL's short name ("prime256v1", as pyOpenSSL
// takes) or, beyond pyOpenSSL, its NIST name ("P-256"). Calls EC_get_builtin_curves and
// EC_curve_nist2nid. An unknown name or one with a NUL byte: errc::invalid_argument
// (pyOpenSSL: ValueError "unknown curve name").
[[nodiscard]] PYOSSL_DECL result<EllipticCurve> get_elliptic_curve(std::string_view name);

}  // namespace pyossl::crypto

// Definitions: inline, or compiled once in the compiled mode (pyossl/detail/config.hpp).
#if PYOSSL_DEFINITIONS

namespace pyossl::crypto {

PYOSSL_DECL std::vector<EllipticCurve> get_elliptic_curves() {
  std::vector<EC_builtin_curve> builtin(EC_get_builtin_curves(nullptr, 0));
  builtin.resize(EC_get_builtin_curves(builtin.data(), builtin.size()));
  std::vector<EllipticCurve> curves;
  curves.reserve(builtin.size());
  for (const EC_builtin_curve& curve : builtin) {
    if (const char* name = OBJ_nid2sn(curve.nid)) curves.push_back(EllipticCurve(curve.nid, name));
  }
  return curves;
}

PYOSSL_DECL result<EllipticCurve> get_elliptic_curve(std::string_view name) {
  constexpr std::string_view operation = "get_elliptic_curve";
  auto text = detail::c_string(operation, "curve name", name);
  if (!text) return unexpected(std::move(text).error());
  const int nist = EC_curve_nist2nid(text->c_str());
  for (EllipticCurve& curve : get_elliptic_curves()) {
    if (curve.name() == *text || curve.nid() == nist) return std::move(curve);
  }
  return detail::fail(errc::invalid_argument, operation, "unknown curve name: " + *text);
}

}  // namespace pyossl::crypto
#endif  // PYOSSL_DEFINITIONS
