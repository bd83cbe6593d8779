// Running the `openssl` command-line tool (a peer nobody here wrote) from tests.
#pragma once

#include <cstdio>
#include <stdexcept>
#include <string>

#include <sys/wait.h>

namespace pyossl_test {

struct command_result {
  int exit_code = -1;
  std::string output;  // stdout and stderr together
};

// Runs `command` through /bin/sh, capturing stdout and stderr.
inline command_result run_command(const std::string& command) {
  command_result result;
  FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return result;
  char buffer[4096];
  std::size_t n = 0;
  while ((n = std::fread(buffer, 1, sizeof(buffer), pipe)) > 0) result.output.append(buffer, n);
  const int status = ::pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

// The openssl CLI that CMake found, quoted for the shell.
inline std::string openssl_cli() { return std::string("'") + PYOSSL_TEST_OPENSSL + "'"; }

// Runs `openssl <arguments>`.
inline command_result run_openssl(const std::string& arguments) {
  return run_command(openssl_cli() + " " + arguments);
}

// Runs `openssl <arguments>` for a fixture, returning its output; throws if it fails
// (fixtures are made outside any assertion, so a failure must not pass unnoticed).
inline std::string openssl_or_throw(const std::string& arguments) {
  const command_result ran = run_openssl(arguments);
  if (ran.exit_code != 0) throw std::runtime_error("openssl " + arguments + " failed:\n" + ran.output);
  return ran.output;
}

}  // namespace pyossl_test
