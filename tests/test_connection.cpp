// pyossl::ssl::Connection over memory BIOs — manual 3.3.2: two connections talking in
// memory, with a pump between bio_read and bio_write, as pyOpenSSL's own suite does.
#include <algorithm>
#include <atomic>
#include <cstring>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <openssl/err.h>
#include <openssl/x509_vfy.h>

#include "catch.hpp"
#include "checks.hpp"
#include "pyossl/crypto/certificate_io.hpp"
#include "pyossl/ssl.hpp"
#include "temp_dir.hpp"
#include "tls_fixtures.hpp"

using pyossl::errc;
using pyossl_test::connection_pair;
using pyossl_test::handshake;
using pyossl_test::pump;
using pyossl_test::tls_files;
namespace ssl = pyossl::ssl;

namespace {

struct callback_failure : std::runtime_error {
  using std::runtime_error::runtime_error;
};

ssl::Context pinned(ssl::Context context, int version) {
  pyossl::unwrap(context.set_min_proto_version(version));
  pyossl::unwrap(context.set_max_proto_version(version));
  return context;
}

std::string common_name(const pyossl::crypto::X509& cert) { return cert.get_subject().get("CN").value_or(""); }

}  // namespace

TEST_CASE("Connection handshakes in memory under TLS 1.2 and TLS 1.3", "[connection]") {
  const auto [version, name] =
      GENERATE(std::pair<int, const char*>{TLS1_2_VERSION, "TLSv1.2"}, std::pair<int, const char*>{TLS1_3_VERSION, "TLSv1.3"});
  const auto server_ctx = pinned(pyossl_test::server_context(), version);
  const auto client_ctx = pyossl_test::client_context();
  connection_pair pair(client_ctx, server_ctx);
  CHECK_FALSE(pair.client.get_cipher_name().has_value());

  const auto outcome = handshake(pair.client, pair.server);
  REQUIRE_OK(outcome.client);
  REQUIRE_OK(outcome.server);
  for (ssl::Connection* side : {&pair.client, &pair.server}) {
    CHECK(side->get_protocol_version_name() == name);
    CHECK(side->get_protocol_version() == version);
    CHECK(side->get_cipher_name().has_value());
    CHECK(side->get_cipher_bits().value_or(0) >= 128);
    CHECK(side->client_random().value_or("").size() == 32);
    CHECK(side->server_random().value_or("").size() == 32);
    CHECK(side->state_string() == "SSL negotiation finished successfully");
  }
  CHECK(pair.client.client_random() == pair.server.client_random());
  CHECK(pair.client.server_random() == pair.server.server_random());
  CHECK(pair.client.get_cipher_name() == pair.server.get_cipher_name());

  const auto peer = pair.client.get_peer_certificate();
  REQUIRE(peer.has_value());
  CHECK(common_name(*peer) == "localhost");
  CHECK_FALSE(pair.server.get_peer_certificate().has_value());

  // Application data both ways.
  REQUIRE(pyossl::unwrap(pair.client.send("hello server")) == 12);
  pump(pair.client, pair.server);
  CHECK(pyossl::unwrap(pair.server.recv(100)) == "hello server");
  REQUIRE(pyossl::unwrap(pair.server.sendall(std::string(100000, 'x'))) == 100000);
  pump(pair.client, pair.server);
  std::string received;
  while (received.size() < 100000) received += pyossl::unwrap(pair.client.recv(1 << 16));
  CHECK(received == std::string(100000, 'x'));
  // A TLS 1.3 client's session (and so its master key) arrives with the server's ticket,
  // after the handshake: it is there once the client has read.
  CHECK_FALSE(pair.client.master_key().value_or("").empty());
  CHECK_FALSE(pair.server.master_key().value_or("").empty());
  CHECK(ERR_peek_error() == 0UL);
}
