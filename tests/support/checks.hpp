// Assertions every pyossl test uses for failure paths.
#pragma once

#include <openssl/err.h>

#include "catch.hpp"
#include "pyossl/error.hpp"

#include <string>

namespace pyossl_test {

// What is on this thread's OpenSSL error queue, without removing it, for a failure message.
inline std::string queued_errors() {
  std::string text;
  // ERR_peek_error_all walks from the oldest entry; no public call peeks past it, so
  // report the oldest and newest (enough to find the culprit).
  const unsigned long first = ERR_peek_error();
  const unsigned long last = ERR_peek_last_error();
  if (first == 0) return "empty";
  char buffer[256];
  ERR_error_string_n(first, buffer, sizeof(buffer));
  text = buffer;
  if (last != first) {
    ERR_error_string_n(last, buffer, sizeof(buffer));
    text += std::string(" ... ") + buffer;
  }
  return text;
}

}  // namespace pyossl_test

// The result failed, with this kind, a non-empty message, and OpenSSL's queue drained.
#define REQUIRE_FAILS_WITH(expression, expected_kind)            \
  do {                                                           \
    const auto& pyossl_test_result = (expression);               \
    REQUIRE_FALSE(pyossl_test_result.has_value());               \
    CHECK(pyossl_test_result.error().kind() == (expected_kind)); \
    CHECK_FALSE(pyossl_test_result.error().message().empty());   \
    CHECK(ERR_peek_error() == 0UL);                              \
  } while (false)

// The result succeeded, and left OpenSSL's error queue empty (a success that leaves
// entries behind makes the next, unrelated failure report them); on failure, show why.
#define REQUIRE_OK(expression)                                                                         \
  do {                                                                                                 \
    const auto& pyossl_test_result = (expression);                                                     \
    INFO((pyossl_test_result.has_value() ? std::string("ok") : pyossl_test_result.error().message())); \
    REQUIRE(pyossl_test_result.has_value());                                                           \
    INFO("OpenSSL error queue after success: " << pyossl_test::queued_errors());                       \
    CHECK(ERR_peek_error() == 0UL);                                                                    \
  } while (false)
