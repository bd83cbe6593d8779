// One Catch2 test, compiled against Catch2 v2 or v3, whichever cmake/pyossl_catch2.cmake found.
#if __has_include(<catch2/catch_all.hpp>)
#include <catch2/catch_test_macros.hpp>
#else
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
#endif

TEST_CASE("Catch2 obtained by pyossl_obtain_catch2 runs a test") {
  int answer = 6 * 7;
  REQUIRE(answer == 42);
}
