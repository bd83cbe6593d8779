// What the echo examples (echo_server / echo_client and their Asio twins) share: the server's
// TLS identity, and the port file through which a script or the demo finds the server.
//
// Failures throw (pyossl::unwrap, std::runtime_error): an example that cannot set up cannot run.
#pragma once

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>

#include <pyossl/crypto/certificate_io.hpp>
#include <pyossl/ssl/context.hpp>

#include "self_signed.hpp"

namespace examples {

// The echo servers' TLS settings: TLS 1.3 only, the certificate and key in `cert_file` and
// `key_file`, or, when both are empty, a self-signed certificate that names every way a local
// client dials us (`program` says so on stderr). Returns the context and the certificate in
// use (PEM), for --cert-out.
inline std::pair<pyossl::ssl::Context, std::string> echo_server_context(const std::string& cert_file,
                                                                        const std::string& key_file,
                                                                        const char* program) {
  using pyossl::unwrap;
  namespace crypto = pyossl::crypto;
  namespace ssl = pyossl::ssl;
  ssl::Context context = unwrap(ssl::Context::create(ssl::TLS_SERVER_METHOD));
  unwrap(context.set_min_proto_version(TLS1_3_VERSION));
  std::string certificate_pem;
  if (!cert_file.empty()) {
    unwrap(context.use_certificate_chain_file(cert_file));
    unwrap(context.use_privatekey_file(key_file, crypto::FILETYPE_PEM));
    std::ifstream in(cert_file, std::ios::binary);
    certificate_pem.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  } else {
    const auto made = make_self_signed("localhost", "DNS:localhost,IP:127.0.0.1,IP:::1");
    unwrap(context.use_certificate(made.certificate));
    unwrap(context.use_privatekey(made.key));
    certificate_pem = unwrap(crypto::dump_certificate(crypto::FILETYPE_PEM, made.certificate));
    std::fprintf(stderr, "%s: made a self-signed certificate for localhost, 127.0.0.1 and ::1\n", program);
  }
  unwrap(context.check_privatekey());  // a key that does not match fails here, not per client
  return {std::move(context), std::move(certificate_pem)};
}

// Writes `contents` to `path` all at once (a temporary file renamed into place), so a reader
// polling for the file never sees half of it.
inline void write_file_atomically(const std::string& path, const std::string& contents) {
  const std::string temporary = path + ".tmp";
  std::ofstream(temporary, std::ios::binary) << contents;
  std::filesystem::rename(temporary, path);
}

// The port a server wrote to `path` (with write_file_atomically, once it is listening),
// waiting up to 10 s for the file to appear.
inline std::string read_port_file(const std::string& path) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!std::filesystem::exists(path)) {
    if (std::chrono::steady_clock::now() > deadline) throw std::runtime_error("no port file " + path);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  std::string port;
  std::ifstream(path) >> port;
  return port;
}

}  // namespace examples
