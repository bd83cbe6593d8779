// pyossl::crypto::X509Extension — pyOpenSSL's crypto.X509Extension (manual 3.1.8): one
// X.509 v3 extension, made from OpenSSL's config syntax ("basicConstraints", "CA:TRUE")
// and added to certificates (X509::add_extensions) and requests (X509Req::add_extensions).
#pragma once

#include <new>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include <openssl/bio.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "pyossl/crypto/x509_name.hpp"
#include "pyossl/detail/c_string.hpp"
#include "pyossl/detail/config.hpp"
#include "pyossl/detail/handle.hpp"
#include "pyossl/detail/memory_bio.hpp"
#include "pyossl/detail/openssl_error.hpp"
#include "pyossl/error.hpp"

namespace pyossl::crypto {
class X509;
}  // namespace pyossl::crypto

namespace pyossl::detail {
// The certificate inside `certificate`, or nullptr; defined in crypto/x509.hpp (which
// this header includes at its end) once X509 is complete.
[[nodiscard]] inline ::X509* certificate_of(const crypto::X509* certificate) noexcept;
}  // namespace pyossl::detail

namespace pyossl::detail {

// The bytes of an IA5String (a DNS name, email address or URI), as they are.
[[nodiscard]] PYOSSL_DECL std::string ia5_text(const ASN1_STRING* text);

// One subjectAltName entry as pyOpenSSL's str(extension) shows it: "DNS:", "email:" and
// "URI:" followed by the name itself; the other kinds as GENERAL_NAME_print writes them
// ("DirName:CN = test, O = Org", "IP Address:10.0.0.1", "Registered ID:1.2.3.4",
// "othername:UPN:user@example.com"). The one difference: an otherName of a type OpenSSL
// cannot print, where pyOpenSSL shows "othername:<unsupported>", reads as
// "othername:<OID>:<value>" (other_name_text).
[[nodiscard]] PYOSSL_DECL std::string general_name_text(GENERAL_NAME* name);

// An otherName as "othername:<type>:<value>": the type's short name or dotted OID, the
// value's bytes if it is a UTF8String or IA5String, "<unsupported>" otherwise.
[[nodiscard]] PYOSSL_DECL std::string other_name_text(GENERAL_NAME* name);

// A subjectAltName's entries joined by ", ", as pyOpenSSL's str(extension); std::nullopt if
// the value does not decode (X509V3_EXT_d2i).
[[nodiscard]] PYOSSL_DECL std::optional<std::string> subject_alt_name_text(X509_EXTENSION* extension);

}  // namespace pyossl::detail

namespace pyossl::crypto {

class X509Extension {
 public:
  // Adopts an extension the caller owns.
  explicit X509Extension(detail::handle<X509_EXTENSION> extension) noexcept
      : extension_(std::move(extension)) {}

  // Copies are independent extensions (X509_EXTENSION_dup).
  X509Extension(const X509Extension& other) : extension_(duplicate(other.extension_.get())) {}
  X509Extension& operator=(const X509Extension& other);
  // A moved-from X509Extension holds nothing: adding it fails with errc::invalid_argument.
  X509Extension(X509Extension&&) noexcept = default;
  X509Extension& operator=(X509Extension&&) noexcept = default;
  ~X509Extension() = default;

  // The manual's X509Extension(typename, critical, value[, subject][, issuer]): the
  // extension `type_name` (a short name such as "basicConstraints", "keyUsage",
  // "subjectAltName", "subjectKeyIdentifier"; a long name or dotted OID also works) with
  // `value` in OpenSSL's x509v3_config syntax ("CA:TRUE, pathlen:0", "DNS:a.example,
  // IP:10.0.0.1", "hash", "keyid:always", "DER:01:02" for any OID), marked critical if
  // `critical`. `subject` and `issuer` are the certificates that "hash" (subject key
  // identifier) and "keyid"/"issuer" (authority key identifier) read their keys and names
  // from. Calls X509V3_EXT_nconf_nid (X509V3_EXT_nconf for an OID OpenSSL has no name
  // for) with an X509V3_CTX from X509V3_set_ctx; no config database, so "@section"
  // references fail. An unknown extension, a malformed value, or a value that needs a
  // subject or issuer not given: errc::crypto; a NUL byte in either string:
  // errc::invalid_argument.
  [[nodiscard]] static result<X509Extension> create(std::string_view type_name, bool critical,
                                                    std::string_view value, const X509* subject = nullptr,
                                                    const X509* issuer = nullptr);

  // Whether the extension is marked critical. Calls X509_EXTENSION_get_critical.
  [[nodiscard]] bool get_critical() const noexcept;

  // The extension's short type name ("basicConstraints", "subjectAltName"). pyOpenSSL
  // returns "UNDEF" for an extension OpenSSL has no name for; pyossl returns its dotted
  // OID. Calls OBJ_nid2sn (OBJ_obj2txt).
  [[nodiscard]] std::string get_short_name() const;

  // Beyond the manual: the extension's long type name ("X509v3 Basic Constraints",
  // "X509v3 Subject Alternative Name", as `openssl x509 -text` heads it); the dotted OID
  // for an extension OpenSSL has no name for. Calls OBJ_nid2ln (OBJ_obj2txt).
  [[nodiscard]] std::string get_long_name() const;

  // Beyond the manual (modern pyOpenSSL's get_data): the extension's value as DER, the
  // contents of its extnValue OCTET STRING. Calls X509_EXTENSION_get_data.
  [[nodiscard]] std::string get_data() const;

  // Beyond the manual (modern pyOpenSSL's str(extension)): the value as `openssl x509
  // -text` shows it ("CA:TRUE"); a subjectAltName exactly as pyOpenSSL shows it
  // ("DNS:a.example, IP Address:10.0.0.1, DirName:CN = test, O = Org", an otherName
  // excepted: see detail::general_name_text). An extension OpenSSL cannot decode is
  // shown as a hex dump where pyOpenSSL fails (a success: nothing is left queued). Calls X509V3_EXT_print;
  // errc::crypto if it fails, errc::invalid_argument for a moved-from extension.
  [[nodiscard]] result<std::string> to_string() const;

  // The OpenSSL object, still owned by this X509Extension.
  [[nodiscard]] X509_EXTENSION* native_handle() const noexcept { return extension_.get(); }

 private:
  [[nodiscard]] static detail::handle<X509_EXTENSION> duplicate(X509_EXTENSION* extension);

  detail::handle<X509_EXTENSION> extension_;
};

}  // namespace pyossl::crypto

// X509Extension::create takes X509 pointers, and X509 returns and takes X509Extensions:
// each header includes the other, so either may be included alone.
#include "pyossl/crypto/x509.hpp"

// Definitions: inline, or compiled once in the compiled mode (pyossl/detail/config.hpp).
#if PYOSSL_DEFINITIONS

namespace pyossl::detail {

PYOSSL_DECL std::string ia5_text(const ASN1_STRING* text) {
  if (text == nullptr || ASN1_STRING_length(text) <= 0) return {};
  return std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(text)),
                     static_cast<std::size_t>(ASN1_STRING_length(text)));
}

PYOSSL_DECL std::string general_name_text(GENERAL_NAME* name) {
  int type = -1;
  void* value = GENERAL_NAME_get0_value(name, &type);
  switch (type) {
    case GEN_DNS:
      return "DNS:" + ia5_text(static_cast<const ASN1_STRING*>(value));
    case GEN_EMAIL:
      return "email:" + ia5_text(static_cast<const ASN1_STRING*>(value));
    case GEN_URI:
      return "URI:" + ia5_text(static_cast<const ASN1_STRING*>(value));
    default:
      break;
  }
  const handle<BIO> out = output_bio();
  GENERAL_NAME_print(out.get(), name);
  std::string printed = bio_contents(out.get());
  // What pyOpenSSL prints too; only this says less than the certificate holds.
  if (type == GEN_OTHERNAME && printed == "othername:<unsupported>") return other_name_text(name);
  return printed;
}

PYOSSL_DECL std::string other_name_text(GENERAL_NAME* name) {
  ASN1_OBJECT* type_id = nullptr;
  ASN1_TYPE* value = nullptr;
  if (GENERAL_NAME_get0_otherName(name, &type_id, &value) != 1 || type_id == nullptr)
    return "othername:<unsupported>";
  const std::string type = object_short_name(type_id);
  if (type.empty()) return "othername:<unsupported>";
  std::string text = "othername:" + type + ":";
  if (value != nullptr && (value->type == V_ASN1_UTF8STRING || value->type == V_ASN1_IA5STRING)) {
    text += ia5_text(value->value.asn1_string);
  } else {
    text += "<unsupported>";
  }
  return text;
}

PYOSSL_DECL std::optional<std::string> subject_alt_name_text(X509_EXTENSION* extension) {
  const handle<GENERAL_NAMES> names(static_cast<GENERAL_NAMES*>(X509V3_EXT_d2i(extension)));
  if (!names) return std::nullopt;
  std::string text;
  for (int i = 0; i < sk_GENERAL_NAME_num(names.get()); ++i) {
    if (i != 0) text += ", ";
    text += general_name_text(sk_GENERAL_NAME_value(names.get(), i));
  }
  return text;
}

}  // namespace pyossl::detail

namespace pyossl::crypto {

PYOSSL_DECL X509Extension& X509Extension::operator=(const X509Extension& other) {
  if (this != &other) extension_ = duplicate(other.extension_.get());
  return *this;
}

PYOSSL_DECL result<X509Extension> X509Extension::create(std::string_view type_name, bool critical,
                                                        std::string_view value, const X509* subject,
                                                        const X509* issuer) {
  constexpr std::string_view operation = "X509V3_EXT_nconf";
  auto name = detail::c_string(operation, "extension type name", type_name);
  if (!name) return unexpected(std::move(name).error());
  auto text = detail::c_string(operation, "extension value", value);
  if (!text) return unexpected(std::move(text).error());
  if (name->empty())
    return detail::fail(errc::invalid_argument, operation, "the extension type name is empty");
  if (critical) *text = "critical," + *text;

  X509V3_CTX context{};
  X509V3_set_ctx(&context, detail::certificate_of(issuer), detail::certificate_of(subject), nullptr, nullptr,
                 0);
  X509V3_set_ctx_nodb(&context);
  const int nid = detail::object_nid(*name);
  detail::handle<X509_EXTENSION> extension(
      nid != NID_undef ? X509V3_EXT_nconf_nid(nullptr, &context, nid, text->c_str())
                       : X509V3_EXT_nconf(nullptr, &context, name->c_str(), text->c_str()));
  if (!extension) {
    return detail::fail(errc::crypto, operation,
                        ERR_peek_error() == 0 ? "cannot make a " + *name + " extension of that value" : "");
  }
  return X509Extension(std::move(extension));
}

PYOSSL_DECL bool X509Extension::get_critical() const noexcept {
  return extension_ && X509_EXTENSION_get_critical(extension_.get()) == 1;
}

PYOSSL_DECL std::string X509Extension::get_short_name() const {
  if (!extension_) return {};
  return detail::object_short_name(X509_EXTENSION_get_object(extension_.get()));
}

PYOSSL_DECL std::string X509Extension::get_long_name() const {
  if (!extension_) return {};
  const ASN1_OBJECT* object = X509_EXTENSION_get_object(extension_.get());
  const int nid = OBJ_obj2nid(object);
  if (nid != NID_undef) {
    if (const char* name = OBJ_nid2ln(nid)) return name;
  }
  return detail::object_short_name(object);
}

PYOSSL_DECL std::string X509Extension::get_data() const {
  const ASN1_OCTET_STRING* data = extension_ ? X509_EXTENSION_get_data(extension_.get()) : nullptr;
  if (data == nullptr || ASN1_STRING_length(data) <= 0) return {};
  return std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(data)),
                     static_cast<std::size_t>(ASN1_STRING_length(data)));
}

PYOSSL_DECL result<std::string> X509Extension::to_string() const {
  constexpr std::string_view operation = "X509V3_EXT_print";
  if (!extension_) return detail::fail(errc::invalid_argument, operation, "the X509Extension was moved from");
  const detail::handle<BIO> out = detail::output_bio();
  // A value OpenSSL cannot decode is printed as a hex dump, a success, but what the
  // decoder queued would stay behind for the next failure to report: drop it.
  const detail::error_queue_mark mark;
  if (OBJ_obj2nid(X509_EXTENSION_get_object(extension_.get())) == NID_subject_alt_name) {
    if (auto names = detail::subject_alt_name_text(extension_.get())) return *std::move(names);
  }
  if (X509V3_EXT_print(out.get(), extension_.get(), X509V3_EXT_DUMP_UNKNOWN, 0) <= 0) {
    return detail::fail(errc::crypto, operation, ERR_peek_error() == 0 ? "cannot print the extension" : "");
  }
  return detail::bio_contents(out.get());
}

PYOSSL_DECL detail::handle<X509_EXTENSION> X509Extension::duplicate(X509_EXTENSION* extension) {
  if (extension == nullptr) return {};
  auto copy = detail::adopt(X509_EXTENSION_dup(extension));
  if (!copy) throw std::bad_alloc();
  return copy;
}

}  // namespace pyossl::crypto
#endif  // PYOSSL_DEFINITIONS
