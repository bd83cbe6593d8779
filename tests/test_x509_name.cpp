// pyossl::crypto::X509Name — manual 3.1.2: attributes by long and short name, hash, der,
// get_components, copies, equality and ordering; success and failure paths.
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <openssl/objects.h>
#include <openssl/x509.h>

#include "catch.hpp"
#include "checks.hpp"
#include "pyossl/crypto/x509_name.hpp"

using pyossl::errc;
using pyossl::crypto::X509Name;

namespace {

// Whether `.set(...)` can be called on a T: only on lvalues.
template <class T>
concept can_set = requires(T&& name) {
  std::forward<T>(name).set("CN", "x");
};

X509Name name_of(std::initializer_list<std::pair<std::string_view, std::string_view>> attributes) {
  X509Name name;
  for (const auto& [attribute, value] : attributes) {
    const auto set = name.set(attribute, value);
    INFO(std::string(attribute) + "=" + std::string(value) + ": " +
         (set ? std::string("ok") : set.error().message()));
    REQUIRE(set.has_value());
  }
  return name;
}

}  // namespace

TEST_CASE("X509Name::set is callable on lvalues only", "[x509name]") {
  STATIC_REQUIRE(can_set<X509Name&>);
  STATIC_REQUIRE_FALSE(can_set<X509Name>);
  STATIC_REQUIRE_FALSE(can_set<const X509Name&>);
  STATIC_REQUIRE(std::is_nothrow_move_constructible_v<X509Name>);
  STATIC_REQUIRE(std::is_nothrow_move_assignable_v<X509Name>);
}

TEST_CASE("a new X509Name has no attributes", "[x509name]") {
  const X509Name name;
  CHECK(name.get_components().empty());
  CHECK_FALSE(name.get("CN").has_value());
  CHECK_FALSE(name.get("commonName").has_value());
  REQUIRE(name.native_handle() != nullptr);
  CHECK(X509_NAME_entry_count(name.native_handle()) == 0);
}

TEST_CASE("X509Name attributes of the manual are set and read by long and short name", "[x509name]") {
  struct attribute {
    std::string_view long_name;
    std::string_view short_name;
    std::string_view value;
  };
  const auto [long_name, short_name, value] = GENERATE(values<attribute>({
      {"countryName", "C", "US"},
      {"stateOrProvinceName", "ST", "Illinois"},
      {"localityName", "L", "Chicago"},
      {"organizationName", "O", "Testing Inc."},
      {"organizationalUnitName", "OU", "Unit Tests"},
      {"commonName", "CN", "example.test"},
      {"emailAddress", "emailAddress", "someone@example.test"},
  }));
  CAPTURE(long_name, short_name);

  X509Name by_long;
  REQUIRE_OK(by_long.set(long_name, value));
  CHECK(by_long.get(short_name) == std::string(value));
  CHECK(by_long.get(long_name) == std::string(value));

  X509Name by_short;
  REQUIRE_OK(by_short.set(short_name, value));
  CHECK(by_short.get(long_name) == std::string(value));
  CHECK(by_short == by_long);

  const auto components = by_long.get_components();
  REQUIRE(components.size() == 1);
  CHECK(components[0].first == short_name);
  CHECK(components[0].second == value);
}

TEST_CASE("X509Name takes any attribute OpenSSL knows, by name or dotted OID", "[x509name]") {
  const auto [attribute, alias, value] =
      GENERATE(values<std::tuple<std::string_view, std::string_view, std::string_view>>({
          {"serialNumber", "2.5.4.5", "1234-5678"},
          {"title", "2.5.4.12", "Engineer"},
          {"givenName", "GN", "Ada"},
          {"surname", "SN", "Lovelace"},
          {"domainComponent", "DC", "example"},
          {"userId", "UID", "ada"},
          {"pseudonym", "2.5.4.65", "countess"},
          {"2.5.4.3", "CN", "dotted.example"},
      }));
  CAPTURE(attribute, alias);
  X509Name name;
  REQUIRE_OK(name.set(attribute, value));
  CHECK(name.get(alias) == std::string(value));
  CHECK(name.get(attribute) == std::string(value));
}

TEST_CASE("X509Name::set replaces the attribute and appends it, as pyOpenSSL does", "[x509name]") {
  X509Name name = name_of({{"C", "US"}, {"CN", "first"}, {"O", "Org"}});
  REQUIRE_OK(name.set("commonName", "second"));
  CHECK(name.get("CN") == "second");
  const std::vector<std::pair<std::string, std::string>> expected{
      {"C", "US"}, {"O", "Org"}, {"CN", "second"}};
  CHECK(name.get_components() == expected);
}

TEST_CASE("X509Name::set replaces every entry of a repeated attribute", "[x509name]") {
  X509Name name = name_of({{"OU", "one"}});
  // Names read from certificates may repeat an attribute; add a second OU directly.
  REQUIRE(X509_NAME_add_entry_by_txt(name.native_handle(), "OU", MBSTRING_UTF8,
                                     reinterpret_cast<const unsigned char*>("two"), -1, -1, 0) == 1);
  CHECK(name.get_components().size() == 2);
  CHECK(name.get("OU") == "one");  // the first of them
  REQUIRE_OK(name.set("OU", "only"));
  const std::vector<std::pair<std::string, std::string>> expected{{"OU", "only"}};
  CHECK(name.get_components() == expected);
}

TEST_CASE("X509Name values are UTF-8 in and out", "[x509name]") {
  const std::string value = "Zo\xC3\xAB \xE6\x97\xA5\xE6\x9C\xAC \xF0\x9F\x94\x92";  // "Zoë 日本 🔒"
  X509Name name;
  REQUIRE_OK(name.set("O", value));
  CHECK(name.get("O") == value);
  CHECK(name.get_components().at(0).second == value);
}

TEST_CASE("X509Name::set of an attribute OpenSSL does not know fails with invalid_argument", "[x509name]") {
  const std::string attribute =
      GENERATE(std::string(""), std::string("nonsense"), std::string("commonname"), std::string("CN\0x", 4),
               std::string("1.2.3.4.5.6.7.8"), std::string("2.5.4.999"), std::string("not an oid."));
  CAPTURE(attribute);
  X509Name name = name_of({{"CN", "kept"}});
  REQUIRE_FAILS_WITH(name.set(attribute, "value"), errc::invalid_argument);
  CHECK_FALSE(name.get(attribute).has_value());  // unknown to get: absent, not an error
  CHECK(name.get("CN") == "kept");
}

TEST_CASE("X509Name::set of a value with a NUL byte fails with invalid_argument", "[x509name]") {
  X509Name name = name_of({{"CN", "kept"}});
  REQUIRE_FAILS_WITH(name.set("CN", std::string_view("evil.example\0.good.example", 26)),
                     errc::invalid_argument);
  REQUIRE_FAILS_WITH(name.set("O", std::string_view("\0", 1)), errc::invalid_argument);
  CHECK(name.get("CN") == "kept");
  CHECK(name.get_components().size() == 1);
}

TEST_CASE("X509Name::set of a value OpenSSL's rules reject fails with crypto and changes nothing",
          "[x509name]") {
  const auto [attribute, value] = GENERATE(values<std::pair<std::string_view, std::string>>({
      {"C", "USA"},                  // countryName is exactly two characters
      {"countryName", "U"},          // ... not one
      {"C", ""},                     // ... nor none
      {"C", "U!"},                   // ... and printable
      {"CN", std::string(65, 'x')},  // commonName is at most 64
      {"CN", ""},                    // ... and at least 1
      {"O", std::string(65, 'o')},   // organizationName likewise
      {"emailAddress", std::string(256, 'e')},
      {"CN", "\xFF\xFE not UTF-8"},  // values are UTF-8
  }));
  CAPTURE(attribute, value);
  X509Name name = name_of({{"C", "DE"}, {"CN", "kept"}, {"O", "Org"}, {"emailAddress", "a@b.c"}});
  const auto before = name.get_components();
  const auto set = name.set(attribute, value);
  REQUIRE_FAILS_WITH(set, errc::crypto);
  CHECK(name.get_components() == before);
}

TEST_CASE("X509Name::set takes values at OpenSSL's limits", "[x509name]") {
  X509Name name;
  REQUIRE_OK(name.set("CN", std::string(64, 'x')));
  REQUIRE_OK(name.set("C", "GB"));
  CHECK(name.get("CN") == std::string(64, 'x'));
}

TEST_CASE("X509Name::get_components lists entries in order with short names", "[x509name]") {
  const X509Name name = name_of({{"countryName", "US"},
                                 {"organizationName", "Org"},
                                 {"commonName", "host"},
                                 {"emailAddress", "a@b.c"}});
  const std::vector<std::pair<std::string, std::string>> expected{
      {"C", "US"}, {"O", "Org"}, {"CN", "host"}, {"emailAddress", "a@b.c"}};
  CHECK(name.get_components() == expected);
}

TEST_CASE("X509Name::get_components names an attribute OpenSSL does not know by its OID", "[x509name]") {
  X509Name name;
  const pyossl::detail::handle<ASN1_OBJECT> oid =
      pyossl::detail::adopt(OBJ_txt2obj("1.3.6.1.4.1.55555.1", 1));
  REQUIRE(oid);
  REQUIRE(X509_NAME_add_entry_by_OBJ(name.native_handle(), oid.get(), MBSTRING_UTF8,
                                     reinterpret_cast<const unsigned char*>("private"), -1, -1, 0) == 1);
  const std::vector<std::pair<std::string, std::string>> expected{{"1.3.6.1.4.1.55555.1", "private"}};
  CHECK(name.get_components() == expected);
}

TEST_CASE("X509Name copies are independent", "[x509name]") {
  const X509Name original = name_of({{"CN", "original"}});
  X509Name copy(original);
  REQUIRE_OK(copy.set("CN", "copy"));
  CHECK(original.get("CN") == "original");
  CHECK(copy.get("CN") == "copy");
  CHECK(copy.native_handle() != original.native_handle());

  X509Name assigned;
  assigned = original;
  CHECK(assigned == original);
  REQUIRE_OK(assigned.set("O", "more"));
  CHECK_FALSE(original.get("O").has_value());
  const X509Name& same = assigned;
  assigned = same;  // self-assignment keeps the name
  CHECK(assigned.get("O") == "more");
}

TEST_CASE("a moved-from X509Name is empty and fails cleanly", "[x509name]") {
  X509Name name = name_of({{"CN", "moved"}});
  X509Name target(std::move(name));
  CHECK(target.get("CN") == "moved");
  // NOLINTBEGIN(bugprone-use-after-move): checking the moved-from state
  CHECK_FALSE(name.get("CN").has_value());
  CHECK(name.get_components().empty());
  REQUIRE_FAILS_WITH(name.set("CN", "x"), errc::invalid_argument);
  REQUIRE_FAILS_WITH(name.der(), errc::crypto);
  REQUIRE_FAILS_WITH(name.hash(), errc::crypto);
  X509Name copy_of_moved(name);
  CHECK(copy_of_moved.native_handle() == nullptr);
  name = target;  // assignable again
  CHECK(name.get("CN") == "moved");
  // NOLINTEND(bugprone-use-after-move)
}

TEST_CASE("X509Name::der is the DER encoding OpenSSL reads back", "[x509name]") {
  const X509Name name = name_of({{"C", "US"}, {"CN", "der.example"}});
  const auto der = name.der();
  REQUIRE_OK(der);
  REQUIRE_FALSE(der->empty());
  CHECK(static_cast<unsigned char>((*der)[0]) == 0x30);  // a SEQUENCE
  const auto* in = reinterpret_cast<const unsigned char*>(der->data());
  X509Name decoded(pyossl::detail::adopt(d2i_X509_NAME(nullptr, &in, static_cast<long>(der->size()))));
  REQUIRE(decoded.native_handle() != nullptr);
  CHECK(decoded == name);
  CHECK(decoded.get_components() == name.get_components());

  const auto empty_der = X509Name().der();
  REQUIRE_OK(empty_der);
  CHECK(*empty_der == std::string("\x30\x00", 2));
}

TEST_CASE("X509Name::hash is OpenSSL's name hash, equal for equal names", "[x509name]") {
  const X509Name a = name_of({{"CN", "hash.example"}});
  const X509Name b = name_of({{"commonName", "hash.example"}});
  const X509Name c = name_of({{"CN", "other.example"}});
  const auto hash_a = a.hash();
  REQUIRE_OK(hash_a);
  CHECK(*hash_a == *b.hash());
  CHECK(*hash_a != *c.hash());
  CHECK(*hash_a <= 0xFFFFFFFFUL);
  int ok = 0;
  CHECK(*hash_a == X509_NAME_hash_ex(a.native_handle(), nullptr, nullptr, &ok));
  REQUIRE(X509Name().hash().has_value());
}

TEST_CASE("X509Name equality and ordering follow OpenSSL's name comparison", "[x509name]") {
  const X509Name a = name_of({{"CN", "alpha"}});
  const X509Name a_upper = name_of({{"CN", "ALPHA"}});  // canonical form ignores case
  const X509Name b = name_of({{"CN", "beta"}});
  const X509Name a_with_o = name_of({{"CN", "alpha"}, {"O", "Org"}});
  CHECK(a == X509Name(a));
  CHECK(a == a_upper);
  CHECK(a != b);
  CHECK(a != a_with_o);
  CHECK((a < b) != (b < a));
  CHECK(std::is_neq(a <=> b));
  CHECK(std::is_eq(a <=> a_upper));
  CHECK(a <= a_upper);
  CHECK(a >= a_upper);

  const std::set<X509Name> names{a, a_upper, b, a_with_o, X509Name()};
  CHECK(names.size() == 4);
  CHECK(names.count(name_of({{"CN", "Beta"}})) == 1);
}

TEST_CASE("X509Name::to_string is pyOpenSSL's repr text and rfc2253_string the RFC 2253 form", "[x509name]") {
  pyossl::crypto::X509Name name;
  CHECK(name.to_string().empty());
  CHECK(name.rfc2253_string().empty());
  REQUIRE_OK(name.set("C", "US"));
  REQUIRE_OK(name.set("O", "Example, Inc."));
  REQUIRE_OK(name.set("CN", "example.com"));
  // X509_NAME_oneline, as pyOpenSSL's <X509Name object '/C=US/O=Example, Inc./CN=example.com'>.
  CHECK(name.to_string() == "/C=US/O=Example, Inc./CN=example.com");
  // Most specific first, the comma escaped.
  CHECK(name.rfc2253_string() == "CN=example.com,O=Example\\, Inc.,C=US");
  REQUIRE_OK(name.set("L", "Zürich"));
  CHECK(name.rfc2253_string() == "L=Zürich,CN=example.com,O=Example\\, Inc.,C=US");
  CHECK(pyossl::crypto::X509Name(std::move(name)).to_string().find("/L=") != std::string::npos);
  CHECK(name.to_string().empty());  // NOLINT: moved-from reads as empty
  CHECK(ERR_peek_error() == 0UL);
}
