// pyossl's error model: errc and its category, pyossl::error, result<T>, unwrap and the
// exception classes, the queue-draining helper and the callback exception stash.
#include <cerrno>
#include <memory>
#include <stdexcept>
#include <string>
#include <type_traits>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "catch.hpp"
#include "certificates.hpp"
#include "checks.hpp"
#include "pyossl/detail/callback.hpp"
#include "pyossl/detail/openssl_error.hpp"
#include "pyossl/error.hpp"

using pyossl::errc;
using pyossl::error;
using pyossl::result;

namespace {

result<int> half(int n) {
  if (n % 2 != 0) return pyossl::unexpected(error(errc::invalid_argument, "half", {}, "odd number"));
  return n / 2;
}

result<void> succeed() { return {}; }
result<void> refuse() { return pyossl::unexpected(error(errc::unsupported, "refuse", {}, "never works")); }

// Puts one real entry on OpenSSL's queue, as a failing OpenSSL call would. libssl's
// reason strings load with libssl, as they do in any program that made an SSL_CTX.
void queue_ssl_error() {
  OPENSSL_init_ssl(OPENSSL_INIT_LOAD_SSL_STRINGS, nullptr);
  ERR_raise_data(ERR_LIB_SSL, SSL_R_NO_CIPHERS_AVAILABLE, "extra %s", "detail");
}

}  // namespace

TEST_CASE("errc values are std::error_codes in the pyossl category", "[error]") {
  const std::error_code code = errc::want_read;
  CHECK(code.category() == pyossl::error_category());
  CHECK(std::string(code.category().name()) == "pyossl");
  CHECK(code == errc::want_read);
  CHECK(code != errc::want_write);
  CHECK_FALSE(code.message().empty());
}

TEST_CASE("every errc has its own message", "[error]") {
  auto kind =
      GENERATE(errc::ssl, errc::zero_return, errc::want_read, errc::want_write, errc::want_x509_lookup,
               errc::syscall, errc::crypto, errc::rand, errc::invalid_argument, errc::unsupported);
  const std::string text = pyossl::make_error_code(kind).message();
  CHECK_FALSE(text.empty());
  CHECK(text != "unknown pyossl error");
}

TEST_CASE("an error compares equal to its kind and says what failed", "[error]") {
  const error e(errc::crypto, "X509_sign", {}, "key does not match");
  CHECK(e == errc::crypto);
  CHECK_FALSE(e == errc::ssl);
  CHECK(e.code() == errc::crypto);
  CHECK(e.message() == "X509_sign: key does not match");
}

TEST_CASE("an error with nothing queued still has a message naming the operation", "[error]") {
  const error e(errc::ssl, "SSL_shutdown");
  CHECK(e.message().find("SSL_shutdown") != std::string::npos);
  CHECK(e.message().size() > std::string("SSL_shutdown: ").size());
}

TEST_CASE("openssl_error drains the whole queue into the error, oldest first", "[error]") {
  ERR_clear_error();
  queue_ssl_error();
  ERR_raise(ERR_LIB_X509, X509_R_KEY_VALUES_MISMATCH);
  const error e = pyossl::detail::openssl_error(errc::ssl, "SSL_CTX_new");
  CHECK(ERR_peek_error() == 0);
  REQUIRE(e.queue().size() == 2);
  CHECK(e.queue()[0].lib == "SSL routines");
  CHECK(e.queue()[0].reason == "no ciphers available");
  CHECK(e.queue()[0].data == "extra detail");
  CHECK_FALSE(e.queue()[0].func.empty());
  CHECK(ERR_GET_REASON(e.queue()[0].code) == SSL_R_NO_CIPHERS_AVAILABLE);
  CHECK(e.queue()[1].lib == "x509 certificate routines");
  CHECK(e.message() == "SSL_CTX_new: no ciphers available (extra detail)");
}

TEST_CASE("an OpenSSL system error reads as its errno text, never reason(n)", "[error]") {
  ERR_raise_data(ERR_LIB_SYS, ENOENT, "calling fopen(%s, %s)", "/nonexistent", "r");
  const error e = pyossl::detail::openssl_error(errc::ssl, "SSL_CTX_use_certificate_file");
  REQUIRE(e.queue().size() == 1);
  CHECK(e.queue().front().reason == "No such file or directory");
  CHECK(e.message() ==
        "SSL_CTX_use_certificate_file: No such file or directory (calling fopen(/nonexistent, r))");
  CHECK(ERR_peek_error() == 0UL);
}

TEST_CASE("fail returns an unexpected that a result takes", "[error]") {
  queue_ssl_error();
  const result<int> r = pyossl::detail::fail(errc::ssl, "op");
  REQUIRE_FAILS_WITH(r, errc::ssl);
  CHECK(r.error().queue().size() == 1);
}

TEST_CASE("error_queue_mark keeps cleanup from touching the entries being reported", "[error]") {
  queue_ssl_error();
  {
    const pyossl::detail::error_queue_mark mark;
    ERR_raise(ERR_LIB_X509, X509_R_KEY_VALUES_MISMATCH);  // cleanup noise
  }
  const error e = pyossl::detail::openssl_error(errc::ssl, "op");
  REQUIRE(e.queue().size() == 1);
  CHECK(e.queue()[0].reason == "no ciphers available");
}

TEST_CASE("syscall errors carry errno and its text", "[error]") {
  error e(errc::syscall, "SSL_read");
  e.set_syscall(-1, "Unexpected EOF");
  CHECK(e.sys_errno() == -1);
  CHECK(e.sys_errstr() == "Unexpected EOF");
  CHECK(e.message() == "SSL_read: Unexpected EOF");
}

TEST_CASE("verification failures carry code, text, depth and subject", "[error]") {
  error e(errc::ssl, "SSL_do_handshake", {}, "certificate verify failed");
  e.set_verification({20, "unable to get local issuer certificate", 1, "CN=root"});
  REQUIRE(e.verification().has_value());
  CHECK(e.verification()->depth == 1);
  CHECK(e.verification()->subject == "CN=root");
  CHECK(e.message() ==
        "SSL_do_handshake: certificate verify failed (unable to get local issuer certificate)");
}

TEST_CASE("result holds a value or an error with expected's member names", "[error][result]") {
  const result<int> good = half(8);
  REQUIRE(good.has_value());
  CHECK(static_cast<bool>(good));
  CHECK(*good == 4);
  CHECK(good.value() == 4);
  CHECK(good.value_or(-1) == 4);

  const result<int> bad = half(3);
  REQUIRE_FALSE(bad);
  CHECK(bad.error() == errc::invalid_argument);
  CHECK(bad.value_or(-1) == -1);
}

#if PYOSSL_HAS_STD_EXPECTED
TEST_CASE("under C++23 result is std::expected", "[error][result]") {
  STATIC_REQUIRE(std::is_same_v<result<int>, std::expected<int, error>>);
  STATIC_REQUIRE(std::is_same_v<pyossl::unexpected<error>, std::unexpected<error>>);
}
#endif

// The monadic members exist on the bundled type and on a std::expected that has them
// (libstdc++ 13 and later; libstdc++ 12's std::expected predates them).
#if !PYOSSL_HAS_STD_EXPECTED || __cpp_lib_expected >= 202211L
TEST_CASE("result's monadic members chain and short-circuit", "[error][result]") {
  CHECK(half(8).and_then(half).value_or(-1) == 2);
  CHECK(half(6).and_then(half).error() == errc::invalid_argument);
  CHECK(half(8).transform([](int v) { return std::to_string(v); }).value_or("") == "4");
  CHECK(half(3).transform([](int v) { return v + 1; }).error() == errc::invalid_argument);
  CHECK(half(3).or_else([](const error&) { return result<int>(0); }).value_or(-1) == 0);
  CHECK(half(8).or_else([](const error&) { return result<int>(0); }).value_or(-1) == 4);
}

TEST_CASE("result<void>'s and_then runs the next step only on success", "[error][result]") {
  CHECK(succeed().and_then([] { return half(4); }).value_or(-1) == 2);
  CHECK(refuse().and_then([] { return half(4); }).error() == errc::unsupported);
}
#endif

TEST_CASE("result<void> says success or carries the error", "[error][result]") {
  CHECK(succeed().has_value());
  const result<void> r = refuse();
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error() == errc::unsupported);
}

TEST_CASE("result::operator-> reaches the value's members", "[error][result]") {
  const result<std::string> r = std::string("abc");
  CHECK(r->size() == 3);
}

TEST_CASE("result is copyable exactly when its value is, and moves without throwing", "[error][result]") {
  STATIC_REQUIRE(std::is_copy_constructible_v<result<std::string>>);
  STATIC_REQUIRE(std::is_copy_assignable_v<result<std::string>>);
  STATIC_REQUIRE(std::is_nothrow_move_constructible_v<result<std::string>>);
  STATIC_REQUIRE_FALSE(std::is_copy_constructible_v<result<std::unique_ptr<int>>>);
  STATIC_REQUIRE_FALSE(std::is_copy_assignable_v<result<std::unique_ptr<int>>>);
  STATIC_REQUIRE(std::is_move_assignable_v<result<std::unique_ptr<int>>>);
}

TEST_CASE("assigning a result switches between value and error", "[error][result]") {
  const std::string long_text(100, 'x');  // past the small-string buffer, so leaks show
  result<std::string> r = long_text;
  const result<std::string> failed = pyossl::unexpected(error(errc::crypto, "op", {}, "why"));
  r = failed;
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().reason() == "why");
  r = long_text;
  REQUIRE(r.has_value());
  CHECK(*r == long_text);
  result<std::string> copy = r;
  r = failed;
  CHECK(copy.value() == long_text);
  copy = std::move(r);
  CHECK(copy.error() == errc::crypto);

  result<std::unique_ptr<int>> owner = std::make_unique<int>(7);
  result<std::unique_ptr<int>> moved = std::move(owner);
  owner = pyossl::unexpected(error(errc::ssl, "op"));
  owner = std::move(moved);
  REQUIRE(owner.has_value());
  CHECK(**owner == 7);

  result<void> done;
  done = refuse();
  CHECK(done.error() == errc::unsupported);
  done = succeed();
  CHECK(done.has_value());
}

TEST_CASE("unwrap returns the value or throws the class named like pyOpenSSL's", "[error][unwrap]") {
  CHECK(pyossl::unwrap(half(10)) == 5);
  CHECK_NOTHROW(pyossl::unwrap(succeed()));
  CHECK_THROWS_AS(pyossl::unwrap(half(1)), pyossl::exception);

  try {
    pyossl::unwrap(refuse());
    FAIL("unwrap did not throw");
  } catch (const pyossl::exception& e) {
    CHECK(e.code() == errc::unsupported);
    CHECK(e.error().operation() == "refuse");
    CHECK(std::string(e.what()).find("never works") != std::string::npos);
  }
}

namespace {
template <class Expected>
bool throws_as(errc kind) {
  try {
    pyossl::throw_error(error(kind, "op"));
  } catch (const Expected& e) {
    return e.code() == kind;
  } catch (...) {
  }
  return false;
}
}  // namespace

TEST_CASE("each errc throws its pyOpenSSL exception class", "[error][unwrap]") {
  CHECK(throws_as<pyossl::ssl::Error>(errc::ssl));
  CHECK(throws_as<pyossl::ssl::ZeroReturnError>(errc::zero_return));
  CHECK(throws_as<pyossl::ssl::WantReadError>(errc::want_read));
  CHECK(throws_as<pyossl::ssl::WantWriteError>(errc::want_write));
  CHECK(throws_as<pyossl::ssl::WantX509LookupError>(errc::want_x509_lookup));
  CHECK(throws_as<pyossl::ssl::SysCallError>(errc::syscall));
  CHECK(throws_as<pyossl::crypto::Error>(errc::crypto));
  CHECK(throws_as<pyossl::rand::Error>(errc::rand));
  CHECK(throws_as<pyossl::exception>(errc::invalid_argument));
  // The SSL subclasses are all ssl::Error, as in pyOpenSSL.
  CHECK(throws_as<pyossl::ssl::Error>(errc::want_read));
  CHECK(throws_as<std::system_error>(errc::crypto));
  STATIC_REQUIRE(std::is_base_of_v<std::system_error, pyossl::exception>);
}

TEST_CASE("exception_stash keeps a callback's exception for the caller to rethrow", "[error][callback]") {
  pyossl::detail::exception_stash stash;
  const int returned = stash.guard([]() -> int { throw std::runtime_error("from callback"); }, -1);
  CHECK(returned == -1);
  CHECK(stash.pending());
  queue_ssl_error();  // what the aborted OpenSSL operation queued
  CHECK_THROWS_WITH(stash.rethrow_pending(), "from callback");
  CHECK_FALSE(stash.pending());
  CHECK(ERR_peek_error() == 0);
  CHECK_NOTHROW(stash.rethrow_pending());
  CHECK(stash.guard([] { return 7; }, -1) == 7);
}

TEST_CASE("exception_stash keeps the first of several exceptions", "[error][callback]") {
  pyossl::detail::exception_stash stash;
  (void)stash.guard([]() -> int { throw std::runtime_error("first"); }, 0);
  (void)stash.guard([]() -> int { throw std::logic_error("second"); }, 0);
  CHECK_THROWS_AS(stash.rethrow_pending(), std::runtime_error);
}

namespace {
std::size_t occurrences(const std::string& text, const std::string& part) {
  std::size_t count = 0;
  for (std::size_t at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++count;
  return count;
}
}  // namespace

TEST_CASE("what() and message() say each thing once", "[error][unwrap]") {
  const errc kind =
      GENERATE(errc::ssl, errc::zero_return, errc::want_read, errc::want_write, errc::want_x509_lookup,
               errc::syscall, errc::crypto, errc::rand, errc::invalid_argument, errc::unsupported);
  const std::string kind_text = pyossl::error_category().message(static_cast<int>(kind));
  INFO(kind_text);
  // Nothing queued: the kind's text, once, after the operation.
  const error bare(kind, "SSL_read_ex");
  CHECK(bare.message() == "SSL_read_ex: " + kind_text);
  CHECK(std::string(pyossl::exception(bare).what()) == bare.message());
  // A reason: the reason, and no trailing kind text (": crypto error").
  const error reasoned(kind, "load_privatekey", {}, "the buffer is empty");
  CHECK(std::string(pyossl::exception(reasoned).what()) == "load_privatekey: the buffer is empty");
  try {
    pyossl::throw_error(reasoned);
  } catch (const pyossl::exception& e) {
    CHECK(std::string(e.what()) == "load_privatekey: the buffer is empty");
  }
}

TEST_CASE("a verification failure's text is not repeated when the reason already says it", "[error]") {
  error e(errc::ssl, "SSL_do_handshake", {},
          "certificate verify failed (unable to get local issuer certificate)");
  e.set_verification(pyossl::verify_failure{20, "unable to get local issuer certificate", 0, "CN = x"});
  CHECK(occurrences(e.message(), "unable to get local issuer certificate") == 1);
  error plain(errc::ssl, "SSL_do_handshake", {}, "certificate verify failed");
  plain.set_verification(pyossl::verify_failure{20, "unable to get local issuer certificate", 0, "CN = x"});
  CHECK(plain.message() ==
        "SSL_do_handshake: certificate verify failed (unable to get local issuer certificate)");
}

TEST_CASE("detail::callback holds any callable, move-only ones included, and copies share it", "[callback]") {
  using pyossl::detail::callback;
  static_assert(!std::is_constructible_v<callback<int(int)>, int>);
  callback<int(int)> empty;
  CHECK_FALSE(empty);
  auto owned = std::make_unique<int>(10);
  callback<int(int)> add(
      [owned = std::move(owned), calls = 0](int x) mutable { return x + *owned + ++calls * 0; });
  REQUIRE(add);
  CHECK(add(5) == 15);
  int counted = 0;
  callback<void(int)> count([&counted](int x) { counted += x; });
  const callback<void(int)> copy = count;
  copy(2);
  count(3);
  CHECK(counted == 5);
  callback<std::string(bool)> text([](bool writing) { return writing ? "w" : "r"; });
  CHECK(text(true) == "w");
}

TEST_CASE("error_queue_mark drops what its scope queued unless keep() was called", "[error]") {
  {
    const pyossl::detail::error_queue_mark mark;
    ERR_raise(ERR_LIB_X509, X509_R_CERT_ALREADY_IN_HASH_TABLE);
  }
  CHECK(ERR_peek_error() == 0UL);
  {
    pyossl::detail::error_queue_mark mark;
    ERR_raise(ERR_LIB_X509, X509_R_CERT_ALREADY_IN_HASH_TABLE);
    mark.keep();
  }
  CHECK(ERR_GET_REASON(ERR_peek_error()) == X509_R_CERT_ALREADY_IN_HASH_TABLE);
  const error kept = pyossl::detail::openssl_error(errc::crypto, "op");
  CHECK(kept.queue().size() == 1);
  CHECK(ERR_peek_error() == 0UL);
}

TEST_CASE("the fixture helper must() throws on a failure and on a success that left the queue dirty",
          "[error][support]") {
  CHECK(pyossl_test::must(pyossl::result<int>(7)) == 7);
  CHECK_THROWS_WITH(
      pyossl_test::must(pyossl::result<int>(pyossl::detail::fail(pyossl::errc::crypto, "op", "why"))),
      Catch::Contains("why"));
  // A stale entry must() let through would be drained into the next expected failure.
  ERR_raise(ERR_LIB_X509, X509_R_CERT_ALREADY_IN_HASH_TABLE);
  CHECK_THROWS_WITH(pyossl_test::must(pyossl::result<int>(7)), Catch::Contains("error queue"));
  ERR_clear_error();
}

// The checks themselves: REQUIRE_OK must notice a success that left OpenSSL's queue dirty,
// or every test written with it would miss the bug it exists to catch. Catch2 counts this
// case as passed only if it fails.
TEST_CASE("REQUIRE_OK fails on a success that left the error queue dirty", "[checks][!shouldfail]") {
  ERR_raise(ERR_LIB_X509, X509_R_KEY_VALUES_MISMATCH);  // left behind by a "successful" call
  const pyossl::result<int> ok = 1;
  REQUIRE_OK(ok);
  ERR_clear_error();
}
