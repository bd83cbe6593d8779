// ssl::SSLeay_version, its version_type constants and ssl::VERSION_NUMBER (pyOpenSSL 0.11),
// checked against what `openssl version` prints for the same library.
#include <string>
#include <utility>
#include <vector>

#include "catch.hpp"
#include "process.hpp"
#include "pyossl/ssl.hpp"

namespace ssl = pyossl::ssl;

namespace {

// `openssl version <flag>` without its trailing newline.
std::string cli_version(const std::string& flag) {
  std::string out = pyossl_test::openssl_or_throw("version " + flag);
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out;
}

}  // namespace

TEST_CASE("SSLeay_version returns what openssl version prints for each type") {
  const std::vector<std::pair<ssl::version_type, std::string>> cases = {
      {ssl::SSLEAY_CFLAGS, "-f"},
      {ssl::SSLEAY_BUILT_ON, "-b"},
      {ssl::SSLEAY_PLATFORM, "-p"},
      {ssl::SSLEAY_DIR, "-d"},
      {ssl::version_type::engines_dir, "-e"},
      {ssl::version_type::modules_dir, "-m"},
  };
  for (const auto& [type, flag] : cases) {
    INFO(flag);
    CHECK(ssl::SSLeay_version(type) == cli_version(flag));
  }
  // `openssl version -v` adds the library's version when it differs from the CLI's own.
  const std::string version = ssl::SSLeay_version(ssl::SSLEAY_VERSION);
  CHECK(version.rfind("OpenSSL 3.", 0) == 0);
  CHECK(cli_version("-v").rfind(version, 0) == 0);
  CHECK(ssl::SSLeay_version(ssl::version_type::full_version_string).rfind("3.", 0) == 0);
}

TEST_CASE("SSLeay_version of a value that is no version_type says not available") {
  CHECK(ssl::SSLeay_version(static_cast<ssl::version_type>(1000)) == "not available");
}

TEST_CASE("VERSION_NUMBER is the OpenSSL 3 the headers describe and the library runs") {
  static_assert(ssl::VERSION_NUMBER >= 0x30000000UL);
  // The headers and the library agree up to the patch release (a distribution may update
  // libssl3 without the headers); pyOpenSSL's constant is the headers' value, as here.
  CHECK((ssl::VERSION_NUMBER >> 20) == (OpenSSL_version_num() >> 20));
  CHECK((ssl::VERSION_NUMBER >> 28) == OPENSSL_VERSION_MAJOR);
}

TEST_CASE("the version_type values are modern pyOpenSSL's SSLEAY_* numbers (OpenSSL 1.1 and later)") {
  CHECK(static_cast<int>(ssl::SSLEAY_VERSION) == 0);
  CHECK(static_cast<int>(ssl::SSLEAY_CFLAGS) == 1);
  CHECK(static_cast<int>(ssl::SSLEAY_BUILT_ON) == 2);
  CHECK(static_cast<int>(ssl::SSLEAY_PLATFORM) == 3);
  CHECK(static_cast<int>(ssl::SSLEAY_DIR) == 4);
}

TEST_CASE("pyOpenSSL's SSLEAY_* spellings name the same version types") {
  STATIC_REQUIRE(ssl::SSLEAY_VERSION == ssl::version_type::version);
  STATIC_REQUIRE(ssl::SSLEAY_CFLAGS == ssl::version_type::cflags);
  STATIC_REQUIRE(ssl::SSLEAY_BUILT_ON == ssl::version_type::built_on);
  STATIC_REQUIRE(ssl::SSLEAY_PLATFORM == ssl::version_type::platform);
  STATIC_REQUIRE(ssl::SSLEAY_DIR == ssl::version_type::dir);
  CHECK(ssl::SSLeay_version(ssl::SSLEAY_VERSION) == ssl::SSLeay_version(ssl::version_type::version));
}

TEST_CASE("SSLeay_version is pyossl's own name, not OpenSSL's deprecated macro for OpenSSL_version") {
  // Were it still the macro, pyossl's function would be declared, and in the compiled mode
  // exported, as OpenSSL_version wherever deprecated names are visible and as
  // SSLeay_version under OPENSSL_NO_DEPRECATED: two TUs built differently would not link.
#if defined(SSLeay_version)
  constexpr bool still_a_macro = true;
#else
  constexpr bool still_a_macro = false;
#endif
  STATIC_REQUIRE_FALSE(still_a_macro);
}
