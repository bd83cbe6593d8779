// pyossl::crypto::X509Name — pyOpenSSL's crypto.X509Name (manual 3.1.2): an X.509
// distinguished name, a value of its own (never a view into a certificate).
//
// pyOpenSSL's attribute access `name.CN = "x"` / `name.CN` becomes `name.set("CN", "x")` /
// `name.get("CN")`. set() is callable on an lvalue only, so `cert.get_subject().set(...)`,
// which would change a copy and be lost, does not compile: change a copy and write it back
// with X509::set_subject / set_issuer (or X509Req::set_subject).
#pragma once

#include <climits>
#include <compare>
#include <cstddef>
#include <new>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <openssl/asn1.h>
#include <openssl/objects.h>
#include <openssl/x509.h>

#include "pyossl/detail/config.hpp"
#include "pyossl/detail/der.hpp"
#include "pyossl/detail/handle.hpp"
#include "pyossl/detail/memory_bio.hpp"
#include "pyossl/detail/openssl_error.hpp"
#include "pyossl/error.hpp"

namespace pyossl::detail {

// The NID of the object named `attribute`: a long name ("commonName"), a short name
// ("CN") or a dotted OID ("2.5.4.3"), as OBJ_txt2nid reads them; NID_undef if OpenSSL
// does not know it (or it holds a NUL byte).
[[nodiscard]] PYOSSL_DECL int object_nid(std::string_view attribute);

// The short name of `object` ("CN"), or its dotted OID when OpenSSL has no name for it.
[[nodiscard]] PYOSSL_DECL std::string object_short_name(const ASN1_OBJECT* object);

// A name entry's value as UTF-8 (ASN1_STRING_to_UTF8). A value OpenSSL cannot convert
// (a malformed BMPString in a parsed certificate, say) is returned as its raw bytes, as
// pyOpenSSL's get_components does for every value.
[[nodiscard]] PYOSSL_DECL std::string asn1_string_utf8(const ASN1_STRING* value);

// An independent copy of `name` (X509_NAME_dup); null for null. Throws std::bad_alloc if
// OpenSSL cannot make it. The one name copy every class uses.
[[nodiscard]] PYOSSL_DECL handle<X509_NAME> duplicate_name(const X509_NAME* name);

}  // namespace pyossl::detail

namespace pyossl::crypto {

class X509Name {
 public:
  // A new name with no attributes. Calls X509_NAME_new.
  X509Name();
  // Adopts a name the caller owns.
  explicit X509Name(detail::handle<X509_NAME> name) noexcept : name_(std::move(name)) {}

  // The manual's X509Name(x509name): an independent copy. Calls X509_NAME_dup.
  X509Name(const X509Name& other) : name_(detail::duplicate_name(other.name_.get())) {}
  X509Name& operator=(const X509Name& other);
  // A moved-from X509Name has no attributes and fails every operation that needs one.
  X509Name(X509Name&&) noexcept = default;
  X509Name& operator=(X509Name&&) noexcept = default;
  ~X509Name() = default;

  // The value of `attribute` ("CN", "commonName", "emailAddress", a dotted OID: any name
  // OpenSSL's OBJ_txt2nid knows) as UTF-8, or std::nullopt if the name has no such
  // attribute. With several entries of that attribute, the first. Unlike pyOpenSSL, an
  // attribute name OpenSSL does not know is not an error: it is absent (std::nullopt).
  [[nodiscard]] std::optional<std::string> get(std::string_view attribute) const;

  // Sets `attribute` to `value` (UTF-8), replacing every entry of that attribute; the new
  // entry goes last, as pyOpenSSL puts it. Calls X509_NAME_ENTRY_create_by_NID (which
  // applies OpenSSL's size and character rules: countryName is two printable characters,
  // commonName at most 64, ...), then X509_NAME_delete_entry / X509_NAME_add_entry.
  // An attribute OpenSSL does not know, or a NUL byte in the value: errc::invalid_argument;
  // a value OpenSSL rejects (too long, too short, bad characters, bad UTF-8):
  // errc::crypto. On failure the name is unchanged.
  [[nodiscard]] result<void> set(std::string_view attribute, std::string_view value) &;

  // The name's entries in order, each as (short name, UTF-8 value): {{"C", "US"},
  // {"CN", "example"}}. An attribute OpenSSL has no name for appears as its dotted OID.
  // pyOpenSSL gives each value's raw bytes; pyossl converts to UTF-8 (as get does).
  [[nodiscard]] std::vector<std::pair<std::string, std::string>> get_components() const;

  // Beyond the manual: the name on one line as pyOpenSSL's repr shows it,
  // "/C=US/O=Example/CN=example.com" (X509_NAME_oneline; bytes outside printable ASCII
  // appear as \xXX escapes; unlike pyOpenSSL, never cut at 512 bytes). An empty name: "".
  [[nodiscard]] std::string to_string() const;

  // Beyond the manual: the name as RFC 2253 writes it, most specific attribute first
  // ("CN=example.com,O=Example,C=US"), special characters escaped and UTF-8 kept as is:
  // OpenSSL's form (-nameopt RFC2253; X509_NAME_print_ex with XN_FLAG_RFC2253). Python
  // cryptography's rfc4514_string differs where OpenSSL knows a name cryptography does
  // not: "serialNumber=42", "emailAddress=me@x.org" against "2.5.4.5=42", "1.2.840...".
  [[nodiscard]] std::string rfc2253_string() const;

  // The name's hash as OpenSSL computes it today (X509_NAME_hash_ex: the first four bytes
  // of the SHA-1 of the canonical encoding), the value `openssl x509 -subject_hash` prints
  // and c_rehash names files by. pyOpenSSL 0.10 documented MD5; modern pyOpenSSL, like
  // pyossl, returns OpenSSL's current hash. Fails with errc::crypto if SHA-1 is unavailable.
  [[nodiscard]] result<unsigned long> hash() const;

  // The name's DER encoding. Calls i2d_X509_NAME; fails with errc::crypto if it cannot
  // be encoded.
  [[nodiscard]] result<std::string> der() const;

  // Equality and ordering as OpenSSL matches names (X509_NAME_cmp, which compares the
  // canonical encodings: case and inner spaces of string values do not count), so names
  // that compare equivalent are the ones OpenSSL treats as the same issuer or subject.
  friend bool operator==(const X509Name& a, const X509Name& b) { return compare(a, b) == 0; }
  friend std::weak_ordering operator<=>(const X509Name& a, const X509Name& b) {
    const int order = compare(a, b);
    if (order < 0) return std::weak_ordering::less;
    if (order > 0) return std::weak_ordering::greater;
    return std::weak_ordering::equivalent;
  }

  // The OpenSSL object, still owned by this X509Name.
  [[nodiscard]] X509_NAME* native_handle() const noexcept { return name_.get(); }

 private:
  // X509_NAME_cmp fails (-2) only when it cannot allocate the canonical encoding.
  [[nodiscard]] static int compare(const X509Name& a, const X509Name& b);

  [[nodiscard]] static std::string printable(std::string_view text);

  detail::handle<X509_NAME> name_;
};

}  // namespace pyossl::crypto

// Definitions: inline, or compiled once in the compiled mode (pyossl/detail/config.hpp).
#if PYOSSL_DEFINITIONS

namespace pyossl::detail {

PYOSSL_DECL int object_nid(std::string_view attribute) {
  if (attribute.empty() || attribute.find('\0') != std::string_view::npos) return NID_undef;
  const error_queue_mark mark;  // OBJ_txt2nid queues an error for text that is no OID
  return OBJ_txt2nid(std::string(attribute).c_str());
}

PYOSSL_DECL std::string object_short_name(const ASN1_OBJECT* object) {
  const int nid = OBJ_obj2nid(object);
  if (nid != NID_undef) {
    if (const char* name = OBJ_nid2sn(nid)) return name;
  }
  char text[128];
  const int length = OBJ_obj2txt(text, sizeof(text), object, 1);
  if (length <= 0) return {};
  if (static_cast<std::size_t>(length) < sizeof(text))
    return std::string(text, static_cast<std::size_t>(length));
  std::string long_text(static_cast<std::size_t>(length) + 1, '\0');
  OBJ_obj2txt(long_text.data(), length + 1, object, 1);
  long_text.resize(static_cast<std::size_t>(length));
  return long_text;
}

PYOSSL_DECL std::string asn1_string_utf8(const ASN1_STRING* value) {
  const error_queue_mark mark;  // a failed conversion falls back, it is not reported
  unsigned char* converted = nullptr;
  const int length = ASN1_STRING_to_UTF8(&converted, value);
  const handle<unsigned char> owned = adopt(converted);
  if (length >= 0)
    return std::string(reinterpret_cast<const char*>(owned.get()), static_cast<std::size_t>(length));
  const unsigned char* raw = ASN1_STRING_get0_data(value);
  const int raw_length = ASN1_STRING_length(value);
  if (raw == nullptr || raw_length <= 0) return {};
  return std::string(reinterpret_cast<const char*>(raw), static_cast<std::size_t>(raw_length));
}

PYOSSL_DECL handle<X509_NAME> duplicate_name(const X509_NAME* name) {
  if (name == nullptr) return {};
  auto copy = adopt(X509_NAME_dup(name));
  if (!copy) throw std::bad_alloc();
  return copy;
}

}  // namespace pyossl::detail

namespace pyossl::crypto {

PYOSSL_DECL X509Name::X509Name() : name_(detail::adopt(X509_NAME_new())) {
  if (!name_) throw std::bad_alloc();
}

PYOSSL_DECL X509Name& X509Name::operator=(const X509Name& other) {
  if (this != &other) name_ = detail::duplicate_name(other.name_.get());
  return *this;
}

PYOSSL_DECL std::optional<std::string> X509Name::get(std::string_view attribute) const {
  const int nid = detail::object_nid(attribute);
  if (nid == NID_undef || !name_) return std::nullopt;
  const int index = X509_NAME_get_index_by_NID(name_.get(), nid, -1);
  if (index < 0) return std::nullopt;
  const X509_NAME_ENTRY* entry = X509_NAME_get_entry(name_.get(), index);
  return detail::asn1_string_utf8(X509_NAME_ENTRY_get_data(entry));
}

PYOSSL_DECL result<void> X509Name::set(std::string_view attribute, std::string_view value) & {
  constexpr std::string_view operation = "X509Name::set";
  const int nid = detail::object_nid(attribute);
  if (nid == NID_undef) {
    return detail::fail(errc::invalid_argument, operation, "no such attribute: " + printable(attribute));
  }
  if (value.find('\0') != std::string_view::npos) {
    return detail::fail(errc::invalid_argument, operation,
                        "the value of " + std::string(attribute) + " contains a NUL byte");
  }
  if (value.size() > INT_MAX) return detail::fail(errc::invalid_argument, operation, "the value is too long");
  if (!name_) return detail::fail(errc::invalid_argument, operation, "the X509Name was moved from");
  const auto entry = detail::adopt(X509_NAME_ENTRY_create_by_NID(
      nullptr, nid, MBSTRING_UTF8, reinterpret_cast<const unsigned char*>(value.data()),
      static_cast<int>(value.size())));
  if (!entry) {
    return detail::fail(
        errc::crypto, "X509_NAME_ENTRY_create_by_NID",
        ERR_peek_error() == 0 ? "OpenSSL rejected the value of " + std::string(attribute) : "");
  }
  for (int index = X509_NAME_get_index_by_NID(name_.get(), nid, -1); index >= 0;
       index = X509_NAME_get_index_by_NID(name_.get(), nid, -1)) {
    const detail::handle<X509_NAME_ENTRY> removed = detail::adopt(X509_NAME_delete_entry(name_.get(), index));
  }
  if (X509_NAME_add_entry(name_.get(), entry.get(), -1, 0) != 1) throw std::bad_alloc();
  return {};
}

PYOSSL_DECL std::vector<std::pair<std::string, std::string>> X509Name::get_components() const {
  std::vector<std::pair<std::string, std::string>> components;
  const int count = name_ ? X509_NAME_entry_count(name_.get()) : 0;
  components.reserve(static_cast<std::size_t>(count));
  for (int index = 0; index < count; ++index) {
    const X509_NAME_ENTRY* entry = X509_NAME_get_entry(name_.get(), index);
    components.emplace_back(detail::object_short_name(X509_NAME_ENTRY_get_object(entry)),
                            detail::asn1_string_utf8(X509_NAME_ENTRY_get_data(entry)));
  }
  return components;
}

PYOSSL_DECL std::string X509Name::to_string() const {
  if (!name_) return {};
  const detail::handle<char> text(X509_NAME_oneline(name_.get(), nullptr, 0));
  if (!text) throw std::bad_alloc();
  return text.get();
}

PYOSSL_DECL std::string X509Name::rfc2253_string() const {
  if (!name_) return {};
  const detail::handle<BIO> out = detail::output_bio();
  if (X509_NAME_print_ex(out.get(), name_.get(), 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) < 0)
    throw std::bad_alloc();
  return detail::bio_contents(out.get());
}

PYOSSL_DECL result<unsigned long> X509Name::hash() const {
  int ok = 0;
  const unsigned long value = name_ ? X509_NAME_hash_ex(name_.get(), nullptr, nullptr, &ok) : 0;
  if (ok != 1) return detail::fail(errc::crypto, "X509_NAME_hash_ex", "cannot hash the name");
  return value;
}

PYOSSL_DECL result<std::string> X509Name::der() const {
  return detail::encode_der("i2d_X509_NAME", name_.get(), i2d_X509_NAME, "cannot encode the name");
}

PYOSSL_DECL int X509Name::compare(const X509Name& a, const X509Name& b) {
  const detail::error_queue_mark mark;
  const int order = X509_NAME_cmp(a.name_.get(), b.name_.get());
  if (order == -2) throw std::bad_alloc();
  return order;
}

PYOSSL_DECL std::string X509Name::printable(std::string_view text) {
  std::string out;
  for (const char c : text) out += c == '\0' ? std::string("\\0") : std::string(1, c);
  return "\"" + out + "\"";
}

}  // namespace pyossl::crypto
#endif  // PYOSSL_DEFINITIONS
