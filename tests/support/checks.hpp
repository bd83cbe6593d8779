// Assertions every pyossl test uses for failure paths.
#pragma once

#include <openssl/err.h>

#include "catch.hpp"
#include "pyossl/error.hpp"

// The result failed, with this kind, a non-empty message, and OpenSSL's queue drained.
#define REQUIRE_FAILS_WITH(expression, expected_kind)            \
  do {                                                           \
    const auto& pyossl_test_result = (expression);               \
    REQUIRE_FALSE(pyossl_test_result.has_value());               \
    CHECK(pyossl_test_result.error().kind() == (expected_kind)); \
    CHECK_FALSE(pyossl_test_result.error().message().empty());   \
    CHECK(ERR_peek_error() == 0UL);                              \
  } while (false)

// The result succeeded; on failure, show why.
#define REQUIRE_OK(expression)                                                                         \
  do {                                                                                                 \
    const auto& pyossl_test_result = (expression);                                                     \
    INFO((pyossl_test_result.has_value() ? std::string("ok") : pyossl_test_result.error().message())); \
    REQUIRE(pyossl_test_result.has_value());                                                           \
  } while (false)
