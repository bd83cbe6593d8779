// Writes seeds for the TLS fuzz targets: what each end sent in real handshakes between two
// pyossl Connections over memory BIOs (TLS 1.3; TLS 1.2 with ECDHE and with RSA key
// transport; TLS 1.0; a client certificate), prefixed with fuzz_tls.hpp's split mode.
//
//   usage: fuzz_tls_transcripts SERVER_SEED_DIR CLIENT_SEED_DIR
#include <cstdio>
#include <fstream>
#include <string>

#include <openssl/ssl.h>

#include <pyossl/ssl.hpp>

#include "../examples/self_signed.hpp"

namespace ssl = pyossl::ssl;
using pyossl::unwrap;

namespace {

struct setup {
  const char* name;
  int version;          // 0: any
  const char* ciphers;  // TLS 1.2 and below
  bool client_certificate;
};

void write(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

// Moves everything `from` wrote to `to`, appending it to `record`.
void pump(ssl::Connection& from, ssl::Connection& to, std::string& record) {
  for (;;) {
    auto out = from.bio_read(64 * 1024);
    if (!out || out->empty()) return;  // want_read: nothing more written
    record += *out;
    (void)unwrap(to.bio_write(*out));
  }
}

}  // namespace

int main(int argc, char* argv[]) try {
  if (argc != 3) {
    std::fprintf(stderr, "usage: fuzz_tls_transcripts SERVER_SEED_DIR CLIENT_SEED_DIR\n");
    return 2;
  }
  const auto identity = examples::make_self_signed("localhost", "DNS:localhost");
  pyossl::crypto::PKey rsa;
  unwrap(rsa.generate_key(pyossl::crypto::TYPE_RSA, 2048));
  pyossl::crypto::X509 rsa_certificate(identity.certificate);
  unwrap(rsa_certificate.set_pubkey(rsa));
  unwrap(rsa_certificate.sign(rsa, "sha256"));

  const setup setups[] = {
      {"tls13", TLS1_3_VERSION, "ALL", false},
      {"tls13_client_certificate", TLS1_3_VERSION, "ALL", true},
      {"tls12_ecdhe", TLS1_2_VERSION, "ECDHE-ECDSA-AES128-GCM-SHA256", false},
      {"tls12_rsa", TLS1_2_VERSION, "AES128-SHA:@SECLEVEL=0", false},
      {"tls10", TLS1_VERSION, "ALL:@SECLEVEL=0", false},
  };
  for (const setup& each : setups) {
    const bool rsa_server =
        std::string(each.ciphers).find("ECDSA") == std::string::npos && each.version != TLS1_3_VERSION;
    auto server_context = unwrap(ssl::Context::create(ssl::TLS_SERVER_METHOD));
    auto client_context = unwrap(ssl::Context::create(ssl::TLS_CLIENT_METHOD));
    for (auto* context : {&server_context, &client_context}) {
      unwrap(context->set_cipher_list(each.ciphers));
      unwrap(context->set_min_proto_version(each.version));
      unwrap(context->set_max_proto_version(each.version));
    }
    // No middlebox-compatibility session ID, so a fuzzed ServerHello can echo an empty one.
    SSL_CTX_clear_options(client_context.native_handle(), SSL_OP_ENABLE_MIDDLEBOX_COMPAT);
    unwrap(server_context.use_certificate(rsa_server ? rsa_certificate : identity.certificate));
    unwrap(server_context.use_privatekey(rsa_server ? rsa : identity.key));
    if (each.client_certificate) {
      unwrap(server_context.set_verify(ssl::VERIFY_PEER, [](auto&, auto&, int, int, int) { return true; }));
      unwrap(client_context.use_certificate(identity.certificate));
      unwrap(client_context.use_privatekey(identity.key));
    }
    ssl::Connection server(server_context);
    ssl::Connection client(client_context);
    server.set_accept_state();
    client.set_connect_state();
    std::string from_client;
    std::string from_server;
    for (int round = 0; round < 10; ++round) {
      (void)client.do_handshake();
      pump(client, server, from_client);
      (void)server.do_handshake();
      pump(server, client, from_server);
    }
    unwrap(client.sendall("ping"));
    pump(client, server, from_client);
    for (const char mode : {'\0', '\1', '\2'}) {
      const std::string suffix = std::string("_") + static_cast<char>('0' + mode);
      write(std::string(argv[1]) + "/" + each.name + suffix, std::string(1, mode) + from_client);
      write(std::string(argv[2]) + "/" + each.name + suffix, std::string(1, mode) + from_server);
    }
    std::printf("%s: client sent %zu bytes, server %zu\n", each.name, from_client.size(), from_server.size());
  }
  return 0;
} catch (const std::exception& failure) {
  std::fprintf(stderr, "fuzz_tls_transcripts: %s\n", failure.what());
  return 1;
}
