// A pyOpenSSL peer (/usr/bin/python3 with OpenSSL.SSL), for interop tests: one TLS
// connection as server or client on 127.0.0.1, reporting what it negotiated on stdout,
// one "KEY value" line each (PORT, ALPN, EKM, FINISHED, PEER_FINISHED, SNI, ECHO, DONE,
// SSLERROR). It stops itself after 20 seconds whatever happens (signal.alarm).
//
//   python3 -c SCRIPT server CERT KEY CA ALPN - -        (ALPN: "h2,http/1.1" or "-")
//   python3 -c SCRIPT client -    -   CA ALPN SERVERNAME PORT
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "child_process.hpp"

namespace pyossl_test {

inline constexpr const char* pyopenssl_peer_script = R"(
import signal, socket, sys
from OpenSSL import SSL
signal.alarm(20)
role, cert, key, ca, alpn, servername, port = sys.argv[1:8]
ctx = SSL.Context(SSL.TLS_METHOD)
if cert != "-":
    ctx.use_certificate_file(cert)
    ctx.use_privatekey_file(key)
if ca != "-":
    ctx.load_verify_locations(ca)
    ctx.set_verify(SSL.VERIFY_PEER, lambda conn, x509, errno, depth, ok: bool(ok))
protos = [p.encode() for p in alpn.split(",")] if alpn != "-" else []
if role == "server":
    if protos:
        ctx.set_alpn_select_callback(
            lambda conn, offered: next((p for p in protos if p in offered), SSL.NO_OVERLAPPING_PROTOCOLS))
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    print("PORT", listener.getsockname()[1], flush=True)
    sock, _ = listener.accept()
    conn = SSL.Connection(ctx, sock)
    conn.set_accept_state()
else:
    if protos:
        ctx.set_alpn_protos(protos)
    sock = socket.create_connection(("127.0.0.1", int(port)))
    conn = SSL.Connection(ctx, sock)
    conn.set_connect_state()
    if servername != "-":
        conn.set_tlsext_host_name(servername.encode())
try:
    conn.do_handshake()
    print("ALPN", (conn.get_alpn_proto_negotiated() or b"").decode(), flush=True)
    print("EKM", conn.export_keying_material(b"EXPORTER-pyossl", 32, b"context").hex(), flush=True)
    print("FINISHED", conn.get_finished().hex(), flush=True)
    print("PEER_FINISHED", conn.get_peer_finished().hex(), flush=True)
    if role == "server":
        print("SNI", (conn.get_servername() or b"-").decode(), flush=True)
        conn.sendall(conn.recv(1024))
    else:
        conn.sendall(b"ping\n")
        print("ECHO", conn.recv(1024).decode().strip(), flush=True)
    try:
        conn.shutdown()
    except SSL.Error:
        pass
    print("DONE", flush=True)
except SSL.Error as e:
    print("SSLERROR", e, flush=True)
)";

// Starts the peer: `arguments` are the script's seven (see above).
inline std::unique_ptr<child_process> start_pyopenssl_peer(const std::string& python,
                                                           const std::vector<std::string>& arguments) {
  std::vector<std::string> argv{python, "-c", pyopenssl_peer_script};
  argv.insert(argv.end(), arguments.begin(), arguments.end());
  return std::make_unique<child_process>(argv);
}

// The value of the first "KEY value" line in `output` ("" if none).
inline std::string peer_value(const std::string& output, const std::string& key) {
  const std::string lines = "\n" + output;
  const std::size_t at = lines.find("\n" + key + " ");
  if (at == std::string::npos) return {};
  const std::size_t start = at + key.size() + 2;
  const std::size_t end = lines.find('\n', start);
  return lines.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

// Lower-case hex of `bytes`, as Python's bytes.hex() prints it.
inline std::string to_hex(std::string_view bytes) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string hex;
  for (const char c : bytes) {
    hex += digits[static_cast<unsigned char>(c) >> 4];
    hex += digits[static_cast<unsigned char>(c) & 0xF];
  }
  return hex;
}

}  // namespace pyossl_test
