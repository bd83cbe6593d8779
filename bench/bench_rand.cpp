// rand::bytes_into and rand::bytes against RAND_bytes.
#include <cstddef>
#include <vector>

#include <benchmark/benchmark.h>
#include <openssl/rand.h>

#include <pyossl/rand.hpp>

namespace {

void raw_RAND_bytes(benchmark::State& state) {
  std::vector<unsigned char> buffer(static_cast<std::size_t>(state.range(0)));
  for (auto _ : state) {
    if (RAND_bytes(buffer.data(), static_cast<int>(buffer.size())) != 1) state.SkipWithError("RAND_bytes");
    benchmark::DoNotOptimize(buffer.data());
  }
  state.SetBytesProcessed(state.iterations() * state.range(0));
}

void pyossl_rand_bytes_into(benchmark::State& state) {
  std::vector<std::byte> buffer(static_cast<std::size_t>(state.range(0)));
  for (auto _ : state) {
    if (!pyossl::rand::bytes_into(buffer)) state.SkipWithError("rand::bytes_into");
    benchmark::DoNotOptimize(buffer.data());
  }
  state.SetBytesProcessed(state.iterations() * state.range(0));
}

// Allocates its result string each time, as pyOpenSSL's rand.bytes does.
void pyossl_rand_bytes(benchmark::State& state) {
  for (auto _ : state) {
    auto random = pyossl::rand::bytes(state.range(0));
    if (!random) state.SkipWithError("rand::bytes");
    benchmark::DoNotOptimize(random);
  }
  state.SetBytesProcessed(state.iterations() * state.range(0));
}

}  // namespace

BENCHMARK(raw_RAND_bytes)->Arg(32)->Arg(4096);
BENCHMARK(pyossl_rand_bytes_into)->Arg(32)->Arg(4096);
BENCHMARK(pyossl_rand_bytes)->Arg(32)->Arg(4096);
