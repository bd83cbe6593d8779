// A user's program: includes pyossl the way the README says and uses every module's header.
#include <cstdio>

#include <pyossl/pyossl.hpp>

int main() {
  auto random = pyossl::rand::bytes(16);
  if (!random || random->size() != 16) return 1;
  std::puts("pyossl consumer: ok");
  return 0;
}
