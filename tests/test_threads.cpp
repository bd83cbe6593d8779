// Contexts shared by threads (issue 12; run under ThreadSanitizer by the ci-tsan preset):
// many threads make Connections from the same Contexts, whose verify, info and servername
// callbacks run on all of them at once; a servername callback moves its Connection to
// another shared Context mid-handshake; and attempts to replace a Context's callbacks
// while its Connections run are refused without disturbing them.
#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "catch.hpp"
#include "checks.hpp"
#include "pyossl/ssl.hpp"
#include "tls_fixtures.hpp"

namespace ssl = pyossl::ssl;
using pyossl::errc;

namespace {

constexpr int thread_count = 8;
constexpr int connections_per_thread = 6;

// One client-server pair over memory BIOs: handshake, one echo, clean close. Returns "" or
// what went wrong (Catch2 assertions are not thread-safe, so threads report, main checks).
std::string echo_once(const ssl::Context& client_ctx, const ssl::Context& server_ctx, const std::string& host,
                      int id) {
  pyossl_test::connection_pair pair(client_ctx, server_ctx);
  if (!host.empty() && !pair.client.set_tlsext_host_name(host)) return "set_tlsext_host_name";
  const auto outcome = pyossl_test::handshake(pair.client, pair.server);
  if (!outcome.ok()) {
    return "handshake: " +
           (outcome.client ? outcome.server.error().message() : outcome.client.error().message());
  }
  const std::string message = "echo " + std::to_string(id);
  if (!pair.client.sendall(message)) return "client send";
  pyossl_test::pump(pair.client, pair.server);
  auto received = pair.server.recv(1024);
  if (!received || *received != message) return "server recv";
  if (!pair.server.sendall(*received)) return "server send";
  pyossl_test::pump(pair.client, pair.server);
  auto echoed = pair.client.recv(1024);
  if (!echoed || *echoed != message) return "client recv";
  return "";
}

// Runs `work(thread, round)` on thread_count threads and collects their failures.
template <class Work>
std::vector<std::string> on_threads(Work work) {
  std::vector<std::string> failures(thread_count);
  std::vector<std::thread> threads;
  for (int t = 0; t < thread_count; ++t) {
    threads.emplace_back([&, t] {
      try {
        for (int round = 0; round < connections_per_thread && failures[t].empty(); ++round)
          failures[t] = work(t, round);
      } catch (const std::exception& failure) {
        failures[t] = failure.what();
      }
    });
  }
  for (auto& thread : threads) thread.join();
  return failures;
}

}  // namespace

TEST_CASE("Contexts shared by 8 threads run their verify and info callbacks on all of them at once",
          "[threads]") {
  std::atomic<int> verified{0};
  std::atomic<int> handshakes_done{0};
  auto client_ctx = pyossl_test::client_context();
  REQUIRE_OK(client_ctx.set_verify(
      ssl::VERIFY_PEER, [&](ssl::Connection&, pyossl::crypto::X509& certificate, int, int, int ok) {
        (void)certificate.get_subject().get("CN");
        ++verified;
        return ok != 0;
      }));
  auto server_ctx = pyossl_test::server_context();
  REQUIRE_OK(server_ctx.set_info_callback([&](ssl::Connection&, int where, int) {
    if ((where & SSL_CB_HANDSHAKE_DONE) != 0) ++handshakes_done;
  }));

  const auto failures =
      on_threads([&](int t, int round) { return echo_once(client_ctx, server_ctx, "", t * 100 + round); });
  for (const auto& failure : failures) CHECK(failure.empty());
  CHECK(verified.load() >= thread_count * connections_per_thread);
  CHECK(handshakes_done.load() >= thread_count * connections_per_thread);
}

TEST_CASE(
    "A servername callback on a shared Context moves Connections to another shared Context from 8 threads",
    "[threads]") {
  auto other_ctx = pyossl_test::server_context();
  std::atomic<int> switched{0};
  auto server_ctx = pyossl_test::server_context();
  REQUIRE_OK(server_ctx.set_tlsext_servername_callback([&](ssl::Connection& connection) {
    if (connection.get_servername() == "other.example" && connection.set_context(other_ctx)) ++switched;
  }));
  auto client_ctx = pyossl::unwrap(ssl::Context::create(ssl::TLS_METHOD));  // no verification: any name

  const auto failures = on_threads([&](int t, int round) {
    return echo_once(client_ctx, server_ctx, round % 2 == 0 ? "other.example" : "main.example",
                     t * 100 + round);
  });
  for (const auto& failure : failures) CHECK(failure.empty());
  CHECK(switched.load() == thread_count * connections_per_thread / 2);
}

TEST_CASE(
    "Replacing a used Context's callbacks from another thread is refused while its Connections run them",
    "[threads]") {
  std::atomic<int> calls{0};
  auto server_ctx = pyossl_test::server_context();
  REQUIRE_OK(server_ctx.set_info_callback([&](ssl::Connection&, int, int) { ++calls; }));
  auto client_ctx = pyossl_test::client_context();
  REQUIRE(echo_once(client_ctx, server_ctx, "", 0).empty());  // both contexts are now in use

  std::atomic<bool> running{true};
  std::atomic<int> refused{0};
  std::atomic<int> accepted{0};
  std::thread replacer([&] {
    while (running) {
      auto info = server_ctx.set_info_callback([](ssl::Connection&, int, int) {});
      auto verify = client_ctx.set_verify(
          ssl::VERIFY_NONE, [](ssl::Connection&, pyossl::crypto::X509&, int, int, int) { return true; });
      ((info || verify) ? accepted : refused) += 1;
    }
  });
  const int calls_before = calls.load();
  const auto failures =
      on_threads([&](int t, int round) { return echo_once(client_ctx, server_ctx, "", t * 100 + round); });
  running = false;
  replacer.join();
  for (const auto& failure : failures) CHECK(failure.empty());
  CHECK(accepted.load() == 0);
  CHECK(refused.load() > 0);
  CHECK(calls.load() > calls_before);  // the original info callback kept running
  CHECK(ERR_peek_error() == 0UL);
}
