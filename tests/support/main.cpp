// The test runner: Catch2's session, plus a listener that fails the run if any test case
// leaves entries on OpenSSL's error queue (pyossl must drain it on every failure).
#include <cstdio>
#include <string>
#include <vector>

#include <openssl/err.h>

#if __has_include(<catch2/catch_all.hpp>)
#include <catch2/catch_all.hpp>
using listener_base = Catch::EventListenerBase;
#else
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>
using listener_base = Catch::TestEventListenerBase;
#endif

namespace {

// Catch2 v3 hands the test's info by pointer, v2 by reference.
[[maybe_unused]] const std::string& name_of(const Catch::TestCaseInfo& info) { return info.name; }
[[maybe_unused]] const std::string& name_of(const Catch::TestCaseInfo* info) { return info->name; }

std::vector<std::string>& tests_with_stale_errors() {
  static std::vector<std::string> names;
  return names;
}

class error_queue_listener : public listener_base {
 public:
  using listener_base::listener_base;
  void testCaseEnded(const Catch::TestCaseStats& stats) override {
    if (ERR_peek_error() == 0) return;
    std::string name = name_of(stats.testInfo);
    while (unsigned long code = ERR_get_error()) {
      char text[256];
      ERR_error_string_n(code, text, sizeof(text));
      name += "\n    left on the queue: ";
      name += text;
    }
    tests_with_stale_errors().push_back(name);
  }
};

}  // namespace

CATCH_REGISTER_LISTENER(error_queue_listener)

int main(int argc, char* argv[]) {
  const int failed = Catch::Session().run(argc, argv);
  for (const std::string& name : tests_with_stale_errors()) {
    std::fprintf(stderr, "OpenSSL error queue not empty after test case: %s\n", name.c_str());
  }
  if (failed != 0) return failed;
  return tests_with_stale_errors().empty() ? 0 : 1;
}
