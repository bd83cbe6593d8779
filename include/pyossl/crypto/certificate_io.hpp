// pyossl::crypto's certificate and request functions of manual section 3.1:
// load_certificate, dump_certificate, load_certificate_request, dump_certificate_request
// (PEM or DER).
#pragma once

#include <string>
#include <string_view>
#include <utility>

#include <openssl/pem.h>
#include <openssl/x509.h>

#include "pyossl/crypto/filetype.hpp"
#include "pyossl/crypto/key_io.hpp"
#include "pyossl/crypto/passphrase.hpp"
#include "pyossl/crypto/x509.hpp"
#include "pyossl/crypto/x509_req.hpp"
#include "pyossl/detail/config.hpp"
#include "pyossl/detail/der.hpp"
#include "pyossl/detail/handle.hpp"
#include "pyossl/detail/memory_bio.hpp"
#include "pyossl/detail/openssl_error.hpp"
#include "pyossl/error.hpp"

namespace pyossl::detail {

// How FILETYPE_TEXT prints names: -nameopt oneline ("CN = x, O = y", bytes outside ASCII
// escaped as \C3\BC), the openssl CLI's default before OpenSSL 3.2. Kept on every OpenSSL
// version, so the text a ported program parses does not change with the library under it.
inline constexpr unsigned long text_name_flags = XN_FLAG_ONELINE;

// Reads one object of a PEM or DER buffer for a load_* function: `read_pem` (a
// PEM_read_bio_* function) or `read_der` (a d2i_* function), which must use all of a DER
// buffer. PEM never prompts for a passphrase (certificates and requests are not
// encrypted): the passphrase callback has none to give.
template <class T>
[[nodiscard]] result<handle<T>> load_object(std::string_view operation, crypto::filetype type,
                                            std::string_view buffer,
                                            T* (*read_pem)(BIO*, T**, pem_password_cb*, void*),
                                            T* (*read_der)(T**, const unsigned char**, long),
                                            std::string_view what) {
  if (auto valid = check_filetype(operation, type); !valid) return unexpected(std::move(valid).error());
  if (buffer.empty()) return fail(errc::crypto, operation, "the buffer is empty");
  // OpenSSL's decoders can succeed and still leave complaints queued (a CRL whose entry
  // extensions do not decode, found by fuzz/load_crl): a failure drains them into its
  // error, a success drops them when this scope ends.
  const error_queue_mark mark;
  if (type == crypto::filetype::pem) {
    auto in = input_bio(operation, buffer);
    if (!in) return unexpected(std::move(in).error());
    const crypto::passphrase none;
    passphrase_request request(none, false);
    handle<T> object(read_pem(in->get(), nullptr, passphrase_callback, &request));
    if (!object)
      return fail(errc::crypto, operation,
                  ERR_peek_error() == 0 ? "no PEM " + std::string(what) + " found" : "");
    return object;
  }
  const auto* data = reinterpret_cast<const unsigned char*>(buffer.data());
  const auto* const end = data + buffer.size();
  handle<T> object(read_der(nullptr, &data, static_cast<long>(buffer.size())));
  if (!object)
    return fail(errc::crypto, operation, ERR_peek_error() == 0 ? "not a DER " + std::string(what) : "");
  if (data != end) return fail(errc::crypto, operation, "trailing bytes after the DER " + std::string(what));
  return object;
}

// Writes `object` as PEM (`write_pem`, a PEM_write_bio_* function) or DER (`i2d`).
template <class T>
[[nodiscard]] result<std::string> dump_object(std::string_view operation, crypto::filetype type,
                                              const T* object, int (*write_pem)(BIO*, const T*),
                                              int (*i2d)(const T*, unsigned char**),
                                              std::string_view reason) {
  if (auto valid = check_filetype(operation, type); !valid) return unexpected(std::move(valid).error());
  if (object == nullptr) return fail(errc::invalid_argument, operation, "the object was moved from");
  if (type == crypto::filetype::asn1) return encode_der(operation, object, i2d, reason);
  const handle<BIO> out = output_bio();
  if (write_pem(out.get(), object) != 1) return fail(errc::crypto, operation, reason);
  return bio_contents(out.get());
}

}  // namespace pyossl::detail

namespace pyossl::crypto {

// Reads a certificate from `buffer`: PEM ("BEGIN CERTIFICATE"; the first one, if the
// buffer holds several, and any text around it is skipped) for FILETYPE_PEM, DER for
// FILETYPE_ASN1 (the whole buffer). Calls PEM_read_bio_X509 / d2i_X509. An empty,
// truncated or garbled buffer, PEM of another kind (a key, a request), trailing bytes
// after DER: errc::crypto; a bad `type`: errc::invalid_argument.
[[nodiscard]] PYOSSL_DECL result<X509> load_certificate(filetype type, std::string_view buffer);

// Writes `cert` as PEM ("BEGIN CERTIFICATE") or DER. Calls PEM_write_bio_X509 / i2d_X509.
// FILETYPE_TEXT (pyOpenSSL 0.11) writes what `openssl x509 -text -noout -nameopt oneline`
// prints, byte for byte (X509_print_ex; names "CN = x, O = y", the CLI's default before
// OpenSSL 3.2; pyOpenSSL used the older "CN=x, O=y"). A certificate that was never signed cannot be encoded
// as PEM or DER: errc::crypto; a bad `type`: errc::invalid_argument.
[[nodiscard]] PYOSSL_DECL result<std::string> dump_certificate(filetype type, const X509& cert);

// Reads a certificate signing request from `buffer`: PEM ("BEGIN CERTIFICATE REQUEST" or
// "BEGIN NEW CERTIFICATE REQUEST"; the first one) for FILETYPE_PEM, DER for FILETYPE_ASN1
// (the whole buffer). Calls PEM_read_bio_X509_REQ / d2i_X509_REQ. The signature is not
// checked (X509Req::verify does that). An empty, truncated or garbled buffer, PEM of
// another kind, trailing bytes after DER: errc::crypto; a bad `type`:
// errc::invalid_argument.
[[nodiscard]] PYOSSL_DECL result<X509Req> load_certificate_request(filetype type, std::string_view buffer);

// Writes `request` as PEM ("BEGIN CERTIFICATE REQUEST") or DER. Calls
// PEM_write_bio_X509_REQ / i2d_X509_REQ. FILETYPE_TEXT writes what `openssl req -text
// -noout -nameopt oneline` prints (X509_REQ_print_ex, names as in dump_certificate). A request that was
// never signed cannot be encoded as PEM or DER: errc::crypto; a bad `type`:
// errc::invalid_argument.
[[nodiscard]] PYOSSL_DECL result<std::string> dump_certificate_request(filetype type, const X509Req& request);

}  // namespace pyossl::crypto

// Definitions: inline, or compiled once in the compiled mode (pyossl/detail/config.hpp).
#if PYOSSL_DEFINITIONS

namespace pyossl::crypto {

PYOSSL_DECL result<X509> load_certificate(filetype type, std::string_view buffer) {
  auto cert = detail::load_object<::X509>("load_certificate", type, buffer, PEM_read_bio_X509, d2i_X509,
                                          "certificate");
  if (!cert) return unexpected(std::move(cert).error());
  return X509(std::move(*cert));
}

PYOSSL_DECL result<std::string> dump_certificate(filetype type, const X509& cert) {
  if (auto valid = detail::check_filetype("dump_certificate", type, detail::text_filetype::printed); !valid)
    return unexpected(std::move(valid).error());
  if (type == filetype::text) {
    if (cert.native_handle() == nullptr)
      return detail::fail(errc::invalid_argument, "dump_certificate", "the certificate was moved from");
    return detail::print_to_string("dump_certificate", [&](BIO* out) {
      return X509_print_ex(out, cert.native_handle(), detail::text_name_flags, 0);
    });
  }
  return detail::dump_object<::X509>("dump_certificate", type, cert.native_handle(), PEM_write_bio_X509,
                                     i2d_X509, "cannot encode the certificate (it must be signed first)");
}

PYOSSL_DECL result<X509Req> load_certificate_request(filetype type, std::string_view buffer) {
  auto request = detail::load_object<X509_REQ>("load_certificate_request", type, buffer,
                                               PEM_read_bio_X509_REQ, d2i_X509_REQ, "certificate request");
  if (!request) return unexpected(std::move(request).error());
  return X509Req(std::move(*request));
}

PYOSSL_DECL result<std::string> dump_certificate_request(filetype type, const X509Req& request) {
  if (auto valid = detail::check_filetype("dump_certificate_request", type, detail::text_filetype::printed);
      !valid)
    return unexpected(std::move(valid).error());
  if (type == filetype::text) {
    if (request.native_handle() == nullptr)
      return detail::fail(errc::invalid_argument, "dump_certificate_request", "the request was moved from");
    return detail::print_to_string("dump_certificate_request", [&](BIO* out) {
      return X509_REQ_print_ex(out, request.native_handle(), detail::text_name_flags, 0);
    });
  }
  return detail::dump_object<X509_REQ>("dump_certificate_request", type, request.native_handle(),
                                       PEM_write_bio_X509_REQ, i2d_X509_REQ,
                                       "cannot encode the request (it must be signed first)");
}

}  // namespace pyossl::crypto
#endif  // PYOSSL_DEFINITIONS
