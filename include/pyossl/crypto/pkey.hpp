// pyossl::crypto::PKey — pyOpenSSL's PKey (manual 3.1.5): a key pair or a public key.
#pragma once

#include <new>
#include <string_view>
#include <utility>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "pyossl/crypto/filetype.hpp"
#include "pyossl/detail/config.hpp"
#include "pyossl/detail/handle.hpp"
#include "pyossl/detail/openssl_error.hpp"
#include "pyossl/error.hpp"

namespace pyossl::detail {

// Runs one EVP_PKEY_CTX through keygen (or paramgen) with `params`, OpenSSL 3's EVP way.
template <class Init, class Generate>
[[nodiscard]] inline result<handle<EVP_PKEY>> run_keygen(EVP_PKEY_CTX* context, const OSSL_PARAM* params,
                                                         Init init, Generate generate,
                                                         std::string_view operation) {
  if (init(context) <= 0) return fail(errc::crypto, operation);
  if (params != nullptr && EVP_PKEY_CTX_set_params(context, params) <= 0)
    return fail(errc::crypto, operation);
  EVP_PKEY* generated = nullptr;
  if (generate(context, &generated) <= 0) return fail(errc::crypto, operation);
  return adopt(generated);
}

// A new key of the algorithm OpenSSL calls `algorithm`, made with `params`
// (EVP_PKEY_CTX_new_from_name, EVP_PKEY_keygen_init, EVP_PKEY_CTX_set_params, EVP_PKEY_keygen).
[[nodiscard]] PYOSSL_DECL result<handle<EVP_PKEY>> generate_pkey(const char* algorithm,
                                                                 const OSSL_PARAM* params);

// A DSA key pair: domain parameters first (EVP_PKEY_paramgen), then a key in them.
[[nodiscard]] PYOSSL_DECL result<handle<EVP_PKEY>> generate_dsa(int bits);

// The named group a size selects for EC (NIST curves) and DH (RFC 7919 groups), or nullptr.
[[nodiscard]] PYOSSL_DECL const char* ec_curve_for_bits(int bits) noexcept;
[[nodiscard]] PYOSSL_DECL const char* dh_group_for_bits(int bits) noexcept;

[[nodiscard]] PYOSSL_DECL result<handle<EVP_PKEY>> generate_in_group(const char* algorithm,
                                                                     const char* group);

}  // namespace pyossl::detail

namespace pyossl::crypto {

// A key pair or a public key. Keys never change once made, so copies share one
// EVP_PKEY by reference count (EVP_PKEY_up_ref); generate_key gives this PKey a new key
// and leaves copies holding the old one.
class PKey {
 public:
  // An empty key, like pyOpenSSL's PKey(); generate_key fills it. Anything that needs a
  // key fails with errc::invalid_argument when given an empty one.
  PKey() noexcept = default;

  // Adopts a key the caller owns (from EVP_PKEY_new, d2i_..., X509_get_pubkey...).
  explicit PKey(detail::handle<EVP_PKEY> key) noexcept : key_(std::move(key)) {}

  // Shares the other key (EVP_PKEY_up_ref). Throws std::bad_alloc if OpenSSL cannot.
  PKey(const PKey& other) : key_(share(other.key_.get())) {}
  PKey& operator=(const PKey& other);
  PKey(PKey&&) noexcept = default;
  PKey& operator=(PKey&&) noexcept = default;
  ~PKey() = default;

  // Generates a new key pair of `type` and makes this PKey hold it, with OpenSSL 3's EVP
  // keygen (EVP_PKEY_CTX_new_from_name, EVP_PKEY_keygen; DSA runs EVP_PKEY_paramgen first).
  // `bits`: the modulus size for TYPE_RSA and TYPE_DSA (as pyOpenSSL); the curve for
  // TYPE_EC (256 = P-256, 384 = P-384, 521 = P-521); the RFC 7919 group for TYPE_DH (2048,
  // 3072, 4096, 6144, 8192 = ffdheN); ignored for TYPE_ED25519 and TYPE_ED448.
  // Fails with errc::invalid_argument for another type, bits <= 0, or a size with no
  // curve/group; errc::crypto when OpenSSL refuses (an RSA key below 512 bits). On failure
  // the key held before is kept.
  [[nodiscard]] result<void> generate_key(key_type type, int bits);

  // The key's size in bits (EVP_PKEY_get_bits): the modulus for RSA, DSA and DH, the
  // curve's order for EC (256 for P-256), 256 for Ed25519, 456 for Ed448; 0 when empty.
  [[nodiscard]] int bits() const noexcept;

  // The key's algorithm (EVP_PKEY_get_id): TYPE_RSA, TYPE_DSA, TYPE_EC...; key_type::none
  // when empty (pyOpenSSL 0.10 returned garbage for an empty key).
  [[nodiscard]] key_type type() const noexcept;

  // True if the key has its private half, false for a public key (one from
  // load_publickey or X509::get_pubkey) or an empty PKey. Beyond the manual.
  // Asks the key's provider for its parameters (EVP_PKEY_todata) and looks for the private
  // component; a key whose provider refuses to export it (a hardware token) reads as false.
  [[nodiscard]] bool has_private_key() const noexcept;

  // Checks that a private key is consistent: its public and private halves match and its
  // parameters are sound (EVP_PKEY_check). Modern pyOpenSSL calls RSA_check_key and checks
  // RSA keys only (TypeError for the rest); pyossl checks every type OpenSSL can.
  // Fails with errc::crypto if the key is inconsistent, errc::invalid_argument for an empty
  // or public-only key (pyOpenSSL: TypeError), errc::unsupported if the key's algorithm has
  // no check.
  [[nodiscard]] result<void> check() const;

  // The EVP_PKEY for use with OpenSSL directly (still owned by this PKey); nullptr when empty.
  [[nodiscard]] EVP_PKEY* native_handle() const noexcept { return key_.get(); }

  // True for a PKey that holds no key (default-constructed, or moved from).
  [[nodiscard]] bool empty() const noexcept { return !key_; }

 private:
  [[nodiscard]] static detail::handle<EVP_PKEY> share(EVP_PKEY* key);

  [[nodiscard]] static result<detail::handle<EVP_PKEY>> generate(key_type type, int bits,
                                                                 std::string_view operation);

  detail::handle<EVP_PKEY> key_;
};

}  // namespace pyossl::crypto

// Definitions: inline, or compiled once in the compiled mode (pyossl/detail/config.hpp).
#if PYOSSL_DEFINITIONS

namespace pyossl::detail {

PYOSSL_DECL result<handle<EVP_PKEY>> generate_pkey(const char* algorithm, const OSSL_PARAM* params) {
  handle<EVP_PKEY_CTX> context(EVP_PKEY_CTX_new_from_name(nullptr, algorithm, nullptr));
  if (!context) return fail(errc::crypto, "EVP_PKEY_CTX_new_from_name");
  return run_keygen(context.get(), params, EVP_PKEY_keygen_init, EVP_PKEY_keygen, "EVP_PKEY_keygen");
}

PYOSSL_DECL result<handle<EVP_PKEY>> generate_dsa(int bits) {
  // pyOpenSSL's DSA_generate_parameters_ex chose q: 160 bits below L = 2048, else 256.
  unsigned int pbits = static_cast<unsigned int>(bits);
  unsigned int qbits = bits < 2048 ? 160U : 256U;
  const OSSL_PARAM params[] = {OSSL_PARAM_construct_uint(OSSL_PKEY_PARAM_FFC_PBITS, &pbits),
                               OSSL_PARAM_construct_uint(OSSL_PKEY_PARAM_FFC_QBITS, &qbits),
                               OSSL_PARAM_construct_end()};
  handle<EVP_PKEY_CTX> param_context(EVP_PKEY_CTX_new_from_name(nullptr, "DSA", nullptr));
  if (!param_context) return fail(errc::crypto, "EVP_PKEY_CTX_new_from_name");
  auto domain =
      run_keygen(param_context.get(), params, EVP_PKEY_paramgen_init, EVP_PKEY_paramgen, "EVP_PKEY_paramgen");
  if (!domain) return unexpected(std::move(domain).error());
  handle<EVP_PKEY_CTX> key_context(EVP_PKEY_CTX_new_from_pkey(nullptr, domain->get(), nullptr));
  if (!key_context) return fail(errc::crypto, "EVP_PKEY_CTX_new_from_pkey");
  return run_keygen(key_context.get(), nullptr, EVP_PKEY_keygen_init, EVP_PKEY_keygen, "EVP_PKEY_keygen");
}

PYOSSL_DECL const char* ec_curve_for_bits(int bits) noexcept {
  switch (bits) {
    case 256:
      return "P-256";
    case 384:
      return "P-384";
    case 521:
      return "P-521";
    default:
      return nullptr;
  }
}

PYOSSL_DECL const char* dh_group_for_bits(int bits) noexcept {
  switch (bits) {
    case 2048:
      return "ffdhe2048";
    case 3072:
      return "ffdhe3072";
    case 4096:
      return "ffdhe4096";
    case 6144:
      return "ffdhe6144";
    case 8192:
      return "ffdhe8192";
    default:
      return nullptr;
  }
}

PYOSSL_DECL result<handle<EVP_PKEY>> generate_in_group(const char* algorithm, const char* group) {
  const OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, const_cast<char*>(group), 0),
      OSSL_PARAM_construct_end()};
  return generate_pkey(algorithm, params);
}

}  // namespace pyossl::detail

namespace pyossl::crypto {

PYOSSL_DECL PKey& PKey::operator=(const PKey& other) {
  if (this != &other) key_ = share(other.key_.get());
  return *this;
}

PYOSSL_DECL result<void> PKey::generate_key(key_type type, int bits) {
  constexpr std::string_view operation = "PKey::generate_key";
  auto generated = generate(type, bits, operation);
  if (!generated) return unexpected(std::move(generated).error());
  key_ = std::move(*generated);
  return {};
}

PYOSSL_DECL int PKey::bits() const noexcept { return key_ ? EVP_PKEY_get_bits(key_.get()) : 0; }

PYOSSL_DECL key_type PKey::type() const noexcept {
  if (!key_) return key_type::none;
  const int id = EVP_PKEY_get_id(key_.get());
  return id > 0 ? static_cast<key_type>(id) : key_type::none;
}

PYOSSL_DECL bool PKey::has_private_key() const noexcept {
  if (!key_) return false;
  const detail::error_queue_mark keep_queue_clean;
  OSSL_PARAM* exported = nullptr;
  if (EVP_PKEY_todata(key_.get(), EVP_PKEY_KEYPAIR, &exported) != 1) return false;
  const detail::handle<OSSL_PARAM> params(exported);
  return OSSL_PARAM_locate_const(params.get(), OSSL_PKEY_PARAM_PRIV_KEY) != nullptr ||
         OSSL_PARAM_locate_const(params.get(), OSSL_PKEY_PARAM_RSA_D) != nullptr;
}

PYOSSL_DECL result<void> PKey::check() const {
  constexpr std::string_view operation = "PKey::check";
  if (!key_) return detail::fail(errc::invalid_argument, operation, "the key is empty");
  if (!has_private_key()) return detail::fail(errc::invalid_argument, operation, "the key is public only");
  detail::handle<EVP_PKEY_CTX> context(EVP_PKEY_CTX_new_from_pkey(nullptr, key_.get(), nullptr));
  if (!context) return detail::fail(errc::crypto, "EVP_PKEY_CTX_new_from_pkey");
  const int verdict = EVP_PKEY_check(context.get());
  if (verdict == -2)
    return detail::fail(errc::unsupported, "EVP_PKEY_check", "this key type cannot be checked");
  if (verdict != 1) return detail::fail(errc::crypto, "EVP_PKEY_check", "the key is inconsistent");
  return {};
}

PYOSSL_DECL detail::handle<EVP_PKEY> PKey::share(EVP_PKEY* key) {
  if (key == nullptr) return {};
  auto shared = detail::up_ref(key);
  if (!shared) throw std::bad_alloc();
  return shared;
}

PYOSSL_DECL result<detail::handle<EVP_PKEY>> PKey::generate(key_type type, int bits,
                                                            std::string_view operation) {
  switch (type) {
    case key_type::rsa: {
      if (bits <= 0) return detail::fail(errc::invalid_argument, operation, "bits must be positive");
      unsigned int modulus_bits = static_cast<unsigned int>(bits);
      const OSSL_PARAM params[] = {OSSL_PARAM_construct_uint(OSSL_PKEY_PARAM_RSA_BITS, &modulus_bits),
                                   OSSL_PARAM_construct_end()};
      return detail::generate_pkey("RSA", params);
    }
    case key_type::dsa:
      if (bits <= 0) return detail::fail(errc::invalid_argument, operation, "bits must be positive");
      return detail::generate_dsa(bits);
    case key_type::ec: {
      const char* curve = detail::ec_curve_for_bits(bits);
      if (curve == nullptr)
        return detail::fail(errc::invalid_argument, operation, "EC bits must be 256, 384 or 521");
      return detail::generate_in_group("EC", curve);
    }
    case key_type::dh: {
      const char* group = detail::dh_group_for_bits(bits);
      if (group == nullptr) {
        return detail::fail(errc::invalid_argument, operation,
                            "DH bits must be 2048, 3072, 4096, 6144 or 8192");
      }
      return detail::generate_in_group("DH", group);
    }
    case key_type::ed25519:
      return detail::generate_pkey("ED25519", nullptr);
    case key_type::ed448:
      return detail::generate_pkey("ED448", nullptr);
    case key_type::none:
      break;
  }
  return detail::fail(errc::invalid_argument, operation, "unknown key type");
}

}  // namespace pyossl::crypto
#endif  // PYOSSL_DEFINITIONS
