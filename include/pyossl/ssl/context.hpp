// pyossl::ssl::Context — pyOpenSSL's SSL.Context (manual 3.3.1): the settings that one or
// more Connections are made with.
//
// Sharing: every Connection made from a Context shares it (its SSL_CTX and its callbacks)
// and keeps it alive; Connection::get_context() returns that shared Context. Once a
// Connection has been made, every method that changes the Context fails with
// errc::invalid_argument, as pyOpenSSL 26 refuses it: configure first, then connect.
// That is what makes one Context safe to share between connections on many threads, and
// why replacing a callback can never pull it from under a running handshake. Reading it
// (get_*) is always fine; set_app_data and the certificate store (get_cert_store) stay
// changeable, and are the caller's to synchronise.
//
// Context is move-only (an SSL_CTX cannot be copied); a moved-from Context may only be
// destroyed or assigned to.
#pragma once

#include <algorithm>
#include <any>
#include <climits>
#include <cstdint>
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

#include <openssl/ec.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "pyossl/crypto/filetype.hpp"
#include "pyossl/crypto/passphrase.hpp"
#include "pyossl/crypto/pkey.hpp"
#include "pyossl/crypto/x509.hpp"
#include "pyossl/crypto/x509_name.hpp"
#include "pyossl/crypto/x509_store.hpp"
#include "pyossl/detail/c_string.hpp"
#include "pyossl/detail/config.hpp"
#include "pyossl/detail/handle.hpp"
#include "pyossl/detail/openssl_error.hpp"
#include "pyossl/detail/optional_text.hpp"
#include "pyossl/error.hpp"
#include "pyossl/ssl/constants.hpp"
#include "pyossl/ssl/detail/alpn.hpp"
#include "pyossl/ssl/detail/cookie_callbacks.hpp"
#include "pyossl/ssl/detail/ssl_state.hpp"
#include "pyossl/ssl/method.hpp"

namespace pyossl::detail {

// Whether `ctx`'s pinned protocol version exists in this OpenSSL at all (at security
// level 0, so only the library's build decides): the ciphers a client hello would offer.
[[nodiscard]] PYOSSL_DECL bool protocol_available(SSL_CTX* ctx);

// How pyossl matches host names against certificates (X509_check_host's flags).
inline constexpr unsigned int hostname_check_flags =
    X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS | X509_CHECK_FLAG_NEVER_CHECK_SUBJECT;

// Whether OpenSSL knows `name` as a TLS 1.3 cipher suite. SSL_CTX_set_ciphersuites skips
// names it does not know, so pyossl asks a scratch context first.
[[nodiscard]] PYOSSL_DECL bool known_tls13_suite(const std::string& name);

// Whether OpenSSL knows `name` as a key-exchange group (SSL_CTX_set1_groups_list on a
// scratch context), to say which name of a refused list is the unknown one.
[[nodiscard]] PYOSSL_DECL bool known_group(const std::string& name);

[[nodiscard]] PYOSSL_DECL result<int> ssl_filetype(std::string_view operation, crypto::filetype type);

}  // namespace pyossl::detail

namespace pyossl::ssl {

class Connection;

class Context {
 public:
  // A new context speaking `m`. Calls SSL_CTX_new (with SSL_CTX_set_min/max_proto_version
  // for the one-version methods). A method this OpenSSL cannot provide (SSLv2 always,
  // SSLv3 unless OpenSSL was built with it) fails with errc::unsupported saying why; it
  // never becomes another protocol. pyOpenSSL: Context(method), which raises instead.
  // Like pyOpenSSL, sets SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER
  // (send may take part of the data; see Connection::send).
  [[nodiscard]] static result<Context> create(method m);

  Context(Context&&) noexcept = default;
  Context& operator=(Context&&) noexcept = default;
  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;
  ~Context() = default;

  // ---- Keys and certificates ----

  // Checks that the private key matches the certificate. Calls SSL_CTX_check_private_key;
  // a mismatch, or no key or certificate yet, is errc::ssl.
  [[nodiscard]] result<void> check_privatekey() const;

  // Uses `cert` as this end's certificate. Calls SSL_CTX_use_certificate; errc::ssl on
  // failure (an empty certificate, a key that is too weak for the security level).
  [[nodiscard]] result<void> use_certificate(const crypto::X509& cert);

  // Adds `cert` to the chain sent after the certificate. Calls SSL_CTX_add_extra_chain_cert
  // (with its own reference to the certificate); errc::ssl on failure.
  [[nodiscard]] result<void> add_extra_chain_cert(const crypto::X509& cert);

  // Loads the certificate and the chain after it from a PEM file. Calls
  // SSL_CTX_use_certificate_chain_file; a missing or malformed file is errc::ssl.
  [[nodiscard]] result<void> use_certificate_chain_file(std::string_view path);

  // Loads the first certificate in a file, PEM or DER. Calls SSL_CTX_use_certificate_file;
  // a missing or malformed file is errc::ssl, a bad file type errc::invalid_argument.
  [[nodiscard]] result<void> use_certificate_file(std::string_view path, filetype type = FILETYPE_PEM);

  // Uses `key` as this end's private key. Calls SSL_CTX_use_PrivateKey; an empty key is
  // errc::invalid_argument, a key OpenSSL refuses errc::ssl.
  [[nodiscard]] result<void> use_privatekey(const crypto::PKey& key);

  // Loads the first private key in a file, PEM or DER; an encrypted key asks the
  // set_passwd_cb callback (with none set, no passphrase is given: pyossl never prompts on
  // the terminal as OpenSSL would). Calls SSL_CTX_use_PrivateKey_file; a missing file, a
  // wrong passphrase or a malformed key is errc::ssl. An exception from the passphrase
  // callback comes out of this call.
  [[nodiscard]] result<void> use_privatekey_file(std::string_view path, filetype type = FILETYPE_PEM);

  // Sets the passphrase callback: `callback(maxlen, verify, userdata)` returns the
  // passphrase as a std::string (bytes; NULs kept); one longer than maxlen fails the call
  // that asked with errc::invalid_argument, as crypto's passphrases do (pyOpenSSL 0.10 cut
  // it to fit, which only made it wrong); an empty string means "none" (errc::ssl). Called
  // by use_privatekey_file and friends, during that call.
  // Any callable, move-only ones included. Calls SSL_CTX_set_default_passwd_cb.
  template <class F>
  requires std::is_invocable_r_v < std::string, std::decay_t<F>
  &, std::size_t, bool,
      const std::any& > [[nodiscard]] result<void> set_passwd_cb(F&& callback, std::any userdata = {}) {
    if (used()) return refuse("ssl::Context::set_passwd_cb");
    state_->passwd = detail::passwd_function(std::forward<F>(callback));
    state_->passwd_userdata = std::move(userdata);
    return {};
  }

  // ---- Verification ----

  // Sets the verify mode and the callback that decides each certificate of the peer's
  // chain: `bool callback(Connection&, crypto::X509& cert, int errnum, int depth, int ok)`,
  // where ok is OpenSSL's own verdict; return true to accept. An exception thrown by it
  // fails the handshake and comes out of the Connection call that was running it.
  // Unlike pyOpenSSL, true cannot accept a certificate that does not match the expected
  // host name or IP address (X509_V_ERR_HOSTNAME_MISMATCH / _IP_ADDRESS_MISMATCH /
  // _EMAIL_MISMATCH): the callback still sees that error, but the handshake fails.
  // Calls SSL_CTX_set_verify. A mode without VERIFY_PEER while set_check_hostname is on is
  // errc::invalid_argument (as Python's ssl refuses CERT_NONE with check_hostname).
  template <class F>
  requires std::is_invocable_r_v<bool, F&, Connection&, crypto::X509&, int, int, int>
  [[nodiscard]] result<void> set_verify(verify_mode mode, F&& callback) {
    if (used()) return refuse("SSL_CTX_set_verify");
    if (auto checked = check_verify_mode(mode); !checked) return checked;
    state_->verify = detail::verify_function(std::forward<F>(callback));
    SSL_CTX_set_verify(ctx(), static_cast<int>(mode), detail::verify_trampoline);
    return {};
  }
  // The same without a callback: OpenSSL's own verdict decides (modern pyOpenSSL's
  // set_verify(mode, None)).
  [[nodiscard]] result<void> set_verify(verify_mode mode);

  // The verify mode set by set_verify. Calls SSL_CTX_get_verify_mode.
  [[nodiscard]] verify_mode get_verify_mode() const noexcept;

  // The longest chain accepted. Calls SSL_CTX_set_verify_depth.
  [[nodiscard]] result<void> set_verify_depth(int depth);
  [[nodiscard]] int get_verify_depth() const noexcept { return SSL_CTX_get_verify_depth(ctx()); }

  // Trusts the CA certificates in `cafile` (PEM) and/or the c_rehash'ed directory
  // `capath`; at least one must be given (both absent is errc::invalid_argument).
  // Calls SSL_CTX_load_verify_locations; an unreadable file is errc::ssl.
  [[nodiscard]] result<void> load_verify_locations(detail::optional_text cafile,
                                                   detail::optional_text capath = {});

  // Trusts the platform's CA certificates (OpenSSL's default file and directory). Calls
  // SSL_CTX_set_default_verify_paths; errc::ssl on failure.
  [[nodiscard]] result<void> set_default_verify_paths();

  // The certificate store this context verifies with; adding to it adds trust here (the
  // store is shared, not copied). Calls SSL_CTX_get_cert_store.
  [[nodiscard]] crypto::X509Store get_cert_store() const;

  // ---- The CA names a server sends when asking for a client certificate ----

  // Replaces them with the subjects of the certificates in a PEM file. Calls
  // SSL_load_client_CA_file and SSL_CTX_set_client_CA_list; an unreadable file or one
  // without certificates is errc::ssl.
  [[nodiscard]] result<void> load_client_ca(std::string_view cafile);

  // Replaces them with `authorities` (copied). Calls SSL_CTX_set_client_CA_list.
  [[nodiscard]] result<void> set_client_ca_list(std::span<const crypto::X509Name> authorities);

  // Adds the subject of `authority` to them. Calls SSL_CTX_add_client_CA; errc::ssl on failure.
  [[nodiscard]] result<void> add_client_ca(const crypto::X509& authority);

  // ---- Protocol settings ----

  // Sets the TLS 1.2-and-below cipher list (OpenSSL's cipher string, see ciphers(1);
  // "@SECLEVEL=n" sets the security level). Calls SSL_CTX_set_cipher_list; a string that
  // matches no cipher is errc::ssl and leaves the list and the security level as they
  // were. TLS 1.3's suites are not affected (OpenSSL sets them apart).
  [[nodiscard]] result<void> set_cipher_list(std::string_view ciphers);

  // Adds SSL options (OP_*); options set before stay set. Returns the options now in
  // force. Calls SSL_CTX_set_options.
  [[nodiscard]] result<options> set_options(options added);
  // Beyond the manual: the options in force. Calls SSL_CTX_get_options.
  [[nodiscard]] options get_options() const noexcept;

  // The context within which a server's sessions may be resumed (binary, at most 32
  // bytes: longer is errc::ssl, as OpenSSL reports it). Calls SSL_CTX_set_session_id_context.
  [[nodiscard]] result<void> set_session_id(std::string_view name);

  // Loads ephemeral Diffie-Hellman parameters (PEM "DH PARAMETERS") from a file. Calls
  // PEM_read_bio_Parameters_ex and SSL_CTX_set0_tmp_dh_pkey (no deprecated DH API); an
  // unreadable file is errc::ssl, a file holding other parameters errc::invalid_argument.
  [[nodiscard]] result<void> load_tmp_dh(std::string_view dhfile);

  // Session timeout in seconds (default 300). Calls SSL_CTX_get_timeout.
  [[nodiscard]] long get_timeout() const noexcept { return SSL_CTX_get_timeout(ctx()); }
  // Sets it; returns the previous timeout, as modern pyOpenSSL does. Calls SSL_CTX_set_timeout.
  [[nodiscard]] result<long> set_timeout(long seconds);

  // Beyond the manual (modern pyOpenSSL): the lowest and highest protocol versions, as
  // OpenSSL's TLS1_2_VERSION, TLS1_3_VERSION, ... (0: no limit). Calls
  // SSL_CTX_set_min_proto_version / SSL_CTX_set_max_proto_version; errc::ssl for a
  // version OpenSSL does not know.
  [[nodiscard]] result<void> set_min_proto_version(int version);
  [[nodiscard]] result<void> set_max_proto_version(int version);

  // The TLS 1.3 cipher suites, in preference order, joined by ':'
  // ("TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256"). Calls SSL_CTX_set_ciphersuites.
  // An empty list or a name OpenSSL does not know (which OpenSSL itself would skip) is
  // errc::invalid_argument and changes nothing. pyOpenSSL 26: set_tls13_ciphersuites.
  [[nodiscard]] result<void> set_tls13_ciphersuites(std::string_view ciphersuites);

  // The key-exchange groups offered or accepted, in preference order ("X25519:P-256").
  // Calls SSL_CTX_set1_groups_list; an empty list or a group OpenSSL does not know is
  // errc::invalid_argument and changes nothing. Python's ssl: set_groups (3.13+).
  [[nodiscard]] result<void> set_groups(std::string_view groups);

  // Uses only the elliptic curve `curve` (an OpenSSL short name such as "prime256v1", or a
  // NIST name such as "P-256") for ECDHE key exchange. Calls SSL_CTX_set1_groups; a curve
  // OpenSSL does not know, or cannot use in TLS, is errc::invalid_argument. pyOpenSSL:
  // set_tmp_ecdh(curve) with a curve object; Python's ssl: set_ecdh_curve(name).
  [[nodiscard]] result<void> set_tmp_ecdh(std::string_view curve);

  // How sessions are cached (SESS_CACHE_*); returns the previous mode. Calls
  // SSL_CTX_set_session_cache_mode. pyOpenSSL: set_session_cache_mode.
  [[nodiscard]] result<long> set_session_cache_mode(long mode);
  // The session cache mode. Calls SSL_CTX_get_session_cache_mode.
  [[nodiscard]] long get_session_cache_mode() const noexcept { return SSL_CTX_get_session_cache_mode(ctx()); }

  // Turns on MODE_* bits; returns the mode now in force. Calls SSL_CTX_set_mode.
  // pyOpenSSL: set_mode.
  [[nodiscard]] result<long> set_mode(long mode);
  // Turns MODE_* bits off; returns the mode now in force. Calls SSL_CTX_clear_mode.
  // Clearing MODE_ENABLE_PARTIAL_WRITE makes send take all or nothing.
  [[nodiscard]] result<long> clear_mode(long mode);

  // ---- Host-name checking and ALPN (beyond the manual) ----

  // On: every client Connection checks that the server's certificate is for the host it
  // expects (Connection::set_verify_hostname, or set_tlsext_host_name), during the
  // handshake; a mismatch fails it with errc::ssl and verification()->code
  // X509_V_ERR_HOSTNAME_MISMATCH (X509_V_ERR_IP_ADDRESS_MISMATCH for an address), and a
  // client with no expected name fails before sending anything (errc::invalid_argument).
  // Turning it on also turns on VERIFY_PEER. Python's ssl: SSLContext.check_hostname.
  [[nodiscard]] result<void> set_check_hostname(bool check);
  // Whether host names are checked (set_check_hostname).
  [[nodiscard]] bool get_check_hostname() const noexcept { return state_->check_hostname; }

  // Client: the application protocols to offer, in preference order ({"h2", "http/1.1"}).
  // Calls SSL_CTX_set_alpn_protos; an empty list, an empty name or one over 255 bytes is
  // errc::invalid_argument. pyOpenSSL: set_alpn_protos.
  [[nodiscard]] result<void> set_alpn_protos(std::initializer_list<std::string_view> protos);
  [[nodiscard]] result<void> set_alpn_protos(const std::vector<std::string>& protos);

  // Server: chooses the protocol from those a client offers:
  // `std::optional<std::string> callback(Connection&, const std::vector<std::string>& offered)`.
  // std::nullopt goes on without ALPN (pyOpenSSL's NO_OVERLAPPING_PROTOCOLS); a name the
  // client did not offer, or an exception, fails the handshake (the exception comes out of
  // the Connection call that ran it). Calls SSL_CTX_set_alpn_select_cb.
  template <class F>
  requires std::is_invocable_r_v<std::optional<std::string>, F&, Connection&,
                                 const std::vector<std::string>&> [[nodiscard]] result<void>
  set_alpn_select_callback(F&& callback) {
    if (used()) return refuse("SSL_CTX_set_alpn_select_cb");
    state_->alpn_select = detail::alpn_select_function(std::forward<F>(callback));
    SSL_CTX_set_alpn_select_cb(ctx(), detail::alpn_select_trampoline, nullptr);
    return {};
  }

  // ---- Key logging and OCSP stapling (beyond the manual) ----

  // Called with each NSS key-log line, without its newline (TLS 1.2: CLIENT_RANDOM; TLS 1.3:
  // the handshake and traffic secrets), what Wireshark reads from SSLKEYLOGFILE:
  // `void callback(Connection&, std::string_view line)`. An exception comes out of the
  // Connection call that ran it. Calls SSL_CTX_set_keylog_callback. pyOpenSSL:
  // set_keylog_callback.
  template <class F>
  requires std::is_invocable_v<F&, Connection&, std::string_view>
  [[nodiscard]] result<void> set_keylog_callback(F&& callback) {
    if (used()) return refuse("SSL_CTX_set_keylog_callback");
    state_->keylog = detail::keylog_function(std::forward<F>(callback));
    SSL_CTX_set_keylog_callback(ctx(), detail::keylog_trampoline);
    return {};
  }

  // Server: `std::string callback(Connection&)` returns the DER OCSP response to staple
  // (empty: none), called only when the client asked (Connection::request_ocsp). An
  // exception fails the handshake and comes out of the Connection call that ran it. Calls
  // SSL_CTX_set_tlsext_status_cb. pyOpenSSL: set_ocsp_server_callback.
  template <class F>
  requires std::is_invocable_r_v<std::string, F&, Connection&>
  [[nodiscard]] result<void> set_ocsp_server_callback(F&& callback) {
    if (used()) return refuse("SSL_CTX_set_tlsext_status_cb");
    state_->ocsp_server = detail::ocsp_server_function(std::forward<F>(callback));
    SSL_CTX_set_tlsext_status_cb(ctx(), detail::ocsp_trampoline);
    return {};
  }

  // Client: `bool callback(Connection&, std::string_view response)` judges the stapled DER
  // OCSP response (empty when the server stapled none); false, or an exception, fails the
  // handshake. Called only after Connection::request_ocsp. Calls
  // SSL_CTX_set_tlsext_status_cb. pyOpenSSL: set_ocsp_client_callback.
  template <class F>
  requires std::is_invocable_r_v<bool, F&, Connection&, std::string_view>
  [[nodiscard]] result<void> set_ocsp_client_callback(F&& callback) {
    if (used()) return refuse("SSL_CTX_set_tlsext_status_cb");
    state_->ocsp_client = detail::ocsp_client_function(std::forward<F>(callback));
    SSL_CTX_set_tlsext_status_cb(ctx(), detail::ocsp_trampoline);
    return {};
  }

  // ---- Callbacks and application data ----

  // Sets the callback called as handshakes progress: `void callback(Connection&, int where,
  // int ret)`, with where a combination of CB_* (OpenSSL's SSL_CB_*). An exception thrown
  // by it comes out of the Connection call that was running (whose own outcome is then
  // lost). Any callable. Calls SSL_CTX_set_info_callback.
  template <class F>
  requires std::is_invocable_v<F&, Connection&, int, int>
  [[nodiscard]] result<void> set_info_callback(F&& callback) {
    if (used()) return refuse("SSL_CTX_set_info_callback");
    state_->info = detail::info_function(std::forward<F>(callback));
    SSL_CTX_set_info_callback(ctx(), detail::info_trampoline);
    return {};
  }

  // Beyond the manual (modern pyOpenSSL): a server's callback, called when a client's
  // hello names a server (SNI): `void callback(Connection&)`; read the name with
  // Connection::get_servername and switch certificates with Connection::set_context. An
  // exception fails the handshake and comes out of the Connection call that was running.
  // Calls SSL_CTX_set_tlsext_servername_callback.
  template <class F>
  requires std::is_invocable_v<F&, Connection&>
  [[nodiscard]] result<void> set_tlsext_servername_callback(F&& callback) {
    if (used()) return refuse("SSL_CTX_set_tlsext_servername_callback");
    state_->servername = detail::servername_function(std::forward<F>(callback));
    SSL_CTX_set_tlsext_servername_callback(ctx(), detail::servername_trampoline);
    return {};
  }

  // ---- DTLS cookies (pyOpenSSL 26) ----

  // A DTLS server's cookie maker: `std::string callback(Connection&)` returns the cookie
  // (at most 255 bytes) that Connection::DTLSv1_listen sends in a HelloVerifyRequest; make
  // it from the client's address and a secret so that only this server can have made it.
  // A longer cookie fails DTLSv1_listen (errc::ssl, saying so); an exception comes out of
  // the Connection call that was running. Calls SSL_CTX_set_cookie_generate_cb.
  template <class F>
  requires std::is_invocable_r_v<std::string, F&, Connection&>
  [[nodiscard]] result<void> set_cookie_generate_callback(F&& callback) {
    if (used()) return refuse("SSL_CTX_set_cookie_generate_cb");
    state_->cookie_generate = detail::cookie_generate_function(std::forward<F>(callback));
    SSL_CTX_set_cookie_generate_cb(ctx(), detail::cookie_generate_trampoline);
    return {};
  }

  // A DTLS server's cookie checker: `bool callback(Connection&, std::string_view cookie)`
  // says whether a ClientHello's cookie is one the generate callback made. A refused cookie
  // is answered with a new HelloVerifyRequest, as RFC 6347 says. Calls
  // SSL_CTX_set_cookie_verify_cb.
  template <class F>
  requires std::is_invocable_r_v<bool, F&, Connection&, std::string_view>
  [[nodiscard]] result<void> set_cookie_verify_callback(F&& callback) {
    if (used()) return refuse("SSL_CTX_set_cookie_verify_cb");
    state_->cookie_verify = detail::cookie_verify_function(std::forward<F>(callback));
    SSL_CTX_set_cookie_verify_cb(ctx(), detail::cookie_verify_trampoline);
    return {};
  }

  // Any value, kept with the context (shared by the Connections made from it).
  [[nodiscard]] std::any& get_app_data() noexcept { return state_->app_data; }
  [[nodiscard]] const std::any& get_app_data() const noexcept { return state_->app_data; }
  void set_app_data(std::any data);

  // ---- pyOpenSSL 26 additions: SRTP ----

  // The SRTP protection profiles a DTLS Context offers (client) or accepts (server) for
  // DTLS-SRTP (RFC 5764), colon-separated in order of preference:
  // "SRTP_AES128_CM_SHA1_80:SRTP_AEAD_AES_128_GCM". Read the choice with
  // Connection::get_selected_srtp_profile. Calls SSL_CTX_set_tlsext_use_srtp. A TLS
  // Context: errc::unsupported (OpenSSL's TLS servers abort any handshake whose hello
  // carries use_srtp); an unknown profile or an empty list: errc::ssl (pyOpenSSL's
  // SSL.Error); a NUL byte: errc::invalid_argument.
  [[nodiscard]] result<void> set_tlsext_use_srtp(std::string_view profiles);

  // The SSL_CTX, for calls pyossl does not wrap. Changing it once Connections exist is
  // the caller's risk.
  [[nodiscard]] SSL_CTX* native_handle() const noexcept { return ctx(); }

 private:
  friend class Connection;

  explicit Context(std::shared_ptr<detail::context_state> state) noexcept : state_(std::move(state)) {}

  [[nodiscard]] SSL_CTX* ctx() const noexcept { return state_->ctx.get(); }
  [[nodiscard]] bool used() const noexcept;

  [[nodiscard]] static unexpected<error> refuse(std::string_view operation);

  [[nodiscard]] result<void> check_verify_mode(verify_mode mode) const;

  [[nodiscard]] result<void> set_alpn_wire(result<std::string> wire);

  // use_certificate_file and use_privatekey_file: checks the path and type, then runs
  // `load(ctx, path, SSL_FILETYPE_...)` (which may ask for a passphrase).
  using typed_file_loader = int (*)(SSL_CTX*, const char*, int);
  [[nodiscard]] result<void> use_typed_file(std::string_view operation, std::string_view path, filetype type,
                                            typed_file_loader load);

  // Runs one call that may ask for a passphrase, with this call's stash for what the
  // callback throws; `call` returns OpenSSL's 1 for success.
  template <class Call>
  [[nodiscard]] result<void> with_passphrase(std::string_view operation, Call&& call) {
    detail::passphrase_source ask;
    if (state_->passwd) {
      ask = detail::passphrase_source([state = state_.get()](std::size_t maxlen, bool writing) {
        return state->passwd(maxlen, writing, state->passwd_userdata);
      });
    }
    detail::passphrase_request request(ask, false);
    SSL_CTX_set_default_passwd_cb_userdata(ctx(), &request);
    const int outcome = std::forward<Call>(call)();
    SSL_CTX_set_default_passwd_cb_userdata(ctx(), nullptr);
    request.rethrow_pending();
    if (outcome != 1) return request.failure(operation, errc::ssl);
    return {};
  }

  // The names in the current TLS 1.2-and-below cipher list, joined by ':'.
  [[nodiscard]] std::string tls12_cipher_names() const;

  std::shared_ptr<detail::context_state> state_;
};

}  // namespace pyossl::ssl

// Definitions: inline, or compiled once in the compiled mode (pyossl/detail/config.hpp).
#if PYOSSL_DEFINITIONS

namespace pyossl::detail {

PYOSSL_DECL bool protocol_available(SSL_CTX* ctx) {
  error_queue_mark mark;  // the probe's own complaints are not the caller's business
  handle<SSL> probe = adopt(SSL_new(ctx));
  if (!probe) throw std::bad_alloc();
  SSL_set_security_level(probe.get(), 0);
  SSL_set_connect_state(probe.get());
  handle<STACK_OF(SSL_CIPHER)> ciphers = adopt(SSL_get1_supported_ciphers(probe.get()));
  return ciphers && sk_SSL_CIPHER_num(ciphers.get()) > 0;
}

PYOSSL_DECL bool known_group(const std::string& name) {
  error_queue_mark mark;
  handle<SSL_CTX> probe = adopt(SSL_CTX_new(TLS_method()));
  if (!probe) throw std::bad_alloc();
  return SSL_CTX_set1_groups_list(probe.get(), name.c_str()) == 1;
}

PYOSSL_DECL bool known_tls13_suite(const std::string& name) {
  error_queue_mark mark;
  handle<SSL_CTX> probe = adopt(SSL_CTX_new(TLS_method()));
  if (!probe) throw std::bad_alloc();
  if (SSL_CTX_set_ciphersuites(probe.get(), name.c_str()) != 1) return false;
  STACK_OF(SSL_CIPHER)* ciphers = SSL_CTX_get_ciphers(probe.get());
  for (int i = 0; ciphers != nullptr && i < sk_SSL_CIPHER_num(ciphers); ++i) {
    if (SSL_CIPHER_get_name(sk_SSL_CIPHER_value(ciphers, i)) == name) return true;
  }
  return false;
}

PYOSSL_DECL result<int> ssl_filetype(std::string_view operation, crypto::filetype type) {
  switch (type) {
    case crypto::filetype::pem:
      return SSL_FILETYPE_PEM;
    case crypto::filetype::asn1:
      return SSL_FILETYPE_ASN1;
    case crypto::filetype::text:  // output only
      break;
  }
  auto refused = check_filetype(operation, type);  // fails for anything but PEM and ASN1, saying why
  return unexpected(std::move(refused).error());
}

}  // namespace pyossl::detail

namespace pyossl::ssl {

PYOSSL_DECL result<Context> Context::create(method m) {
  constexpr std::string_view operation = "ssl::Context::create";
  const detail::method_spec spec = detail::spec_of(m);
  if (spec.version < 0) return detail::fail(errc::invalid_argument, operation, "no such method");
  if (spec.make == nullptr) {
    return detail::fail(errc::unsupported, operation,
                        "SSLv2_METHOD is not available: OpenSSL removed SSLv2 in 1.1.0 (use TLS_METHOD)");
  }
  auto state = std::make_shared<detail::context_state>();
  state->ctx = detail::adopt(SSL_CTX_new(spec.make()));
  if (!state->ctx) return detail::fail(errc::ssl, "SSL_CTX_new");
  SSL_CTX* ctx = state->ctx.get();
  if (spec.version != 0) {
    if (SSL_CTX_set_min_proto_version(ctx, spec.version) != 1 ||
        SSL_CTX_set_max_proto_version(ctx, spec.version) != 1 || !detail::protocol_available(ctx)) {
      return detail::fail(errc::unsupported, operation,
                          std::string(spec.name) + " is not available: this OpenSSL was built without it");
    }
  }
  SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, detail::verify_trampoline);
  // Host-name checks (set_check_hostname, Connection::set_verify_hostname) as browsers and
  // Python's ssl do them: no partial wildcards ("f*.example"), and no fallback to the
  // subject's common name when the certificate has no subjectAltName.
  X509_VERIFY_PARAM_set_hostflags(SSL_CTX_get0_param(ctx), detail::hostname_check_flags);
  SSL_CTX_set_default_passwd_cb(ctx, detail::passphrase_callback);
  SSL_CTX_set_default_passwd_cb_userdata(ctx, nullptr);
  return Context(std::move(state));
}

PYOSSL_DECL result<void> Context::check_privatekey() const {
  if (SSL_CTX_check_private_key(ctx()) != 1) return detail::fail(errc::ssl, "SSL_CTX_check_private_key");
  return {};
}

PYOSSL_DECL result<void> Context::use_certificate(const crypto::X509& cert) {
  constexpr std::string_view operation = "SSL_CTX_use_certificate";
  if (used()) return refuse(operation);
  if (SSL_CTX_use_certificate(ctx(), cert.native_handle()) != 1) return detail::fail(errc::ssl, operation);
  return {};
}

PYOSSL_DECL result<void> Context::add_extra_chain_cert(const crypto::X509& cert) {
  constexpr std::string_view operation = "SSL_CTX_add_extra_chain_cert";
  if (used()) return refuse(operation);
  detail::handle<::X509> reference = detail::up_ref(cert.native_handle());
  if (!reference) return detail::fail(errc::invalid_argument, operation, "the certificate is empty");
  if (SSL_CTX_add_extra_chain_cert(ctx(), reference.get()) != 1) return detail::fail(errc::ssl, operation);
  (void)reference.release();  // the context owns it now
  return {};
}

PYOSSL_DECL result<void> Context::use_certificate_chain_file(std::string_view path) {
  constexpr std::string_view operation = "SSL_CTX_use_certificate_chain_file";
  if (used()) return refuse(operation);
  auto c_path = detail::c_string(operation, "path", path);
  if (!c_path) return unexpected(std::move(c_path).error());
  return with_passphrase(operation,
                         [&] { return SSL_CTX_use_certificate_chain_file(ctx(), c_path->c_str()); });
}

PYOSSL_DECL result<void> Context::use_certificate_file(std::string_view path, filetype type) {
  return use_typed_file("SSL_CTX_use_certificate_file", path, type, SSL_CTX_use_certificate_file);
}

PYOSSL_DECL result<void> Context::use_privatekey(const crypto::PKey& key) {
  constexpr std::string_view operation = "SSL_CTX_use_PrivateKey";
  if (used()) return refuse(operation);
  if (key.empty()) return detail::fail(errc::invalid_argument, operation, "the key is empty");
  if (SSL_CTX_use_PrivateKey(ctx(), key.native_handle()) != 1) return detail::fail(errc::ssl, operation);
  return {};
}

PYOSSL_DECL result<void> Context::use_privatekey_file(std::string_view path, filetype type) {
  return use_typed_file("SSL_CTX_use_PrivateKey_file", path, type, SSL_CTX_use_PrivateKey_file);
}

PYOSSL_DECL result<void> Context::use_typed_file(std::string_view operation, std::string_view path,
                                                 filetype type, typed_file_loader load) {
  if (used()) return refuse(operation);
  auto c_path = detail::c_string(operation, "path", path);
  if (!c_path) return unexpected(std::move(c_path).error());
  auto ssl_type = detail::ssl_filetype(operation, type);
  if (!ssl_type) return unexpected(std::move(ssl_type).error());
  return with_passphrase(operation, [&] { return load(ctx(), c_path->c_str(), *ssl_type); });
}

PYOSSL_DECL result<void> Context::set_verify(verify_mode mode) {
  if (used()) return refuse("SSL_CTX_set_verify");
  if (auto checked = check_verify_mode(mode); !checked) return checked;
  state_->verify = nullptr;
  SSL_CTX_set_verify(ctx(), static_cast<int>(mode), detail::verify_trampoline);
  return {};
}

PYOSSL_DECL verify_mode Context::get_verify_mode() const noexcept {
  return static_cast<verify_mode>(SSL_CTX_get_verify_mode(ctx()));
}

PYOSSL_DECL result<void> Context::set_verify_depth(int depth) {
  if (used()) return refuse("SSL_CTX_set_verify_depth");
  SSL_CTX_set_verify_depth(ctx(), depth);
  return {};
}

PYOSSL_DECL result<void> Context::load_verify_locations(detail::optional_text cafile,
                                                        detail::optional_text capath) {
  constexpr std::string_view operation = "SSL_CTX_load_verify_locations";
  if (used()) return refuse(operation);
  if (!cafile && !capath) {
    return detail::fail(errc::invalid_argument, operation, "give a CA file, a CA directory, or both");
  }
  std::optional<std::string> c_file;
  std::optional<std::string> c_path;
  if (cafile) {
    auto checked = detail::c_string(operation, "cafile", *cafile);
    if (!checked) return unexpected(std::move(checked).error());
    c_file = std::move(*checked);
  }
  if (capath) {
    auto checked = detail::c_string(operation, "capath", *capath);
    if (!checked) return unexpected(std::move(checked).error());
    c_path = std::move(*checked);
  }
  if (SSL_CTX_load_verify_locations(ctx(), c_file ? c_file->c_str() : nullptr,
                                    c_path ? c_path->c_str() : nullptr) != 1) {
    return detail::fail(errc::ssl, operation);
  }
  return {};
}

PYOSSL_DECL result<void> Context::set_default_verify_paths() {
  constexpr std::string_view operation = "SSL_CTX_set_default_verify_paths";
  if (used()) return refuse(operation);
  if (SSL_CTX_set_default_verify_paths(ctx()) != 1) return detail::fail(errc::ssl, operation);
  return {};
}

PYOSSL_DECL crypto::X509Store Context::get_cert_store() const {
  return crypto::X509Store(detail::up_ref(SSL_CTX_get_cert_store(ctx())));
}

PYOSSL_DECL result<void> Context::load_client_ca(std::string_view cafile) {
  constexpr std::string_view operation = "SSL_load_client_CA_file";
  if (used()) return refuse(operation);
  auto c_path = detail::c_string(operation, "cafile", cafile);
  if (!c_path) return unexpected(std::move(c_path).error());
  auto names = detail::adopt(SSL_load_client_CA_file(c_path->c_str()));
  if (!names) {
    return detail::fail(errc::ssl, operation,
                        ERR_peek_error() == 0 ? "no CA certificates could be read from " + *c_path : "");
  }
  SSL_CTX_set_client_CA_list(ctx(), names.release());
  return {};
}

PYOSSL_DECL result<void> Context::set_client_ca_list(std::span<const crypto::X509Name> authorities) {
  constexpr std::string_view operation = "SSL_CTX_set_client_CA_list";
  if (used()) return refuse(operation);
  auto names = detail::adopt(sk_X509_NAME_new_null());
  if (!names) throw std::bad_alloc();
  for (const crypto::X509Name& authority : authorities) {
    auto copy = detail::duplicate_name(authority.native_handle());
    if (!copy) return detail::fail(errc::invalid_argument, operation, "an X509Name was moved from");
    if (sk_X509_NAME_push(names.get(), copy.get()) <= 0) throw std::bad_alloc();
    (void)copy.release();
  }
  SSL_CTX_set_client_CA_list(ctx(), names.release());
  return {};
}

PYOSSL_DECL result<void> Context::add_client_ca(const crypto::X509& authority) {
  constexpr std::string_view operation = "SSL_CTX_add_client_CA";
  if (used()) return refuse(operation);
  if (authority.native_handle() == nullptr) {
    return detail::fail(errc::invalid_argument, operation, "the X509 was moved from");
  }
  if (SSL_CTX_add_client_CA(ctx(), authority.native_handle()) != 1) return detail::fail(errc::ssl, operation);
  return {};
}

PYOSSL_DECL result<void> Context::set_cipher_list(std::string_view ciphers) {
  constexpr std::string_view operation = "SSL_CTX_set_cipher_list";
  if (used()) return refuse(operation);
  auto c_ciphers = detail::c_string(operation, "cipher list", ciphers);
  if (!c_ciphers) return unexpected(std::move(c_ciphers).error());
  const std::string previous = tls12_cipher_names();
  const int previous_security_level = SSL_CTX_get_security_level(ctx());
  if (SSL_CTX_set_cipher_list(ctx(), c_ciphers->c_str()) != 1) {
    auto failure = detail::fail(errc::ssl, operation);
    // OpenSSL may have applied "@SECLEVEL=n" and replaced the list: put both back.
    const detail::error_queue_mark mark;
    SSL_CTX_set_security_level(ctx(), previous_security_level);
    if (!previous.empty()) (void)SSL_CTX_set_cipher_list(ctx(), previous.c_str());
    return failure;
  }
  return {};
}

PYOSSL_DECL result<options> Context::set_options(options added) {
  if (used()) return refuse("SSL_CTX_set_options");
  return static_cast<options>(SSL_CTX_set_options(ctx(), static_cast<std::uint64_t>(added)));
}

PYOSSL_DECL options Context::get_options() const noexcept {
  return static_cast<options>(SSL_CTX_get_options(ctx()));
}

PYOSSL_DECL result<void> Context::set_session_id(std::string_view name) {
  constexpr std::string_view operation = "SSL_CTX_set_session_id_context";
  if (used()) return refuse(operation);
  if (SSL_CTX_set_session_id_context(
          ctx(), reinterpret_cast<const unsigned char*>(name.data()),
          static_cast<unsigned int>(std::min<std::size_t>(name.size(), UINT_MAX))) != 1) {
    return detail::fail(errc::ssl, operation);
  }
  return {};
}

PYOSSL_DECL result<void> Context::load_tmp_dh(std::string_view dhfile) {
  constexpr std::string_view operation = "ssl::Context::load_tmp_dh";
  if (used()) return refuse(operation);
  auto c_path = detail::c_string(operation, "dhfile", dhfile);
  if (!c_path) return unexpected(std::move(c_path).error());
  auto bio = detail::adopt(BIO_new_file(c_path->c_str(), "r"));
  if (!bio)
    return detail::fail(errc::ssl, "BIO_new_file", ERR_peek_error() == 0 ? "cannot open " + *c_path : "");
  auto parameters = detail::adopt(PEM_read_bio_Parameters_ex(bio.get(), nullptr, nullptr, nullptr));
  if (!parameters)
    return detail::fail(errc::ssl, "PEM_read_bio_Parameters_ex", "no parameters in " + *c_path);
  if (EVP_PKEY_is_a(parameters.get(), "DH") != 1 && EVP_PKEY_is_a(parameters.get(), "DHX") != 1) {
    return detail::fail(errc::invalid_argument, operation, *c_path + " holds no Diffie-Hellman parameters");
  }
  if (SSL_CTX_set0_tmp_dh_pkey(ctx(), parameters.get()) != 1) {
    return detail::fail(errc::ssl, "SSL_CTX_set0_tmp_dh_pkey");
  }
  (void)parameters.release();  // the context owns them now
  return {};
}

PYOSSL_DECL result<long> Context::set_timeout(long seconds) {
  if (used()) return refuse("SSL_CTX_set_timeout");
  return SSL_CTX_set_timeout(ctx(), seconds);
}

PYOSSL_DECL result<void> Context::set_min_proto_version(int version) {
  constexpr std::string_view operation = "SSL_CTX_set_min_proto_version";
  if (used()) return refuse(operation);
  if (SSL_CTX_set_min_proto_version(ctx(), version) != 1) {
    return detail::fail(errc::ssl, operation, "not a protocol version this OpenSSL knows");
  }
  return {};
}

PYOSSL_DECL result<void> Context::set_max_proto_version(int version) {
  constexpr std::string_view operation = "SSL_CTX_set_max_proto_version";
  if (used()) return refuse(operation);
  if (SSL_CTX_set_max_proto_version(ctx(), version) != 1) {
    return detail::fail(errc::ssl, operation, "not a protocol version this OpenSSL knows");
  }
  return {};
}

PYOSSL_DECL result<void> Context::set_tls13_ciphersuites(std::string_view ciphersuites) {
  constexpr std::string_view operation = "SSL_CTX_set_ciphersuites";
  if (used()) return refuse(operation);
  auto c_suites = detail::c_string(operation, "cipher suites", ciphersuites);
  if (!c_suites) return unexpected(std::move(c_suites).error());
  if (ciphersuites.empty()) {
    return detail::fail(errc::invalid_argument, operation,
                        "give at least one TLS 1.3 cipher suite (to turn TLS 1.3 off, use "
                        "set_max_proto_version(TLS1_2_VERSION))");
  }
  for (std::size_t start = 0; start <= ciphersuites.size();) {
    const std::size_t end = std::min(ciphersuites.find(':', start), ciphersuites.size());
    const std::string name(ciphersuites.substr(start, end - start));
    if (!detail::known_tls13_suite(name)) {
      return detail::fail(errc::invalid_argument, operation,
                          "\"" + name + "\" is not a TLS 1.3 cipher suite this OpenSSL knows");
    }
    start = end + 1;
  }
  if (SSL_CTX_set_ciphersuites(ctx(), c_suites->c_str()) != 1) return detail::fail(errc::ssl, operation);
  return {};
}

PYOSSL_DECL result<void> Context::set_groups(std::string_view groups) {
  constexpr std::string_view operation = "SSL_CTX_set1_groups_list";
  if (used()) return refuse(operation);
  auto c_groups = detail::c_string(operation, "groups", groups);
  if (!c_groups) return unexpected(std::move(c_groups).error());
  if (groups.empty()) return detail::fail(errc::invalid_argument, operation, "give at least one group");
  if (SSL_CTX_set1_groups_list(ctx(), c_groups->c_str()) != 1) {
    for (std::size_t start = 0; start <= groups.size();) {
      const std::size_t end = std::min(groups.find(':', start), groups.size());
      const std::string name(groups.substr(start, end - start));
      if (!detail::known_group(name)) {
        return detail::fail(errc::invalid_argument, operation,
                            "\"" + name + "\" (in \"" + *c_groups + "\") is not a group this OpenSSL knows");
      }
      start = end + 1;
    }
    return detail::fail(errc::invalid_argument, operation,
                        "OpenSSL refuses the group list \"" + *c_groups + "\"");
  }
  return {};
}

PYOSSL_DECL result<void> Context::set_tmp_ecdh(std::string_view curve) {
  constexpr std::string_view operation = "SSL_CTX_set1_groups";
  if (used()) return refuse(operation);
  auto c_curve = detail::c_string(operation, "curve", curve);
  if (!c_curve) return unexpected(std::move(c_curve).error());
  int nid = OBJ_sn2nid(c_curve->c_str());
  if (nid == NID_undef) nid = EC_curve_nist2nid(c_curve->c_str());
  if (nid == NID_undef) {
    return detail::fail(errc::invalid_argument, operation, "unknown elliptic curve \"" + *c_curve + "\"");
  }
  if (SSL_CTX_set1_groups(ctx(), &nid, 1) != 1) {
    return detail::fail(errc::invalid_argument, operation,
                        "\"" + *c_curve + "\" is not a curve TLS key exchange can use");
  }
  return {};
}

PYOSSL_DECL result<long> Context::set_session_cache_mode(long mode) {
  if (used()) return refuse("SSL_CTX_set_session_cache_mode");
  return SSL_CTX_set_session_cache_mode(ctx(), mode);
}

PYOSSL_DECL result<long> Context::set_mode(long mode) {
  if (used()) return refuse("SSL_CTX_set_mode");
  return static_cast<long>(SSL_CTX_set_mode(ctx(), mode));
}

PYOSSL_DECL result<long> Context::clear_mode(long mode) {
  if (used()) return refuse("SSL_CTX_clear_mode");
  return static_cast<long>(SSL_CTX_clear_mode(ctx(), mode));
}

PYOSSL_DECL result<void> Context::set_check_hostname(bool check) {
  if (used()) return refuse("ssl::Context::set_check_hostname");
  state_->check_hostname = check;
  if (check) {
    SSL_CTX_set_verify(ctx(), SSL_CTX_get_verify_mode(ctx()) | SSL_VERIFY_PEER, detail::verify_trampoline);
  }
  return {};
}

PYOSSL_DECL result<void> Context::set_alpn_protos(std::initializer_list<std::string_view> protos) {
  return set_alpn_wire(detail::alpn_wire("SSL_CTX_set_alpn_protos", protos));
}

PYOSSL_DECL result<void> Context::set_alpn_protos(const std::vector<std::string>& protos) {
  return set_alpn_wire(detail::alpn_wire("SSL_CTX_set_alpn_protos", protos));
}

PYOSSL_DECL void Context::set_app_data(std::any data) { state_->app_data = std::move(data); }

PYOSSL_DECL result<void> Context::set_tlsext_use_srtp(std::string_view profiles) {
  constexpr std::string_view operation = "SSL_CTX_set_tlsext_use_srtp";
  if (used()) return refuse(operation);
  auto list = detail::c_string(operation, "profiles", profiles);
  if (!list) return unexpected(std::move(list).error());
#ifndef OPENSSL_NO_SRTP
  const SSL_METHOD* protocol = SSL_CTX_get_ssl_method(ctx());
  if (protocol != DTLS_method() && protocol != DTLS_client_method() && protocol != DTLS_server_method()) {
    return detail::fail(
        errc::unsupported, operation,
        "SRTP is negotiated only in DTLS: OpenSSL's TLS servers refuse a hello that offers it");
  }
  if (list->empty()) return detail::fail(errc::ssl, operation, "the profile list is empty");
  // 0 is success here, unlike almost every other OpenSSL call.
  if (SSL_CTX_set_tlsext_use_srtp(ctx(), list->c_str()) != 0) return detail::fail(errc::ssl, operation);
  return {};
#else
  return detail::fail(errc::unsupported, operation, "this OpenSSL was built without SRTP");
#endif
}

PYOSSL_DECL bool Context::used() const noexcept { return state_->used.load(std::memory_order_acquire); }

PYOSSL_DECL unexpected<error> Context::refuse(std::string_view operation) {
  return detail::fail(errc::invalid_argument, operation,
                      "this Context has already been used to create a Connection and can no longer be "
                      "changed: configure it before making connections");
}

PYOSSL_DECL result<void> Context::check_verify_mode(verify_mode mode) const {
  if (state_->check_hostname && (static_cast<int>(mode) & SSL_VERIFY_PEER) == 0) {
    return detail::fail(errc::invalid_argument, "SSL_CTX_set_verify",
                        "host names are checked (set_check_hostname(true)): the mode must include "
                        "VERIFY_PEER; turn set_check_hostname off first");
  }
  return {};
}

PYOSSL_DECL result<void> Context::set_alpn_wire(result<std::string> wire) {
  constexpr std::string_view operation = "SSL_CTX_set_alpn_protos";
  if (!wire) return unexpected(std::move(wire).error());
  if (used()) return refuse(operation);
  // OpenSSL's one call that returns 0 for success.
  if (SSL_CTX_set_alpn_protos(ctx(), reinterpret_cast<const unsigned char*>(wire->data()),
                              static_cast<unsigned int>(wire->size())) != 0) {
    return detail::fail(errc::ssl, operation);
  }
  return {};
}

PYOSSL_DECL std::string Context::tls12_cipher_names() const {
  std::string names;
  STACK_OF(SSL_CIPHER)* ciphers = SSL_CTX_get_ciphers(ctx());
  for (int i = 0; ciphers != nullptr && i < sk_SSL_CIPHER_num(ciphers); ++i) {
    const SSL_CIPHER* cipher = sk_SSL_CIPHER_value(ciphers, i);
    if (std::string_view(SSL_CIPHER_get_version(cipher)) == "TLSv1.3") continue;
    if (!names.empty()) names += ':';
    names += SSL_CIPHER_get_name(cipher);
  }
  return names;
}

}  // namespace pyossl::ssl
#endif  // PYOSSL_DEFINITIONS
