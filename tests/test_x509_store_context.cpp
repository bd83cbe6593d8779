// pyossl::crypto::X509StoreContext and the X509Store settings it verifies with
// (set_flags, set_time, add_crl): every verdict compared with raw X509_verify_cert on the
// same store, certificate and untrusted chain.
#include <chrono>
#include <cstdlib>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include "catch.hpp"
#include "chain.hpp"
#include "checks.hpp"
#include "pyossl/crypto/certificate_io.hpp"
#include "pyossl/crypto/crl.hpp"
#include "pyossl/crypto/x509_extension.hpp"
#include "pyossl/crypto/x509_store.hpp"
#include "pyossl/crypto/x509_store_context.hpp"
#include "temp_dir.hpp"

namespace {

using pyossl::errc;
using pyossl::crypto::X509;
using pyossl::crypto::X509Store;
using pyossl::crypto::X509StoreContext;
using pyossl::crypto::X509StoreFlags;
using pyossl_test::chain_fixture;
using pyossl_test::make_chain;
using pyossl_test::make_crl;
using pyossl_test::must;
using pyossl_test::utc;

struct verdict {
  bool ok = false;
  long code = X509_V_OK;
  int depth = 0;
};

// What OpenSSL's own X509_verify_cert says about the same inputs.
verdict raw_verify(const X509Store& store, const X509& cert, const std::vector<X509>& chain) {
  const pyossl::detail::handle<STACK_OF(X509)> untrusted(sk_X509_new_null());
  for (const X509& c : chain) {
    pyossl::detail::handle<::X509> shared = pyossl::detail::up_ref(c.native_handle());
    REQUIRE(sk_X509_push(untrusted.get(), shared.release()) > 0);
  }
  const pyossl::detail::handle<X509_STORE_CTX> context(X509_STORE_CTX_new());
  REQUIRE(X509_STORE_CTX_init(context.get(), store.native_handle(), cert.native_handle(), untrusted.get()) ==
          1);
  verdict v;
  v.ok = X509_verify_cert(context.get()) == 1;
  v.code = X509_STORE_CTX_get_error(context.get());
  v.depth = v.ok ? 0 : X509_STORE_CTX_get_error_depth(context.get());
  ERR_clear_error();
  return v;
}

// pyossl's verdict, checked against raw OpenSSL's and for a clean error queue.
verdict verify(const X509Store& store, const X509& cert, const std::vector<X509>& chain = {}) {
  const X509StoreContext context(store, cert, chain);
  const auto result = context.verify_certificate();
  CHECK(ERR_peek_error() == 0UL);
  verdict ours;
  ours.ok = result.has_value();
  if (!ours.ok) {
    CHECK(result.error() == errc::crypto);
    REQUIRE(result.error().verification().has_value());
    ours.code = result.error().verification()->code;
    ours.depth = result.error().verification()->depth;
    CHECK(result.error().verification()->text == X509_verify_cert_error_string(ours.code));
  }
  const verdict raw = raw_verify(store, cert, chain);
  CHECK(ours.ok == raw.ok);
  CHECK(ours.code == raw.code);
  CHECK(ours.depth == raw.depth);
  return ours;
}

X509Store trusting(const X509& root) {
  X509Store store;
  must(store.add_cert(root));
  return store;
}

TEST_CASE("X509StoreContext verifies a leaf through an untrusted intermediate", "[x509storecontext]") {
  STATIC_REQUIRE(std::is_nothrow_move_constructible_v<X509StoreContext>);
  const chain_fixture pki = make_chain();
  const X509Store store = trusting(pki.root);
  const verdict v = verify(store, pki.leaf, {pki.intermediate});
  CHECK(v.ok);

  const X509StoreContext context(store, pki.leaf, {pki.intermediate});
  auto chain = context.get_verified_chain();
  REQUIRE_OK(chain);
  CHECK(ERR_peek_error() == 0UL);
  REQUIRE(chain->size() == 3);
  CHECK(chain->at(0).get_subject().get("CN") == "leaf");
  CHECK(chain->at(1).get_subject().get("CN") == "intermediate");
  CHECK(chain->at(2).get_subject().get("CN") == "root");
  // Copies: changing one does not change the store's trusted root.
  CHECK(chain->at(2).native_handle() != pki.root.native_handle());
}

TEST_CASE("X509StoreContext without the intermediate fails with the issuer error and its subject",
          "[x509storecontext]") {
  const chain_fixture pki = make_chain();
  const X509Store store = trusting(pki.root);
  const verdict v = verify(store, pki.leaf);
  CHECK_FALSE(v.ok);
  CHECK(v.code == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY);
  CHECK(v.depth == 0);

  const X509StoreContext context(store, pki.leaf);
  const auto result = context.verify_certificate();
  REQUIRE_FAILS_WITH(result, errc::crypto);
  CHECK(result.error().verification()->subject == "O = pyossl chain, CN = leaf");
  CHECK(result.error().message() ==
        "X509_verify_cert: certificate verify failed (unable to get local issuer certificate)");
  REQUIRE_FAILS_WITH(context.get_verified_chain(), errc::crypto);
  // An empty store trusts nothing, not even a self-signed root.
  CHECK(verify(X509Store(), pki.root).code == X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT);
}

TEST_CASE("X509Store::set_time checks validity at that time: expired and not yet valid",
          "[x509storecontext]") {
  pyossl_test::certificate_spec leaf = pyossl_test::leaf_spec();
  leaf.not_before = "20300101000000Z";
  leaf.not_after = "20310101000000Z";
  const chain_fixture pki = make_chain(pyossl_test::root_spec(), pyossl_test::intermediate_spec(), leaf);
  X509Store store = trusting(pki.root);

  REQUIRE_OK(store.set_time(utc(2029, 12, 31)));
  verdict v = verify(store, pki.leaf, {pki.intermediate});
  CHECK(v.code == X509_V_ERR_CERT_NOT_YET_VALID);
  CHECK(v.depth == 0);

  REQUIRE_OK(store.set_time(utc(2030, 6, 1)));
  CHECK(verify(store, pki.leaf, {pki.intermediate}).ok);

  REQUIRE_OK(store.set_time(std::chrono::sys_days{std::chrono::year{2031} / 1 / 2} + std::chrono::hours{3}));
  v = verify(store, pki.leaf, {pki.intermediate});
  CHECK(v.code == X509_V_ERR_CERT_HAS_EXPIRED);
  CHECK(v.depth == 0);

  // Beyond the root's validity, the root is what fails.
  REQUIRE_OK(store.set_time(utc(2100, 6, 1)));
  v = verify(store, pki.leaf, {pki.intermediate});
  CHECK(v.code == X509_V_ERR_CERT_HAS_EXPIRED);
  CHECK(v.depth == 2);
}

TEST_CASE("X509Store settings made after the X509StoreContext count at the next verification",
          "[x509storecontext]") {
  const chain_fixture pki = make_chain();
  X509Store store = trusting(pki.root);
  const X509StoreContext context(store, pki.leaf, {pki.intermediate});
  REQUIRE_OK(context.verify_certificate());

  REQUIRE_OK(store.set_time(utc(2101, 1, 1)));
  auto expired = context.verify_certificate();
  REQUIRE_FAILS_WITH(expired, errc::crypto);
  CHECK(expired.error().verification()->code == X509_V_ERR_CERT_HAS_EXPIRED);

  REQUIRE_OK(store.set_time(utc(2025, 1, 1)));
  REQUIRE_OK(store.set_flags(X509StoreFlags::CRL_CHECK));
  auto no_crl = context.verify_certificate();
  REQUIRE_FAILS_WITH(no_crl, errc::crypto);
  CHECK(no_crl.error().verification()->code == X509_V_ERR_UNABLE_TO_GET_CRL);

  REQUIRE_OK(store.add_crl(make_crl(pki.intermediate, pki.intermediate_key)));
  REQUIRE_OK(context.verify_certificate());
  CHECK(ERR_peek_error() == 0UL);
}

TEST_CASE("PARTIAL_CHAIN lets a trusted intermediate end the chain", "[x509storecontext]") {
  const chain_fixture pki = make_chain();
  X509Store store = trusting(pki.intermediate);
  const verdict without = verify(store, pki.leaf);
  CHECK(without.code == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT);
  CHECK(without.depth == 1);

  REQUIRE_OK(store.set_flags(X509StoreFlags::PARTIAL_CHAIN));
  CHECK(verify(store, pki.leaf).ok);
  const X509StoreContext context(store, pki.leaf);
  auto chain = context.get_verified_chain();
  REQUIRE_OK(chain);
  REQUIRE(chain->size() == 2);
  CHECK(chain->back().get_subject().get("CN") == "intermediate");
}

TEST_CASE("Path length and CA-flag violations fail as OpenSSL says, X509_STRICT adding its rules",
          "[x509storecontext]") {
  SECTION("a root with pathlen:0 cannot have an intermediate CA under it") {
    pyossl_test::certificate_spec root = pyossl_test::root_spec();
    root.basic_constraints = "CA:TRUE, pathlen:0";
    const chain_fixture pki = make_chain(root);
    X509Store store = trusting(pki.root);
    REQUIRE_OK(store.set_flags(X509StoreFlags::X509_STRICT));
    const verdict v = verify(store, pki.leaf, {pki.intermediate});
    CHECK(v.code == X509_V_ERR_PATH_LENGTH_EXCEEDED);
  }
  SECTION("an intermediate that is not a CA cannot issue") {
    pyossl_test::certificate_spec intermediate = pyossl_test::intermediate_spec();
    intermediate.basic_constraints = "CA:FALSE";
    const chain_fixture pki = make_chain(pyossl_test::root_spec(), intermediate);
    X509Store store = trusting(pki.root);
    REQUIRE_OK(store.set_flags(X509StoreFlags::X509_STRICT));
    const verdict v = verify(store, pki.leaf, {pki.intermediate});
    CHECK(v.code == X509_V_ERR_INVALID_CA);
    CHECK(v.depth == 1);
  }
  SECTION("a CA whose basicConstraints are not critical passes unless X509_STRICT") {
    pyossl_test::certificate_spec intermediate = pyossl_test::intermediate_spec();
    intermediate.basic_constraints_critical = false;
    const chain_fixture pki = make_chain(pyossl_test::root_spec(), intermediate);
    X509Store store = trusting(pki.root);
    CHECK(verify(store, pki.leaf, {pki.intermediate}).ok);
    REQUIRE_OK(store.set_flags(X509StoreFlags::X509_STRICT | X509StoreFlags::CHECK_SS_SIGNATURE));
    const verdict v = verify(store, pki.leaf, {pki.intermediate});
    CHECK(v.code == X509_V_ERR_CA_BCONS_NOT_CRITICAL);
    CHECK(v.depth == 1);
  }
}

TEST_CASE("Depth, purpose and trust set on the store are the ones each verification uses",
          "[x509storecontext]") {
  const chain_fixture pki = make_chain();
  SECTION("depth") {
    X509Store store = trusting(pki.root);
    REQUIRE(X509_STORE_set_depth(store.native_handle(), 0) == 1);
    CHECK(verify(store, pki.leaf, {pki.intermediate}).code == X509_V_ERR_CERT_CHAIN_TOO_LONG);
    REQUIRE(X509_STORE_set_depth(store.native_handle(), 2) == 1);
    CHECK(verify(store, pki.leaf, {pki.intermediate}).ok);
  }
  SECTION("purpose") {
    X509Store store = trusting(pki.root);
    CHECK(verify(store, pki.leaf, {pki.intermediate}).ok);  // pyossl sets no purpose of its own
    REQUIRE(X509_STORE_set_purpose(store.native_handle(), X509_PURPOSE_CRL_SIGN) == 1);
    const verdict v = verify(store, pki.leaf, {pki.intermediate});
    CHECK(v.code == X509_V_ERR_INVALID_PURPOSE);
    CHECK(v.depth == 0);
  }
  SECTION("trust") {
    // A root its owner refuses for e-mail (an auxiliary reject setting, which copies of an
    // X509 do not keep: it goes into the store as is).
    X509 root = pki.root;
    REQUIRE(X509_add1_reject_object(root.native_handle(), OBJ_nid2obj(NID_email_protect)) == 1);
    X509Store store;
    REQUIRE(X509_STORE_add_cert(store.native_handle(), root.native_handle()) == 1);
    CHECK(verify(store, pki.leaf, {pki.intermediate}).ok);
    REQUIRE(X509_STORE_set_trust(store.native_handle(), X509_TRUST_EMAIL) == 1);
    const verdict v = verify(store, pki.leaf, {pki.intermediate});
    CHECK(v.code == X509_V_ERR_CERT_REJECTED);
    CHECK(v.depth == 2);
  }
}

TEST_CASE("CRL_CHECK fails without a CRL, and catches a revoked leaf", "[x509storecontext][crl]") {
  const chain_fixture pki = make_chain();
  X509Store store = trusting(pki.root);
  REQUIRE_OK(store.set_flags(X509StoreFlags::CRL_CHECK));
  verdict v = verify(store, pki.leaf, {pki.intermediate});
  CHECK(v.code == X509_V_ERR_UNABLE_TO_GET_CRL);
  CHECK(v.depth == 0);

  REQUIRE_OK(store.add_crl(make_crl(pki.intermediate, pki.intermediate_key, {"3AB"})));
  v = verify(store, pki.leaf, {pki.intermediate});
  CHECK(v.code == X509_V_ERR_CERT_REVOKED);
  CHECK(v.depth == 0);

  // Another leaf of the same intermediate, not on the list, passes.
  pyossl_test::certificate_spec other = pyossl_test::leaf_spec();
  other.serial = 0x3AC;
  const X509 other_leaf = pyossl_test::issue(other, pki.leaf_key, &pki.intermediate, pki.intermediate_key);
  CHECK(verify(store, other_leaf, {pki.intermediate}).ok);
}

TEST_CASE("X509Store::set_time decides a CRL's validity too: not yet valid, current, expired",
          "[x509storecontext][crl]") {
  const chain_fixture pki = make_chain();
  X509Store store = trusting(pki.root);
  pyossl::crypto::CRL crl;
  REQUIRE_OK(crl.set_version(1));
  REQUIRE_OK(crl.set_lastUpdate("20240101000000Z"));
  REQUIRE_OK(crl.set_nextUpdate("20250101000000Z"));
  REQUIRE_OK(crl.sign(pki.intermediate, pki.intermediate_key, "sha256"));
  REQUIRE_OK(store.add_crl(crl));
  REQUIRE_OK(store.set_flags(X509StoreFlags::CRL_CHECK));

  REQUIRE_OK(store.set_time(utc(2023, 6, 1)));
  verdict v = verify(store, pki.leaf, {pki.intermediate});
  CHECK(v.code == X509_V_ERR_CRL_NOT_YET_VALID);
  CHECK(v.depth == 0);

  REQUIRE_OK(store.set_time(utc(2024, 6, 1)));
  CHECK(verify(store, pki.leaf, {pki.intermediate}).ok);

  REQUIRE_OK(store.set_time(utc(2026, 6, 1)));
  v = verify(store, pki.leaf, {pki.intermediate});
  CHECK(v.code == X509_V_ERR_CRL_HAS_EXPIRED);
  CHECK(v.depth == 0);
}

TEST_CASE("CRL_CHECK_ALL checks every certificate of the chain, CRL_CHECK only the leaf",
          "[x509storecontext][crl]") {
  const chain_fixture pki = make_chain();
  X509Store store = trusting(pki.root);
  REQUIRE_OK(store.add_crl(make_crl(pki.intermediate, pki.intermediate_key)));
  REQUIRE_OK(store.add_crl(make_crl(pki.root, pki.root_key, {"02"})));  // revokes the intermediate
  REQUIRE_OK(store.set_flags(X509StoreFlags::CRL_CHECK));
  CHECK(verify(store, pki.leaf, {pki.intermediate}).ok);

  REQUIRE_OK(store.set_flags(X509StoreFlags::CRL_CHECK_ALL));  // ORed in, as pyOpenSSL
  const verdict v = verify(store, pki.leaf, {pki.intermediate});
  CHECK(v.code == X509_V_ERR_CERT_REVOKED);
  CHECK(v.depth == 1);
  const X509StoreContext context(store, pki.leaf, {pki.intermediate});
  auto result = context.verify_certificate();
  REQUIRE_FAILS_WITH(result, errc::crypto);
  CHECK(result.error().verification()->subject == "O = pyossl chain, CN = intermediate");
  CHECK(result.error().verification()->text == "certificate revoked");
}

TEST_CASE("CRL_CHECK_ALL without the root's CRL fails at the intermediate", "[x509storecontext][crl]") {
  const chain_fixture pki = make_chain();
  X509Store store = trusting(pki.root);
  REQUIRE_OK(store.add_crl(make_crl(pki.intermediate, pki.intermediate_key)));
  REQUIRE_OK(store.set_flags(X509StoreFlags::CRL_CHECK | X509StoreFlags::CRL_CHECK_ALL));
  const verdict v = verify(store, pki.leaf, {pki.intermediate});
  CHECK(v.code == X509_V_ERR_UNABLE_TO_GET_CRL);
  CHECK(v.depth == 1);
}

TEST_CASE("A CRL signed by another key does not count as the issuer's", "[x509storecontext][crl]") {
  const chain_fixture pki = make_chain();
  X509Store store = trusting(pki.root);
  REQUIRE_OK(store.set_flags(X509StoreFlags::CRL_CHECK));
  // Right issuer name, wrong key: OpenSSL finds it and rejects its signature.
  const pyossl::crypto::PKey impostor = pyossl_test::fresh_ec_key();
  X509 fake_intermediate = pki.intermediate;
  REQUIRE_OK(fake_intermediate.set_pubkey(impostor));
  REQUIRE_OK(fake_intermediate.sign(pki.root_key, "sha256"));
  const pyossl::crypto::CRL forged = make_crl(fake_intermediate, impostor, {"3AB"});
  REQUIRE_OK(store.add_crl(forged));
  const verdict v = verify(store, pki.leaf, {pki.intermediate});
  CHECK(v.code == X509_V_ERR_CRL_SIGNATURE_FAILURE);
}

TEST_CASE("X509StoreContext set_store and set_certificate change what the next verification uses",
          "[x509storecontext]") {
  const chain_fixture pki = make_chain();
  const chain_fixture other = make_chain();
  X509StoreContext context(trusting(other.root), pki.intermediate);
  REQUIRE_FAILS_WITH(context.verify_certificate(), errc::crypto);
  REQUIRE_OK(context.set_store(trusting(pki.root)));
  REQUIRE_OK(context.verify_certificate());
  REQUIRE_OK(context.set_certificate(other.intermediate));
  REQUIRE_FAILS_WITH(context.verify_certificate(), errc::crypto);
  REQUIRE_OK(context.set_certificate(pki.root));
  REQUIRE_OK(context.verify_certificate());
}

TEST_CASE("X509StoreContext refuses moved-from objects and leaves itself unchanged", "[x509storecontext]") {
  const chain_fixture pki = make_chain();
  X509Store store = trusting(pki.root);
  X509StoreContext context(store, pki.intermediate);

  X509Store gone_store = store;
  X509Store taken_store = std::move(gone_store);
  REQUIRE_FAILS_WITH(context.set_store(gone_store),
                     errc::invalid_argument);  // NOLINT(bugprone-use-after-move)
  X509 gone_cert = pki.leaf;
  X509 taken_cert = std::move(gone_cert);
  REQUIRE_FAILS_WITH(context.set_certificate(gone_cert),
                     errc::invalid_argument);  // NOLINT(bugprone-use-after-move)
  REQUIRE_OK(context.verify_certificate());

  REQUIRE_FAILS_WITH(X509StoreContext(gone_store, pki.leaf).verify_certificate(), errc::invalid_argument);
  REQUIRE_FAILS_WITH(X509StoreContext(store, gone_cert).verify_certificate(), errc::invalid_argument);
  REQUIRE_FAILS_WITH(X509StoreContext(store, pki.leaf, {gone_cert}).verify_certificate(),
                     errc::invalid_argument);
  X509StoreContext taken = std::move(context);
  REQUIRE_FAILS_WITH(context.verify_certificate(),
                     errc::invalid_argument);  // NOLINT(bugprone-use-after-move)
  REQUIRE_FAILS_WITH(context.get_verified_chain(), errc::invalid_argument);
  REQUIRE_OK(taken.verify_certificate());
}

TEST_CASE("X509Store::set_default_paths trusts what $SSL_CERT_FILE names", "[x509store]") {
  const chain_fixture pki = make_chain();
  const pyossl_test::temp_dir dir;
  pyossl_test::write_file(dir.file("root.pem"),
                          must(pyossl::crypto::dump_certificate(pyossl::crypto::FILETYPE_PEM, pki.root)));
  const char* const saved = std::getenv("SSL_CERT_FILE");
  const std::string previous = saved != nullptr ? saved : "";
  REQUIRE(::setenv("SSL_CERT_FILE", dir.file("root.pem").c_str(), 1) == 0);
  X509Store store;
  CHECK_FALSE(verify(store, pki.leaf, {pki.intermediate}).ok);  // nothing trusted yet
  const auto loaded = store.set_default_paths();
  if (saved != nullptr) {
    ::setenv("SSL_CERT_FILE", previous.c_str(), 1);
  } else {
    ::unsetenv("SSL_CERT_FILE");
  }
  REQUIRE_OK(loaded);
  CHECK(verify(store, pki.leaf, {pki.intermediate}).ok);
}

TEST_CASE("X509Store set_flags, set_time, add_crl, set_default_paths refuse bad input", "[x509store][crl]") {
  const chain_fixture pki = make_chain();
  X509Store store;
  REQUIRE_FAILS_WITH(store.set_flags(static_cast<X509StoreFlags>(X509_V_FLAG_NO_CHECK_TIME)),
                     errc::invalid_argument);
  CHECK(X509_VERIFY_PARAM_get_flags(X509_STORE_get0_param(store.native_handle())) == 0UL);
  REQUIRE_OK(store.set_flags(X509StoreFlags::CRL_CHECK | X509StoreFlags::IGNORE_CRITICAL));
  CHECK(X509_VERIFY_PARAM_get_flags(X509_STORE_get0_param(store.native_handle())) ==
        (X509_V_FLAG_CRL_CHECK | X509_V_FLAG_IGNORE_CRITICAL));

  REQUIRE_OK(store.set_time(utc(2030, 1, 1)));
  CHECK(X509_VERIFY_PARAM_get_time(X509_STORE_get0_param(store.native_handle())) == 1893456000);

  REQUIRE_FAILS_WITH(store.add_crl(pyossl::crypto::CRL()), errc::invalid_argument);  // never signed
  pyossl::crypto::CRL crl = make_crl(pki.root, pki.root_key);
  pyossl::crypto::CRL taken = std::move(crl);
  REQUIRE_FAILS_WITH(store.add_crl(crl), errc::invalid_argument);  // NOLINT(bugprone-use-after-move)
  REQUIRE_OK(store.add_crl(taken));
  REQUIRE_OK(store.add_crl(taken));  // the same CRL again is not an error
  REQUIRE_OK(store.set_default_paths());

  X509Store moved = std::move(store);
  REQUIRE_FAILS_WITH(store.set_flags(X509StoreFlags::CRL_CHECK), errc::invalid_argument);  // NOLINT
  REQUIRE_FAILS_WITH(store.set_time(utc(2030, 1, 1)), errc::invalid_argument);
  REQUIRE_FAILS_WITH(store.add_crl(taken), errc::invalid_argument);
  REQUIRE_FAILS_WITH(store.set_default_paths(), errc::invalid_argument);
}

TEST_CASE("X509StoreFlags are OpenSSL's X509_V_FLAG bits and combine with |", "[x509store]") {
  STATIC_REQUIRE(static_cast<unsigned long>(X509StoreFlags::CRL_CHECK | X509StoreFlags::CRL_CHECK_ALL) ==
                 (X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL));
  STATIC_REQUIRE(static_cast<unsigned long>(X509StoreFlags::X509_STRICT) == X509_V_FLAG_X509_STRICT);
  STATIC_REQUIRE(static_cast<unsigned long>(X509StoreFlags::ALLOW_PROXY_CERTS) ==
                 X509_V_FLAG_ALLOW_PROXY_CERTS);
  STATIC_REQUIRE(static_cast<unsigned long>(X509StoreFlags::POLICY_CHECK) == X509_V_FLAG_POLICY_CHECK);
  STATIC_REQUIRE(static_cast<unsigned long>(X509StoreFlags::EXPLICIT_POLICY) == X509_V_FLAG_EXPLICIT_POLICY);
  STATIC_REQUIRE(static_cast<unsigned long>(X509StoreFlags::INHIBIT_MAP) == X509_V_FLAG_INHIBIT_MAP);
  STATIC_REQUIRE(static_cast<unsigned long>(X509StoreFlags::CHECK_SS_SIGNATURE) ==
                 X509_V_FLAG_CHECK_SS_SIGNATURE);
  STATIC_REQUIRE(static_cast<unsigned long>(X509StoreFlags::PARTIAL_CHAIN) == X509_V_FLAG_PARTIAL_CHAIN);
  STATIC_REQUIRE(static_cast<unsigned long>(X509StoreFlags::NOTIFY_POLICY) == X509_V_FLAG_NOTIFY_POLICY);
  STATIC_REQUIRE(static_cast<unsigned long>(X509StoreFlags::CB_ISSUER_CHECK) == 0UL);
  X509Store store;
  REQUIRE_OK(store.set_flags(X509StoreFlags::NOTIFY_POLICY | X509StoreFlags::CB_ISSUER_CHECK));
}

TEST_CASE("IGNORE_CRITICAL accepts an unknown critical extension that is otherwise refused",
          "[x509storecontext]") {
  const chain_fixture pki = make_chain();
  // The leaf again, with a critical extension of an OID nobody knows (1.3.6.1.4.1.99999.1).
  X509 leaf = pki.leaf;
  const pyossl::detail::handle<ASN1_OBJECT> oid(OBJ_txt2obj("1.3.6.1.4.1.99999.1", 1));
  const pyossl::detail::handle<ASN1_STRING> value(ASN1_OCTET_STRING_new());
  REQUIRE(ASN1_OCTET_STRING_set(value.get(), reinterpret_cast<const unsigned char*>("\x05\x00"), 2) == 1);
  pyossl::crypto::X509Extension unknown(
      pyossl::detail::adopt(X509_EXTENSION_create_by_OBJ(nullptr, oid.get(), 1, value.get())));
  REQUIRE_OK(leaf.add_extensions({unknown}));
  REQUIRE_OK(leaf.sign(pki.intermediate_key, "sha256"));

  X509Store store = trusting(pki.root);
  verdict v = verify(store, leaf, {pki.intermediate});
  CHECK(v.code == X509_V_ERR_UNHANDLED_CRITICAL_EXTENSION);
  CHECK(v.depth == 0);
  REQUIRE_OK(store.set_flags(X509StoreFlags::IGNORE_CRITICAL));
  CHECK(verify(store, leaf, {pki.intermediate}).ok);
}

}  // namespace
