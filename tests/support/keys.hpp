// Key pairs for tests: one table of the key types pyossl generates, and each key made once
// per test process (DSA parameter generation takes a second or two).
#pragma once

#include <map>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "pyossl/crypto/pkey.hpp"

namespace pyossl_test {

struct key_case {
  std::string name;  // for test output: "RSA 1024"
  pyossl::crypto::key_type type;
  int bits;           // what generate_key is asked for
  int expected_bits;  // what PKey::bits() then reports
};

inline const std::vector<key_case>& key_cases() {
  using namespace pyossl::crypto;
  static const std::vector<key_case> cases = {
      {"RSA 1024", TYPE_RSA, 1024, 1024}, {"RSA 2048", TYPE_RSA, 2048, 2048},
      {"DSA 2048", TYPE_DSA, 2048, 2048}, {"EC P-256", TYPE_EC, 256, 256},
      {"EC P-384", TYPE_EC, 384, 384},    {"Ed25519", TYPE_ED25519, 0, 256},
      {"Ed448", TYPE_ED448, 0, 456},      {"DH ffdhe2048", TYPE_DH, 2048, 2048},
  };
  return cases;
}

// The key pair for `c`, generated on first use and shared (by reference count) afterwards.
inline pyossl::crypto::PKey generated_key(const key_case& c) {
  static std::map<std::string, pyossl::crypto::PKey> cache;
  auto found = cache.find(c.name);
  if (found == cache.end()) {
    pyossl::crypto::PKey key;
    auto made = key.generate_key(c.type, c.bits);
    if (!made) throw std::runtime_error("cannot generate " + c.name + ": " + made.error().message());
    found = cache.emplace(c.name, std::move(key)).first;
  }
  return found->second;
}

}  // namespace pyossl_test
