// Counts, not times: heap allocations (C++ operator new and OpenSSL's own, through
// CRYPTO_set_mem_functions) per round of the small-record path, pyossl beside the same calls
// on raw SSL objects; and a fixed amount of work for callgrind to count instructions of
// (bench/callgrind_echo.sh runs it twice and subtracts, so set-up and handshake drop out).
//
//   echo_round                     prints the allocation table
//   echo_round SIDE SCENARIO N     runs N rounds of one scenario, prints its counts
//
// SIDE is pyossl, raw, raw-peek or raw-clear (see queue_policy below). Scenarios, all over memory BIOs after
// a TLS 1.3 handshake:
//   echo   client sends 64 B, carried to the server, which receives it, receives again
//          (want_read), sends it back; carried to the client, which receives it.
//   empty  one bio_read_into when TLS has written nothing (want_read).
//   drain  client sends three 64-byte records; the server receives until want_read.
//   oneway64, oneway1k  bench_ssl's loop: send, bio_read_into, bio_write, recv_into of
//          64 B / 1 KiB, one direction (timing proxies: instructions do not vary with load).
//   string64  the same with recv(16 KiB) returning a std::string (raw: SSL_read_ex).
//   rand32, rand4096  rand::bytes(n) (raw: RAND_bytes into a buffer).
#include <atomic>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <new>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>

#include <pyossl/rand.hpp>

#include "tls_setup.hpp"
// Last: it defines the replaced operator new and delete, after every header that uses them.
#include "allocation_counter.hpp"

using pyossl_test::cxx_allocations;
using pyossl_test::openssl_allocations;

namespace {

namespace ssl = pyossl::ssl;
using pyossl::errc;
using pyossl_bench::raw_connection;

constexpr std::size_t payload_size = 64;
constexpr int drain_records = 3;

[[noreturn]] void die(const char* what) {
  std::fprintf(stderr, "echo_round: %s\n", what);
  std::exit(1);
}

struct io_buffers {
  std::vector<std::byte> payload = std::vector<std::byte>(1024, std::byte{'e'});
  std::vector<std::byte> wire = std::vector<std::byte>(pyossl_bench::wire_capacity);
  std::vector<std::byte> inbox = std::vector<std::byte>(pyossl_bench::max_payload);
};

// ---- pyossl ----

struct pyossl_pair {
  ssl::Connection client;
  ssl::Connection server;
};

pyossl_pair make_pyossl_pair(io_buffers& io) {
  pyossl_bench::pyossl_contexts& contexts = pyossl_bench::shared_pyossl_contexts();
  pyossl_pair pair{ssl::Connection(contexts.client), ssl::Connection(contexts.server)};
  pair.client.set_connect_state();
  pair.server.set_accept_state();
  if (!pyossl_bench::handshake(pair.client, pair.server, io.wire)) die("the pyossl handshake failed");
  auto tickets = pair.client.recv_into(io.inbox);  // take in the session tickets
  if (tickets || tickets.error() != errc::want_read) die("the client expected only session tickets");
  return pair;
}

// One record from `from` to `to`: a single bio_read_into and bio_write.
void carry_one(ssl::Connection& from, ssl::Connection& to, std::span<std::byte> wire) {
  auto taken = from.bio_read_into(wire);
  if (!taken) die("bio_read_into");
  auto given = to.bio_write(wire.first(*taken));
  if (!given || *given != *taken) die("bio_write");
}

void pyossl_echo(pyossl_pair& pair, io_buffers& io) {
  auto sent = pair.client.send(std::span<const std::byte>(io.payload).first(payload_size));
  if (!sent || *sent != payload_size) die("client send");
  carry_one(pair.client, pair.server, io.wire);
  auto received = pair.server.recv_into(io.inbox);
  if (!received || *received != payload_size) die("server recv_into");
  auto none = pair.server.recv_into(io.inbox);
  if (none || none.error() != errc::want_read) die("server recv_into: want_read expected");
  auto echoed = pair.server.send(std::span<const std::byte>(io.inbox).first(*received));
  if (!echoed || *echoed != payload_size) die("server send");
  carry_one(pair.server, pair.client, io.wire);
  auto back = pair.client.recv_into(io.inbox);
  if (!back || *back != payload_size) die("client recv_into");
}

template <std::size_t size, bool as_string = false>
void pyossl_oneway(pyossl_pair& pair, io_buffers& io) {
  auto sent = pair.client.send(std::span<const std::byte>(io.payload.data(), size));
  if (!sent || *sent != size) die("client send");
  carry_one(pair.client, pair.server, io.wire);
  if constexpr (as_string) {
    auto received = pair.server.recv(pyossl_bench::max_payload);
    if (!received || received->size() != size) die("server recv");
  } else {
    auto received = pair.server.recv_into(io.inbox);
    if (!received || *received != size) die("server recv_into");
  }
}

template <long size>
void pyossl_rand(pyossl_pair& /*pair*/, io_buffers& /*io*/) {
  auto random = pyossl::rand::bytes(size);
  if (!random || random->size() != size) die("rand::bytes");
}

void pyossl_empty(pyossl_pair& pair, io_buffers& io) {
  auto none = pair.client.bio_read_into(io.wire);
  if (none || none.error() != errc::want_read) die("bio_read_into: want_read expected");
}

void pyossl_drain(pyossl_pair& pair, io_buffers& io) {
  for (int i = 0; i < drain_records; ++i) {
    auto sent = pair.client.send(std::span<const std::byte>(io.payload).first(payload_size));
    if (!sent || *sent != payload_size) die("client send");
    carry_one(pair.client, pair.server, io.wire);
  }
  int records = 0;
  for (;;) {
    auto received = pair.server.recv_into(io.inbox);
    if (!received) {
      if (received.error() != errc::want_read) die("server recv_into");
      break;
    }
    ++records;
  }
  if (records != drain_records) die("the server received the wrong number of records");
}

// ---- raw OpenSSL: the same calls, as a C programmer writes them ----
//
// SSL_get_error's manual asks for an empty error queue before each TLS I/O call. Three raw
// references: "raw" ignores that; "raw-peek" empties it the cheapest way (ERR_peek_error,
// ERR_clear_error only when something is there: what pyossl does); "raw-clear" calls
// ERR_clear_error every time, as nginx's ngx_ssl_clear_error does.
enum class queue_policy { ignore, peek, clear };
queue_policy raw_policy = queue_policy::ignore;

void before_ssl_call() {
  if (raw_policy == queue_policy::peek) {
    if (ERR_peek_error() != 0) ERR_clear_error();
  } else if (raw_policy == queue_policy::clear) {
    ERR_clear_error();
  }
}

struct raw_pair {
  raw_connection client;
  raw_connection server;
};

raw_pair make_raw_pair(io_buffers& io) {
  pyossl_bench::raw_contexts& contexts = pyossl_bench::shared_raw_contexts();
  raw_pair pair{pyossl_bench::make_raw_connection(contexts.client.get()),
                pyossl_bench::make_raw_connection(contexts.server.get())};
  SSL_set_connect_state(pair.client.ssl.get());
  SSL_set_accept_state(pair.server.ssl.get());
  if (!pyossl_bench::handshake(pair.client, pair.server, io.wire)) die("the raw handshake failed");
  std::size_t none = 0;
  const int ret = SSL_read_ex(pair.client.ssl.get(), io.inbox.data(), io.inbox.size(), &none);
  if (ret == 1 || SSL_get_error(pair.client.ssl.get(), ret) != SSL_ERROR_WANT_READ) {
    die("the client expected only session tickets");
  }
  return pair;
}

void carry_one(const raw_connection& from, const raw_connection& to, std::span<std::byte> wire) {
  std::size_t taken = 0;
  if (BIO_read_ex(from.from_ssl, wire.data(), wire.size(), &taken) != 1) die("BIO_read_ex");
  std::size_t given = 0;
  if (BIO_write_ex(to.into_ssl, wire.data(), taken, &given) != 1 || given != taken) die("BIO_write_ex");
}

void raw_echo(raw_pair& pair, io_buffers& io) {
  SSL* client = pair.client.ssl.get();
  SSL* server = pair.server.ssl.get();
  std::size_t sent = 0;
  before_ssl_call();
  if (SSL_write_ex(client, io.payload.data(), payload_size, &sent) != 1 || sent != payload_size) {
    die("client SSL_write_ex");
  }
  carry_one(pair.client, pair.server, io.wire);
  std::size_t received = 0;
  before_ssl_call();
  if (SSL_read_ex(server, io.inbox.data(), io.inbox.size(), &received) != 1 || received != payload_size) {
    die("server SSL_read_ex");
  }
  std::size_t none = 0;
  before_ssl_call();
  const int ret = SSL_read_ex(server, io.inbox.data(), io.inbox.size(), &none);
  if (ret == 1 || SSL_get_error(server, ret) != SSL_ERROR_WANT_READ)
    die("server SSL_read_ex: want_read expected");
  std::size_t echoed = 0;
  before_ssl_call();
  if (SSL_write_ex(server, io.inbox.data(), received, &echoed) != 1 || echoed != payload_size) {
    die("server SSL_write_ex");
  }
  carry_one(pair.server, pair.client, io.wire);
  std::size_t back = 0;
  before_ssl_call();
  if (SSL_read_ex(client, io.inbox.data(), io.inbox.size(), &back) != 1 || back != payload_size) {
    die("client SSL_read_ex");
  }
}

template <std::size_t size>
void raw_oneway(raw_pair& pair, io_buffers& io) {
  std::size_t sent = 0;
  before_ssl_call();
  if (SSL_write_ex(pair.client.ssl.get(), io.payload.data(), size, &sent) != 1 || sent != size) {
    die("client SSL_write_ex");
  }
  carry_one(pair.client, pair.server, io.wire);
  std::size_t received = 0;
  before_ssl_call();
  if (SSL_read_ex(pair.server.ssl.get(), io.inbox.data(), io.inbox.size(), &received) != 1 ||
      received != size) {
    die("server SSL_read_ex");
  }
}

template <int size>
void raw_rand(raw_pair& /*pair*/, io_buffers& io) {
  if (RAND_bytes(reinterpret_cast<unsigned char*>(io.inbox.data()), size) != 1) die("RAND_bytes");
}

void raw_empty(raw_pair& pair, io_buffers& io) {
  std::size_t taken = 0;
  if (BIO_read_ex(pair.client.from_ssl, io.wire.data(), io.wire.size(), &taken) == 1 ||
      !BIO_should_retry(pair.client.from_ssl)) {
    die("BIO_read_ex: retry expected");
  }
}

void raw_drain(raw_pair& pair, io_buffers& io) {
  SSL* server = pair.server.ssl.get();
  for (int i = 0; i < drain_records; ++i) {
    std::size_t sent = 0;
    before_ssl_call();
    if (SSL_write_ex(pair.client.ssl.get(), io.payload.data(), payload_size, &sent) != 1) {
      die("client SSL_write_ex");
    }
    carry_one(pair.client, pair.server, io.wire);
  }
  int records = 0;
  for (;;) {
    std::size_t received = 0;
    before_ssl_call();
    const int ret = SSL_read_ex(server, io.inbox.data(), io.inbox.size(), &received);
    if (ret != 1) {
      if (SSL_get_error(server, ret) != SSL_ERROR_WANT_READ) die("server SSL_read_ex");
      break;
    }
    ++records;
  }
  if (records != drain_records) die("the server received the wrong number of records");
}

// ---- running and counting ----

struct counts {
  double cxx = 0;
  double openssl = 0;
};

template <class Pair, class Round>
counts run(Pair& pair, io_buffers& io, Round round, long rounds) {
  round(pair, io);  // one warm-up round: buffers OpenSSL keeps are made here
  const long cxx_before = cxx_allocations.load();
  const long openssl_before = openssl_allocations.load();
  for (long i = 0; i < rounds; ++i) round(pair, io);
  return {static_cast<double>(cxx_allocations.load() - cxx_before) / static_cast<double>(rounds),
          static_cast<double>(openssl_allocations.load() - openssl_before) / static_cast<double>(rounds)};
}

counts run_scenario(std::string_view side, std::string_view scenario, long rounds) {
  io_buffers io;
  if (side == "pyossl") {
    pyossl_pair pair = make_pyossl_pair(io);
    if (scenario == "echo") return run(pair, io, pyossl_echo, rounds);
    if (scenario == "empty") return run(pair, io, pyossl_empty, rounds);
    if (scenario == "drain") return run(pair, io, pyossl_drain, rounds);
    if (scenario == "oneway64") return run(pair, io, pyossl_oneway<64>, rounds);
    if (scenario == "oneway1k") return run(pair, io, pyossl_oneway<1024>, rounds);
    if (scenario == "string64") return run(pair, io, pyossl_oneway<64, true>, rounds);
    if (scenario == "rand32") return run(pair, io, pyossl_rand<32>, rounds);
    if (scenario == "rand4096") return run(pair, io, pyossl_rand<4096>, rounds);
  } else if (side == "raw" || side == "raw-peek" || side == "raw-clear") {
    raw_policy = side == "raw-peek"    ? queue_policy::peek
                 : side == "raw-clear" ? queue_policy::clear
                                       : queue_policy::ignore;
    raw_pair pair = make_raw_pair(io);
    if (scenario == "echo") return run(pair, io, raw_echo, rounds);
    if (scenario == "empty") return run(pair, io, raw_empty, rounds);
    if (scenario == "drain") return run(pair, io, raw_drain, rounds);
    if (scenario == "oneway64" || scenario == "string64") return run(pair, io, raw_oneway<64>, rounds);
    if (scenario == "oneway1k") return run(pair, io, raw_oneway<1024>, rounds);
    if (scenario == "rand32") return run(pair, io, raw_rand<32>, rounds);
    if (scenario == "rand4096") return run(pair, io, raw_rand<4096>, rounds);
  }
  die("usage: echo_round [pyossl|raw|raw-peek|raw-clear SCENARIO ROUNDS]");
}

}  // namespace

int main(int argc, char** argv) {
  // Before OpenSSL allocates anything, or the replacement is refused.
  if (!pyossl_test::count_openssl_allocations()) {
    die("CRYPTO_set_mem_functions refused (OpenSSL allocated before main)");
  }
  try {
    if (argc == 4) {
      const counts c = run_scenario(argv[1], argv[2], std::atol(argv[3]));
      std::printf("%s %s: %.2f operator new + %.2f OpenSSL allocations per round\n", argv[1], argv[2], c.cxx,
                  c.openssl);
      return 0;
    }
    constexpr long rounds = 1000;
    std::printf("heap allocations per round (C++ operator new + OpenSSL malloc/realloc), %ld rounds\n",
                rounds);
    std::printf(
        "| scenario | pyossl new | pyossl OpenSSL | raw new | raw OpenSSL |\n| --- | ---: | ---: | ---: | "
        "---: |\n");
    for (const char* scenario : {"echo", "empty", "drain"}) {
      const counts mine = run_scenario("pyossl", scenario, rounds);
      const counts raw = run_scenario("raw", scenario, rounds);
      std::printf("| %s | %.2f | %.2f | %.2f | %.2f |\n", scenario, mine.cxx, mine.openssl, raw.cxx,
                  raw.openssl);
    }
  } catch (const std::exception& failure) {
    die(failure.what());
  }
  return 0;
}
