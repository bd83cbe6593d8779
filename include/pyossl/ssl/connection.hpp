// pyossl::ssl::Connection — pyOpenSSL's SSL.Connection (manual 3.3.2): one TLS connection,
// over memory BIOs (Connection(context)) or over a socket it owns
// (Connection(context, net::Socket)).
//
// Errors: every TLS I/O call (do_handshake, send, recv, shutdown, renegotiate, ...)
// clears OpenSSL's error queue first and maps SSL_get_error exactly: zero_return,
// want_read, want_write, want_x509_lookup, syscall (errno; an EOF that breaks the protocol
// is (-1, "Unexpected EOF") as pyOpenSSL reports it), ssl (with the verify failure when a
// certificate was rejected). An exception thrown by a callback (verify, info, servername,
// ALPN select, key log, OCSP) comes out of the call on this Connection that ran it.
//
// Memory BIOs grow as needed, as pyOpenSSL's do: send never reports want_write on a memory
// connection, and what it writes waits in the outgoing BIO until bio_read takes it.
//
// A Connection is movable, not copyable; a moved-from Connection may only be destroyed or
// assigned to. One Connection must not be used by two threads at once; different
// Connections of one Context may run on different threads.
#pragma once

#include <algorithm>
#include <any>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstddef>
#include <initializer_list>
#include <memory>
#include <new>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "pyossl/crypto/pkey.hpp"
#include "pyossl/crypto/x509.hpp"
#include "pyossl/crypto/x509_name.hpp"
#include "pyossl/detail/c_string.hpp"
#include "pyossl/detail/config.hpp"
#include "pyossl/detail/handle.hpp"
#include "pyossl/detail/openssl_error.hpp"
#include "pyossl/detail/syscall_error.hpp"
#include "pyossl/error.hpp"
#include "pyossl/net/address.hpp"
#include "pyossl/net/socket.hpp"
#include "pyossl/ssl/constants.hpp"
#include "pyossl/ssl/context.hpp"
#include "pyossl/ssl/detail/alpn.hpp"
#include "pyossl/ssl/detail/datagram_bio.hpp"
#include "pyossl/ssl/detail/ssl_io.hpp"
#include "pyossl/ssl/detail/ssl_state.hpp"
#include "pyossl/ssl/session.hpp"

#include <sys/socket.h>

// OpenSSL spells DTLSv1_get_timeout and DTLSv1_handle_timeout as function-like macros,
// which would swallow Connection's members of pyOpenSSL's names. pyossl calls SSL_ctrl
// itself, so the macros go: after this header, use the Connection members (or
// SSL_ctrl(ssl, DTLS_CTRL_GET_TIMEOUT, 0, &tv) / DTLS_CTRL_HANDLE_TIMEOUT).
#undef DTLSv1_get_timeout
#undef DTLSv1_handle_timeout

namespace pyossl::detail {

// The largest MTU set_ciphertext_mtu takes: the size of the BIO_f_buffer OpenSSL writes
// DTLS handshake flights through (DEFAULT_BUFFER_SIZE in crypto/bio/bf_buff.c).
inline constexpr int largest_dtls_mtu = 4096;

// The end a Connection was told to be (set_accept_state / set_connect_state), if any. OpenSSL
// cannot say: a generic method's SSL reports itself a server until told otherwise.
enum class handshake_role { unset, client, server };

// Everything a Connection owns, at one stable heap address (OpenSSL keeps pointers into it).
// Declaration order is destruction order reversed: the SSL goes before the socket its BIO
// reads, and the context state (the callbacks) outlives both.
struct connection_state {
  std::shared_ptr<context_state> context;  // the Context it was made with: callbacks
  connection_link link;
  net::Socket socket;  // socket connections only
  handle<SSL> ssl;
  BIO* into_ssl = nullptr;  // memory connections: the SSL's read BIO (the SSL owns it)
  BIO* from_ssl = nullptr;  // memory connections: the SSL's write BIO (the SSL owns it)
  bool over_socket = false;
  handshake_role role = handshake_role::unset;
  std::any app_data;
};

// Whether `name` is an IPv4 or IPv6 address literal (not a DNS name). Calls a2i_IPADDRESS.
[[nodiscard]] PYOSSL_DECL bool is_ip_literal(const std::string& name);

// An absolute DNS name without its final dot ("example.com." -> "example.com"): the dot is
// DNS's root, never part of a name in a certificate, and SNI must not carry it (RFC 6066,
// section 3), so browsers, Go and curl drop it. One dot only: "example.com.." stays as it
// is, and matches nothing.
[[nodiscard]] constexpr std::string_view without_root_dot(std::string_view name) noexcept {
  const bool absolute = name.size() > 1 && name.back() == '.' && name[name.size() - 2] != '.';
  return absolute ? name.substr(0, name.size() - 1) : name;
}

// A name a certificate can be checked against does not start with a dot, which OpenSSL
// reads as "any host under that domain" (".com" would match every .com certificate): a
// name taken from a URL must never widen the check that way. Python's ssl refuses it too.
// errc::invalid_argument.
[[nodiscard]] PYOSSL_DECL result<void> checkable_host_name(std::string_view operation, std::string_view name);

// A copy of a certificate OpenSSL holds, for a getter: changing what the user gets back must
// not change what the Context serves or what the Connection reports later (SPEC: copies,
// never views). One OpenSSL cannot copy unchanged (odd DER it read from a peer) is shared
// instead, as pyOpenSSL shares them all.
[[nodiscard]] PYOSSL_DECL crypto::X509 certificate_copy(::X509* certificate);

// certificate_copy of each certificate in `stack`, in its order.
[[nodiscard]] PYOSSL_DECL std::vector<crypto::X509> certificates_of(STACK_OF(X509) * stack);

// The address of the last datagram an OpenSSL datagram BIO (BIO_s_datagram) read, or the
// peer it is connected to, as a socket address and its length; nullopt when it has none
// (no datagram yet, or not a datagram BIO). Calls BIO_dgram_get_peer.
[[nodiscard]] PYOSSL_DECL std::optional<std::pair<sockaddr_storage, socklen_t>> datagram_peer(
    BIO* bio) noexcept;

// SSL_get0_group_name's spelling (OpenSSL 3.2+) for the NID SSL_get_negotiated_group gives.
[[nodiscard]] PYOSSL_DECL std::optional<std::string> group_name_of(int nid);

}  // namespace pyossl::detail

namespace pyossl::ssl {

// What sendall did: how many bytes TLS took before it finished or failed, and why it
// stopped short. pyOpenSSL's sendall cannot say how much was sent before an error; this
// can: on failure, sent() is the count that went out and error() the reason. Reads like a
// result<std::size_t> (has_value, operator bool, error, value), and pyossl::unwrap takes it.
class [[nodiscard]] sendall_result {
 public:
  sendall_result(std::size_t sent, result<void> status) : sent_(sent), status_(std::move(status)) {}

  // Bytes accepted by TLS, all of them on success, those before the failure otherwise.
  [[nodiscard]] std::size_t sent() const noexcept { return sent_; }
  [[nodiscard]] bool has_value() const noexcept { return status_.has_value(); }
  explicit operator bool() const noexcept { return has_value(); }
  // The count on success; throws (as result::value does) on failure.
  [[nodiscard]] std::size_t value() const {
    status_.value();
    return sent_;
  }
  [[nodiscard]] const pyossl::error& error() const& noexcept { return status_.error(); }
  [[nodiscard]] pyossl::error&& error() && noexcept;

 private:
  std::size_t sent_;
  result<void> status_;
};

class Connection {
 public:
  // A connection over a pair of memory BIOs: feed what arrives from the peer to bio_write,
  // send what bio_read returns. Calls SSL_new and SSL_set_bio with two BIO_s_mem (for a
  // DTLS Context, two datagram queues: each bio_read is one datagram, each bio_write one). Marks
  // the Context used (it can no longer be changed). Throws std::bad_alloc if OpenSSL
  // cannot allocate. pyOpenSSL: Connection(context, None).
  explicit Connection(const Context& context);

  // A connection over `socket`, which it owns from now on (closed with the Connection).
  // Reads and writes go through a BIO that sends with MSG_NOSIGNAL, so a vanished peer is
  // errc::syscall EPIPE, never SIGPIPE. Blocking and non-blocking sockets both work (a
  // non-blocking one reports want_read / want_write). Call set_connect_state or
  // set_accept_state (or connect / accept) before the handshake. Throws std::bad_alloc if
  // OpenSSL cannot allocate. pyOpenSSL: Connection(context, socket).
  Connection(const Context& context, net::Socket socket);

  Connection(Connection&& other) noexcept;
  Connection& operator=(Connection&& other) noexcept;
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  ~Connection() = default;

  // ---- The handshake and the connection's role ----

  // Makes this end the server; the handshake then runs in do_handshake, send or recv.
  // Calls SSL_set_accept_state.
  void set_accept_state() noexcept {
    state_->role = detail::handshake_role::server;
    SSL_set_accept_state(ssl());
  }
  // Makes this end the client. Calls SSL_set_connect_state.
  void set_connect_state() noexcept {
    state_->role = detail::handshake_role::client;
    SSL_set_connect_state(ssl());
  }

  // Runs the handshake (or the rest of it). Calls SSL_do_handshake; fails as send and recv
  // do (want_read / want_write while it waits for the peer; ssl, with the verify failure,
  // when the peer's certificate was rejected).
  [[nodiscard]] result<void> do_handshake();

  // Starts a renegotiation (TLS 1.2 and below); do_handshake then carries it out. Calls
  // SSL_renegotiate. On TLS 1.3, which has no renegotiation, errc::unsupported; other
  // refusals (OP_NO_RENEGOTIATION) errc::ssl.
  [[nodiscard]] result<void> renegotiate();
  // Beyond the manual (modern pyOpenSSL): whether a renegotiation is under way, and how
  // many have been started. Call SSL_renegotiate_pending / SSL_total_renegotiations.
  [[nodiscard]] bool renegotiate_pending() const noexcept;
  [[nodiscard]] long total_renegotiations() const noexcept { return SSL_total_renegotiations(ssl()); }

  // ---- Application data ----

  // Sends bytes; returns how many TLS took, which may be fewer than given (one record at
  // a time, as pyOpenSSL: SSL_MODE_ENABLE_PARTIAL_WRITE). After want_write, call again
  // with the same bytes first. Allocates nothing. An empty buffer sends nothing and
  // returns 0. Calls SSL_write_ex.
  [[nodiscard]] result<std::size_t> send(std::span<const std::byte> data);
  [[nodiscard]] result<std::size_t> send(std::span<const unsigned char> data);
  [[nodiscard]] result<std::size_t> send(std::string_view data);

  // Sends all the bytes, calling send until done. On failure sendall_result::sent() says
  // how many went out first (pyOpenSSL cannot tell). Calls SSL_write_ex.
  sendall_result sendall(std::span<const std::byte> data);
  sendall_result sendall(std::span<const unsigned char> data);
  sendall_result sendall(std::string_view data);

  // Receives at most `bufsize` bytes of application data. Calls SSL_read_ex; the peer's
  // close_notify is errc::zero_return, an EOF without it errc::syscall (-1,
  // "Unexpected EOF"), no data yet want_read. DTLS has no EOF short of bio_shutdown: a
  // connection an earlier call ended is errc::ssl "already failed".
  // The string holds only what was read, allocated once; nothing is zero-filled.
  [[nodiscard]] result<std::string> recv(std::size_t bufsize);

  // Receives into the caller's buffer, never past its end; returns the count. Allocates
  // nothing. An empty buffer receives nothing and returns 0. Calls SSL_read_ex.
  [[nodiscard]] result<std::size_t> recv_into(std::span<std::byte> buffer);
  [[nodiscard]] result<std::size_t> recv_into(std::span<unsigned char> buffer);

  // Bytes already decrypted and waiting (not what the transport holds). Calls SSL_pending.
  [[nodiscard]] int pending() const noexcept { return SSL_pending(ssl()); }

  // ---- Closing ----

  // Sends close_notify. true when the exchange is complete (the peer's close_notify has
  // arrived too), false when it is not yet (call recv, or shutdown again, later). Calls
  // SSL_shutdown; failures as for recv.
  [[nodiscard]] result<bool> shutdown();

  // Which close_notify messages have gone and come: SENT_SHUTDOWN and/or RECEIVED_SHUTDOWN.
  // Calls SSL_get_shutdown.
  [[nodiscard]] shutdown_state get_shutdown() const noexcept;
  // Sets them (e.g. to skip waiting for the peer's). Calls SSL_set_shutdown.
  void set_shutdown(shutdown_state state) noexcept;

  // ---- Memory BIOs (memory connections only: errc::invalid_argument over a socket) ----

  // Takes up to `bufsize` bytes that TLS wrote for the peer. Nothing waiting is
  // errc::want_read. DTLS: exactly one datagram; one larger than `bufsize` (any, for a
  // bufsize of 0) is errc::invalid_argument and stays queued (nothing is lost). Calls
  // BIO_read_ex.
  // The string holds only what was taken, allocated once; nothing is zero-filled.
  [[nodiscard]] result<std::string> bio_read(std::size_t bufsize);

  // The same into the caller's buffer; returns the count. Allocates nothing, want_read
  // included. Calls BIO_read_ex.
  [[nodiscard]] result<std::size_t> bio_read_into(std::span<std::byte> buffer);
  [[nodiscard]] result<std::size_t> bio_read_into(std::span<unsigned char> buffer);

  // Hands TLS bytes that arrived from the peer; returns the count (always all of them: the
  // memory BIO grows). TLS: allocates nothing of pyossl's own. DTLS: `data` is one
  // datagram, copied into a queue (an allocation per datagram); one larger than OpenSSL
  // reads (about 16 KB) is cut short and dropped when TLS reads it, as a UDP socket would,
  // so it never blocks the datagrams behind it. Calls BIO_write_ex.
  [[nodiscard]] result<std::size_t> bio_write(std::span<const std::byte> data);
  [[nodiscard]] result<std::size_t> bio_write(std::span<const unsigned char> data);
  [[nodiscard]] result<std::size_t> bio_write(std::string_view data);

  // Says the peer's byte stream has ended: once TLS has read what bio_write gave it, reads
  // see end of file (recv then fails with syscall (-1, "Unexpected EOF") unless
  // close_notify came first). Calls BIO_set_mem_eof_return(0).
  [[nodiscard]] result<void> bio_shutdown();

  // ---- What was negotiated ----

  // A copy of the peer's certificate, if it sent one. Calls SSL_get0_peer_certificate.
  [[nodiscard]] std::optional<crypto::X509> get_peer_certificate() const;

  // The names of the ciphers this connection may use, in preference order (TLS 1.3 suites
  // first). Calls SSL_get_ciphers.
  [[nodiscard]] std::vector<std::string> get_cipher_list() const;

  // The CA names a server asks client certificates from: on a client, those the server
  // sent (empty before the handshake); on a server, those its Context sends. Copies.
  // Calls SSL_get_client_CA_list.
  [[nodiscard]] std::vector<crypto::X509Name> get_client_ca_list() const;

  // Where the handshake is, in words ("SSL negotiation finished successfully"). Calls
  // SSL_state_string_long.
  [[nodiscard]] std::string state_string() const { return SSL_state_string_long(ssl()); }

  // The client's and server's hello randoms and the session's master secret; nullopt
  // before there is a session (pyOpenSSL's None). Call SSL_get_client_random,
  // SSL_get_server_random, SSL_SESSION_get_master_key. In TLS 1.3 the "master key" is
  // the session's resumption secret, as OpenSSL reports it.
  [[nodiscard]] std::optional<std::string> client_random() const;
  [[nodiscard]] std::optional<std::string> server_random() const;
  [[nodiscard]] std::optional<std::string> master_key() const;

  // Beyond the manual (modern pyOpenSSL): the cipher in use (nullopt before the
  // handshake), its secret bits, the protocol version that introduced it, and the
  // protocol version negotiated ("TLSv1.3"; "unknown" before). Call SSL_get_current_cipher,
  // SSL_CIPHER_get_name / _get_bits / _get_version, SSL_get_version, SSL_version.
  [[nodiscard]] std::optional<std::string> get_cipher_name() const;
  [[nodiscard]] std::optional<int> get_cipher_bits() const noexcept;
  [[nodiscard]] std::optional<std::string> get_cipher_version() const;
  [[nodiscard]] std::string get_protocol_version_name() const { return SSL_get_version(ssl()); }
  [[nodiscard]] int get_protocol_version() const noexcept { return SSL_version(ssl()); }

  // Whether the handshake is waiting to read from, or has bytes to write to, the
  // transport. Call SSL_want_read / SSL_want_write.
  [[nodiscard]] bool want_read() const noexcept;
  [[nodiscard]] bool want_write() const noexcept;

  // ---- Sessions (beyond the manual, as modern pyOpenSSL) ----

  // The session this connection established, for a later connection to resume; nullopt
  // before there is one. In TLS 1.3 a client gets it from the server's ticket, which
  // arrives after the handshake: recv once first. Calls SSL_get1_session.
  [[nodiscard]] std::optional<Session> get_session() const;
  // Offers `session` for resumption (client, before the handshake). An empty Session
  // (Session()) or one from another Context is errc::invalid_argument. Calls SSL_set_session.
  [[nodiscard]] result<void> set_session(const Session& session);
  // Whether the handshake resumed a session. Calls SSL_session_reused.
  [[nodiscard]] bool session_reused() const noexcept;

  // ---- ALPN (beyond the manual, as modern pyOpenSSL) ----

  // Client: the application protocols this connection offers, in preference order
  // (replacing the Context's). Calls SSL_set_alpn_protos; an empty list, an empty name or
  // one over 255 bytes is errc::invalid_argument.
  [[nodiscard]] result<void> set_alpn_protos(std::initializer_list<std::string_view> protos);
  [[nodiscard]] result<void> set_alpn_protos(const std::vector<std::string>& protos);
  // The protocol agreed on; empty when none (no handshake yet, or no ALPN). Calls
  // SSL_get0_alpn_selected.
  [[nodiscard]] std::string get_alpn_proto_negotiated() const;

  // ---- Chains, identities and key material (beyond the manual, as modern pyOpenSSL) ----

  // The certificates the peer sent, as it sent them: on a client the server's leaf first;
  // on a server without the client's leaf (get_peer_certificate has it). nullopt when the
  // peer sent no certificate. Copies. Calls SSL_get_peer_cert_chain.
  [[nodiscard]] std::optional<std::vector<crypto::X509>> get_peer_cert_chain() const;
  // The chain verification built, leaf first; nullopt when there is none (no handshake, no
  // peer certificate). It ends at a trusted root only if verification succeeded: with
  // VERIFY_NONE, or a verify callback that accepted a failure, it is what OpenSSL built
  // before it gave up, perhaps the leaf alone (as pyOpenSSL and Python's ssl);
  // SSL_get_verify_result(native_handle()) tells. Copies. Calls SSL_get0_verified_chain.
  [[nodiscard]] std::optional<std::vector<crypto::X509>> get_verified_chain() const;
  // A copy of this end's own certificate (the Connection's, else the Context's), also
  // before the handshake; nullopt when there is none. Changing the copy does not change
  // what is served (unless OpenSSL cannot copy it unchanged: detail::certificate_copy then
  // shares it). Calls SSL_get_certificate.
  [[nodiscard]] std::optional<crypto::X509> get_certificate() const;

  // `olen` bytes of keying material derived from the session (RFC 5705 / RFC 8446 7.5),
  // with an optional context value. Calls SSL_export_keying_material; before the handshake
  // has finished errc::ssl, an olen of 0 errc::invalid_argument.
  [[nodiscard]] result<std::string> export_keying_material(
      std::string_view label, std::size_t olen, std::optional<std::string_view> context = std::nullopt);

  // The last Finished message this end sent, and the one the peer sent; nullopt before
  // there is one. Call SSL_get_finished / SSL_get_peer_finished.
  [[nodiscard]] std::optional<std::string> get_finished() const { return finished_message(SSL_get_finished); }
  [[nodiscard]] std::optional<std::string> get_peer_finished() const {
    return finished_message(SSL_get_peer_finished);
  }

  // The key-exchange group negotiated, spelled as OpenSSL 3.2's SSL_get0_group_name
  // ("x25519", "secp256r1", "ffdhe2048") on every OpenSSL 3; nullopt before a session
  // exists or when none was used. Calls SSL_get_negotiated_group.
  [[nodiscard]] std::optional<std::string> get_group_name() const;

  // ---- Per-connection verification and identity (beyond the manual, as modern pyOpenSSL) ----

  // As Context::set_verify, for this connection only: its mode and callback replace the
  // Context's. The callback may replace itself while it runs. As there, returning true
  // does not waive a host-name or IP-address mismatch. A mode without VERIFY_PEER
  // on a hostname-checking Context is errc::invalid_argument. Calls SSL_set_verify.
  template <class F>
  requires std::is_invocable_r_v<bool, F&, Connection&, crypto::X509&, int, int, int>
  [[nodiscard]] result<void> set_verify(verify_mode mode, F&& callback) {
    if (auto checked = check_verify_mode(mode); !checked) return checked;
    state_->link.verify = detail::verify_function(std::forward<F>(callback));
    state_->link.own_verify = true;
    SSL_set_verify(ssl(), static_cast<int>(mode), detail::verify_trampoline);
    return {};
  }
  // The same without a callback: OpenSSL's own verdict decides, whatever the Context's
  // callback would have said.
  [[nodiscard]] result<void> set_verify(verify_mode mode);
  // This connection's verify mode (the Context's unless set_verify changed it). Calls
  // SSL_get_verify_mode.
  [[nodiscard]] verify_mode get_verify_mode() const noexcept;

  // Uses `cert` as this connection's certificate (instead of the Context's). Calls
  // SSL_use_certificate; an empty certificate is errc::invalid_argument, one OpenSSL
  // refuses (too weak for the security level) errc::ssl.
  [[nodiscard]] result<void> use_certificate(const crypto::X509& cert);
  // Uses `key` as this connection's private key. Calls SSL_use_PrivateKey; an empty key is
  // errc::invalid_argument, a key that does not match the certificate of its type errc::ssl
  // (OpenSSL would silently drop the certificate instead).
  [[nodiscard]] result<void> use_privatekey(const crypto::PKey& key);

  // ---- OCSP stapling (beyond the manual, as modern pyOpenSSL) ----

  // Client: asks the server to staple an OCSP response (the Context's OCSP callbacks run
  // only then). Before the handshake; later, or on a server (after set_accept_state or
  // accept), is errc::invalid_argument. Calls SSL_set_tlsext_status_type.
  [[nodiscard]] result<void> request_ocsp();

  // ---- Server names (SNI; beyond the manual, as modern pyOpenSSL) ----

  // Client: the host name to send in the hello. Calls SSL_set_tlsext_host_name; a name
  // with a NUL byte is errc::invalid_argument, one OpenSSL refuses (empty, over 255 bytes)
  // errc::ssl. On a Context with set_check_hostname on, it is also the name the server's
  // certificate must match (set_verify_hostname), as Python's server_hostname; an IP
  // address is then checked but never sent (SNI carries only DNS names, RFC 6066), and
  // replaces any name set before (which is then neither sent nor checked). An absolute
  // name's final dot is dropped ("example.com." is sent and checked as "example.com"; RFC
  // 6066 forbids it in SNI); with checking on, a name starting with a dot is
  // errc::invalid_argument (see set_verify_hostname).
  [[nodiscard]] result<void> set_tlsext_host_name(std::string_view name);

  // The name the server's certificate must match: a DNS name (RFC 6125 matching, wildcards
  // only as a whole left-most label) or an IPv4/IPv6 address (matched against iPAddress
  // subjectAltNames). Checked during the handshake whenever the verify mode has
  // VERIFY_PEER, on any Context; a mismatch fails it with errc::ssl and verification()->code
  // X509_V_ERR_HOSTNAME_MISMATCH (X509_V_ERR_IP_ADDRESS_MISMATCH). The subject's common
  // name is never used for a certificate without subjectAltNames. Sends no SNI. Calls
  // X509_VERIFY_PARAM_set1_host / _set1_ip_asc; an empty name or one with a NUL byte is
  // errc::invalid_argument, and so is one starting with a dot, which OpenSSL would take as
  // "any host under this domain". An absolute name's final dot is dropped: "example.com."
  // matches a certificate for example.com, as in browsers. Python's ssl: server_hostname
  // with check_hostname.
  [[nodiscard]] result<void> set_verify_hostname(std::string_view name);
  // Server: the name the client asked for, if any. Calls SSL_get_servername.
  [[nodiscard]] std::optional<std::string> get_servername() const;

  // ---- The Context ----

  // The Context this connection uses, as a Context sharing it (its SSL_CTX, callbacks and
  // app data): a value, so it stays valid when this Connection moves, goes, or switches
  // with set_context. Changing it is refused once connections exist, see Context.
  // pyOpenSSL: get_context().
  [[nodiscard]] Context get_context() const noexcept { return Context(context_.state_); }

  // Beyond the manual (modern pyOpenSSL, for a servername callback): switches to
  // `context`'s certificate and key. The verify settings and callback stay those of the
  // Context this connection was made with; the info, ALPN, key-log and OCSP callbacks
  // become `context`'s, as OpenSSL does. Safe from inside any callback, even one of the
  // Context it leaves (which stays alive until that callback returns); but once OpenSSL
  // has picked the server's certificate (OCSP server callback) the switch can fail the
  // handshake. Marks `context` used. Calls SSL_set_SSL_CTX.
  [[nodiscard]] result<void> set_context(const Context& context);

  // Any value, kept with this connection.
  [[nodiscard]] std::any& get_app_data() noexcept { return state_->app_data; }
  [[nodiscard]] const std::any& get_app_data() const noexcept { return state_->app_data; }
  void set_app_data(std::any data);

  // ---- The socket (socket connections only: errc::invalid_argument over memory BIOs) ----

  // Accepts the next connection on this listening socket: returns a new server-side
  // Connection (set_accept_state done) sharing this one's Context, and the peer's address.
  // Failures as net::Socket::accept (errc::syscall; EAGAIN when non-blocking and none waits).
  [[nodiscard]] result<std::pair<Connection, net::Address>> accept();
  // Binds the socket. net::Socket::bind.
  [[nodiscard]] result<void> bind(const net::Address& address);
  // Listens on the socket. net::Socket::listen.
  [[nodiscard]] result<void> listen(int backlog);
  // Makes this the client end (set_connect_state), then connects the socket
  // (net::Socket::connect; a non-blocking socket reports EINPROGRESS). After
  // set_accept_state it only connects the socket and this end stays the server (pyOpenSSL
  // would turn it into a client): a DTLS server's socket talking to one client, say.
  [[nodiscard]] result<void> connect(const net::Address& address);
  // The same, returning the errno (0 when connected) as the manual's connect_ex. Like modern
  // pyOpenSSL it makes this the client end whatever connect returns (the manual's 0.10 did
  // so only on success; a non-blocking connect's EINPROGRESS then needs no extra call),
  // unless set_accept_state made it the server.
  [[nodiscard]] result<int> connect_ex(const net::Address& address);
  // Closes the socket without a TLS shutdown (call shutdown first for a clean close).
  [[nodiscard]] result<void> close();
  // The socket's descriptor (-1 once closed), for poll() and friends.
  [[nodiscard]] result<int> fileno() const;
  // The socket's peer. DTLS over an unconnected socket: the address of the datagram read
  // last (the client whose ClientHello the cookie callbacks are looking at), ENOTCONN
  // before any. Calls getpeername(2), then BIO_dgram_get_peer.
  [[nodiscard]] result<net::Address> getpeername() const;
  [[nodiscard]] result<net::Address> getsockname() const;
  [[nodiscard]] result<int> getsockopt(int level, int optname) const;
  [[nodiscard]] result<std::string> getsockopt(int level, int optname, std::size_t buflen) const;
  [[nodiscard]] result<void> setsockopt(int level, int optname, int value);
  [[nodiscard]] result<void> setsockopt(int level, int optname, std::span<const std::byte> value);
  // Blocking or not; non-blocking I/O then reports want_read / want_write.
  [[nodiscard]] result<void> setblocking(bool blocking);
  // Shuts down one or both directions of the socket (SHUT_RD / SHUT_WR / SHUT_RDWR), with
  // no TLS close_notify. Python's socket.shutdown.
  [[nodiscard]] result<void> sock_shutdown(int how);

  // ---- DTLS (pyOpenSSL 26; DTLS_METHOD contexts only, else errc::invalid_argument) ----

  // A DTLS server's stateless cookie exchange, before it keeps any state for a client:
  // reads ClientHellos, answers those without a valid cookie with a HelloVerifyRequest
  // (set_cookie_generate_callback), and succeeds once one carries a cookie that
  // set_cookie_verify_callback accepts. Until then errc::want_read (feed the next datagram,
  // send what bio_read returns, call again); over memory BIOs one call reads every datagram
  // queued, past any it drops, so want_read means none of them was acceptable. On success call do_handshake:
  // the accepted ClientHello is kept, never fed twice. An empty cookie or one over 255 bytes, or no cookie
  // callbacks, is errc::ssl; in connect state (set_connect_state) errc::invalid_argument; a failing socket
  // (closed, an ICMP error) errc::syscall with its errno. Over a UDP socket, success also connects the socket
  // to the client (connect(2)): from then on it hears only that client, and getpeername names it; serve the
  // next client on a new socket bound to the same port (set SO_REUSEPORT on both before bind). A failed
  // connect is errc::syscall. Calls DTLSv1_listen.
  [[nodiscard]] result<void> DTLSv1_listen();

  // How long until DTLS resends its last flight if no answer comes (retransmission), or
  // std::nullopt when no timer runs; zero means due now: call DTLSv1_handle_timeout. Wait
  // for the next datagram at most this long. Calls SSL_ctrl(DTLS_CTRL_GET_TIMEOUT).
  [[nodiscard]] std::optional<std::chrono::microseconds> DTLSv1_get_timeout() const noexcept;

  // Resends the last flight if its timer has expired: true when it did (over memory BIOs,
  // bio_read then has the datagrams), false when no timer had expired. Too many resends
  // without an answer is errc::ssl ("the peer has not answered"); a resend the socket
  // refused, errc::syscall with its errno. Either ends the connection: later calls fail
  // with errc::ssl "already failed". A transport that would block is errc::want_write and
  // ends nothing: DTLS counts that datagram as lost and resends the flight at the next
  // expiry. Calls SSL_ctrl(DTLS_CTRL_HANDLE_TIMEOUT).
  [[nodiscard]] result<bool> DTLSv1_handle_timeout();

  // The largest datagram DTLS may send, the record headers and encryption included (IP and
  // UDP headers not): set it before the handshake over memory BIOs or any transport whose
  // MTU OpenSSL cannot ask. Kept for the connection's life (it also sets OP_NO_QUERY_MTU,
  // so DTLSv1_listen and the handshake do not replace it). Below what the handshake needs
  // (256 bytes over memory BIOs, 228 over IPv4 UDP: OpenSSL's DTLS_get_link_min_mtu less the
  // transport's overhead) errc::invalid_argument naming the minimum (pyOpenSSL ignores it).
  // Above 4096, also errc::invalid_argument: OpenSSL writes handshake flights through a
  // 4096-byte buffer that would cut larger datagrams mid-record (jumbo-frame links get
  // 4096-byte datagrams). Calls SSL_set_mtu.
  [[nodiscard]] result<void> set_ciphertext_mtu(int mtu);

  // The most application data one DTLS record can carry at the current MTU and cipher;
  // 0 before a cipher is agreed (and on a TLS connection). Calls DTLS_get_data_mtu.
  [[nodiscard]] int get_cleartext_mtu() const noexcept;

  // ---- pyOpenSSL 0.11-0.15 and 26 additions: handshake state, SRTP ----

  // The handshake state in OpenSSL 1.0's encoding, which pyOpenSSL 0.14's SSL_ST_*
  // constants (ssl::ST_*) describe: ST_BEFORE | ST_CONNECT (or ST_ACCEPT) before the
  // handshake, ST_CONNECT or ST_ACCEPT with OpenSSL's step in the ST_MASK bits during it,
  // ST_OK once done, ST_RENEGOTIATE while a requested renegotiation has not started. From
  // SSL_in_before, SSL_is_init_finished, SSL_renegotiate_pending and SSL_get_state.
  [[nodiscard]] int get_state() const noexcept;

  // The SRTP protection profile the DTLS handshake chose (DTLS-SRTP, RFC 5764; see
  // Context::set_tlsext_use_srtp), e.g. "SRTP_AES128_CM_SHA1_80"; empty when none was
  // (pyOpenSSL: b""). Calls SSL_get_selected_srtp_profile.
  [[nodiscard]] std::string get_selected_srtp_profile() const;

  // The SSL, for calls pyossl does not wrap.
  [[nodiscard]] SSL* native_handle() const noexcept { return ssl(); }

 private:
  [[nodiscard]] SSL* ssl() const noexcept { return state_->ssl.get(); }

  static std::unique_ptr<detail::connection_state> new_state(const Context& context);

  void attach_socket(net::Socket socket);

  // DTLS over a connected UDP socket: tells OpenSSL's datagram BIO the peer, so that it
  // sends with send(2) rather than sendto(2) a peer it does not know. Nothing otherwise.
  void note_datagram_peer() noexcept;

  // After DTLSv1_listen over a socket: connects it to the client whose cookie came back.
  [[nodiscard]] result<void> connect_to_datagram_peer();

  // Runs one SSL I/O call: clears the queue and errno, calls `call(ssl, count)` (OpenSSL's
  // > 0 for success), rethrows what a callback threw, and classifies a failure.
  // An info callback cannot fail the operation it reports on: when it throws during a
  // send or recv that still moved bytes, the count is returned (those bytes are sent, or
  // read and gone from OpenSSL) and the exception comes out of this connection's next call.
  template <class Call>
  [[nodiscard]] result<std::size_t> perform(detail::io_call operation, Call&& call) {
    state_->link.stash.rethrow_pending();  // left by an earlier call that moved bytes
    if (state_->link.hostname_missing) [[unlikely]] {
      if (auto named = require_hostname(*detail::io_call_text(operation).text); !named)
        return unexpected(std::move(named).error());
    }
    SSL* s = ssl();
    detail::clear_error_queue();
    errno = 0;
    std::size_t count = 0;
    const int ret = call(s, count);
    const int saved_errno = errno;
    if (ret > 0 && count > 0) return count;
    state_->link.stash.rethrow_pending();
    if (ret > 0) return count;
    return note_failure(detail::ssl_io_failure(s, ret, saved_errno, operation, state_->link));
  }

  // Remembers that `failure` ended the connection (not a want_* or zero_return); returns it.
  [[nodiscard]] unexpected<error> note_failure(unexpected<error> failure) noexcept {
    if (failure.error() == errc::ssl || failure.error() == errc::syscall) state_->link.failed = true;
    return failure;
  }

  // A client of a hostname-checking Context must know whom it expects before its first
  // byte goes out (a server need not).
  [[nodiscard]] result<void> require_hostname(std::string_view operation);

  [[nodiscard]] result<void> set_alpn_wire(result<std::string> wire);

  [[nodiscard]] result<void> check_verify_mode(verify_mode mode) const;

  using finished_getter = std::size_t (*)(const SSL*, void*, std::size_t);
  [[nodiscard]] std::optional<std::string> finished_message(finished_getter get) const;

  // recv and bio_read: reads up to `bufsize` bytes (recv_into or bio_read_into) into a
  // string of exactly the bytes read. Up to one TLS record's worth goes through an
  // uninitialised stack buffer (no fill, one exact allocation, none for 15 bytes or fewer);
  // only when that fills and more is waiting does the string grow to take the rest.
  enum class source { tls, outgoing_bio };
  [[nodiscard]] result<std::size_t> read_into(source from, std::span<std::byte> buffer);
  [[nodiscard]] std::size_t waiting(source from) const noexcept;
  [[nodiscard]] result<std::string> read_string(std::size_t bufsize, source from);

  // Why BIO_read_ex on the outgoing memory BIO returned nothing: want_read when TLS has
  // written nothing (allocating nothing); a DTLS datagram larger than the buffer
  // errc::invalid_argument; else errc::ssl.
  [[nodiscard]] unexpected<error> bio_read_failure(std::size_t buffer_size) const;
  // A DTLS datagram of `next` bytes does not fit `buffer_size`: errc::invalid_argument.
  [[nodiscard]] static unexpected<error> datagram_too_large(std::size_t next, std::size_t buffer_size);

  [[nodiscard]] static unexpected<error> not_memory(std::string_view operation);
  [[nodiscard]] static unexpected<error> not_dtls(std::string_view operation);
  [[nodiscard]] static unexpected<error> not_socket(std::string_view operation);

  Context context_;  // the current Context (set_context may switch it)
  std::unique_ptr<detail::connection_state> state_;
};

}  // namespace pyossl::ssl

namespace pyossl {

// unwrap for sendall: the count, or the exception pyOpenSSL would raise (the count is lost
// with it: keep the sendall_result to read sent()).
PYOSSL_DECL std::size_t unwrap(ssl::sendall_result outcome);

}  // namespace pyossl

// Definitions: inline, or compiled once in the compiled mode (pyossl/detail/config.hpp).
#if PYOSSL_DEFINITIONS

namespace pyossl::detail {

PYOSSL_DECL bool is_ip_literal(const std::string& name) {
  const error_queue_mark mark;
  return static_cast<bool>(handle<ASN1_STRING>(a2i_IPADDRESS(name.c_str())));
}

PYOSSL_DECL result<void> checkable_host_name(std::string_view operation, std::string_view name) {
  if (!name.empty() && name.front() == '.') {
    return fail(errc::invalid_argument, operation,
                "a host name must not start with a dot (OpenSSL would accept any host under it)");
  }
  return {};
}

PYOSSL_DECL crypto::X509 certificate_copy(::X509* certificate) {
  if (auto copy = copy_certificate(certificate)) return crypto::X509(std::move(*copy));
  return crypto::X509(up_ref(certificate));  // cannot be copied unchanged: shared, as pyOpenSSL does
}

PYOSSL_DECL std::vector<crypto::X509> certificates_of(STACK_OF(X509) * stack) {
  std::vector<crypto::X509> certificates;
  certificates.reserve(static_cast<std::size_t>(sk_X509_num(stack)));
  for (int i = 0; i < sk_X509_num(stack); ++i)
    certificates.push_back(certificate_copy(sk_X509_value(stack, i)));
  return certificates;
}

PYOSSL_DECL std::optional<std::pair<sockaddr_storage, socklen_t>> datagram_peer(BIO* bio) noexcept {
  if (bio == nullptr || BIO_method_type(bio) != BIO_TYPE_DGRAM) return std::nullopt;
  // A BIO_ADDR is a union of the sockaddr kinds: asked for at most a sockaddr_storage,
  // BIO_dgram_get_peer copies the peer's sockaddr and returns its length.
  sockaddr_storage peer{};
  const long length = BIO_ctrl(bio, BIO_CTRL_DGRAM_GET_PEER, sizeof(peer), &peer);
  if (length <= 0 || (peer.ss_family != AF_INET && peer.ss_family != AF_INET6)) return std::nullopt;
  return std::pair(peer, static_cast<socklen_t>(length));
}

PYOSSL_DECL std::optional<std::string> group_name_of(int nid) {
  if (nid == NID_undef || (nid & TLSEXT_nid_unknown) != 0) return std::nullopt;
  switch (nid) {
    case NID_X9_62_prime256v1:
      return std::string("secp256r1");
    case NID_X25519:
      return std::string("x25519");
    case NID_X448:
      return std::string("x448");
    default:
      break;
  }
  const char* name = OBJ_nid2sn(nid);  // secp384r1, secp521r1, ffdhe2048, brainpoolP256r1...
  if (name == nullptr) return std::nullopt;
  return std::string(name);
}

}  // namespace pyossl::detail

namespace pyossl::ssl {

PYOSSL_DECL pyossl::error&& sendall_result::error() && noexcept { return std::move(status_).error(); }

PYOSSL_DECL Connection::Connection(const Context& context)
    : context_(context.state_), state_(new_state(context)) {
  state_->link.owner = this;
  // DTLS needs each record to stay its own datagram: a BIO_s_mem would merge them.
  const BIO_METHOD* memory = SSL_is_dtls(ssl()) ? detail::datagram_bio_method() : BIO_s_mem();
  auto into_ssl = detail::adopt(BIO_new(memory));
  auto from_ssl = detail::adopt(BIO_new(memory));
  if (!into_ssl || !from_ssl) throw std::bad_alloc();
  // OpenSSL reads what the peer sent as a UDP socket would be read: a datagram too large
  // for its buffer is cut short and dropped, never left blocking the queue.
  if (SSL_is_dtls(ssl())) detail::queue_of(into_ssl.get())->on_short_read = detail::short_read::truncate;
  BIO_set_mem_eof_return(into_ssl.get(), -1);  // empty means "wait", until bio_shutdown
  BIO_set_mem_eof_return(from_ssl.get(), -1);
  state_->into_ssl = into_ssl.get();
  state_->from_ssl = from_ssl.get();
  SSL_set_bio(state_->ssl.get(), into_ssl.release(), from_ssl.release());
}

PYOSSL_DECL Connection::Connection(const Context& context, net::Socket socket)
    : context_(context.state_), state_(new_state(context)) {
  state_->link.owner = this;
  attach_socket(std::move(socket));
}

PYOSSL_DECL Connection::Connection(Connection&& other) noexcept
    : context_(std::move(other.context_)), state_(std::move(other.state_)) {
  if (state_) state_->link.owner = this;
}

PYOSSL_DECL Connection& Connection::operator=(Connection&& other) noexcept {
  if (this != &other) {
    state_ = std::move(other.state_);
    context_ = std::move(other.context_);
    if (state_) state_->link.owner = this;
  }
  return *this;
}

PYOSSL_DECL result<void> Connection::do_handshake() {
  auto done = perform(detail::io_call::handshake, [](SSL* s, std::size_t&) { return SSL_do_handshake(s); });
  if (!done) return unexpected(std::move(done).error());
  return {};
}

PYOSSL_DECL result<void> Connection::renegotiate() {
  constexpr std::string_view operation = "SSL_renegotiate";
  detail::clear_error_queue();
  if (SSL_renegotiate(ssl()) != 1) {
    if (SSL_version(ssl()) == TLS1_3_VERSION) {
      return detail::fail(errc::unsupported, operation,
                          "TLS 1.3 has no renegotiation (it updates keys with SSL_key_update instead)");
    }
    return detail::fail(errc::ssl, operation);
  }
  return {};
}

PYOSSL_DECL bool Connection::renegotiate_pending() const noexcept {
  return SSL_renegotiate_pending(ssl()) == 1;
}

PYOSSL_DECL result<std::size_t> Connection::send(std::span<const std::byte> data) {
  if (data.empty()) return std::size_t{0};
  return perform(detail::io_call::write, [data](SSL* s, std::size_t& written) {
    return SSL_write_ex(s, data.data(), data.size(), &written);
  });
}

PYOSSL_DECL result<std::size_t> Connection::send(std::span<const unsigned char> data) {
  return send(std::as_bytes(data));
}

PYOSSL_DECL result<std::size_t> Connection::send(std::string_view data) {
  return send(std::as_bytes(std::span(data)));
}

PYOSSL_DECL sendall_result Connection::sendall(std::span<const std::byte> data) {
  std::size_t total = 0;
  while (total < data.size()) {
    auto sent = send(data.subspan(total));
    if (!sent) return sendall_result(total, unexpected(std::move(sent).error()));
    total += *sent;
  }
  return sendall_result(total, {});
}

PYOSSL_DECL sendall_result Connection::sendall(std::span<const unsigned char> data) {
  return sendall(std::as_bytes(data));
}

PYOSSL_DECL sendall_result Connection::sendall(std::string_view data) {
  return sendall(std::as_bytes(std::span(data)));
}

PYOSSL_DECL result<std::string> Connection::recv(std::size_t bufsize) {
  return read_string(bufsize, source::tls);
}

PYOSSL_DECL result<std::size_t> Connection::recv_into(std::span<std::byte> buffer) {
  if (buffer.empty()) return std::size_t{0};
  return perform(detail::io_call::read, [buffer](SSL* s, std::size_t& read) {
    return SSL_read_ex(s, buffer.data(), buffer.size(), &read);
  });
}

PYOSSL_DECL result<std::size_t> Connection::recv_into(std::span<unsigned char> buffer) {
  return recv_into(std::as_writable_bytes(buffer));
}

PYOSSL_DECL result<bool> Connection::shutdown() {
  detail::clear_error_queue();
  errno = 0;
  const int ret = SSL_shutdown(ssl());
  const int saved_errno = errno;
  state_->link.stash.rethrow_pending();
  if (ret == 1) return true;
  if (ret == 0) return false;
  return note_failure(
      detail::ssl_io_failure(ssl(), ret, saved_errno, detail::io_call::shutdown, state_->link));
}

PYOSSL_DECL shutdown_state Connection::get_shutdown() const noexcept {
  return static_cast<shutdown_state>(SSL_get_shutdown(ssl()));
}

PYOSSL_DECL void Connection::set_shutdown(shutdown_state state) noexcept {
  SSL_set_shutdown(ssl(), static_cast<int>(state));
}

PYOSSL_DECL result<std::string> Connection::bio_read(std::size_t bufsize) {
  return read_string(bufsize, source::outgoing_bio);
}

PYOSSL_DECL result<std::size_t> Connection::bio_read_into(std::span<std::byte> buffer) {
  if (state_->from_ssl == nullptr) return not_memory("BIO_read_ex");
  if (buffer.empty()) {
    // DTLS: no buffer is smaller than any datagram; refuse it as any too-small one is.
    if (SSL_is_dtls(ssl()) == 1) {
      if (const std::size_t next = BIO_ctrl_pending(state_->from_ssl); next > 0)
        return datagram_too_large(next, 0);
    }
    return std::size_t{0};
  }
  std::size_t read = 0;
  if (BIO_read_ex(state_->from_ssl, buffer.data(), buffer.size(), &read) == 1) return read;
  return bio_read_failure(buffer.size());
}

PYOSSL_DECL result<std::size_t> Connection::bio_read_into(std::span<unsigned char> buffer) {
  return bio_read_into(std::as_writable_bytes(buffer));
}

PYOSSL_DECL result<std::size_t> Connection::bio_write(std::span<const std::byte> data) {
  constexpr std::string_view operation = "BIO_write_ex";
  if (state_->into_ssl == nullptr) return not_memory(operation);
  if (data.empty()) return std::size_t{0};
  std::size_t written = 0;
  if (BIO_write_ex(state_->into_ssl, data.data(), data.size(), &written) != 1) {
    return detail::fail(errc::ssl, operation);
  }
  return written;
}

PYOSSL_DECL result<std::size_t> Connection::bio_write(std::span<const unsigned char> data) {
  return bio_write(std::as_bytes(data));
}

PYOSSL_DECL result<std::size_t> Connection::bio_write(std::string_view data) {
  return bio_write(std::as_bytes(std::span(data)));
}

PYOSSL_DECL result<void> Connection::bio_shutdown() {
  if (state_->into_ssl == nullptr) return not_memory("ssl::Connection::bio_shutdown");
  BIO_set_mem_eof_return(state_->into_ssl, 0);
  return {};
}

PYOSSL_DECL std::optional<crypto::X509> Connection::get_peer_certificate() const {
  ::X509* cert = SSL_get0_peer_certificate(ssl());
  if (cert == nullptr) return std::nullopt;
  return detail::certificate_copy(cert);
}

PYOSSL_DECL std::vector<std::string> Connection::get_cipher_list() const {
  std::vector<std::string> names;
  STACK_OF(SSL_CIPHER)* ciphers = SSL_get_ciphers(ssl());
  for (int i = 0; ciphers != nullptr && i < sk_SSL_CIPHER_num(ciphers); ++i) {
    names.emplace_back(SSL_CIPHER_get_name(sk_SSL_CIPHER_value(ciphers, i)));
  }
  return names;
}

PYOSSL_DECL std::vector<crypto::X509Name> Connection::get_client_ca_list() const {
  std::vector<crypto::X509Name> names;
  STACK_OF(X509_NAME)* list = SSL_get_client_CA_list(ssl());
  for (int i = 0; list != nullptr && i < sk_X509_NAME_num(list); ++i) {
    names.emplace_back(detail::duplicate_name(sk_X509_NAME_value(list, i)));
  }
  return names;
}

PYOSSL_DECL std::optional<std::string> Connection::client_random() const {
  if (SSL_get_session(ssl()) == nullptr) return std::nullopt;
  std::string random(SSL_get_client_random(ssl(), nullptr, 0), '\0');
  random.resize(SSL_get_client_random(ssl(), reinterpret_cast<unsigned char*>(random.data()), random.size()));
  return random;
}

PYOSSL_DECL std::optional<std::string> Connection::server_random() const {
  if (SSL_get_session(ssl()) == nullptr) return std::nullopt;
  std::string random(SSL_get_server_random(ssl(), nullptr, 0), '\0');
  random.resize(SSL_get_server_random(ssl(), reinterpret_cast<unsigned char*>(random.data()), random.size()));
  return random;
}

PYOSSL_DECL std::optional<std::string> Connection::master_key() const {
  const SSL_SESSION* session = SSL_get_session(ssl());
  if (session == nullptr) return std::nullopt;
  std::string key(SSL_SESSION_get_master_key(session, nullptr, 0), '\0');
  key.resize(SSL_SESSION_get_master_key(session, reinterpret_cast<unsigned char*>(key.data()), key.size()));
  return key;
}

PYOSSL_DECL std::optional<std::string> Connection::get_cipher_name() const {
  const SSL_CIPHER* cipher = SSL_get_current_cipher(ssl());
  if (cipher == nullptr) return std::nullopt;
  return std::string(SSL_CIPHER_get_name(cipher));
}

PYOSSL_DECL std::optional<int> Connection::get_cipher_bits() const noexcept {
  const SSL_CIPHER* cipher = SSL_get_current_cipher(ssl());
  if (cipher == nullptr) return std::nullopt;
  return SSL_CIPHER_get_bits(cipher, nullptr);
}

PYOSSL_DECL std::optional<std::string> Connection::get_cipher_version() const {
  const SSL_CIPHER* cipher = SSL_get_current_cipher(ssl());
  if (cipher == nullptr) return std::nullopt;
  return std::string(SSL_CIPHER_get_version(cipher));
}

PYOSSL_DECL bool Connection::want_read() const noexcept { return SSL_want_read(ssl()) != 0; }

PYOSSL_DECL bool Connection::want_write() const noexcept { return SSL_want_write(ssl()) != 0; }

PYOSSL_DECL std::optional<Session> Connection::get_session() const {
  auto session = detail::adopt(SSL_get1_session(ssl()));
  if (!session) return std::nullopt;
  return Session(std::move(session), detail::up_ref(SSL_get_SSL_CTX(ssl())));
}

PYOSSL_DECL result<void> Connection::set_session(const Session& session) {
  constexpr std::string_view operation = "SSL_set_session";
  if (session.empty()) {
    return detail::fail(errc::invalid_argument, operation,
                        "the session is empty: use one that Connection::get_session returned");
  }
  if (session.context_.get() != SSL_get_SSL_CTX(ssl())) {
    return detail::fail(
        errc::invalid_argument, operation,
        "the session belongs to another Context: only the Context that made it can resume it");
  }
  if (SSL_set_session(ssl(), session.native_handle()) != 1) return detail::fail(errc::ssl, operation);
  return {};
}

PYOSSL_DECL bool Connection::session_reused() const noexcept { return SSL_session_reused(ssl()) == 1; }

PYOSSL_DECL result<void> Connection::set_alpn_protos(std::initializer_list<std::string_view> protos) {
  return set_alpn_wire(detail::alpn_wire("SSL_set_alpn_protos", protos));
}

PYOSSL_DECL result<void> Connection::set_alpn_protos(const std::vector<std::string>& protos) {
  return set_alpn_wire(detail::alpn_wire("SSL_set_alpn_protos", protos));
}

PYOSSL_DECL std::string Connection::get_alpn_proto_negotiated() const {
  const unsigned char* protocol = nullptr;
  unsigned int length = 0;
  SSL_get0_alpn_selected(ssl(), &protocol, &length);
  if (protocol == nullptr) return {};
  return std::string(reinterpret_cast<const char*>(protocol), length);
}

PYOSSL_DECL std::optional<std::vector<crypto::X509>> Connection::get_peer_cert_chain() const {
  STACK_OF(X509)* chain = SSL_get_peer_cert_chain(ssl());
  if (chain == nullptr || SSL_get0_peer_certificate(ssl()) == nullptr) return std::nullopt;
  return detail::certificates_of(chain);
}

PYOSSL_DECL std::optional<std::vector<crypto::X509>> Connection::get_verified_chain() const {
  STACK_OF(X509)* chain = SSL_get0_verified_chain(ssl());
  if (chain == nullptr) return std::nullopt;
  return detail::certificates_of(chain);
}

PYOSSL_DECL std::optional<crypto::X509> Connection::get_certificate() const {
  ::X509* cert = SSL_get_certificate(ssl());
  if (cert == nullptr) return std::nullopt;
  return detail::certificate_copy(cert);
}

PYOSSL_DECL result<std::string> Connection::export_keying_material(std::string_view label, std::size_t olen,
                                                                   std::optional<std::string_view> context) {
  constexpr std::string_view operation = "SSL_export_keying_material";
  if (olen == 0) return detail::fail(errc::invalid_argument, operation, "ask for at least one byte");
  if (SSL_is_init_finished(ssl()) != 1) {
    return detail::fail(errc::ssl, operation,
                        "the handshake has not finished: there is no key to export yet");
  }
  std::string material(olen, '\0');
  if (SSL_export_keying_material(ssl(), reinterpret_cast<unsigned char*>(material.data()), olen, label.data(),
                                 label.size(),
                                 context ? reinterpret_cast<const unsigned char*>(context->data()) : nullptr,
                                 context ? context->size() : 0, context ? 1 : 0) != 1) {
    return detail::fail(errc::ssl, operation);
  }
  return material;
}

PYOSSL_DECL std::optional<std::string> Connection::get_group_name() const {
  if (SSL_get_session(ssl()) == nullptr) return std::nullopt;
#if OPENSSL_VERSION_NUMBER >= 0x30200000L
  const char* name = SSL_get0_group_name(ssl());
  if (name == nullptr) return std::nullopt;
  return std::string(name);
#else
  return detail::group_name_of(SSL_get_negotiated_group(ssl()));
#endif
}

PYOSSL_DECL result<void> Connection::set_verify(verify_mode mode) {
  if (auto checked = check_verify_mode(mode); !checked) return checked;
  state_->link.verify = nullptr;
  state_->link.own_verify = true;
  SSL_set_verify(ssl(), static_cast<int>(mode), detail::verify_trampoline);
  return {};
}

PYOSSL_DECL verify_mode Connection::get_verify_mode() const noexcept {
  return static_cast<verify_mode>(SSL_get_verify_mode(ssl()));
}

PYOSSL_DECL result<void> Connection::use_certificate(const crypto::X509& cert) {
  constexpr std::string_view operation = "SSL_use_certificate";
  if (cert.native_handle() == nullptr) {
    return detail::fail(errc::invalid_argument, operation, "the certificate is empty");
  }
  if (SSL_use_certificate(ssl(), cert.native_handle()) != 1) return detail::fail(errc::ssl, operation);
  return {};
}

PYOSSL_DECL result<void> Connection::use_privatekey(const crypto::PKey& key) {
  constexpr std::string_view operation = "SSL_use_PrivateKey";
  if (key.empty()) return detail::fail(errc::invalid_argument, operation, "the key is empty");
  const ::X509* cert = SSL_get_certificate(ssl());
  const EVP_PKEY* cert_key = cert != nullptr ? X509_get0_pubkey(cert) : nullptr;
  if (cert_key != nullptr && EVP_PKEY_get_base_id(cert_key) == EVP_PKEY_get_base_id(key.native_handle()) &&
      EVP_PKEY_eq(cert_key, key.native_handle()) != 1) {
    return detail::fail(errc::ssl, operation, "the private key does not match the certificate");
  }
  if (SSL_use_PrivateKey(ssl(), key.native_handle()) != 1) return detail::fail(errc::ssl, operation);
  return {};
}

PYOSSL_DECL result<void> Connection::request_ocsp() {
  constexpr std::string_view operation = "SSL_set_tlsext_status_type";
  if (state_->role == detail::handshake_role::server) {
    return detail::fail(errc::invalid_argument, operation,
                        "this Connection is a server: only a client asks for OCSP stapling (a server "
                        "staples through Context::set_ocsp_server_callback)");
  }
  if (SSL_in_before(ssl()) == 0) {
    return detail::fail(errc::invalid_argument, operation, "ask for OCSP stapling before the handshake");
  }
  if (SSL_set_tlsext_status_type(ssl(), TLSEXT_STATUSTYPE_ocsp) != 1)
    return detail::fail(errc::ssl, operation);
  return {};
}

PYOSSL_DECL result<void> Connection::set_tlsext_host_name(std::string_view name) {
  constexpr std::string_view operation = "SSL_set_tlsext_host_name";
  const bool check = state_->context->check_hostname;
  if (check) {
    if (auto checkable = detail::checkable_host_name(operation, name); !checkable) return checkable;
  }
  name = detail::without_root_dot(name);
  auto c_name = detail::c_string(operation, "name", name);
  if (!c_name) return unexpected(std::move(c_name).error());
  if (check && detail::is_ip_literal(*c_name)) {
    if (auto expected = set_verify_hostname(name); !expected) return expected;
    // Not sent: an address is not SNI. A name set earlier must not be sent either, or the
    // hello would name one host while the certificate is checked for another.
    if (SSL_set_tlsext_host_name(ssl(), nullptr) != 1) return detail::fail(errc::ssl, operation);
    return {};
  }
  if (SSL_set_tlsext_host_name(ssl(), c_name->c_str()) != 1) return detail::fail(errc::ssl, operation);
  if (check) return set_verify_hostname(name);
  return {};
}

PYOSSL_DECL result<void> Connection::set_verify_hostname(std::string_view name) {
  constexpr std::string_view operation = "ssl::Connection::set_verify_hostname";
  if (name.empty()) return detail::fail(errc::invalid_argument, operation, "the host name is empty");
  if (auto checkable = detail::checkable_host_name(operation, name); !checkable) return checkable;
  auto c_name = detail::c_string(operation, "name", detail::without_root_dot(name));
  if (!c_name) return unexpected(std::move(c_name).error());
  X509_VERIFY_PARAM* param = SSL_get0_param(ssl());
  X509_VERIFY_PARAM_set_hostflags(param, detail::hostname_check_flags);
  const bool address = detail::is_ip_literal(*c_name);
  const bool set = address ? X509_VERIFY_PARAM_set1_host(param, nullptr, 0) == 1 &&
                                 X509_VERIFY_PARAM_set1_ip_asc(param, c_name->c_str()) == 1
                           : X509_VERIFY_PARAM_set1_ip(param, nullptr, 0) == 1 &&
                                 X509_VERIFY_PARAM_set1_host(param, c_name->c_str(), 0) == 1;
  if (!set) return detail::fail(errc::ssl, operation);
  state_->link.expected_host = std::move(*c_name);
  state_->link.hostname_missing = false;
  return {};
}

PYOSSL_DECL std::optional<std::string> Connection::get_servername() const {
  const char* name = SSL_get_servername(ssl(), TLSEXT_NAMETYPE_host_name);
  if (name == nullptr) return std::nullopt;
  return std::string(name);
}

PYOSSL_DECL result<void> Connection::set_context(const Context& context) {
  if (SSL_set_SSL_CTX(ssl(), context.ctx()) == nullptr) return detail::fail(errc::ssl, "SSL_set_SSL_CTX");
  context.state_->used.store(true, std::memory_order_release);
  context_ = Context(context.state_);
  state_->link.current = context.state_.get();
  return {};
}

PYOSSL_DECL void Connection::set_app_data(std::any data) { state_->app_data = std::move(data); }

PYOSSL_DECL result<std::pair<Connection, net::Address>> Connection::accept() {
  constexpr std::string_view operation = "ssl::Connection::accept";
  if (!state_->over_socket) return not_socket(operation);
  auto accepted = state_->socket.accept();
  if (!accepted) return unexpected(std::move(accepted).error());
  Connection connection(context_, std::move(accepted->first));
  connection.set_accept_state();
  return std::pair<Connection, net::Address>(std::move(connection), std::move(accepted->second));
}

PYOSSL_DECL result<void> Connection::bind(const net::Address& address) {
  if (!state_->over_socket) return not_socket("ssl::Connection::bind");
  return state_->socket.bind(address);
}

PYOSSL_DECL result<void> Connection::listen(int backlog) {
  if (!state_->over_socket) return not_socket("ssl::Connection::listen");
  return state_->socket.listen(backlog);
}

PYOSSL_DECL result<void> Connection::connect(const net::Address& address) {
  if (!state_->over_socket) return not_socket("ssl::Connection::connect");
  if (state_->role != detail::handshake_role::server) set_connect_state();
  auto connected = state_->socket.connect(address);
  if (connected) note_datagram_peer();
  return connected;
}

PYOSSL_DECL result<int> Connection::connect_ex(const net::Address& address) {
  if (!state_->over_socket) return not_socket("ssl::Connection::connect_ex");
  if (state_->role != detail::handshake_role::server) set_connect_state();
  const int outcome = state_->socket.connect_ex(address);
  if (outcome == 0) note_datagram_peer();
  return outcome;
}

PYOSSL_DECL result<void> Connection::close() {
  if (!state_->over_socket) return not_socket("ssl::Connection::close");
  state_->socket.close();
  return {};
}

PYOSSL_DECL result<int> Connection::fileno() const {
  if (!state_->over_socket) return not_socket("ssl::Connection::fileno");
  return state_->socket.fileno();
}

PYOSSL_DECL result<net::Address> Connection::getpeername() const {
  constexpr std::string_view operation = "ssl::Connection::getpeername";
  if (!state_->over_socket) return not_socket(operation);
  auto connected = state_->socket.getpeername();
  if (connected || !SSL_is_dtls(ssl()) || connected.error().sys_errno() != ENOTCONN) return connected;
  // An unconnected UDP socket: OpenSSL's datagram BIO remembers who sent the last datagram.
  const auto peer = detail::datagram_peer(SSL_get_rbio(ssl()));
  if (!peer) return connected;
  return detail::to_address(operation, peer->first, peer->second);
}

PYOSSL_DECL result<net::Address> Connection::getsockname() const {
  if (!state_->over_socket) return not_socket("ssl::Connection::getsockname");
  return state_->socket.getsockname();
}

PYOSSL_DECL result<int> Connection::getsockopt(int level, int optname) const {
  if (!state_->over_socket) return not_socket("ssl::Connection::getsockopt");
  return state_->socket.getsockopt(level, optname);
}

PYOSSL_DECL result<std::string> Connection::getsockopt(int level, int optname, std::size_t buflen) const {
  if (!state_->over_socket) return not_socket("ssl::Connection::getsockopt");
  return state_->socket.getsockopt(level, optname, buflen);
}

PYOSSL_DECL result<void> Connection::setsockopt(int level, int optname, int value) {
  if (!state_->over_socket) return not_socket("ssl::Connection::setsockopt");
  return state_->socket.setsockopt(level, optname, value);
}

PYOSSL_DECL result<void> Connection::setsockopt(int level, int optname, std::span<const std::byte> value) {
  if (!state_->over_socket) return not_socket("ssl::Connection::setsockopt");
  return state_->socket.setsockopt(level, optname, value);
}

PYOSSL_DECL result<void> Connection::setblocking(bool blocking) {
  if (!state_->over_socket) return not_socket("ssl::Connection::setblocking");
  return state_->socket.setblocking(blocking);
}

PYOSSL_DECL result<void> Connection::sock_shutdown(int how) {
  if (!state_->over_socket) return not_socket("ssl::Connection::sock_shutdown");
  return state_->socket.shutdown(how);
}

PYOSSL_DECL result<void> Connection::DTLSv1_listen() {
  constexpr std::string_view operation = "DTLSv1_listen";
  if (!SSL_is_dtls(ssl())) return not_dtls(operation);
  state_->link.stash.rethrow_pending();
  auto client = detail::adopt(BIO_ADDR_new());
  if (!client) throw std::bad_alloc();
  if (state_->role == detail::handshake_role::client) {
    return detail::fail(errc::invalid_argument, operation,
                        "DTLSv1_listen is for servers, and this Connection is in connect state: call "
                        "set_accept_state");
  }
  state_->link.unusable_cookie.reset();
  // OpenSSL returns 0 after dropping one bad datagram, even with good ones queued behind
  // it. Over memory BIOs, go on while it consumes datagrams (bounded by what the user fed),
  // so that want_read means "nothing acceptable is queued" as documented. A socket needs
  // no loop: poll reports it readable again.
  const detail::datagram_queue* fed =
      state_->into_ssl != nullptr ? detail::queue_of(state_->into_ssl) : nullptr;
  int ret = 0;
  int saved_errno = 0;
  for (;;) {
    const std::size_t queued = fed != nullptr ? fed->datagrams.size() : 0;
    detail::clear_error_queue();
    errno = 0;
    ret = ::DTLSv1_listen(ssl(), client.get());
    saved_errno = errno;
    state_->link.stash.rethrow_pending();
    if (ret != 0 || fed == nullptr || fed->datagrams.empty() || fed->datagrams.size() >= queued) break;
  }
  if (ret > 0) return state_->over_socket ? connect_to_datagram_peer() : result<void>();
  if (ret == 0) {
    // Nothing acceptable yet; what OpenSSL queued about a dropped datagram is not a failure.
    return detail::fail(errc::want_read, operation, "no ClientHello with a valid cookie has arrived yet");
  }
  if (const auto length = std::exchange(state_->link.unusable_cookie, std::nullopt)) {
    return detail::fail(errc::ssl, operation,
                        "the cookie generate callback returned " + std::to_string(*length) +
                            " bytes; a DTLS cookie is 1 to 255 bytes");
  }
  // A socket that failed (closed, an ICMP error) queues nothing: say what the system said.
  if (ERR_peek_error() == 0 && saved_errno != 0) return detail::fail_syscall(operation, saved_errno);
  return detail::fail(
      errc::ssl, operation,
      ERR_peek_error() == 0 ? "reading or answering a datagram failed, and OpenSSL gave no reason" : "");
}

PYOSSL_DECL std::optional<std::chrono::microseconds> Connection::DTLSv1_get_timeout() const noexcept {
  if (!SSL_is_dtls(ssl())) return std::nullopt;
  timeval remaining{};
  if (SSL_ctrl(ssl(), DTLS_CTRL_GET_TIMEOUT, 0, &remaining) != 1) return std::nullopt;
  return std::chrono::seconds(remaining.tv_sec) + std::chrono::microseconds(remaining.tv_usec);
}

PYOSSL_DECL result<bool> Connection::DTLSv1_handle_timeout() {
  constexpr std::string_view operation = "DTLSv1_handle_timeout";
  if (!SSL_is_dtls(ssl())) return not_dtls(operation);
  state_->link.stash.rethrow_pending();
  detail::clear_error_queue();
  errno = 0;
  const long handled = SSL_ctrl(ssl(), DTLS_CTRL_HANDLE_TIMEOUT, 0, nullptr);
  const int saved_errno = errno;
  state_->link.stash.rethrow_pending();
  if (handled >= 0) {
    detail::clear_error_queue();
    return handled > 0;
  }
  // A transport that would block (EAGAIN) is no failure: DTLS dropped the datagram as
  // lost, and the flight goes out again at the next expiry (pyOpenSSL: WantWriteError).
  // (Only a write this call made: SSL_get_error also reads what earlier calls left.)
  if (SSL_get_error(ssl(), static_cast<int>(handled)) == SSL_ERROR_WANT_WRITE &&
      BIO_should_write(SSL_get_wbio(ssl())) != 0) {
    return unexpected<error>(error(errc::want_write, std::string(operation), {},
                                   "the transport would block; the flight is resent at the next expiry"));
  }
  // Either OpenSSL gave up (too many timeouts) or resending the flight failed to write.
  if (ERR_peek_error() == 0 && saved_errno != 0)
    return note_failure(detail::fail_syscall(operation, saved_errno));
  error e = detail::openssl_error(errc::ssl, operation);
  if (detail::queue_has(e.queue(), ERR_LIB_SSL, SSL_R_READ_TIMEOUT_EXPIRED)) {
    e = error(errc::ssl, std::string(operation), e.queue(),
              "the peer has not answered after repeated resends");
  } else if (e.queue().empty()) {
    e = error(errc::ssl, std::string(operation), {},
              "resending the last flight failed, and OpenSSL gave no reason");
  }
  return note_failure(unexpected<error>(std::move(e)));
}

PYOSSL_DECL result<void> Connection::set_ciphertext_mtu(int mtu) {
  constexpr std::string_view operation = "SSL_set_mtu";
  if (!SSL_is_dtls(ssl())) return not_dtls(operation);
  // OpenSSL's dtls1_min_mtu: what the handshake needs, less what the transport adds (IP and
  // UDP headers on a socket; nothing on memory BIOs). SSL_set_mtu checks a laxer bound and
  // lets the handshake fail later, sending nothing; with OP_NO_QUERY_MTU it never recovers.
  const long minimum = DTLS_get_link_min_mtu(ssl()) - BIO_dgram_get_mtu_overhead(SSL_get_wbio(ssl()));
  if (mtu < minimum) {
    return detail::fail(errc::invalid_argument, operation,
                        "an MTU of " + std::to_string(mtu) + " is below " + std::to_string(minimum) +
                            ", the smallest a DTLS handshake can work with on this transport");
  }
  // OpenSSL writes handshake flights through a BIO_f_buffer of 4096 bytes, which flushes a
  // fuller buffer in 4096-byte pieces: each its own datagram, records cut in two, dropped
  // by the peer, resent cut the same way. A flight over 4 KB (a long certificate chain)
  // would never arrive. Both bounds are checked before OpenSSL sees the value, so a refused
  // MTU leaves the one in force unchanged.
  if (mtu > detail::largest_dtls_mtu) {
    return detail::fail(errc::invalid_argument, operation,
                        "an MTU of " + std::to_string(mtu) + " is above " +
                            std::to_string(detail::largest_dtls_mtu) +
                            ": OpenSSL writes DTLS handshake flights through a 4096-byte buffer, which "
                            "would cut larger datagrams mid-record");
  }
  if (SSL_ctrl(ssl(), SSL_CTRL_SET_MTU, mtu, nullptr) <= 0) {
    return detail::fail(errc::invalid_argument, operation,
                        "OpenSSL refused an MTU of " + std::to_string(mtu));
  }
  SSL_set_options(ssl(), SSL_OP_NO_QUERY_MTU);
  return {};
}

PYOSSL_DECL int Connection::get_cleartext_mtu() const noexcept {
  if (!SSL_is_dtls(ssl())) return 0;
  return static_cast<int>(DTLS_get_data_mtu(ssl()));
}

PYOSSL_DECL int Connection::get_state() const noexcept {
  SSL* s = ssl();
  const int role = SSL_is_server(s) == 1 ? ST_ACCEPT : ST_CONNECT;
  if (SSL_in_before(s) == 1) return ST_BEFORE | role;
  if (SSL_is_init_finished(s) == 1) return SSL_renegotiate_pending(s) == 1 ? ST_RENEGOTIATE : ST_OK;
  return role | (static_cast<int>(SSL_get_state(s)) & ST_MASK);
}

PYOSSL_DECL std::string Connection::get_selected_srtp_profile() const {
#ifndef OPENSSL_NO_SRTP
  const SRTP_PROTECTION_PROFILE* profile = SSL_get_selected_srtp_profile(ssl());
  if (profile != nullptr && profile->name != nullptr) return profile->name;
#endif
  return {};
}

PYOSSL_DECL std::unique_ptr<detail::connection_state> Connection::new_state(const Context& context) {
  auto state = std::make_unique<detail::connection_state>();
  state->context = context.state_;
  state->link.context = context.state_.get();
  state->link.current = context.state_.get();
  {
    detail::error_queue_mark mark;  // a failure here is reported as bad_alloc, not queued
    state->ssl = detail::adopt(SSL_new(context.ctx()));
    if (!state->ssl || SSL_set_ex_data(state->ssl.get(), detail::connection_ex_index(), &state->link) != 1) {
      throw std::bad_alloc();
    }
  }
  state->link.hostname_missing = context.state_->check_hostname;
  context.state_->used.store(true, std::memory_order_release);
  return state;
}

PYOSSL_DECL void Connection::attach_socket(net::Socket socket) {
  state_->socket = std::move(socket);
  state_->over_socket = true;
  if (SSL_is_dtls(ssl())) {
    // A UDP socket: OpenSSL's datagram BIO knows the path MTU and the DTLS timers. UDP
    // raises no SIGPIPE. The Connection still owns the descriptor (BIO_NOCLOSE).
    auto bio = detail::adopt(BIO_new_dgram(state_->socket.fileno(), BIO_NOCLOSE));
    if (!bio) throw std::bad_alloc();
    SSL_set_bio(ssl(), bio.get(), bio.get());
    (void)bio.release();
    note_datagram_peer();
    return;
  }
  detail::suppress_sigpipe(state_->socket.fileno());
  auto bio = detail::adopt(BIO_new(detail::socket_bio_method()));
  if (!bio) throw std::bad_alloc();
  BIO_set_data(bio.get(), &state_->socket);
  SSL_set_bio(ssl(), bio.get(), bio.get());  // one reference, for both directions
  (void)bio.release();
}

PYOSSL_DECL void Connection::note_datagram_peer() noexcept {
  if (!state_->over_socket || !SSL_is_dtls(ssl())) return;
  sockaddr_storage peer{};
  socklen_t length = sizeof(peer);
  if (::getpeername(state_->socket.fileno(), reinterpret_cast<sockaddr*>(&peer), &length) != 0) return;
  // BIO_ADDR is a union of the sockaddr kinds; OpenSSL copies it by its family.
  BIO_ctrl(SSL_get_wbio(ssl()), BIO_CTRL_DGRAM_SET_CONNECTED, 0, &peer);
}

PYOSSL_DECL result<void> Connection::connect_to_datagram_peer() {
  constexpr std::string_view operation = "DTLSv1_listen";
  const auto peer = detail::datagram_peer(SSL_get_rbio(ssl()));
  if (!peer)
    return detail::fail(errc::ssl, operation, "OpenSSL's datagram BIO does not know the client's address");
  auto address = detail::to_address(operation, peer->first, peer->second);
  if (!address) return unexpected(std::move(address).error());
  auto connected = state_->socket.connect(*address);
  if (!connected) return connected;
  note_datagram_peer();
  return {};
}

PYOSSL_DECL result<void> Connection::require_hostname(std::string_view operation) {
  if (SSL_is_server(ssl()) != 0) {
    if (SSL_in_before(ssl()) == 0) state_->link.hostname_missing = false;
    return {};
  }
  return detail::fail(errc::invalid_argument, operation,
                      "this Context checks host names (set_check_hostname), and no host name is set: call "
                      "set_tlsext_host_name or set_verify_hostname before the handshake");
}

PYOSSL_DECL result<void> Connection::set_alpn_wire(result<std::string> wire) {
  constexpr std::string_view operation = "SSL_set_alpn_protos";
  if (!wire) return unexpected(std::move(wire).error());
  // OpenSSL's one call that returns 0 for success.
  if (SSL_set_alpn_protos(ssl(), reinterpret_cast<const unsigned char*>(wire->data()),
                          static_cast<unsigned int>(wire->size())) != 0) {
    return detail::fail(errc::ssl, operation);
  }
  return {};
}

PYOSSL_DECL result<void> Connection::check_verify_mode(verify_mode mode) const {
  if (state_->context->check_hostname && (static_cast<int>(mode) & SSL_VERIFY_PEER) == 0) {
    return detail::fail(errc::invalid_argument, "SSL_set_verify",
                        "this Context checks host names (set_check_hostname): the mode must include "
                        "VERIFY_PEER");
  }
  return {};
}

PYOSSL_DECL std::optional<std::string> Connection::finished_message(finished_getter get) const {
  unsigned char buffer[EVP_MAX_MD_SIZE];
  const std::size_t length = get(ssl(), buffer, sizeof(buffer));
  if (length == 0) return std::nullopt;
  return std::string(reinterpret_cast<const char*>(buffer), std::min(length, sizeof(buffer)));
}

PYOSSL_DECL result<std::size_t> Connection::read_into(source from, std::span<std::byte> buffer) {
  return from == source::tls ? recv_into(buffer) : bio_read_into(buffer);
}

PYOSSL_DECL std::size_t Connection::waiting(source from) const noexcept {
  if (from == source::tls) return static_cast<std::size_t>(std::max(pending(), 0));
  return state_->from_ssl != nullptr ? BIO_ctrl_pending(state_->from_ssl) : 0;
}

PYOSSL_DECL result<std::string> Connection::read_string(std::size_t bufsize, source from) {
  constexpr std::size_t stack_size = 16 * 1024;  // TLS's largest record plaintext
  // DTLS's outgoing BIO hands out one whole datagram per read: one larger than the stack
  // buffer is read straight into a string of its size, and reads never continue.
  const bool datagrams = from == source::outgoing_bio && SSL_is_dtls(ssl()) == 1;
  if (datagrams && bufsize > stack_size && waiting(from) > stack_size) {
    std::string datagram(std::min(bufsize, waiting(from)), '\0');
    auto taken = read_into(from, std::as_writable_bytes(std::span(datagram)));
    if (!taken) return unexpected(std::move(taken).error());
    datagram.resize(*taken);
    return datagram;
  }
  std::array<std::byte, stack_size> stack;  // NOLINT: deliberately left uninitialised
  const std::size_t first_size = std::min(bufsize, stack_size);
  auto first = read_into(from, std::span<std::byte>(stack.data(), first_size));
  if (!first) return unexpected(std::move(first).error());
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"  // g++ cannot see OpenSSL fill `stack`
#endif
  std::string data(reinterpret_cast<const char*>(stack.data()), *first);
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
  if (datagrams || *first < first_size || bufsize == *first) return data;
  const std::size_t more = std::min(bufsize - *first, waiting(from));
  if (more == 0) return data;
#if defined(__cpp_lib_string_resize_and_overwrite)
  result<std::size_t> rest = std::size_t{0};
  // libstdc++ 12 hands the callback the new capacity, not the size asked for: read at
  // most `more`, never what the capacity happens to allow.
  data.resize_and_overwrite(*first + more, [&](char* bytes, std::size_t /*capacity*/) {
    rest = read_into(from, std::as_writable_bytes(std::span(bytes + *first, more)));
    return *first + (rest ? *rest : 0);
  });
#else
  data.resize(*first + more);
  auto rest = read_into(from, std::as_writable_bytes(std::span(data)).subspan(*first));
  data.resize(*first + (rest ? *rest : 0));
#endif
  // The first part was read and is gone from OpenSSL: return it, and leave a failure
  // (want_read, say) for the next call to report.
  return data;
}

PYOSSL_DECL unexpected<error> Connection::bio_read_failure(std::size_t buffer_size) const {
  if (BIO_should_retry(state_->from_ssl)) {
    return unexpected<error>(
        detail::static_error(errc::want_read, detail::io_call_text(detail::io_call::bio_read),
                             detail::io_call_text(detail::io_call::nothing_to_bio_read)));
  }
  if (const std::size_t next = BIO_ctrl_pending(state_->from_ssl); next > buffer_size) {
    return datagram_too_large(next, buffer_size);
  }
  return detail::fail(errc::ssl, "BIO_read_ex");
}

PYOSSL_DECL unexpected<error> Connection::datagram_too_large(std::size_t next, std::size_t buffer_size) {
  return detail::fail(errc::invalid_argument, "BIO_read_ex",
                      "the next datagram is " + std::to_string(next) + " bytes and the buffer holds " +
                          std::to_string(buffer_size) + ": nothing was taken, read it with a larger buffer");
}

PYOSSL_DECL unexpected<error> Connection::not_memory(std::string_view operation) {
  return detail::fail(errc::invalid_argument, operation,
                      "this Connection runs over a socket; the bio_* methods are for memory-BIO connections");
}

PYOSSL_DECL unexpected<error> Connection::not_dtls(std::string_view operation) {
  return detail::fail(errc::invalid_argument, operation,
                      "this is a TLS connection; DTLS calls need a DTLS_METHOD Context");
}

PYOSSL_DECL unexpected<error> Connection::not_socket(std::string_view operation) {
  return detail::fail(errc::invalid_argument, operation,
                      "this Connection runs over memory BIOs and has no socket");
}

}  // namespace pyossl::ssl

namespace pyossl {

PYOSSL_DECL std::size_t unwrap(ssl::sendall_result outcome) {
  if (!outcome.has_value()) throw_error(std::move(outcome).error());
  return outcome.sent();
}

}  // namespace pyossl
#endif  // PYOSSL_DEFINITIONS
