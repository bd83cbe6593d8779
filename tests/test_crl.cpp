// pyossl::crypto::CRL, Revoked, load_crl and dump_crl: pyOpenSSL's CRL API (0.11 to 23),
// round trips through PEM and DER, and agreement with the openssl CLI both ways.
#include <cctype>
#include <limits>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include <openssl/err.h>
#include <openssl/x509.h>

#include "catch.hpp"
#include "chain.hpp"
#include "checks.hpp"
#include "odd_der.hpp"
#include "process.hpp"
#include "pyossl/crypto/certificate_io.hpp"
#include "pyossl/crypto/crl.hpp"
#include "pyossl/crypto/key_io.hpp"
#include "pyossl/crypto/revoked.hpp"
#include "pyossl/crypto/x509_store.hpp"
#include "pyossl/crypto/x509_store_context.hpp"
#include "temp_dir.hpp"

namespace {

using pyossl::errc;
using pyossl::crypto::CRL;
using pyossl::crypto::FILETYPE_ASN1;
using pyossl::crypto::FILETYPE_PEM;
using pyossl::crypto::FILETYPE_TEXT;
using pyossl::crypto::Revoked;
using pyossl::crypto::X509;
using pyossl::crypto::X509Store;
using pyossl::crypto::X509StoreContext;
using pyossl::crypto::X509StoreFlags;
using pyossl_test::must;

Revoked revoked_entry(const std::string& serial, const std::string& when, const std::string& reason) {
  Revoked revoked;
  must(revoked.set_serial(serial));
  must(revoked.set_rev_date(when));
  if (!reason.empty()) must(revoked.set_reason(reason));
  return revoked;
}

const pyossl_test::chain_fixture& pki() {
  static const pyossl_test::chain_fixture chain = pyossl_test::make_chain();
  return chain;
}

std::string pem_of(const X509& cert) { return must(pyossl::crypto::dump_certificate(FILETYPE_PEM, cert)); }

// ---- Revoked ---------------------------------------------------------------------------

TEST_CASE("A new Revoked has serial 00, no reason and no date", "[revoked]") {
  STATIC_REQUIRE(std::is_nothrow_move_constructible_v<Revoked>);
  const Revoked revoked;
  CHECK(revoked.get_serial() == "00");
  CHECK_FALSE(revoked.get_reason().has_value());
  CHECK_FALSE(revoked.get_rev_date().has_value());
}

TEST_CASE("Revoked set_serial takes hex and get_serial gives whole upper-case bytes", "[revoked]") {
  Revoked revoked;
  REQUIRE_OK(revoked.set_serial("3ab"));
  CHECK(revoked.get_serial() == "03AB");
  REQUIRE_OK(revoked.set_serial("100"));
  CHECK(revoked.get_serial() == "0100");
  REQUIRE_OK(revoked.set_serial("DEADBEEF00112233445566778899AABBCCDDEEFF"));
  CHECK(revoked.get_serial() == "DEADBEEF00112233445566778899AABBCCDDEEFF");
  REQUIRE_OK(revoked.set_serial("0"));
  CHECK(revoked.get_serial() == "00");

  REQUIRE_OK(revoked.set_serial("3ab"));
  for (const char* bad : {"", "xyz", "12g", "0x12", "-5", "3a b", "3a:bc"}) {
    INFO(bad);
    REQUIRE_FAILS_WITH(revoked.set_serial(bad), errc::invalid_argument);
    CHECK(revoked.get_serial() == "03AB");
  }
  REQUIRE_FAILS_WITH(revoked.set_serial(std::string("12\0"
                                                    "34",
                                                    5)),
                     errc::invalid_argument);
}

TEST_CASE("Revoked set_reason takes every name of all_reasons and get_reason gives OpenSSL's text",
          "[revoked]") {
  CHECK(Revoked::all_reasons() == std::vector<std::string>{"unspecified", "keyCompromise", "CACompromise",
                                                           "affiliationChanged", "superseded",
                                                           "cessationOfOperation", "certificateHold"});
  const auto folded = [](std::string text) {
    std::string out;
    for (char c : text)
      if (c != ' ') out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
  };
  Revoked revoked;
  for (const std::string& reason : Revoked::all_reasons()) {
    INFO(reason);
    for (int twice = 0; twice < 2; ++twice) {  // setting again replaces, never adds a second
      REQUIRE_OK(revoked.set_reason(reason));
      REQUIRE(revoked.get_reason().has_value());
      CHECK(folded(*revoked.get_reason()) == folded(reason));
      CHECK(X509_REVOKED_get_ext_count(revoked.native_handle()) == 1);
    }
  }
  REQUIRE_OK(revoked.set_reason("keyCompromise"));
  CHECK(revoked.get_reason() == "Key Compromise");
  REQUIRE_OK(revoked.set_reason("CA Compromise"));  // get_reason's own text, case and spaces ignored
  CHECK(revoked.get_reason() == "CA Compromise");
  REQUIRE_OK(revoked.set_reason("KEYCOMPROMISE"));
  CHECK(revoked.get_reason() == "Key Compromise");
}

TEST_CASE("Revoked set_reason refuses unknown names and set_reason(nullptr) removes the reason",
          "[revoked]") {
  Revoked revoked;
  REQUIRE_OK(revoked.set_reason("superseded"));
  for (const char* bad : {"", "bogus", "removeFromCRL", "key-compromise"}) {
    INFO(bad);
    REQUIRE_FAILS_WITH(revoked.set_reason(bad), errc::invalid_argument);
    CHECK(revoked.get_reason() == "Superseded");
  }
  REQUIRE_FAILS_WITH(revoked.set_reason(std::string("superseded\0x", 12)), errc::invalid_argument);
  REQUIRE_OK(revoked.set_reason(nullptr));
  CHECK_FALSE(revoked.get_reason().has_value());
  CHECK(X509_REVOKED_get_ext_count(revoked.native_handle()) == 0);
  REQUIRE_OK(revoked.set_reason(nullptr));  // nothing to remove is not an error
}

TEST_CASE("Revoked set_rev_date takes GENERALIZEDTIME and refuses anything else", "[revoked]") {
  Revoked revoked;
  REQUIRE_OK(revoked.set_rev_date("20240102030405Z"));
  CHECK(revoked.get_rev_date() == "20240102030405Z");
  REQUIRE_OK(revoked.set_rev_date("20240102030405+0200"));
  CHECK(revoked.get_rev_date() == "20240102010405Z");
  REQUIRE_OK(revoked.set_rev_date("21000101000000Z"));
  CHECK(revoked.get_rev_date() == "21000101000000Z");
  for (const char* bad :
       {"", "2024", "20241301000000Z", "2024-01-02T03:04:05Z", "20240102030405", "20240230000000Z"}) {
    INFO(bad);
    REQUIRE_FAILS_WITH(revoked.set_rev_date(bad), errc::invalid_argument);
    CHECK(revoked.get_rev_date() == "21000101000000Z");
  }
}

TEST_CASE("Revoked copies are independent and a moved-from Revoked refuses every change", "[revoked]") {
  Revoked original = revoked_entry("0A", "20240101000000Z", "keyCompromise");
  Revoked copy = original;
  REQUIRE_OK(copy.set_serial("0B"));
  REQUIRE_OK(copy.set_reason(nullptr));
  CHECK(original.get_serial() == "0A");
  CHECK(original.get_reason() == "Key Compromise");
  const Revoked undated_copy = Revoked(Revoked());  // no date: copied field by field
  CHECK(undated_copy.get_serial() == "00");

  Revoked taken = std::move(original);
  CHECK(taken.get_serial() == "0A");
  CHECK(original.get_serial() == "00");  // NOLINT(bugprone-use-after-move)
  CHECK_FALSE(original.get_reason().has_value());
  CHECK_FALSE(original.get_rev_date().has_value());
  REQUIRE_FAILS_WITH(original.set_serial("01"), errc::invalid_argument);
  REQUIRE_FAILS_WITH(original.set_reason("keyCompromise"), errc::invalid_argument);
  REQUIRE_FAILS_WITH(original.set_reason(nullptr), errc::invalid_argument);
  REQUIRE_FAILS_WITH(original.set_rev_date("20240101000000Z"), errc::invalid_argument);
}

// ---- CRL -------------------------------------------------------------------------------

TEST_CASE("A new CRL has no entries and no issuer", "[crl]") {
  STATIC_REQUIRE(std::is_nothrow_move_constructible_v<CRL>);
  const CRL crl;
  CHECK_FALSE(crl.get_revoked().has_value());
  CHECK(crl.get_issuer().get("CN") == std::nullopt);
  REQUIRE_FAILS_WITH(pyossl::crypto::dump_crl(FILETYPE_PEM, crl), errc::crypto);  // never signed
}

TEST_CASE("CRL add_revoked stores copies and get_revoked returns copies", "[crl]") {
  CRL crl;
  Revoked revoked = revoked_entry("3ab", "20240101000000Z", "keyCompromise");
  REQUIRE_OK(crl.add_revoked(revoked));
  REQUIRE_OK(revoked.set_serial("100"));
  REQUIRE_OK(crl.add_revoked(revoked));
  REQUIRE_OK(revoked.set_serial("5"));  // changes nothing already added

  auto entries = crl.get_revoked();
  REQUIRE(entries.has_value());
  REQUIRE(entries->size() == 2);
  CHECK(entries->at(0).get_serial() == "03AB");
  CHECK(entries->at(1).get_serial() == "0100");
  CHECK(entries->at(0).get_reason() == "Key Compromise");
  CHECK(entries->at(0).get_rev_date() == "20240101000000Z");
  REQUIRE_OK(entries->at(0).set_serial("FF"));
  CHECK(crl.get_revoked()->at(0).get_serial() == "03AB");

  const CRL copy = crl;  // unsigned: copied field by field
  REQUIRE(copy.get_revoked().has_value());
  CHECK(copy.get_revoked()->size() == 2);
}

TEST_CASE("CRL add_revoked refuses an undated or moved-from entry and stays unchanged", "[crl]") {
  CRL crl;
  Revoked undated;
  REQUIRE_OK(undated.set_serial("01"));
  REQUIRE_FAILS_WITH(crl.add_revoked(undated), errc::invalid_argument);
  Revoked dated = revoked_entry("02", "20240101000000Z", "");
  Revoked taken = std::move(dated);
  REQUIRE_FAILS_WITH(crl.add_revoked(dated), errc::invalid_argument);  // NOLINT(bugprone-use-after-move)
  CHECK_FALSE(crl.get_revoked().has_value());
}

TEST_CASE("CRL set_version, set_lastUpdate and set_nextUpdate refuse bad values", "[crl]") {
  CRL crl;
  REQUIRE_OK(crl.set_version(0));
  REQUIRE_OK(crl.set_version(1));
  CHECK(X509_CRL_get_version(crl.native_handle()) == 1);
  REQUIRE_FAILS_WITH(crl.set_version(2), errc::invalid_argument);
  REQUIRE_FAILS_WITH(crl.set_version(-1), errc::invalid_argument);
  CHECK(X509_CRL_get_version(crl.native_handle()) == 1);

  REQUIRE_OK(crl.set_lastUpdate("20240101000000Z"));
  REQUIRE_OK(crl.set_nextUpdate("20240201000000Z"));
  REQUIRE_FAILS_WITH(crl.set_lastUpdate("yesterday"), errc::invalid_argument);
  REQUIRE_FAILS_WITH(crl.set_nextUpdate("20240231000000Z"), errc::invalid_argument);
  CHECK(pyossl::detail::generalized_time(X509_CRL_get0_lastUpdate(crl.native_handle())) == "20240101000000Z");
  CHECK(pyossl::detail::generalized_time(X509_CRL_get0_nextUpdate(crl.native_handle())) == "20240201000000Z");
}

TEST_CASE("CRL sign sets the issuer and makes a CRL that round-trips through PEM and DER", "[crl]") {
  CRL crl;
  REQUIRE_OK(crl.set_version(1));
  REQUIRE_OK(crl.set_lastUpdate("20240101000000Z"));
  REQUIRE_OK(crl.set_nextUpdate("20990101000000Z"));
  REQUIRE_OK(crl.add_revoked(revoked_entry("100", "20240102000000Z", "superseded")));
  REQUIRE_OK(crl.add_revoked(revoked_entry("3ab", "20240103000000Z", "keyCompromise")));
  REQUIRE_OK(crl.sign(pki().intermediate, pki().intermediate_key, "sha256"));
  CHECK(ERR_peek_error() == 0UL);
  CHECK(crl.get_issuer().get("CN") == "intermediate");
  auto pubkey = pki().intermediate.get_pubkey();
  REQUIRE_OK(pubkey);
  CHECK(X509_CRL_verify(crl.native_handle(), pubkey->native_handle()) == 1);

  for (const auto type : {FILETYPE_PEM, FILETYPE_ASN1}) {
    auto encoded = pyossl::crypto::dump_crl(type, crl);
    REQUIRE_OK(encoded);
    if (type == FILETYPE_PEM) CHECK(encoded->starts_with("-----BEGIN X509 CRL-----\n"));
    auto loaded = pyossl::crypto::load_crl(type, *encoded);
    REQUIRE_OK(loaded);
    auto again = pyossl::crypto::dump_crl(type, *loaded);
    REQUIRE_OK(again);
    CHECK(*again == *encoded);
    const auto entries = loaded->get_revoked();
    REQUIRE(entries.has_value());
    REQUIRE(entries->size() == 2);
    CHECK(entries->at(0).get_serial() == "0100");  // sorted by serial when signed
    CHECK(entries->at(0).get_reason() == "Superseded");
    CHECK(entries->at(1).get_serial() == "03AB");
    CHECK(entries->at(1).get_rev_date() == "20240103000000Z");
    CHECK(loaded->get_issuer().get("CN") == "intermediate");
  }
  const CRL copy = crl;  // signed: X509_CRL_dup
  CHECK(must(pyossl::crypto::dump_crl(FILETYPE_ASN1, copy)) ==
        must(pyossl::crypto::dump_crl(FILETYPE_ASN1, crl)));
}

TEST_CASE("CRL sign with a key that does not match the issuer fails and changes nothing", "[crl]") {
  CRL crl;
  REQUIRE_OK(crl.set_lastUpdate("20240101000000Z"));
  REQUIRE_FAILS_WITH(crl.sign(pki().intermediate, pki().root_key, "sha256"), errc::crypto);
  CHECK(crl.get_issuer().get("CN") == std::nullopt);
  REQUIRE_FAILS_WITH(pyossl::crypto::dump_crl(FILETYPE_PEM, crl), errc::crypto);

  REQUIRE_OK(crl.sign(pki().root, pki().root_key, "sha256"));
  REQUIRE_OK(crl.add_revoked(revoked_entry("07", "20240101000000Z", "")));
  REQUIRE_FAILS_WITH(crl.sign(pki().intermediate, pki().root_key, "sha256"), errc::crypto);
  CHECK(crl.get_issuer().get("CN") == "root");
  REQUIRE_FAILS_WITH(crl.sign(pki().root, pki().root_key, "no-such-digest"), errc::invalid_argument);
  REQUIRE_FAILS_WITH(crl.sign(pki().root, pyossl::crypto::PKey(), "sha256"), errc::invalid_argument);
  auto public_only = pki().root.get_pubkey();
  REQUIRE_OK(public_only);
  REQUIRE_FAILS_WITH(crl.sign(pki().root, *public_only, "sha256"), errc::invalid_argument);
  X509 gone = pki().root;
  X509 taken = std::move(gone);
  REQUIRE_FAILS_WITH(crl.sign(gone, pki().root_key, "sha256"), errc::invalid_argument);  // NOLINT
  CHECK(crl.get_issuer().get("CN") == "root");
}

TEST_CASE("CRL sign refuses a CRL with no lastUpdate, which nothing could read back", "[crl]") {
  CRL crl;
  REQUIRE_OK(crl.add_revoked(revoked_entry("07", "20240101000000Z", "")));
  REQUIRE_FAILS_WITH(crl.sign(pki().root, pki().root_key, "sha256"), errc::invalid_argument);
  CHECK_THAT(crl.sign(pki().root, pki().root_key, "sha256").error().message(),
             Catch::Contains("set_lastUpdate"));
  CHECK(ERR_peek_error() == 0UL);
  // Unchanged: still unsigned, no issuer, and unusable in a store.
  CHECK(crl.get_issuer().get("CN") == std::nullopt);
  REQUIRE_FAILS_WITH(pyossl::crypto::dump_crl(FILETYPE_PEM, crl), errc::crypto);
  X509Store store;
  REQUIRE_FAILS_WITH(store.add_crl(crl), errc::invalid_argument);

  REQUIRE_OK(crl.set_lastUpdate("20240101000000Z"));
  REQUIRE_OK(crl.sign(pki().root, pki().root_key, "sha256"));
  REQUIRE_OK(pyossl::crypto::load_crl(FILETYPE_PEM, must(pyossl::crypto::dump_crl(FILETYPE_PEM, crl))));
}

TEST_CASE("A signed CRL OpenSSL cannot copy unchanged: copies fail loudly, the store still gets it",
          "[crl]") {
  // The outer signatureAlgorithm's parameters are 20 80 00 00 (odd_der.hpp): OpenSSL reads
  // the CRL but X509_CRL_dup cannot read back what it writes. A copy rebuilt field by field
  // would be unsigned, so the copy must fail instead; X509Store::add_crl shares the CRL, as
  // raw X509_STORE_add_crl does, and gives raw OpenSSL's verdict.
  const CRL made = pyossl_test::make_crl(pki().intermediate, pki().intermediate_key, {"3AB"});
  const std::string odd = pyossl_test::certificate_with_odd_signature_parameters(
      must(pyossl::crypto::dump_crl(FILETYPE_ASN1, made)));
  auto loaded = pyossl::crypto::load_crl(FILETYPE_ASN1, odd);
  REQUIRE_OK(loaded);
  REQUIRE_THROWS_AS(CRL(*loaded), pyossl::crypto::Error);
  CHECK(ERR_peek_error() == 0UL);
  CRL target;
  REQUIRE_THROWS_AS(target = *loaded, pyossl::crypto::Error);
  CHECK(ERR_peek_error() == 0UL);

  const auto verdict = [](auto add) {
    X509Store store;
    must(store.add_cert(pki().root));
    add(store);
    must(store.set_flags(X509StoreFlags::CRL_CHECK));
    auto result = X509StoreContext(store, pki().leaf, {pki().intermediate}).verify_certificate();
    return result ? X509_V_OK : result.error().verification()->code;
  };
  const int ours = verdict([&](X509Store& store) { REQUIRE_OK(store.add_crl(*loaded)); });
  const int raw = verdict([&](X509Store& store) {
    REQUIRE(X509_STORE_add_crl(store.native_handle(), loaded->native_handle()) == 1);
  });
  CHECK(raw == X509_V_ERR_CERT_REVOKED);
  CHECK(ours == raw);
  CHECK(ERR_peek_error() == 0UL);
}

TEST_CASE(
    "dump_crl and export_ write FILETYPE_TEXT exactly as openssl crl -text -noout -nameopt oneline prints it",
    "[crl][interop]") {
  const pyossl_test::temp_dir dir;
  const CRL crl = pyossl_test::make_crl(pki().intermediate, pki().intermediate_key, {"3AB", "1000"});
  pyossl_test::write_file(dir.file("crl.pem"), must(pyossl::crypto::dump_crl(FILETYPE_PEM, crl)));
  auto text = pyossl::crypto::dump_crl(FILETYPE_TEXT, crl);
  REQUIRE_OK(text);
  CHECK(*text ==
        pyossl_test::openssl_or_throw("crl -text -noout -nameopt oneline -in " + dir.file("crl.pem")));

  // An unsigned CRL prints too (it cannot be encoded as PEM or DER).
  CRL draft;
  REQUIRE_OK(draft.set_lastUpdate("20240101000000Z"));
  auto draft_text = pyossl::crypto::dump_crl(FILETYPE_TEXT, draft);
  REQUIRE_OK(draft_text);
  CHECK_THAT(*draft_text, Catch::Contains("Last Update: Jan  1 00:00:00 2024 GMT"));

  CRL exported;
  REQUIRE_OK(exported.add_revoked(revoked_entry("3ab", "20240101000000Z", "keyCompromise")));
  auto exported_text = exported.export_(pki().intermediate, pki().intermediate_key, FILETYPE_TEXT);
  REQUIRE_OK(exported_text);
  CHECK(*exported_text == must(pyossl::crypto::dump_crl(FILETYPE_TEXT, exported)));
  CHECK_THAT(*exported_text, Catch::Contains("Serial Number: 03AB"));

  CRL gone;
  CRL taken = std::move(gone);
  REQUIRE_FAILS_WITH(pyossl::crypto::dump_crl(FILETYPE_TEXT, gone), errc::invalid_argument);  // NOLINT
  REQUIRE_FAILS_WITH(pyossl::crypto::load_crl(FILETYPE_TEXT, *text), errc::invalid_argument);
}

TEST_CASE(
    "dump_crl with FILETYPE_TEXT of an undecodable CRL extension succeeds and leaves the error queue empty",
    "[crl][interop]") {
  // `openssl ca -gencrl` with an issuerAltName whose DER OpenSSL cannot decode:
  // X509_CRL_print_ex prints it as "..." (a success) but queues the decoder's complaints.
  const pyossl_test::temp_dir dir;
  pyossl_test::write_file(dir.file("ca.pem"), pem_of(pki().intermediate));
  pyossl_test::write_file(dir.file("ca-key.pem"),
                          must(pyossl::crypto::dump_privatekey(FILETYPE_PEM, pki().intermediate_key)));
  pyossl_test::write_file(dir.file("index.txt"), "");
  pyossl_test::write_file(dir.file("crlnumber"), "01\n");
  pyossl_test::write_file(dir.file("ca.cnf"),
                          "[ca]\ndefault_ca = c\n[c]\ndatabase = " + dir.file("index.txt") +
                              "\ncrlnumber = " + dir.file("crlnumber") +
                              "\ndefault_md = sha256\ndefault_crl_days = 5\n"
                              "crl_extensions = crlext\n[crlext]\nissuerAltName = DER:01:02:03\n");
  pyossl_test::openssl_or_throw("ca -batch -config " + dir.file("ca.cnf") + " -cert " + dir.file("ca.pem") +
                                " -keyfile " + dir.file("ca-key.pem") + " -gencrl -out " +
                                dir.file("crl.pem"));
  CRL crl = must(pyossl::crypto::load_crl(FILETYPE_PEM, pyossl_test::read_file(dir.file("crl.pem"))));

  auto text = pyossl::crypto::dump_crl(FILETYPE_TEXT, crl);
  REQUIRE_OK(text);
  CHECK(*text ==
        pyossl_test::openssl_or_throw("crl -text -noout -nameopt oneline -in " + dir.file("crl.pem")));
  auto exported = crl.export_(pki().intermediate, pki().intermediate_key, FILETYPE_TEXT);
  REQUIRE_OK(exported);

  // So the next, unrelated failure reports only its own reason.
  const auto garbage = pyossl::crypto::load_crl(FILETYPE_PEM, "garbage");
  REQUIRE_FAILS_WITH(garbage, errc::crypto);
  CHECK(garbage.error().queue().size() == 1);
  CHECK(garbage.error().message().find("no start line") != std::string::npos);
}

TEST_CASE("CRL sign with Ed25519 takes no digest", "[crl]") {
  pyossl::crypto::PKey key;
  REQUIRE_OK(key.generate_key(pyossl::crypto::TYPE_ED25519, 0));
  const X509 issuer = pyossl_test::self_signed(pyossl_test::make_name({{"CN", "ed25519 ca"}}), key, "");
  CRL crl;
  REQUIRE_OK(crl.set_lastUpdate("20240101000000Z"));
  REQUIRE_OK(crl.sign(issuer, key, ""));
  auto pubkey = issuer.get_pubkey();
  REQUIRE_OK(pubkey);
  CHECK(X509_CRL_verify(crl.native_handle(), pubkey->native_handle()) == 1);
}

TEST_CASE("CRL export_ dates, signs and encodes the CRL; bad input changes nothing", "[crl]") {
  CRL crl;
  REQUIRE_OK(crl.add_revoked(revoked_entry("3ab", "20240101000000Z", "keyCompromise")));
  REQUIRE_FAILS_WITH(crl.export_(pki().intermediate, pki().root_key), errc::crypto);
  REQUIRE_FAILS_WITH(crl.export_(pki().intermediate, pki().intermediate_key, FILETYPE_PEM, -1),
                     errc::invalid_argument);
  REQUIRE_FAILS_WITH(
      crl.export_(pki().intermediate, pki().intermediate_key, static_cast<pyossl::crypto::filetype>(3)),
      errc::invalid_argument);
  REQUIRE_FAILS_WITH(crl.export_(pki().intermediate, pki().intermediate_key, FILETYPE_PEM, 10, "nope"),
                     errc::invalid_argument);
  for (const int days : {3'000'000, std::numeric_limits<int>::max()}) {
    const auto too_far = crl.export_(pki().intermediate, pki().intermediate_key, FILETYPE_PEM, days);
    REQUIRE_FAILS_WITH(too_far, errc::invalid_argument);
    CHECK_THAT(too_far.error().message(), Catch::Contains("9999"));
  }
  CHECK(ASN1_STRING_length(X509_CRL_get0_lastUpdate(crl.native_handle())) == 0);
  CHECK(crl.get_issuer().get("CN") == std::nullopt);

  auto pem = crl.export_(pki().intermediate, pki().intermediate_key);
  REQUIRE_OK(pem);
  CHECK(ERR_peek_error() == 0UL);
  CHECK(crl.get_issuer().get("CN") == "intermediate");
  int days = 0;
  int seconds = 0;
  REQUIRE(ASN1_TIME_diff(&days, &seconds, X509_CRL_get0_lastUpdate(crl.native_handle()),
                         X509_CRL_get0_nextUpdate(crl.native_handle())) == 1);
  CHECK(days == 100);
  CHECK(seconds == 0);
  auto loaded = pyossl::crypto::load_crl(FILETYPE_PEM, *pem);
  REQUIRE_OK(loaded);
  CHECK(loaded->get_revoked()->at(0).get_serial() == "03AB");

  auto der = crl.export_(pki().intermediate, pki().intermediate_key, FILETYPE_ASN1, 7, "sha384");
  REQUIRE_OK(der);
  REQUIRE_OK(pyossl::crypto::load_crl(FILETYPE_ASN1, *der));
  REQUIRE(ASN1_TIME_diff(&days, &seconds, X509_CRL_get0_lastUpdate(crl.native_handle()),
                         X509_CRL_get0_nextUpdate(crl.native_handle())) == 1);
  CHECK(days == 7);
}

TEST_CASE("load_crl refuses empty, garbled, truncated and foreign input", "[crl]") {
  const CRL crl = pyossl_test::make_crl(pki().root, pki().root_key, {"01"});
  const std::string der = must(pyossl::crypto::dump_crl(FILETYPE_ASN1, crl));
  const std::string pem = must(pyossl::crypto::dump_crl(FILETYPE_PEM, crl));
  REQUIRE_FAILS_WITH(pyossl::crypto::load_crl(FILETYPE_PEM, ""), errc::crypto);
  REQUIRE_FAILS_WITH(pyossl::crypto::load_crl(FILETYPE_PEM, "garbage"), errc::crypto);
  REQUIRE_FAILS_WITH(pyossl::crypto::load_crl(FILETYPE_PEM, pem.substr(0, pem.size() / 2)), errc::crypto);
  REQUIRE_FAILS_WITH(pyossl::crypto::load_crl(FILETYPE_PEM, pem_of(pki().root)), errc::crypto);
  REQUIRE_FAILS_WITH(pyossl::crypto::load_crl(FILETYPE_ASN1, der.substr(0, der.size() - 3)), errc::crypto);
  REQUIRE_FAILS_WITH(pyossl::crypto::load_crl(FILETYPE_ASN1, der + "x"), errc::crypto);
  REQUIRE_FAILS_WITH(pyossl::crypto::load_crl(static_cast<pyossl::crypto::filetype>(9), pem),
                     errc::invalid_argument);
  REQUIRE_OK(pyossl::crypto::load_crl(FILETYPE_PEM, "text before\n" + pem));

  CRL gone = crl;
  CRL taken = std::move(gone);
  REQUIRE_FAILS_WITH(pyossl::crypto::dump_crl(FILETYPE_PEM, gone), errc::invalid_argument);  // NOLINT
  REQUIRE_FAILS_WITH(pyossl::crypto::dump_crl(static_cast<pyossl::crypto::filetype>(9), taken),
                     errc::invalid_argument);
  CHECK_FALSE(gone.get_revoked().has_value());
  REQUIRE_FAILS_WITH(gone.add_revoked(revoked_entry("01", "20240101000000Z", "")), errc::invalid_argument);
  REQUIRE_FAILS_WITH(gone.set_version(1), errc::invalid_argument);
  REQUIRE_FAILS_WITH(gone.set_lastUpdate("20240101000000Z"), errc::invalid_argument);
  REQUIRE_FAILS_WITH(gone.sign(pki().root, pki().root_key, "sha256"), errc::invalid_argument);
  REQUIRE_FAILS_WITH(gone.export_(pki().root, pki().root_key), errc::invalid_argument);
}

// ---- the openssl CLI -------------------------------------------------------------------

TEST_CASE("openssl crl reads a CRL pyossl made: text, issuer and signature", "[crl][interop]") {
  const pyossl_test::temp_dir dir;
  const CRL crl = pyossl_test::make_crl(pki().intermediate, pki().intermediate_key, {"3AB"});
  pyossl_test::write_file(dir.file("crl.pem"), must(pyossl::crypto::dump_crl(FILETYPE_PEM, crl)));
  pyossl_test::write_file(dir.file("crl.der"), must(pyossl::crypto::dump_crl(FILETYPE_ASN1, crl)));
  pyossl_test::write_file(dir.file("intermediate.pem"), pem_of(pki().intermediate));

  const std::string text =
      pyossl_test::openssl_or_throw("crl -text -noout -nameopt oneline -in " + dir.file("crl.pem"));
  CHECK_THAT(text, Catch::Contains("Version 2 (0x1)"));
  CHECK_THAT(text, Catch::Contains("Issuer: O = pyossl chain, CN = intermediate"));
  CHECK_THAT(text, Catch::Contains("Last Update: Jan  1 00:00:00 2020 GMT"));
  CHECK_THAT(text, Catch::Contains("Next Update: Dec 31 23:59:59 2099 GMT"));
  CHECK_THAT(text, Catch::Contains("Serial Number: 03AB"));
  CHECK_THAT(text, Catch::Contains("Revocation Date: Jan  1 00:00:00 2021 GMT"));
  CHECK_THAT(text, Catch::Contains("Key Compromise"));
  CHECK(pyossl_test::openssl_or_throw("crl -inform DER -text -noout -nameopt oneline -in " +
                                      dir.file("crl.der")) == text);

  const auto verified = pyossl_test::run_openssl("crl -noout -in " + dir.file("crl.pem") + " -CAfile " +
                                                 dir.file("intermediate.pem"));
  CHECK(verified.exit_code == 0);
  CHECK_THAT(verified.output, Catch::Contains("verify OK"));
}

TEST_CASE("openssl verify -crl_check agrees with X509StoreContext on pyossl's CRLs", "[crl][interop]") {
  const pyossl_test::temp_dir dir;
  pyossl_test::write_file(dir.file("root.pem"), pem_of(pki().root));
  pyossl_test::write_file(dir.file("intermediate.pem"), pem_of(pki().intermediate));
  pyossl_test::write_file(dir.file("leaf.pem"), pem_of(pki().leaf));
  const std::string command = "verify -crl_check -CAfile " + dir.file("root.pem") + " -untrusted " +
                              dir.file("intermediate.pem") + " -CRLfile " + dir.file("crl.pem") + " " +
                              dir.file("leaf.pem");

  for (const bool revoke : {false, true}) {
    INFO((revoke ? "leaf revoked" : "nothing revoked"));
    const CRL crl = revoke ? pyossl_test::make_crl(pki().intermediate, pki().intermediate_key, {"3AB"})
                           : pyossl_test::make_crl(pki().intermediate, pki().intermediate_key);
    pyossl_test::write_file(dir.file("crl.pem"), must(pyossl::crypto::dump_crl(FILETYPE_PEM, crl)));
    const auto cli = pyossl_test::run_openssl(command);

    X509Store store;
    REQUIRE_OK(store.add_cert(pki().root));
    REQUIRE_OK(store.add_crl(crl));
    REQUIRE_OK(store.set_flags(X509StoreFlags::CRL_CHECK));
    const auto ours = X509StoreContext(store, pki().leaf, {pki().intermediate}).verify_certificate();
    CHECK(ERR_peek_error() == 0UL);
    if (revoke) {
      CHECK(cli.exit_code != 0);
      CHECK_THAT(cli.output, Catch::Contains("error 23 at 0 depth lookup: certificate revoked"));
      REQUIRE_FALSE(ours.has_value());
      CHECK(ours.error().verification()->code == X509_V_ERR_CERT_REVOKED);
    } else {
      CHECK(cli.exit_code == 0);
      CHECK_THAT(cli.output, Catch::Contains(": OK"));
      REQUIRE_OK(ours);
    }
  }
}

TEST_CASE("A CRL made by openssl ca -gencrl loads in pyossl and revokes in X509StoreContext",
          "[crl][interop]") {
  const pyossl_test::temp_dir dir;
  pyossl_test::write_file(dir.file("root.pem"), pem_of(pki().root));
  pyossl_test::write_file(dir.file("intermediate.pem"), pem_of(pki().intermediate));
  pyossl_test::write_file(dir.file("intermediate-key.pem"),
                          must(pyossl::crypto::dump_privatekey(FILETYPE_PEM, pki().intermediate_key)));
  pyossl_test::write_file(dir.file("leaf.pem"), pem_of(pki().leaf));
  pyossl_test::write_file(dir.file("index.txt"), "");
  pyossl_test::write_file(dir.file("crlnumber"), "1000\n");
  pyossl_test::write_file(dir.file("ca.cnf"),
                          "[ ca ]\ndefault_ca = CA_default\n[ CA_default ]\n"
                          "database = " +
                              dir.file("index.txt") +
                              "\n"
                              "crlnumber = " +
                              dir.file("crlnumber") +
                              "\n"
                              "certificate = " +
                              dir.file("intermediate.pem") +
                              "\n"
                              "private_key = " +
                              dir.file("intermediate-key.pem") +
                              "\n"
                              "default_md = sha256\ndefault_crl_days = 30\n");
  const std::string config = " -config " + dir.file("ca.cnf");
  pyossl_test::openssl_or_throw("ca -batch" + config + " -revoke " + dir.file("leaf.pem") +
                                " -crl_reason keyCompromise");
  pyossl_test::openssl_or_throw("ca -batch" + config + " -gencrl -out " + dir.file("crl.pem"));

  auto crl = pyossl::crypto::load_crl(FILETYPE_PEM, pyossl_test::read_file(dir.file("crl.pem")));
  REQUIRE_OK(crl);
  CHECK(crl->get_issuer().get("CN") == "intermediate");
  const auto entries = crl->get_revoked();
  REQUIRE(entries.has_value());
  REQUIRE(entries->size() == 1);
  CHECK(entries->front().get_serial() == "03AB");
  CHECK(entries->front().get_reason() == "Key Compromise");
  CHECK(entries->front().get_rev_date().has_value());
  // pyossl writes back exactly what openssl wrote.
  CHECK(must(pyossl::crypto::dump_crl(FILETYPE_PEM, *crl)) == pyossl_test::read_file(dir.file("crl.pem")));

  X509Store store;
  REQUIRE_OK(store.add_cert(pki().root));
  REQUIRE_OK(store.add_crl(*crl));
  REQUIRE_OK(store.set_flags(X509StoreFlags::CRL_CHECK));
  const auto result = X509StoreContext(store, pki().leaf, {pki().intermediate}).verify_certificate();
  REQUIRE_FAILS_WITH(result, errc::crypto);
  CHECK(result.error().verification()->code == X509_V_ERR_CERT_REVOKED);
  CHECK(result.error().verification()->depth == 0);
}

}  // namespace

TEST_CASE("load_crl of a CRL whose entry extension does not decode succeeds and leaves no error queued",
          "[crl][fuzz]") {
  // Found by fuzz/load_crl in its first seconds: a CRL made by fuzz/make_seeds.sh (`openssl
  // ca -gencrl`, one entry revoked for keyCompromise) with the fuzzer's mutations of its
  // revocation date and reason-code bytes. d2i_X509_CRL accepts it, and used to leave the
  // entry extension's decoding errors queued for the next call to misreport.
  std::string der;
  for (const char* line :
       {"308201013081a7020101300a06082a8648ce3d0403023030310b300906035504061302444531143012060355040a0c0b",
        "70796f73736c2066757a7a310b300906035504030c026361170d3236313230313132333634365a170d32363132333131",
        "32333634365a303530330214154af7bc8715996f20807614b21275baaedf94b4170d3236313230363331313432365a30",
        "0c300a0603551d150403c50101a00f300d300b0603551d14040402021001300a06082a8648ce3d044002034900304602",
        "2100b09ba79b0ead753e92a024bc1093a13f4d02bee9b75c842e53edf6163f1e12da022100bf4dc8e4f6a77fed026ff4",
        "0cdc3b34f2852ca29b4748b3cb2fc173bb5b16fe8c"}) {
    const std::string_view hex(line);
    for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
      der.push_back(static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
    }
  }
  REQUIRE(der.size() == 261);
  auto crl = pyossl::crypto::load_crl(pyossl::crypto::FILETYPE_ASN1, der);
  REQUIRE_OK(crl);
  CHECK(ERR_peek_error() == 0UL);
  auto revoked = crl->get_revoked();
  REQUIRE(revoked.has_value());
  CHECK(revoked->size() == 1);
  (void)revoked->front().get_reason();
  (void)revoked->front().get_rev_date();
  CHECK(ERR_peek_error() == 0UL);
}
