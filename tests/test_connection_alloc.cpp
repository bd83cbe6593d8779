// ssl::Connection's hot paths allocate nothing: send of a span, recv_into, bio_write and
// bio_read_into, counted with a replaced global operator new. In its own test program so
// the replacement touches no other test. (OpenSSL's own allocations go through malloc and
// are not counted: the promise is that pyossl adds none.)
#include <atomic>
#include <cstdlib>
#include <memory>
#include <new>
#include <span>
#include <string>
#include <vector>

#include "catch.hpp"
#include "checks.hpp"
#include "pyossl/ssl.hpp"
#include "tls_fixtures.hpp"

namespace {
std::atomic<long> allocations{0};
}

namespace {
void* counted_allocation(std::size_t size) noexcept {
  allocations.fetch_add(1, std::memory_order_relaxed);
  return std::malloc(size == 0 ? 1 : size);
}
}  // namespace

// Every replaceable form, so that no allocation escapes the count and every one is freed
// by the matching function (the sanitizers check the pairing).
void* operator new(std::size_t size) {
  if (void* p = counted_allocation(size)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t size) {
  if (void* p = counted_allocation(size)) return p;
  throw std::bad_alloc();
}
void* operator new(std::size_t size, const std::nothrow_t&) noexcept { return counted_allocation(size); }
void* operator new[](std::size_t size, const std::nothrow_t&) noexcept { return counted_allocation(size); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }

namespace ssl = pyossl::ssl;

TEST_CASE("send, recv_into, bio_write and bio_read_into allocate nothing on success", "[connection][alloc]") {
  const auto server_ctx = pyossl_test::server_context();
  const auto client_ctx = pyossl_test::client_context();
  pyossl_test::connection_pair pair(client_ctx, server_ctx);
  REQUIRE(pyossl_test::handshake(pair.client, pair.server).ok());
  REQUIRE_FAILS_WITH(pair.client.recv(1), pyossl::errc::want_read);  // take the TLS 1.3 tickets in first

  const std::vector<std::byte> message(1000, std::byte{'m'});
  std::vector<std::byte> wire(1 << 16);
  std::vector<std::byte> plain(1 << 16);
  long counted = 0;
  for (int round = 0; round < 50; ++round) {
    const long before = allocations.load();
    const auto sent = pair.client.send(std::span<const std::byte>(message));
    const auto taken = pair.client.bio_read_into(std::span<std::byte>(wire));
    const auto given = taken ? pair.server.bio_write(std::span<const std::byte>(wire).first(*taken))
                             : pyossl::result<std::size_t>(std::size_t{0});
    const auto received = pair.server.recv_into(std::span<std::byte>(plain));
    counted += allocations.load() - before;
    REQUIRE(sent.has_value());
    REQUIRE(*sent == message.size());
    REQUIRE(taken.has_value());
    REQUIRE(given.has_value());
    REQUIRE(received.has_value());
    REQUIRE(*received == message.size());
  }
  CHECK(counted == 0);

  // The counter does count.
  const long before = allocations.load();
  const auto probe = std::make_unique<int>(1);
  CHECK(allocations.load() > before);
}
