// Certificates and keys for TLS tests, made once per process with the openssl CLI into a
// temporary directory (removed at exit), and helpers that set up and drive a client and a
// server talking over memory BIOs, as pyOpenSSL's own suite does.
//
// What is made (all ECDSA P-256 unless said, valid 30 days):
//   ca.pem / ca.key            "pyossl test CA", self-signed, CA:TRUE
//   server.pem / server.key    CN=localhost, SAN DNS:localhost IP:127.0.0.1, issued by the CA
//   server.der / server.key.der  the same in DER
//   server-chain.pem           server.pem followed by ca.pem
//   server-encrypted.key       server.key encrypted with AES-256, passphrase "secret"
//   client.pem / client.key    CN=pyossl client, issued by the CA
//   rogue-ca.pem / rogue.pem / rogue.key  a second CA nobody trusts, and a CN=localhost
//                              certificate it issued
//   other.key                  a key that matches no certificate
//   dh.pem                     DH parameters (the ffdhe2048 group)
#pragma once

#include <unistd.h>

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <utility>

#include "process.hpp"
#include "pyossl/ssl.hpp"
#include "temp_dir.hpp"

namespace pyossl_test {

class tls_files {
 public:
  // The files, made on first use.
  static const tls_files& get() {
    static const tls_files files;
    return files;
  }

  [[nodiscard]] std::string path(const std::string& name) const { return (root_ / name).string(); }
  [[nodiscard]] std::string ca() const { return path("ca.pem"); }
  [[nodiscard]] std::string server_cert() const { return path("server.pem"); }
  [[nodiscard]] std::string server_key() const { return path("server.key"); }
  [[nodiscard]] std::string client_cert() const { return path("client.pem"); }
  [[nodiscard]] std::string client_key() const { return path("client.key"); }
  [[nodiscard]] std::string rogue_cert() const { return path("rogue.pem"); }
  [[nodiscard]] std::string rogue_key() const { return path("rogue.key"); }

 private:
  // ctest runs every test case in its own process, so making the files each time cost
  // seconds per test on a loaded machine. With PYOSSL_TEST_FIXTURE_CACHE (a directory in
  // the build tree, set by tests/CMakeLists.txt) they are made once per build and reused
  // for a day: made in a private staging directory, then renamed into place, so two test
  // processes starting together never see half a set (the loser of the rename uses the
  // winner's). Tests only read these files.
  tls_files() {
#ifdef PYOSSL_TEST_FIXTURE_CACHE
    namespace fs = std::filesystem;
    const fs::path cache = fs::path(PYOSSL_TEST_FIXTURE_CACHE) / "tls";
    root_ = cache;
    if (fresh(cache)) return;
    const fs::path staging = cache.string() + ".staging-" + std::to_string(::getpid());
    fs::remove_all(staging);
    fs::create_directories(staging);
    root_ = staging;
    make();
    write_file(path("ready"), "");
    root_ = cache;
    std::error_code failed;
    if (fs::exists(cache) && !fresh(cache)) fs::remove_all(cache, failed);  // a day old: replace
    fs::rename(staging, cache, failed);
    if (failed) fs::remove_all(staging, failed);  // another process put its set in place first
#else
    root_ = own_.path();
    make();
#endif
  }

  // A complete set, made less than a day ago (the certificates are valid for 30).
  static bool fresh(const std::filesystem::path& dir) {
    std::error_code failed;
    const auto made = std::filesystem::last_write_time(dir / "ready", failed);
    return !failed && std::filesystem::file_time_type::clock::now() - made < std::chrono::hours(24);
  }

  void make() const {
    write_file(path("ca.ext"), "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n");
    write_file(path("server.ext"), "subjectAltName=DNS:localhost,IP:127.0.0.1\n");
    write_file(path("client.ext"), "extendedKeyUsage=clientAuth\n");
    make_ca("ca", "/CN=pyossl test CA");
    make_ca("rogue-ca", "/CN=pyossl rogue CA");
    issue("server", "/CN=localhost/O=pyossl server", "ca", "server.ext", 2);
    issue("client", "/CN=pyossl client/O=pyossl", "ca", "client.ext", 3);
    issue("rogue", "/CN=localhost/O=pyossl rogue", "rogue-ca", "server.ext", 4);
    openssl_or_throw("genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out " + q("other.key"));
    openssl_or_throw("x509 -in " + q("server.pem") + " -outform DER -out " + q("server.der"));
    openssl_or_throw("pkey -in " + q("server.key") + " -outform DER -out " + q("server.key.der"));
    openssl_or_throw("pkey -in " + q("server.key") + " -aes256 -passout pass:secret -out " +
                     q("server-encrypted.key"));
    openssl_or_throw("genpkey -genparam -algorithm DH -pkeyopt group:ffdhe2048 -out " + q("dh.pem"));
    write_file(path("server-chain.pem"), read_file(path("server.pem")) + read_file(path("ca.pem")));
  }

  [[nodiscard]] std::string q(const std::string& name) const { return "'" + path(name) + "'"; }

  void make_ca(const std::string& name, const std::string& subject) const {
    openssl_or_throw("req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 -subj '" +
                     subject + "' -keyout " + q(name + ".key") + " -out " + q(name + ".pem") + " -addext " +
                     "basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign");
  }

  void issue(const std::string& name, const std::string& subject, const std::string& issuer,
             const std::string& extensions, int serial) const {
    openssl_or_throw("req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj '" + subject +
                     "' -keyout " + q(name + ".key") + " -out " + q(name + ".csr"));
    openssl_or_throw("x509 -req -in " + q(name + ".csr") + " -CA " + q(issuer + ".pem") + " -CAkey " +
                     q(issuer + ".key") + " -set_serial " + std::to_string(serial) + " -days 30 -extfile " +
                     q(extensions) + " -out " + q(name + ".pem"));
  }

#ifndef PYOSSL_TEST_FIXTURE_CACHE
  temp_dir own_;  // without a cache: this process's own files, removed at exit
#endif
  std::filesystem::path root_;
};

// A server context with the server certificate and key, and a client context that trusts
// the test CA and checks the server (VERIFY_PEER).
inline pyossl::ssl::Context server_context(pyossl::ssl::method method = pyossl::ssl::TLS_METHOD) {
  const tls_files& files = tls_files::get();
  auto context = pyossl::unwrap(pyossl::ssl::Context::create(method));
  pyossl::unwrap(context.use_certificate_file(files.server_cert()));
  pyossl::unwrap(context.use_privatekey_file(files.server_key()));
  return context;
}

inline pyossl::ssl::Context client_context(pyossl::ssl::method method = pyossl::ssl::TLS_METHOD) {
  auto context = pyossl::unwrap(pyossl::ssl::Context::create(method));
  pyossl::unwrap(context.load_verify_locations(tls_files::get().ca()));
  pyossl::unwrap(context.set_verify(pyossl::ssl::VERIFY_PEER));
  return context;
}

// Moves everything `from` has written for its peer into `to`; true if anything moved.
inline bool transfer(pyossl::ssl::Connection& from, pyossl::ssl::Connection& to) {
  bool moved = false;
  for (;;) {
    auto data = from.bio_read(1 << 16);
    if (!data) {
      if (data.error() != pyossl::errc::want_read) throw pyossl::exception(data.error());
      return moved;
    }
    if (data->empty()) return moved;
    pyossl::unwrap(to.bio_write(*data));
    moved = true;
  }
}

// Moves bytes both ways until neither side has anything more to say.
inline void pump(pyossl::ssl::Connection& a, pyossl::ssl::Connection& b) {
  while (transfer(a, b) || transfer(b, a)) {
  }
}

// The outcome of a handshake in memory: each side's last do_handshake result.
struct handshake_outcome {
  pyossl::result<void> client;
  pyossl::result<void> server;
  [[nodiscard]] bool ok() const { return client.has_value() && server.has_value(); }
};

inline bool waiting(const pyossl::result<void>& step) {
  return !step.has_value() &&
         (step.error() == pyossl::errc::want_read || step.error() == pyossl::errc::want_write);
}

// Runs both sides' handshakes, pumping bytes between them, until both finish or one fails
// for another reason than waiting for the peer.
inline handshake_outcome handshake(pyossl::ssl::Connection& client, pyossl::ssl::Connection& server) {
  handshake_outcome outcome{pyossl::unexpected(pyossl::error(pyossl::errc::want_read, "not started")),
                            pyossl::unexpected(pyossl::error(pyossl::errc::want_read, "not started"))};
  for (int round = 0; round < 100; ++round) {
    if (!outcome.client.has_value()) outcome.client = client.do_handshake();
    transfer(client, server);
    if (!outcome.server.has_value()) outcome.server = server.do_handshake();
    transfer(server, client);
    const bool client_done = outcome.client.has_value() || !waiting(outcome.client);
    const bool server_done = outcome.server.has_value() || !waiting(outcome.server);
    if (client_done && server_done) break;
    if ((!client_done && !waiting(outcome.server) && !outcome.server.has_value()) ||
        (!server_done && !waiting(outcome.client) && !outcome.client.has_value())) {
      pump(client, server);  // let the failing side's alert reach the other
      if (!outcome.client.has_value() && waiting(outcome.client)) outcome.client = client.do_handshake();
      if (!outcome.server.has_value() && waiting(outcome.server)) outcome.server = server.do_handshake();
      break;
    }
  }
  return outcome;
}

// A client and a server connection, made from the two contexts, with their roles set.
struct connection_pair {
  pyossl::ssl::Connection client;
  pyossl::ssl::Connection server;
  connection_pair(const pyossl::ssl::Context& client_ctx, const pyossl::ssl::Context& server_ctx)
      : client(client_ctx), server(server_ctx) {
    client.set_connect_state();
    server.set_accept_state();
  }
};

}  // namespace pyossl_test
