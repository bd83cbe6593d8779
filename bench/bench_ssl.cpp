// ssl::Connection over memory BIOs against the same calls on raw SSL objects: moving
// application data (send, bio_read_into, bio_write, recv_into against SSL_write_ex,
// BIO_read_ex, BIO_write_ex, SSL_read_ex) and a full TLS 1.3 handshake.
//
// Both sides use the same certificate and key (EC P-256, made here with pyossl::crypto),
// the same settings (TLS 1.3 only, TLS_AES_128_GCM_SHA256, X25519, the client verifying
// the server against a store holding its certificate, Context::create's SSL modes), the
// same buffers and the same sequence of calls; only the caller differs.
#include <cstddef>
#include <cstring>
#include <exception>
#include <optional>
#include <span>
#include <vector>

#include <benchmark/benchmark.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "tls_setup.hpp"

namespace {

using namespace pyossl_bench;  // NOLINT: the shared set-up, bench-only

// ---- application data, client to server: send, pump one record, receive ----

// `as_string`: receive with recv(16 KiB) into a new std::string, pyOpenSSL's way, instead
// of recv_into the caller's buffer.
template <bool as_string>
void pyossl_send_recv(benchmark::State& state) {
  buffers io(static_cast<std::size_t>(state.range(0)));
  std::optional<ssl::Connection> client;
  std::optional<ssl::Connection> server;
  try {
    pyossl_contexts& contexts = shared_pyossl_contexts();
    client.emplace(contexts.client);
    server.emplace(contexts.server);
  } catch (const std::exception& failure) {
    state.SkipWithError(failure.what());
    return;
  }
  client->set_connect_state();
  server->set_accept_state();
  if (!handshake(*client, *server, io.wire) ||
      !negotiated_as_pinned(client->native_handle(), server->native_handle())) {
    state.SkipWithError("the pyossl handshake failed or negotiated something else");
    return;
  }
  // Let the client take in the server's session tickets, so that only application data moves below.
  if (auto none = client->recv_into(io.inbox); none || none.error() != errc::want_read) {
    state.SkipWithError("the client expected nothing but session tickets");
    return;
  }

  const std::span<const std::byte> payload(io.payload);
  const std::span<std::byte> wire(io.wire);
  const std::span<std::byte> inbox(io.inbox);
  for (auto _ : state) {
    auto sent = client->send(payload);
    if (!sent || *sent != payload.size()) {
      state.SkipWithError("send");
      break;
    }
    auto taken = client->bio_read_into(wire);
    if (!taken || *taken != payload.size() + record_overhead) {
      state.SkipWithError("bio_read_into");
      break;
    }
    auto given = server->bio_write(wire.first(*taken));
    if (!given || *given != *taken) {
      state.SkipWithError("bio_write");
      break;
    }
    if constexpr (as_string) {
      auto received = server->recv(max_payload);
      if (!received || received->size() != payload.size() ||
          std::memcmp(received->data(), payload.data(), payload.size()) != 0) {
        state.SkipWithError("recv");
        break;
      }
      benchmark::DoNotOptimize(received->data());
    } else {
      auto received = server->recv_into(inbox);
      if (!received || *received != payload.size()) {
        state.SkipWithError("recv_into");
        break;
      }
      benchmark::DoNotOptimize(inbox.data());
    }
  }
  if (!as_string && !state.error_occurred() && !io.delivered())
    state.SkipWithError("the payload arrived changed");
  state.SetBytesProcessed(state.iterations() * state.range(0));
}

void pyossl_send_recv_into(benchmark::State& state) { pyossl_send_recv<false>(state); }
void pyossl_send_recv_string(benchmark::State& state) { pyossl_send_recv<true>(state); }

// `clear_first`: as careful raw code does (and SSL_get_error's manual asks), empty the
// error queue before SSL_write_ex and SSL_read_ex. Not part of the comparison: it shows
// what ERR_clear_error costs on this path.
template <bool clear_first>
void raw_write_read(benchmark::State& state) {
  buffers io(static_cast<std::size_t>(state.range(0)));
  raw_connection client;
  raw_connection server;
  try {
    raw_contexts& contexts = shared_raw_contexts();
    client = make_raw_connection(contexts.client.get());
    server = make_raw_connection(contexts.server.get());
  } catch (const std::exception& failure) {
    state.SkipWithError(failure.what());
    return;
  }
  SSL_set_connect_state(client.ssl.get());
  SSL_set_accept_state(server.ssl.get());
  if (!handshake(client, server, io.wire) || !negotiated_as_pinned(client.ssl.get(), server.ssl.get())) {
    state.SkipWithError("the raw handshake failed or negotiated something else");
    return;
  }
  std::size_t none = 0;
  if (const int ret = SSL_read_ex(client.ssl.get(), io.inbox.data(), io.inbox.size(), &none);
      ret == 1 || SSL_get_error(client.ssl.get(), ret) != SSL_ERROR_WANT_READ) {
    state.SkipWithError("the client expected nothing but session tickets");
    return;
  }

  const std::span<const std::byte> payload(io.payload);
  const std::span<std::byte> wire(io.wire);
  const std::span<std::byte> inbox(io.inbox);
  for (auto _ : state) {
    std::size_t sent = 0;
    if constexpr (clear_first) ERR_clear_error();
    if (SSL_write_ex(client.ssl.get(), payload.data(), payload.size(), &sent) != 1 ||
        sent != payload.size()) {
      state.SkipWithError("SSL_write_ex");
      break;
    }
    std::size_t taken = 0;
    if (BIO_read_ex(client.from_ssl, wire.data(), wire.size(), &taken) != 1 ||
        taken != payload.size() + record_overhead) {
      state.SkipWithError("BIO_read_ex");
      break;
    }
    std::size_t given = 0;
    if (BIO_write_ex(server.into_ssl, wire.data(), taken, &given) != 1 || given != taken) {
      state.SkipWithError("BIO_write_ex");
      break;
    }
    std::size_t received = 0;
    if constexpr (clear_first) ERR_clear_error();
    if (SSL_read_ex(server.ssl.get(), inbox.data(), inbox.size(), &received) != 1 ||
        received != payload.size()) {
      state.SkipWithError("SSL_read_ex");
      break;
    }
    benchmark::DoNotOptimize(inbox.data());
  }
  if (!state.error_occurred() && !io.delivered()) state.SkipWithError("the payload arrived changed");
  state.SetBytesProcessed(state.iterations() * state.range(0));
}

void raw_SSL_write_read(benchmark::State& state) { raw_write_read<false>(state); }
void raw_SSL_write_read_clearing_errors(benchmark::State& state) { raw_write_read<true>(state); }

// ---- a full handshake: a new client and server each time ----

void pyossl_handshake(benchmark::State& state) {
  std::vector<std::byte> wire(handshake_buffer);
  pyossl_contexts* contexts = nullptr;
  try {
    contexts = &shared_pyossl_contexts();
  } catch (const std::exception& failure) {
    state.SkipWithError(failure.what());
    return;
  }
  for (auto _ : state) {
    ssl::Connection client(contexts->client);
    ssl::Connection server(contexts->server);
    client.set_connect_state();
    server.set_accept_state();
    if (!handshake(client, server, wire) ||
        !negotiated_as_pinned(client.native_handle(), server.native_handle())) {
      state.SkipWithError("the pyossl handshake failed or negotiated something else");
      break;
    }
  }
  state.SetItemsProcessed(state.iterations());
}

void raw_SSL_do_handshake(benchmark::State& state) {
  std::vector<std::byte> wire(handshake_buffer);
  raw_contexts* contexts = nullptr;
  try {
    contexts = &shared_raw_contexts();
  } catch (const std::exception& failure) {
    state.SkipWithError(failure.what());
    return;
  }
  for (auto _ : state) {
    const raw_connection client = make_raw_connection(contexts->client.get());
    const raw_connection server = make_raw_connection(contexts->server.get());
    SSL_set_connect_state(client.ssl.get());
    SSL_set_accept_state(server.ssl.get());
    if (!handshake(client, server, wire) || !negotiated_as_pinned(client.ssl.get(), server.ssl.get())) {
      state.SkipWithError("the raw handshake failed or negotiated something else");
      break;
    }
  }
  state.SetItemsProcessed(state.iterations());
}

}  // namespace

BENCHMARK(raw_SSL_write_read)->Arg(64)->Arg(1024)->Arg(16 * 1024);
BENCHMARK(pyossl_send_recv_into)->Arg(64)->Arg(1024)->Arg(16 * 1024);
BENCHMARK(pyossl_send_recv_string)->Arg(64)->Arg(1024)->Arg(16 * 1024);
BENCHMARK(raw_SSL_write_read_clearing_errors)->Arg(64)->Arg(1024)->Arg(16 * 1024);
BENCHMARK(raw_SSL_do_handshake)->Unit(benchmark::kMicrosecond);
BENCHMARK(pyossl_handshake)->Unit(benchmark::kMicrosecond);
