// ssl::Connection's hot paths allocate nothing: send of a span, recv_into, bio_write and
// bio_read_into; a want_read result allocates nothing at all; recv / bio_read allocate their
// string once. Counted by allocation_counter.hpp (operator new, and OpenSSL's own allocations
// through CRYPTO_set_mem_functions, installed before OpenSSL allocates).
// In its own test program so the replacements touch no other test. Counts, not times.
#include <atomic>
#include <cstdlib>
#include <memory>
#include <new>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "catch.hpp"
#include "checks.hpp"
#include "pyossl/rand.hpp"
#include "pyossl/ssl.hpp"
#include "tls_fixtures.hpp"
// Last: it defines the replaced operator new and delete, after every header that uses them.
#include "allocation_counter.hpp"

using pyossl_test::allocations_during;
using pyossl_test::cxx_allocations;

namespace {
// Installed during static initialisation, before anything has called OpenSSL.
const bool openssl_counted = pyossl_test::count_openssl_allocations();
}  // namespace

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
    const long before = cxx_allocations.load();
    const auto sent = pair.client.send(std::span<const std::byte>(message));
    const auto taken = pair.client.bio_read_into(std::span<std::byte>(wire));
    const auto given = taken ? pair.server.bio_write(std::span<const std::byte>(wire).first(*taken))
                             : pyossl::result<std::size_t>(std::size_t{0});
    const auto received = pair.server.recv_into(std::span<std::byte>(plain));
    counted += cxx_allocations.load() - before;
    REQUIRE(sent.has_value());
    REQUIRE(*sent == message.size());
    REQUIRE(taken.has_value());
    REQUIRE(given.has_value());
    REQUIRE(received.has_value());
    REQUIRE(*received == message.size());
  }
  CHECK(counted == 0);

  // The counter does count.
  const long before = cxx_allocations.load();
  const auto probe = std::make_unique<int>(1);
  CHECK(cxx_allocations.load() > before);
}

namespace {
// A handshaken pair whose client has taken in the server's session tickets.
struct quiet_pair {
  ssl::Context server_ctx = pyossl_test::server_context();
  ssl::Context client_ctx = pyossl_test::client_context();
  pyossl_test::connection_pair pair{client_ctx, server_ctx};
  quiet_pair() {
    REQUIRE(pyossl_test::handshake(pair.client, pair.server).ok());
    REQUIRE_FAILS_WITH(pair.client.recv(1), pyossl::errc::want_read);
    REQUIRE_FAILS_WITH(pair.server.recv(1), pyossl::errc::want_read);
  }
};
}  // namespace

TEST_CASE("OpenSSL's allocations are counted too", "[connection][alloc]") {
  REQUIRE(openssl_counted);
  const auto [cxx, openssl] = allocations_during([] { BIO_free(BIO_new(BIO_s_mem())); });
  CHECK(cxx == 0);
  CHECK(openssl > 0);
}

TEST_CASE("a want_read from recv_into allocates nothing, in pyossl or in OpenSSL", "[connection][alloc]") {
  quiet_pair quiet;
  std::vector<std::byte> plain(1024);
  for (int round = 0; round < 20; ++round) {
    std::optional<pyossl::result<std::size_t>> outcome;
    const auto [cxx, openssl] =
        allocations_during([&] { outcome.emplace(quiet.pair.server.recv_into(plain)); });
    REQUIRE_FAILS_WITH(*outcome, pyossl::errc::want_read);
    CHECK(cxx == 0);
    CHECK(openssl == 0);
    // Asking for the text is when text is made.
    CHECK(outcome->error().operation() == "SSL_read_ex");
    CHECK(outcome->error().queue().empty());
    CHECK(outcome->error().message().find("SSL_read_ex") != std::string::npos);
  }
}

TEST_CASE("a bio_read_into with nothing to read allocates nothing", "[connection][alloc]") {
  quiet_pair quiet;
  std::vector<std::byte> wire(1024);
  for (int round = 0; round < 20; ++round) {
    std::optional<pyossl::result<std::size_t>> outcome;
    const auto [cxx, openssl] =
        allocations_during([&] { outcome.emplace(quiet.pair.client.bio_read_into(wire)); });
    REQUIRE_FAILS_WITH(*outcome, pyossl::errc::want_read);
    CHECK(cxx == 0);
    CHECK(openssl == 0);
    CHECK(outcome->error().operation() == "BIO_read_ex");
    CHECK_FALSE(outcome->error().reason().empty());
  }
}

TEST_CASE("bio_read_into's want_read drains an entry left in the error queue", "[connection][alloc]") {
  quiet_pair quiet;
  std::vector<std::byte> wire(1024);
  ERR_raise(ERR_LIB_SSL, SSL_R_BAD_LENGTH);  // someone else's, left behind
  const auto outcome = quiet.pair.client.bio_read_into(wire);
  REQUIRE_FAILS_WITH(outcome, pyossl::errc::want_read);
  CHECK(outcome.error().queue().size() == 1);
  CHECK(outcome.error().reason() == "TLS has written nothing for the peer since the last bio_read");
}

TEST_CASE("a read-until-want_read loop allocates no more than the same loop on raw SSL",
          "[connection][alloc]") {
  quiet_pair quiet;
  const std::vector<std::byte> message(64, std::byte{'r'});
  std::vector<std::byte> wire(1 << 16);
  std::vector<std::byte> plain(1 << 16);
  // Three records in flight to the server, each time.
  const auto queue_three = [&] {
    for (int i = 0; i < 3; ++i)
      REQUIRE(quiet.pair.client.send(std::span<const std::byte>(message)).has_value());
    const auto taken = quiet.pair.client.bio_read_into(std::span<std::byte>(wire));
    REQUIRE(taken.has_value());
    REQUIRE(quiet.pair.server.bio_write(std::span<const std::byte>(wire).first(*taken)).has_value());
  };
  long pyossl_cxx = 0;
  long pyossl_openssl = 0;
  long raw_openssl = 0;
  for (int round = 0; round < 20; ++round) {
    queue_three();
    int records = 0;
    const auto [cxx, openssl] = allocations_during([&] {
      for (;;) {
        auto received = quiet.pair.server.recv_into(std::span<std::byte>(plain));
        if (!received) {
          CHECK(received.error() == pyossl::errc::want_read);
          break;
        }
        ++records;
      }
    });
    CHECK(records == 3);
    pyossl_cxx += cxx;
    pyossl_openssl += openssl;

    queue_three();
    SSL* server = quiet.pair.server.native_handle();
    int raw_records = 0;
    raw_openssl += allocations_during([&] {
                     for (;;) {
                       std::size_t received = 0;
                       const int ret = SSL_read_ex(server, plain.data(), plain.size(), &received);
                       if (ret != 1) {
                         CHECK(SSL_get_error(server, ret) == SSL_ERROR_WANT_READ);
                         break;
                       }
                       ++raw_records;
                     }
                   }).openssl;
    CHECK(raw_records == 3);
  }
  CHECK(pyossl_cxx == 0);
  CHECK(pyossl_openssl == raw_openssl);
  CHECK(ERR_peek_error() == 0UL);
}

TEST_CASE("a want error names its operation without allocating, and reads like any error",
          "[connection][alloc]") {
  const pyossl::detail::static_text operation = pyossl::detail::io_call_text(pyossl::detail::io_call::write);
  std::optional<pyossl::error> e;
  const auto [cxx, openssl] = allocations_during([&] { e.emplace(pyossl::errc::want_write, operation); });
  CHECK(cxx == 0);
  CHECK(openssl == 0);
  CHECK(e->code() == pyossl::errc::want_write);
  CHECK(*e == pyossl::errc::want_write);
  CHECK(e->operation() == "SSL_write_ex");
  CHECK(e->queue().empty());
  CHECK(e->reason().empty());
  CHECK(e->sys_errno() == 0);
  CHECK_FALSE(e->verification().has_value());
  CHECK(e->message() == "SSL_write_ex: operation wants to write to the transport");
  // Copies and additions keep it whole.
  pyossl::error copy = *e;
  copy.set_syscall(5, "Input/output error");
  CHECK(copy.operation() == "SSL_write_ex");
  CHECK(copy.sys_errno() == 5);
  CHECK(e->sys_errno() == 0);
}

TEST_CASE("recv and bio_read allocate their string once, sized to what was read", "[connection][alloc]") {
  quiet_pair quiet;
  const std::string message(64, 'x');
  REQUIRE(quiet.pair.client.send(message).has_value());
  std::optional<pyossl::result<std::string>> wire;
  const auto taken = allocations_during([&] { wire.emplace(quiet.pair.client.bio_read(16384)); });
  REQUIRE(wire->has_value());
  CHECK((*wire)->size() > message.size());
  CHECK(taken.cxx == 1);
  CHECK((*wire)->capacity() < 1024);  // not the 16 KiB asked for
  REQUIRE(quiet.pair.server.bio_write(**wire).has_value());

  std::optional<pyossl::result<std::string>> plain;
  const auto received = allocations_during([&] { plain.emplace(quiet.pair.server.recv(16384)); });
  REQUIRE(plain->has_value());
  CHECK(**plain == message);
  CHECK(received.cxx == 1);
  CHECK((*plain)->capacity() < 1024);

  SECTION("a short read fits in the string itself: no allocation") {
    REQUIRE(quiet.pair.client.send("short").has_value());
    REQUIRE(pyossl_test::transfer(quiet.pair.client, quiet.pair.server));
    std::optional<pyossl::result<std::string>> small;
    const auto counted = allocations_during([&] { small.emplace(quiet.pair.server.recv(16384)); });
    REQUIRE(small->has_value());
    CHECK(**small == "short");
    CHECK(counted.cxx == 0);
  }
  SECTION("a want_read from recv allocates nothing") {
    std::optional<pyossl::result<std::string>> none;
    const auto counted = allocations_during([&] { none.emplace(quiet.pair.server.recv(16384)); });
    REQUIRE_FAILS_WITH(*none, pyossl::errc::want_read);
    CHECK(counted.cxx == 0);
    CHECK(counted.openssl == 0);
  }
}

TEST_CASE("recv larger than one record returns everything waiting, in order", "[connection][alloc]") {
  quiet_pair quiet;
  std::string big(40000, '\0');
  for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>('a' + i % 26);
  REQUIRE(quiet.pair.client.sendall(big).has_value());
  REQUIRE(pyossl_test::transfer(quiet.pair.client, quiet.pair.server));
  std::string got;
  while (got.size() < big.size()) {
    auto part = quiet.pair.server.recv(1 << 20);
    REQUIRE_OK(part);
    got += *part;
  }
  CHECK(got == big);
  // bio_read with a large bufsize takes everything that waits in one string.
  REQUIRE(quiet.pair.server.sendall(big).has_value());
  const std::size_t waiting = BIO_ctrl_pending(SSL_get_wbio(quiet.pair.server.native_handle()));
  auto all = quiet.pair.server.bio_read(1 << 20);
  REQUIRE_OK(all);
  CHECK(all->size() == waiting);
}

TEST_CASE("rand::bytes allocates its string once", "[rand][alloc]") {
  std::optional<pyossl::result<std::string>> random;
  const auto counted = allocations_during([&] { random.emplace(pyossl::rand::bytes(4096)); });
  REQUIRE(random->has_value());
  CHECK((*random)->size() == 4096);
  CHECK(counted.cxx == 1);
}

TEST_CASE("recv and bio_read never return more than bufsize, even past one record", "[connection][alloc]") {
  quiet_pair quiet;
  const std::string big(40000, 'x');
  constexpr std::size_t bufsize = 16 * 1024 + 100;  // more than the stack buffer takes at once
  REQUIRE(quiet.pair.client.sendall(big).has_value());
  REQUIRE(pyossl_test::transfer(quiet.pair.client, quiet.pair.server));
  std::size_t received = 0;
  while (received < big.size()) {
    auto part = quiet.pair.server.recv(bufsize);
    REQUIRE_OK(part);
    CHECK(part->size() <= bufsize);
    received += part->size();
  }
  CHECK(received == big.size());
  REQUIRE(quiet.pair.server.sendall(big).has_value());
  auto first = quiet.pair.server.bio_read(bufsize);
  REQUIRE_OK(first);
  CHECK(first->size() == bufsize);
}
