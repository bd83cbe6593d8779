// random_bytes: print N random bytes from OpenSSL's generator as hex.
//   usage: random_bytes [count]   (default 32)
#include <cstdio>
#include <cstdlib>

#include <pyossl/rand.hpp>

int main(int argc, char* argv[]) {
  const long count = argc > 1 ? std::strtol(argv[1], nullptr, 10) : 32;
  auto random = pyossl::rand::bytes(count);
  if (!random) {
    std::fprintf(stderr, "random_bytes: %s\n", random.error().message().c_str());
    return 1;
  }
  for (const char byte : *random) std::printf("%02x", static_cast<unsigned char>(byte));
  std::printf("\n");
  return 0;
}
