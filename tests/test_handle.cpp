// The owning handle every wrapper keeps its OpenSSL object in.
#include <type_traits>
#include <utility>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "catch.hpp"
#include "pyossl/detail/handle.hpp"

using pyossl::detail::handle;

TEST_CASE("a handle is a unique_ptr that frees with the registered function", "[handle]") {
  STATIC_REQUIRE(sizeof(handle<X509>) == sizeof(X509*));  // stateless deleter
  STATIC_REQUIRE(std::is_nothrow_move_constructible_v<handle<X509>>);
  STATIC_REQUIRE_FALSE(std::is_copy_constructible_v<handle<X509>>);
  handle<X509> cert = pyossl::detail::adopt(X509_new());
  REQUIRE(cert);
  handle<X509> moved = std::move(cert);
  CHECK_FALSE(cert);  // NOLINT(bugprone-use-after-move): checking the moved-from state
  CHECK(moved);
}

TEST_CASE("up_ref shares a reference-counted object between two handles", "[handle]") {
  handle<EVP_PKEY> first = pyossl::detail::adopt(EVP_PKEY_new());
  handle<EVP_PKEY> second = pyossl::detail::up_ref(first.get());
  REQUIRE(second.get() == first.get());
  first.reset();  // the object lives on through the second reference (ASan checks)
  CHECK(EVP_PKEY_get_id(second.get()) == EVP_PKEY_NONE);
  CHECK_FALSE(pyossl::detail::up_ref<EVP_PKEY>(nullptr));
}

TEST_CASE("a stack handle frees the stack and its elements", "[handle]") {
  handle<STACK_OF(X509)> certs = pyossl::detail::adopt(sk_X509_new_null());
  REQUIRE(certs);
  handle<X509> cert = pyossl::detail::adopt(X509_new());
  REQUIRE(sk_X509_push(certs.get(), cert.get()) > 0);
  (void)cert.release();  // the stack owns it now (LeakSanitizer checks it is freed)
  CHECK(sk_X509_num(certs.get()) == 1);
}
