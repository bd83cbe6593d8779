// pyossl::ssl::Context — manual 3.3.1: every method, success and failure paths, and the
// methods and constants of section 3.3.
#include <string>
#include <vector>

#include <openssl/err.h>

#include "catch.hpp"
#include "checks.hpp"
#include "pyossl/crypto/certificate_io.hpp"
#include "pyossl/crypto/key_io.hpp"
#include "pyossl/ssl.hpp"
#include "temp_dir.hpp"
#include "tls_fixtures.hpp"

using pyossl::errc;
using pyossl_test::tls_files;
namespace ssl = pyossl::ssl;

namespace {

struct passphrase_failure : std::runtime_error {
  using std::runtime_error::runtime_error;
};

pyossl::crypto::X509 load_cert(const std::string& path) {
  return pyossl::unwrap(
      pyossl::crypto::load_certificate(pyossl::crypto::FILETYPE_PEM, pyossl_test::read_file(path)));
}

}  // namespace

TEST_CASE("Context::create makes a context for every method this OpenSSL speaks", "[context]") {
  const auto method =
      GENERATE(ssl::SSLv23_METHOD, ssl::TLS_METHOD, ssl::TLS_CLIENT_METHOD, ssl::TLS_SERVER_METHOD,
               ssl::TLSv1_METHOD, ssl::TLSv1_1_METHOD, ssl::TLSv1_2_METHOD);
  auto context = ssl::Context::create(method);
  REQUIRE_OK(context);
  CHECK(context->native_handle() != nullptr);
  CHECK(context->get_timeout() == 7200);  // OpenSSL 3 default (the manual says 300: OpenSSL 0.9)
}

TEST_CASE("Context::create pins the legacy methods to their one version", "[context]") {
  const auto [method, version] =
      GENERATE(std::pair{ssl::TLSv1_METHOD, TLS1_VERSION}, std::pair{ssl::TLSv1_1_METHOD, TLS1_1_VERSION},
               std::pair{ssl::TLSv1_2_METHOD, TLS1_2_VERSION});
  const auto context = pyossl::unwrap(ssl::Context::create(method));
  CHECK(SSL_CTX_get_min_proto_version(context.native_handle()) == version);
  CHECK(SSL_CTX_get_max_proto_version(context.native_handle()) == version);
}

TEST_CASE("Context::create of SSLv2 is unsupported and says why", "[context]") {
  const auto context = ssl::Context::create(ssl::SSLv2_METHOD);
  REQUIRE_FAILS_WITH(context, errc::unsupported);
  CHECK(context.error().message().find("SSLv2") != std::string::npos);
}

TEST_CASE("Context::create of SSLv3 succeeds only where OpenSSL has SSLv3", "[context]") {
  const auto context = ssl::Context::create(ssl::SSLv3_METHOD);
#if defined(OPENSSL_NO_SSL3) || defined(OPENSSL_NO_SSL3_METHOD)
  REQUIRE_FAILS_WITH(context, errc::unsupported);
  CHECK(context.error().message().find("SSLv3") != std::string::npos);
#else
  if (!context) REQUIRE_FAILS_WITH(context, errc::unsupported);
#endif
}

TEST_CASE("Context with TLSv1_METHOD handshakes only once the security level allows TLS 1.0", "[context]") {
  const tls_files& files = tls_files::get();
  const auto make = [&](bool lowered) {
    auto server = pyossl::unwrap(ssl::Context::create(ssl::TLSv1_METHOD));
    auto client = pyossl::unwrap(ssl::Context::create(ssl::TLSv1_METHOD));
    if (lowered) {
      REQUIRE_OK(server.set_cipher_list("DEFAULT:@SECLEVEL=0"));
      REQUIRE_OK(client.set_cipher_list("DEFAULT:@SECLEVEL=0"));
    }
    REQUIRE_OK(server.use_certificate_file(files.server_cert()));
    REQUIRE_OK(server.use_privatekey_file(files.server_key()));
    return std::pair{std::move(client), std::move(server)};
  };
  SECTION("at the default level the server refuses, and says what to do") {
    auto [client_ctx, server_ctx] = make(false);
    pyossl_test::connection_pair pair(client_ctx, server_ctx);
    const auto outcome = pyossl_test::handshake(pair.client, pair.server);
    REQUIRE_FAILS_WITH(outcome.client, errc::ssl);
    REQUIRE_FAILS_WITH(outcome.server, errc::ssl);
    INFO(outcome.server.error().message());
    CHECK(outcome.server.error().message().find("SECLEVEL=0") != std::string::npos);
  }
  SECTION("at level 0 it speaks TLS 1.0") {
    auto [client_ctx, server_ctx] = make(true);
    pyossl_test::connection_pair pair(client_ctx, server_ctx);
    REQUIRE(pyossl_test::handshake(pair.client, pair.server).ok());
    CHECK(pair.client.get_protocol_version_name() == "TLSv1");
  }
}

// Regression (issue 12): echo_server, TLS 1.3 only, told a TLS 1.0 client's operator to
// lower the security level, which cannot make that handshake work.
TEST_CASE("a server whose minimum is TLS 1.2 or 1.3 never suggests lowering the security level",
          "[context]") {
  const tls_files& files = tls_files::get();
  const int minimum = GENERATE(TLS1_2_VERSION, TLS1_3_VERSION);
  auto server_ctx = pyossl::unwrap(ssl::Context::create(ssl::TLS_SERVER_METHOD));
  REQUIRE_OK(server_ctx.set_min_proto_version(minimum));
  REQUIRE_OK(server_ctx.use_certificate_file(files.server_cert()));
  REQUIRE_OK(server_ctx.use_privatekey_file(files.server_key()));
  auto client_ctx = pyossl::unwrap(ssl::Context::create(ssl::TLSv1_METHOD));
  REQUIRE_OK(client_ctx.set_cipher_list("DEFAULT:@SECLEVEL=0"));
  pyossl_test::connection_pair pair(client_ctx, server_ctx);
  const auto outcome = pyossl_test::handshake(pair.client, pair.server);
  REQUIRE_FAILS_WITH(outcome.server, errc::ssl);
  INFO(outcome.server.error().message());
  CHECK(outcome.server.error().message().find("SECLEVEL") == std::string::npos);
}

TEST_CASE("Context loads certificates and keys from files, PEM and DER, and checks they match", "[context]") {
  const tls_files& files = tls_files::get();
  auto context = pyossl::unwrap(ssl::Context::create(ssl::TLS_METHOD));
  REQUIRE_FAILS_WITH(context.check_privatekey(), errc::ssl);  // nothing loaded yet
  SECTION("PEM") {
    REQUIRE_OK(context.use_certificate_file(files.server_cert()));
    REQUIRE_OK(context.use_privatekey_file(files.server_key()));
    REQUIRE_OK(context.check_privatekey());
  }
  SECTION("DER") {
    REQUIRE_OK(context.use_certificate_file(files.path("server.der"), ssl::FILETYPE_ASN1));
    REQUIRE_OK(context.use_privatekey_file(files.path("server.key.der"), ssl::FILETYPE_ASN1));
    REQUIRE_OK(context.check_privatekey());
  }
  SECTION("a chain file") {
    REQUIRE_OK(context.use_certificate_chain_file(files.path("server-chain.pem")));
    REQUIRE_OK(context.use_privatekey_file(files.server_key()));
    REQUIRE_OK(context.check_privatekey());
  }
  SECTION("a key that does not match the certificate") {
    REQUIRE_OK(context.use_certificate_file(files.server_cert()));
    // OpenSSL refuses a mismatched key when the certificate is already there...
    REQUIRE_FAILS_WITH(context.use_privatekey_file(files.path("other.key")), errc::ssl);
    auto other = pyossl::unwrap(ssl::Context::create(ssl::TLS_METHOD));
    // ...and check_privatekey finds it when the key came first.
    REQUIRE_OK(other.use_privatekey_file(files.path("other.key")));
    ERR_clear_error();
    (void)other.use_certificate_file(files.server_cert());
    REQUIRE_FAILS_WITH(other.check_privatekey(), errc::ssl);
  }
}

TEST_CASE("Context uses certificates and keys given as crypto objects", "[context]") {
  const tls_files& files = tls_files::get();
  auto context = pyossl::unwrap(ssl::Context::create(ssl::TLS_METHOD));
  const auto cert = load_cert(files.server_cert());
  const auto key = pyossl::unwrap(pyossl::crypto::load_privatekey(
      pyossl::crypto::FILETYPE_PEM, pyossl_test::read_file(files.server_key())));
  REQUIRE_OK(context.use_certificate(cert));
  REQUIRE_OK(context.use_privatekey(key));
  REQUIRE_OK(context.check_privatekey());
  REQUIRE_OK(context.add_extra_chain_cert(load_cert(files.ca())));
  REQUIRE_FAILS_WITH(context.use_privatekey(pyossl::crypto::PKey()), errc::invalid_argument);

  const auto client_ctx = pyossl_test::client_context();
  pyossl_test::connection_pair pair(client_ctx, context);
  REQUIRE(pyossl_test::handshake(pair.client, pair.server).ok());
  STACK_OF(X509)* chain = SSL_get_peer_cert_chain(pair.client.native_handle());
  REQUIRE(chain != nullptr);
  CHECK(sk_X509_num(chain) == 2);  // the certificate and the extra chain certificate
}

TEST_CASE("Context's file loaders fail with ssl on missing files and invalid_argument on bad input",
          "[context]") {
  auto context = pyossl::unwrap(ssl::Context::create(ssl::TLS_METHOD));
  const std::string missing = "/nonexistent/pyossl/file.pem";
  REQUIRE_FAILS_WITH(context.use_certificate_file(missing), errc::ssl);
  REQUIRE_FAILS_WITH(context.use_privatekey_file(missing), errc::ssl);
  REQUIRE_FAILS_WITH(context.use_certificate_chain_file(missing), errc::ssl);
  REQUIRE_FAILS_WITH(context.load_verify_locations(missing), errc::ssl);
  REQUIRE_FAILS_WITH(context.load_client_ca(missing), errc::ssl);
  REQUIRE_FAILS_WITH(context.load_tmp_dh(missing), errc::ssl);
  REQUIRE_FAILS_WITH(context.load_verify_locations(std::nullopt, std::nullopt), errc::invalid_argument);
  REQUIRE_FAILS_WITH(context.load_verify_locations(nullptr, nullptr), errc::invalid_argument);
  const char* no_file = nullptr;
  REQUIRE_FAILS_WITH(context.load_verify_locations(no_file), errc::invalid_argument);
  REQUIRE_FAILS_WITH(context.use_certificate_file(std::string_view("a\0b", 3)), errc::invalid_argument);
  REQUIRE_FAILS_WITH(
      context.use_certificate_file(tls_files::get().server_cert(), static_cast<ssl::filetype>(7)),
      errc::invalid_argument);
  // A PEM file of something else.
  REQUIRE_FAILS_WITH(context.load_tmp_dh(tls_files::get().server_cert()), errc::ssl);
  REQUIRE_FAILS_WITH(context.use_certificate_file(tls_files::get().path("dh.pem")), errc::ssl);
}

TEST_CASE("A file that cannot be opened reads as its errno text in every file loader", "[context]") {
  auto context = pyossl::unwrap(ssl::Context::create(ssl::TLS_METHOD));
  auto store = context.get_cert_store();
  const std::string missing = "/nonexistent/pyossl/file.pem";
  const std::vector<pyossl::result<void>> outcomes = [&] {
    std::vector<pyossl::result<void>> all;
    all.push_back(context.use_certificate_file(missing));
    all.push_back(context.use_certificate_file(missing, ssl::FILETYPE_ASN1));
    all.push_back(context.use_privatekey_file(missing));
    all.push_back(context.use_certificate_chain_file(missing));
    all.push_back(context.load_verify_locations(missing));
    all.push_back(context.load_client_ca(missing));
    all.push_back(context.load_tmp_dh(missing));
    all.push_back(store.load_locations(missing));
    return all;
  }();
  for (std::size_t i = 0; i < outcomes.size(); ++i) {
    INFO("file loader " << i);
    REQUIRE_FALSE(outcomes[i].has_value());
    const pyossl::error& e = outcomes[i].error();
    INFO(e.message());
    CHECK(e.message().find("No such file or directory") != std::string::npos);
    CHECK(e.message().find("reason(") == std::string::npos);
    CHECK(ERR_peek_error() == 0UL);
  }
}

TEST_CASE("Context's passphrase callback decrypts a key for use_privatekey_file", "[context][callbacks]") {
  const tls_files& files = tls_files::get();
  const std::string encrypted = files.path("server-encrypted.key");
  auto context = pyossl::unwrap(ssl::Context::create(ssl::TLS_METHOD));
  REQUIRE_OK(context.use_certificate_file(files.server_cert()));
  SECTION("the right passphrase, with the callback's arguments as the manual says") {
    std::size_t seen_maxlen = 0;
    bool seen_verify = true;
    std::string seen_userdata;
    REQUIRE_OK(context.set_passwd_cb(
        [&](std::size_t maxlen, bool verify, const std::any& userdata) {
          seen_maxlen = maxlen;
          seen_verify = verify;
          seen_userdata = std::any_cast<std::string>(userdata);
          return std::string("secret");
        },
        std::string("my userdata")));
    REQUIRE_OK(context.use_privatekey_file(encrypted));
    REQUIRE_OK(context.check_privatekey());
    CHECK(seen_maxlen > 6);
    CHECK_FALSE(seen_verify);
    CHECK(seen_userdata == "my userdata");
  }
  SECTION("a move-only callable") {
    auto owned = std::make_unique<std::string>("secret");
    REQUIRE_OK(context.set_passwd_cb(
        [owned = std::move(owned)](std::size_t, bool, const std::any&) { return *owned; }));
    REQUIRE_OK(context.use_privatekey_file(encrypted));
  }
  SECTION("a wrong passphrase fails with ssl") {
    REQUIRE_OK(
        context.set_passwd_cb([](std::size_t, bool, const std::any&) { return std::string("wrong"); }));
    REQUIRE_FAILS_WITH(context.use_privatekey_file(encrypted), errc::ssl);
  }
  SECTION("a passphrase longer than maxlen fails and says so, never cut to fit") {
    REQUIRE_OK(context.set_passwd_cb(
        [](std::size_t maxlen, bool, const std::any&) { return "secret" + std::string(maxlen, 'x'); }));
    const auto loaded = context.use_privatekey_file(encrypted);
    REQUIRE_FAILS_WITH(loaded, errc::invalid_argument);
    CHECK(loaded.error().message().find("maxlen") != std::string::npos);
  }
  SECTION("no callback fails with ssl and never prompts") {
    REQUIRE_FAILS_WITH(context.use_privatekey_file(encrypted), errc::ssl);
  }
  SECTION("an exception from the callback comes out of use_privatekey_file") {
    REQUIRE_OK(context.set_passwd_cb([](std::size_t, bool, const std::any&) -> std::string {
      throw passphrase_failure("no passphrase today");
    }));
    CHECK_THROWS_AS(context.use_privatekey_file(encrypted), passphrase_failure);
    CHECK(ERR_peek_error() == 0UL);
    // The context still works afterwards.
    REQUIRE_OK(context.use_privatekey_file(files.server_key()));
  }
}

TEST_CASE("Context::set_cipher_list rejects unknown ciphers and keeps the old list", "[context]") {
  auto context = pyossl::unwrap(ssl::Context::create(ssl::TLS_METHOD));
  REQUIRE_OK(context.set_cipher_list("ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256"));
  REQUIRE_FAILS_WITH(context.set_cipher_list("not-a-cipher"), errc::ssl);
  REQUIRE_FAILS_WITH(context.set_cipher_list(std::string_view("AES\0", 4)), errc::invalid_argument);
  const ssl::Connection connection(context);
  const auto names = connection.get_cipher_list();
  CHECK(std::find(names.begin(), names.end(), "ECDHE-ECDSA-AES128-GCM-SHA256") != names.end());
  CHECK(std::find(names.begin(), names.end(), "ECDHE-RSA-AES128-GCM-SHA256") != names.end());
  CHECK(std::find(names.begin(), names.end(), "ECDHE-ECDSA-AES256-GCM-SHA384") == names.end());
}

TEST_CASE("a failed set_cipher_list keeps the security level too", "[context]") {
  auto context = pyossl::unwrap(ssl::Context::create(ssl::TLS_METHOD));
  const int level = SSL_CTX_get_security_level(context.native_handle());
  REQUIRE(level > 0);
  REQUIRE_FAILS_WITH(context.set_cipher_list("@SECLEVEL=0:not-a-cipher"), errc::ssl);
  CHECK(SSL_CTX_get_security_level(context.native_handle()) == level);
}

TEST_CASE("Context::set_session_id takes binary up to 32 bytes", "[context]") {
  auto context = pyossl::unwrap(ssl::Context::create(ssl::TLS_METHOD));
  REQUIRE_OK(context.set_session_id(std::string("bin\0ary", 7)));
  REQUIRE_OK(context.set_session_id(std::string(32, 'x')));
  REQUIRE_FAILS_WITH(context.set_session_id(std::string(33, 'x')), errc::ssl);
}

TEST_CASE("Context keeps timeouts, verify depth and mode, options and app data", "[context]") {
  auto context = pyossl::unwrap(ssl::Context::create(ssl::TLS_METHOD));
  CHECK(pyossl::unwrap(context.set_timeout(1234)) == 7200);
  CHECK(context.get_timeout() == 1234);
  REQUIRE_OK(context.set_verify_depth(7));
  CHECK(context.get_verify_depth() == 7);
  CHECK(context.get_verify_mode() == ssl::VERIFY_NONE);
  REQUIRE_OK(context.set_verify(ssl::VERIFY_PEER | ssl::VERIFY_CLIENT_ONCE));
  CHECK(context.get_verify_mode() == (ssl::VERIFY_PEER | ssl::VERIFY_CLIENT_ONCE));

  const auto before = context.get_options();
  const auto after =
      pyossl::unwrap(context.set_options(ssl::OP_NO_TLSv1 | ssl::OP_NO_TICKET | ssl::OP_SINGLE_DH_USE));
  CHECK(after == (before | ssl::OP_NO_TLSv1 | ssl::OP_NO_TICKET));
  CHECK(pyossl::unwrap(context.set_options(ssl::OP_EPHEMERAL_RSA)) == after);  // no effect, as documented
  CHECK(context.get_options() == after);

  CHECK_FALSE(context.get_app_data().has_value());
  context.set_app_data(std::vector<int>{1, 2, 3});
  CHECK(std::any_cast<std::vector<int>&>(context.get_app_data()).size() == 3);
}

TEST_CASE("Context::get_cert_store shares the context's store", "[context]") {
  const tls_files& files = tls_files::get();
  auto client_ctx = pyossl::unwrap(ssl::Context::create(ssl::TLS_METHOD));
  REQUIRE_OK(client_ctx.set_verify(ssl::VERIFY_PEER));
  auto store = client_ctx.get_cert_store();
  CHECK(store.native_handle() == SSL_CTX_get_cert_store(client_ctx.native_handle()));
  REQUIRE_OK(store.add_cert(load_cert(files.ca())));
  const auto server_ctx = pyossl_test::server_context();
  pyossl_test::connection_pair pair(client_ctx, server_ctx);
  REQUIRE(pyossl_test::handshake(pair.client, pair.server).ok());
}

TEST_CASE("Context's verify locations: a CA directory, and the platform's default paths", "[context]") {
  const tls_files& files = tls_files::get();
  const pyossl_test::temp_dir dir;
  const auto hash = pyossl_test::run_openssl("x509 -noout -subject_hash -in '" + files.ca() + "'");
  REQUIRE(hash.exit_code == 0);
  pyossl_test::write_file(dir.file(hash.output.substr(0, 8) + ".0"), pyossl_test::read_file(files.ca()));
  auto client_ctx = pyossl::unwrap(ssl::Context::create(ssl::TLS_METHOD));
  // nullptr is pyOpenSSL's None, as std::nullopt is.
  REQUIRE_OK(client_ctx.load_verify_locations(nullptr, dir.path().string()));
  REQUIRE_OK(client_ctx.set_verify(ssl::VERIFY_PEER));
  const auto server_ctx = pyossl_test::server_context();
  pyossl_test::connection_pair pair(client_ctx, server_ctx);
  REQUIRE(pyossl_test::handshake(pair.client, pair.server).ok());

  auto platform = pyossl::unwrap(ssl::Context::create(ssl::TLS_METHOD));
  REQUIRE_OK(platform.set_default_verify_paths());
}

TEST_CASE("Context::load_tmp_dh loads DH parameters for DHE", "[context]") {
  const tls_files& files = tls_files::get();
  auto server_ctx = pyossl_test::server_context();
  REQUIRE_OK(server_ctx.load_tmp_dh(files.path("dh.pem")));
  REQUIRE_OK(server_ctx.set_max_proto_version(TLS1_2_VERSION));
  // ECDSA certificates cannot do DHE: give the server an RSA one for this test.
  const pyossl_test::temp_dir dir;
  REQUIRE(pyossl_test::run_openssl("req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=rsa -keyout '" +
                                   dir.file("rsa.key") + "' -out '" + dir.file("rsa.pem") + "'")
              .exit_code == 0);
  auto rsa_ctx = pyossl::unwrap(ssl::Context::create(ssl::TLSv1_2_METHOD));
  REQUIRE_OK(rsa_ctx.use_certificate_file(dir.file("rsa.pem")));
  REQUIRE_OK(rsa_ctx.use_privatekey_file(dir.file("rsa.key")));
  REQUIRE_OK(rsa_ctx.load_tmp_dh(files.path("dh.pem")));
  REQUIRE_OK(rsa_ctx.set_cipher_list("DHE-RSA-AES128-GCM-SHA256"));
  auto client_ctx = pyossl::unwrap(ssl::Context::create(ssl::TLS_METHOD));
  REQUIRE_OK(client_ctx.set_cipher_list("DHE-RSA-AES128-GCM-SHA256"));
  pyossl_test::connection_pair pair(client_ctx, rsa_ctx);
  REQUIRE(pyossl_test::handshake(pair.client, pair.server).ok());
  CHECK(pair.client.get_cipher_name() == "DHE-RSA-AES128-GCM-SHA256");
}

TEST_CASE("Context refuses changes once a Connection has been made from it", "[context]") {
  const tls_files& files = tls_files::get();
  auto context = pyossl_test::server_context();
  bool old_callback_ran = false;
  REQUIRE_OK(context.set_info_callback([&](ssl::Connection&, int, int) { old_callback_ran = true; }));
  const ssl::Connection first(context);
  const auto cert = load_cert(files.server_cert());
  REQUIRE_FAILS_WITH(context.set_verify(ssl::VERIFY_PEER), errc::invalid_argument);
  REQUIRE_FAILS_WITH(context.set_verify(ssl::VERIFY_PEER, [](ssl::Connection&, pyossl::crypto::X509&, int,
                                                             int, int) { return true; }),
                     errc::invalid_argument);
  REQUIRE_FAILS_WITH(context.set_info_callback([](ssl::Connection&, int, int) {}), errc::invalid_argument);
  REQUIRE_FAILS_WITH(context.set_passwd_cb([](std::size_t, bool, const std::any&) { return std::string(); }),
                     errc::invalid_argument);
  REQUIRE_FAILS_WITH(context.set_cipher_list("DEFAULT"), errc::invalid_argument);
  REQUIRE_FAILS_WITH(context.set_options(ssl::OP_NO_TICKET), errc::invalid_argument);
  REQUIRE_FAILS_WITH(context.set_timeout(1), errc::invalid_argument);
  REQUIRE_FAILS_WITH(context.set_verify_depth(1), errc::invalid_argument);
  REQUIRE_FAILS_WITH(context.set_session_id("x"), errc::invalid_argument);
  REQUIRE_FAILS_WITH(context.use_certificate(cert), errc::invalid_argument);
  REQUIRE_FAILS_WITH(context.use_certificate_file(files.server_cert()), errc::invalid_argument);
  REQUIRE_FAILS_WITH(context.use_privatekey_file(files.server_key()), errc::invalid_argument);
  REQUIRE_FAILS_WITH(context.load_verify_locations(files.ca()), errc::invalid_argument);
  REQUIRE_FAILS_WITH(context.load_client_ca(files.ca()), errc::invalid_argument);
  REQUIRE_FAILS_WITH(context.add_client_ca(cert), errc::invalid_argument);
  REQUIRE_FAILS_WITH(context.load_tmp_dh(files.path("dh.pem")), errc::invalid_argument);
  REQUIRE_FAILS_WITH(context.set_min_proto_version(TLS1_2_VERSION), errc::invalid_argument);
  // Reading, app data and the check still work; the old callback is still the one used.
  REQUIRE_OK(context.check_privatekey());
  context.set_app_data(1);
  const auto client_ctx = pyossl_test::client_context();
  pyossl_test::connection_pair pair(client_ctx, context);
  REQUIRE(pyossl_test::handshake(pair.client, pair.server).ok());
  CHECK(old_callback_ran);
}

TEST_CASE("ssl constants keep pyOpenSSL's values and combine as flags", "[context]") {
  STATIC_REQUIRE(static_cast<int>(ssl::SSLv2_METHOD) == 1);
  STATIC_REQUIRE(static_cast<int>(ssl::SSLv3_METHOD) == 2);
  STATIC_REQUIRE(ssl::SSLv23_METHOD == ssl::TLS_METHOD);
  STATIC_REQUIRE(static_cast<int>(ssl::TLSv1_METHOD) == 4);
  STATIC_REQUIRE(static_cast<int>(ssl::VERIFY_PEER | ssl::VERIFY_FAIL_IF_NO_PEER_CERT) ==
                 (SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT));
  STATIC_REQUIRE(static_cast<std::uint64_t>(ssl::OP_NO_SSLv3 | ssl::OP_NO_TLSv1) ==
                 (SSL_OP_NO_SSLv3 | SSL_OP_NO_TLSv1));
  STATIC_REQUIRE(static_cast<std::uint64_t>(ssl::OP_SINGLE_DH_USE) == 0);
  STATIC_REQUIRE(static_cast<std::uint64_t>(ssl::OP_EPHEMERAL_RSA) == 0);
  STATIC_REQUIRE(static_cast<int>(ssl::SENT_SHUTDOWN | ssl::RECEIVED_SHUTDOWN) ==
                 (SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN));
  STATIC_REQUIRE(ssl::CB_HANDSHAKE_DONE == SSL_CB_HANDSHAKE_DONE);
  STATIC_REQUIRE(ssl::FILETYPE_PEM == pyossl::crypto::FILETYPE_PEM);
}
