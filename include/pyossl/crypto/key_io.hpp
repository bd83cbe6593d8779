// pyossl::crypto's key functions of manual section 3.1: load_privatekey and
// dump_privatekey, and beyond the manual load_publickey and dump_publickey.
#pragma once

#include <string>
#include <string_view>
#include <utility>

#include <openssl/decoder.h>
#include <openssl/encoder.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "pyossl/crypto/detail/legacy.hpp"
#include "pyossl/crypto/detail/pbe_cost.hpp"
#include "pyossl/crypto/filetype.hpp"
#include "pyossl/crypto/passphrase.hpp"
#include "pyossl/crypto/pkey.hpp"
#include "pyossl/detail/c_string.hpp"
#include "pyossl/detail/config.hpp"
#include "pyossl/detail/handle.hpp"
#include "pyossl/detail/memory_bio.hpp"
#include "pyossl/detail/openssl_error.hpp"
#include "pyossl/error.hpp"

namespace pyossl::detail {

// Sums the key-derivation work of the encrypted PKCS#8 keys in `buffer` (every PEM block
// "ENCRYPTED PRIVATE KEY", or a DER EncryptedPrivateKeyInfo) before any is decrypted;
// errc::invalid_argument past pbe_max_iterations (pbe_cost.hpp), and for such a block that
// is PEM-encrypted as well, whose inner work cannot be read. What does not parse is left
// for the decoder to report.
[[nodiscard]] PYOSSL_DECL result<void> check_private_key_work(std::string_view operation, bool pem,
                                                              std::string_view buffer);

// A DER private key in any form (PKCS#8, encrypted PKCS#8, or the algorithm's own)
// through OSSL_DECODER.
[[nodiscard]] PYOSSL_DECL handle<EVP_PKEY> decode_der_private_key(std::string_view buffer,
                                                                  passphrase_request& request);

// `key` encoded by OSSL_ENCODER as `structure` ("PrivateKeyInfo", "SubjectPublicKeyInfo"),
// encrypted with `cipher` when it is not null.
[[nodiscard]] PYOSSL_DECL result<std::string> encode_key(std::string_view operation, EVP_PKEY* key,
                                                         int selection, crypto::filetype type,
                                                         const char* structure, const char* cipher,
                                                         passphrase_request& request);

}  // namespace pyossl::detail

namespace pyossl::crypto {

// Reads a private key (a key pair) from `buffer`. FILETYPE_PEM takes PKCS#8 ("BEGIN
// PRIVATE KEY", "BEGIN ENCRYPTED PRIVATE KEY") and the traditional per-algorithm forms
// ("BEGIN RSA PRIVATE KEY", encrypted with Proc-Type/DEK-Info too), skipping PEM blocks of
// other types before the key (PEM_read_bio_PrivateKey_ex). FILETYPE_ASN1 takes DER in the
// same forms, encrypted PKCS#8 included (OSSL_DECODER; pyOpenSSL could not decrypt DER).
// `pass` is asked for only if the key is encrypted; OpenSSL never prompts on a terminal.
// Fails with errc::crypto for garbage, truncated or empty buffers, PEM of another type, a
// public key, a wrong passphrase or none for an encrypted key; errc::invalid_argument for a
// bad `type` or a passphrase too long for OpenSSL. A callable passphrase's exception comes
// out of this call.
[[nodiscard]] PYOSSL_DECL result<PKey> load_privatekey(filetype type, std::string_view buffer,
                                                       const passphrase& pass = {});

// Writes the private key `key` as PKCS#8: PEM "BEGIN PRIVATE KEY", or with `cipher` (any
// name OpenSSL knows: "aes-256-cbc", "des-ede3-cbc"...) and `pass`, PEM "BEGIN ENCRYPTED
// PRIVATE KEY" (PBES2); FILETYPE_ASN1 writes DER PKCS#8 (OSSL_ENCODER, "PrivateKeyInfo").
// pyOpenSSL wrote the traditional per-algorithm form ("BEGIN RSA PRIVATE KEY"); every
// reader since OpenSSL 1.0 takes PKCS#8, and load_privatekey takes both. FILETYPE_TEXT
// writes what `openssl pkey -text -noout` prints (EVP_PKEY_print_private), for every key
// type where pyOpenSSL 0.11 printed RSA keys only.
// Fails with errc::invalid_argument for an empty or public-only key, a bad `type`, a
// cipher without a passphrase or a passphrase without a cipher, a cipher or passphrase with
// FILETYPE_ASN1 or FILETYPE_TEXT (as pyOpenSSL), an unknown cipher name (pyOpenSSL:
// ValueError) or a passphrase too long for OpenSSL; errc::unsupported for a cipher OpenSSL
// 3 keeps in its legacy provider ("bf-cbc", "des-cbc", "cast5-cbc") when that is not
// loaded; errc::crypto if OpenSSL cannot encrypt with that cipher or the passphrase is empty. A callable
// passphrase's exception comes out of this call.
[[nodiscard]] PYOSSL_DECL result<std::string> dump_privatekey(filetype type, const PKey& key,
                                                              std::string_view cipher = {},
                                                              const passphrase& pass = {});

// Reads a public key: a SubjectPublicKeyInfo ("BEGIN PUBLIC KEY" in PEM, as `openssl pkey
// -pubout` writes; the whole buffer as DER for FILETYPE_ASN1) (PEM_read_bio_PUBKEY_ex,
// d2i_PUBKEY_ex). The PKey has no private half. Beyond the manual (modern pyOpenSSL has
// it). As with pyOpenSSL on OpenSSL 3, PEM also takes a PKCS#1 "BEGIN RSA PUBLIC KEY";
// DER takes nothing but a SubjectPublicKeyInfo. Fails with errc::crypto for anything else
// (DER PKCS#1 or DH parameters, trailing DER bytes), errc::invalid_argument for a bad `type`.
[[nodiscard]] PYOSSL_DECL result<PKey> load_publickey(filetype type, std::string_view buffer);

// Writes the public half of `key` (a key pair or a public key) as a SubjectPublicKeyInfo:
// PEM "BEGIN PUBLIC KEY" or DER (OSSL_ENCODER). Beyond the manual. Fails with
// errc::invalid_argument for an empty key or a bad `type`.
[[nodiscard]] PYOSSL_DECL result<std::string> dump_publickey(filetype type, const PKey& key);

}  // namespace pyossl::crypto

// Definitions: inline, or compiled once in the compiled mode (pyossl/detail/config.hpp).
#if PYOSSL_DEFINITIONS

namespace pyossl::detail {

PYOSSL_DECL result<void> check_private_key_work(std::string_view operation, bool pem,
                                                std::string_view buffer) {
  const error_queue_mark mark;  // what does not parse here is the decoder's to report
  pbe_tally total;
  // PEM is decrypted twice when the first try fails (a wrong passphrase): OpenSSL 3.0's
  // PEM_read_bio_PrivateKey_ex runs its decoder, then its older PEM reader.
  const std::uint64_t passes = pem ? 2 : 1;
  const auto add_encrypted_key = [&total, passes](const unsigned char* der, long length) {
    const handle<X509_SIG> encrypted(d2i_X509_SIG(nullptr, &der, length));
    const X509_ALGOR* algorithm = nullptr;
    if (encrypted) X509_SIG_get0(encrypted.get(), &algorithm, nullptr);
    if (algorithm != nullptr) total.add(pbe_times(pbe_work(algorithm), passes));
  };
  if (!pem) {
    add_encrypted_key(reinterpret_cast<const unsigned char*>(buffer.data()),
                      static_cast<long>(buffer.size()));
  } else if (buffer.find(PEM_STRING_PKCS8) != std::string_view::npos) {
    auto in = input_bio(operation, buffer);
    if (!in) return unexpected(std::move(in).error());
    // Every block, as the decoder goes on past any it cannot use. Each read consumes what
    // it read; one that consumed nothing ends the scan, as it would end the decoder's.
    for (int left = BIO_pending(in->get()); left > 0 && !total.over();) {
      char* name = nullptr;
      char* header = nullptr;
      unsigned char* data = nullptr;
      long length = 0;
      const int read = PEM_read_bio(in->get(), &name, &header, &data, &length);
      const handle<char> owned_name(name), owned_header(header);
      const handle<unsigned char> owned_data(data);
      if (read == 1 && std::string_view(name) == PEM_STRING_PKCS8) {
        // PEM encryption around an encrypted PKCS#8 key hides the inner key's work until
        // the outer layer is off; no writer makes such a block.
        if (header != nullptr && *header != '\0') {
          total.add(pbe_refused);
        } else {
          add_encrypted_key(data, length);
        }
      }
      const int now_left = BIO_pending(in->get());
      if (now_left >= left) break;
      left = now_left;
    }
  }
  if (total.over()) return too_much_pbe_work(operation);
  return {};
}

PYOSSL_DECL handle<EVP_PKEY> decode_der_private_key(std::string_view buffer, passphrase_request& request) {
  EVP_PKEY* decoded = nullptr;
  handle<OSSL_DECODER_CTX> decoder(
      OSSL_DECODER_CTX_new_for_pkey(&decoded, "DER", nullptr, nullptr, EVP_PKEY_KEYPAIR, nullptr, nullptr));
  if (!decoder || OSSL_DECODER_CTX_set_pem_password_cb(decoder.get(), passphrase_callback, &request) != 1)
    return {};
  const auto* data = reinterpret_cast<const unsigned char*>(buffer.data());
  std::size_t length = buffer.size();
  if (OSSL_DECODER_from_data(decoder.get(), &data, &length) != 1) return {};
  return adopt(decoded);
}

PYOSSL_DECL result<std::string> encode_key(std::string_view operation, EVP_PKEY* key, int selection,
                                           crypto::filetype type, const char* structure, const char* cipher,
                                           passphrase_request& request) {
  const char* output = type == crypto::filetype::pem ? "PEM" : "DER";
  handle<OSSL_ENCODER_CTX> encoder(OSSL_ENCODER_CTX_new_for_pkey(key, selection, output, structure, nullptr));
  if (!encoder) return fail(errc::crypto, operation);
  if (OSSL_ENCODER_CTX_get_num_encoders(encoder.get()) == 0) {
    return fail(errc::crypto, operation, "OpenSSL has no encoder for this key type");
  }
  if (OSSL_ENCODER_CTX_set_pem_password_cb(encoder.get(), passphrase_callback, &request) != 1) {
    return fail(errc::crypto, operation);
  }
  if (cipher != nullptr && OSSL_ENCODER_CTX_set_cipher(encoder.get(), cipher, nullptr) != 1) {
    return fail(errc::crypto, operation);
  }
  handle<BIO> out = output_bio();
  const bool encoded = OSSL_ENCODER_to_bio(encoder.get(), out.get()) == 1;
  request.rethrow_pending();
  if (!encoded) return request.failure(operation);
  return bio_contents(out.get());
}

}  // namespace pyossl::detail

namespace pyossl::crypto {

PYOSSL_DECL result<PKey> load_privatekey(filetype type, std::string_view buffer, const passphrase& pass) {
  constexpr std::string_view operation = "load_privatekey";
  if (auto valid = detail::check_filetype(operation, type); !valid)
    return unexpected(std::move(valid).error());
  if (buffer.empty()) return detail::fail(errc::crypto, operation, "the buffer is empty");
  if (auto bounded = detail::check_private_key_work(operation, type == filetype::pem, buffer); !bounded)
    return unexpected(std::move(bounded).error());
  detail::passphrase_request request(pass, false);
  detail::handle<EVP_PKEY> key;
  if (type == filetype::pem) {
    auto in = detail::input_bio(operation, buffer);
    if (!in) return unexpected(std::move(in).error());
    key = detail::adopt(PEM_read_bio_PrivateKey_ex(in->get(), nullptr, detail::passphrase_callback, &request,
                                                   nullptr, nullptr));
  } else {
    key = detail::decode_der_private_key(buffer, request);
  }
  request.rethrow_pending();
  if (!key) return request.failure(operation);
  PKey loaded(std::move(key));
  if (!loaded.has_private_key()) {
    return detail::fail(errc::crypto, operation, "the buffer holds a public key, not a private key");
  }
  return loaded;
}

PYOSSL_DECL result<std::string> dump_privatekey(filetype type, const PKey& key, std::string_view cipher,
                                                const passphrase& pass) {
  constexpr std::string_view operation = "dump_privatekey";
  if (auto valid = detail::check_filetype(operation, type, detail::text_filetype::printed); !valid)
    return unexpected(std::move(valid).error());
  if (key.empty()) return detail::fail(errc::invalid_argument, operation, "the key is empty");
  if (type != filetype::pem && (!cipher.empty() || !pass.empty())) {
    return detail::fail(errc::invalid_argument, operation,
                        "a cipher and passphrase are only supported for FILETYPE_PEM");
  }
  if (cipher.empty() != pass.empty()) {
    return detail::fail(errc::invalid_argument, operation,
                        "a cipher needs a passphrase and a passphrase a cipher");
  }
  if (!key.has_private_key())
    return detail::fail(errc::invalid_argument, operation, "the key has no private half");
  if (type == filetype::text) {
    return detail::print_to_string(
        operation, [&](BIO* out) { return EVP_PKEY_print_private(out, key.native_handle(), 0, nullptr); });
  }
  std::string cipher_name;
  if (!cipher.empty()) {
    auto name = detail::c_string(operation, "cipher", cipher);
    if (!name) return unexpected(std::move(name).error());
    cipher_name = std::move(*name);
    const auto fetchable = [](const char* algorithm) {
      return detail::handle<EVP_CIPHER>(EVP_CIPHER_fetch(nullptr, algorithm, nullptr)) != nullptr;
    };
    if (!fetchable(cipher_name.c_str())) {
      if (detail::only_in_legacy_provider(cipher_name.c_str(), EVP_get_cipherbyname, EVP_CIPHER_get_type,
                                          fetchable))
        return detail::legacy_algorithm(operation, cipher_name);
      return detail::fail(errc::invalid_argument, operation, "unknown cipher \"" + cipher_name + "\"");
    }
  }
  detail::passphrase_request request(pass, true);
  return detail::encode_key(operation, key.native_handle(), EVP_PKEY_KEYPAIR, type, "PrivateKeyInfo",
                            cipher.empty() ? nullptr : cipher_name.c_str(), request);
}

PYOSSL_DECL result<PKey> load_publickey(filetype type, std::string_view buffer) {
  constexpr std::string_view operation = "load_publickey";
  if (auto valid = detail::check_filetype(operation, type); !valid)
    return unexpected(std::move(valid).error());
  if (buffer.empty()) return detail::fail(errc::crypto, operation, "the buffer is empty");
  const passphrase none;
  detail::passphrase_request request(none, false);
  detail::handle<EVP_PKEY> key;
  if (type == filetype::pem) {
    auto in = detail::input_bio(operation, buffer);
    if (!in) return unexpected(std::move(in).error());
    key = detail::adopt(
        PEM_read_bio_PUBKEY_ex(in->get(), nullptr, detail::passphrase_callback, &request, nullptr, nullptr));
  } else {
    // d2i_PUBKEY, as pyOpenSSL: OpenSSL 3.0's decoder ignores the structure name and
    // reads DER DH parameters or a PKCS#1 RSAPublicKey as a key.
    const auto* data = reinterpret_cast<const unsigned char*>(buffer.data());
    key = detail::adopt(d2i_PUBKEY_ex(nullptr, &data, static_cast<long>(buffer.size()), nullptr, nullptr));
    if (!key)
      return detail::fail(errc::crypto, operation,
                          ERR_peek_error() == 0 ? "not a DER SubjectPublicKeyInfo" : "");
    if (data != reinterpret_cast<const unsigned char*>(buffer.data()) + buffer.size()) {
      return detail::fail(errc::crypto, operation, "trailing bytes after the DER SubjectPublicKeyInfo");
    }
  }
  if (!key) return request.failure(operation);
  return PKey(std::move(key));
}

PYOSSL_DECL result<std::string> dump_publickey(filetype type, const PKey& key) {
  constexpr std::string_view operation = "dump_publickey";
  if (auto valid = detail::check_filetype(operation, type); !valid)
    return unexpected(std::move(valid).error());
  if (key.empty()) return detail::fail(errc::invalid_argument, operation, "the key is empty");
  const passphrase none;
  detail::passphrase_request request(none, true);
  return detail::encode_key(operation, key.native_handle(), EVP_PKEY_PUBLIC_KEY, type, "SubjectPublicKeyInfo",
                            nullptr, request);
}

}  // namespace pyossl::crypto
#endif  // PYOSSL_DEFINITIONS
