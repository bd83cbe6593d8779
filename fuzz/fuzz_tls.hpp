// What the TLS fuzz targets share: a certificate for the server, contexts that accept what
// they can (all versions and ciphers, security level 0, every peer certificate looked at
// by a verify callback), and the fuzz input fed to a memory-BIO Connection as the peer's
// bytes, split into TLS records so each arrives as the peer would send it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <pyossl/ssl.hpp>

#include "../examples/self_signed.hpp"
#include "fuzz_common.hpp"

namespace pyossl_fuzz {

namespace ssl = pyossl::ssl;

// The peer's bytes as TLS records: a 5-byte header (type, version, length) and its body.
// The first input byte picks how they arrive: 0 all at once, 1 record by record, 2 record
// by record with the last one cut in two (a read that must wait for the rest).
inline std::vector<std::string_view> flights(std::string_view input) {
  std::vector<std::string_view> pieces;
  if (input.empty()) return pieces;
  const unsigned mode = static_cast<unsigned char>(input[0]) % 3;
  input.remove_prefix(1);
  if (mode == 0) {
    pieces.push_back(input);
    return pieces;
  }
  while (input.size() >= 5) {
    const std::size_t length =
        (static_cast<unsigned char>(input[3]) << 8) | static_cast<unsigned char>(input[4]);
    const std::size_t record = std::min(input.size(), 5 + length);
    pieces.push_back(input.substr(0, record));
    input.remove_prefix(record);
  }
  if (!input.empty()) pieces.push_back(input);
  if (mode == 2 && !pieces.empty() && pieces.back().size() > 1) {
    const std::string_view last = pieces.back();
    pieces.back() = last.substr(0, last.size() / 2);
    pieces.push_back(last.substr(last.size() / 2));
  }
  return pieces;
}

// Accepts any certificate after looking at it as a user's callback would (unless OpenSSL
// has queued something mid-handshake, which pyossl calls would then drain).
inline bool look_at_certificate(ssl::Connection&, crypto::X509& certificate, int, int, int) {
  if (ERR_peek_error() == 0UL) exercise(certificate);
  return true;
}

inline ssl::Context permissive_context(ssl::method method) {
  auto context = pyossl::unwrap(ssl::Context::create(method));
  pyossl::unwrap(context.set_cipher_list("ALL:@SECLEVEL=0"));
  pyossl::unwrap(context.set_verify(ssl::VERIFY_PEER, look_at_certificate));
  return context;
}

// Discards what the Connection wrote for the peer; the queue must be empty after.
inline void drain_output(ssl::Connection& connection) {
  for (;;) {
    auto out = connection.bio_read(64 * 1024);
    require_explained(out);
    if (!out || out->empty()) return;
  }
}

// One step as an application would take it: the handshake until it is done, then read and
// echo what arrives. Every failure must explain itself and leave no queue behind.
inline bool step(ssl::Connection& connection, bool& established) {
  if (!established) {
    auto handshake = connection.do_handshake();
    require_explained(handshake);
    if (!handshake) {
      drain_output(connection);
      return handshake.error() == pyossl::errc::want_read;
    }
    established = true;
    (void)connection.get_peer_certificate();
    (void)connection.get_cipher_name();
    (void)connection.get_protocol_version_name();
    (void)connection.get_servername();
  }
  auto data = connection.recv(16 * 1024);
  require_explained(data);
  if (data) {
    auto sent = connection.send(*data);
    require_explained(sent);
  }
  drain_output(connection);
  return data.has_value() || data.error() == pyossl::errc::want_read;
}

// Feeds `input` to `connection` flight by flight, stepping after each.
inline void feed(ssl::Connection& connection, std::string_view input) {
  bool established = false;
  for (const std::string_view piece : flights(input)) {
    auto written = connection.bio_write(piece);
    require_explained(written);
    if (!written || !step(connection, established)) break;
  }
  require_empty_queue();
}

}  // namespace pyossl_fuzz
