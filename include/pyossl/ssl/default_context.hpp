// pyossl::ssl::create_default_context — Python's ssl.create_default_context: a Context with
// secure settings in one call, for a client checking servers or a server.
#pragma once

#include <string_view>
#include <utility>

#include <openssl/ssl.h>

#include "pyossl/detail/config.hpp"
#include "pyossl/error.hpp"
#include "pyossl/ssl/constants.hpp"
#include "pyossl/ssl/context.hpp"
#include "pyossl/ssl/method.hpp"

namespace pyossl::ssl {

// What the Context is for, as Python's ssl.Purpose.
enum class purpose {
  server_auth,  // a client, authenticating servers
  client_auth,  // a server, (optionally) authenticating clients
};

// server_auth (a client): TLS_CLIENT_METHOD, TLS 1.2 at least, VERIFY_PEER against the
// system's trusted CAs (set_default_verify_paths), host-name checking on: each Connection
// needs set_tlsext_host_name or set_verify_hostname before its handshake.
// client_auth (a server): TLS_SERVER_METHOD, TLS 1.2 at least, VERIFY_NONE, no host-name
// checking; the system's CAs are loaded for set_verify(VERIFY_PEER) later, as Python does.
// Both set OP_NO_COMPRESSION; the server also OP_CIPHER_SERVER_PREFERENCE. Fails as the
// calls it makes (Context::create, set_default_verify_paths: errc::ssl).
[[nodiscard]] PYOSSL_DECL result<Context> create_default_context(purpose p = purpose::server_auth);

}  // namespace pyossl::ssl

// Definitions: inline, or compiled once in the compiled mode (pyossl/detail/config.hpp).
#if PYOSSL_DEFINITIONS

namespace pyossl::ssl {

PYOSSL_DECL result<Context> create_default_context(purpose p) {
  const bool client = p == purpose::server_auth;
  auto context = Context::create(client ? TLS_CLIENT_METHOD : TLS_SERVER_METHOD);
  if (!context) return context;
  if (auto done = context->set_min_proto_version(TLS1_2_VERSION); !done)
    return unexpected(std::move(done).error());
  if (auto done = context->set_default_verify_paths(); !done) return unexpected(std::move(done).error());
  auto added =
      context->set_options(client ? OP_NO_COMPRESSION : OP_NO_COMPRESSION | OP_CIPHER_SERVER_PREFERENCE);
  if (!added) return unexpected(std::move(added).error());
  if (client) {
    if (auto done = context->set_verify(VERIFY_PEER); !done) return unexpected(std::move(done).error());
    if (auto done = context->set_check_hostname(true); !done) return unexpected(std::move(done).error());
  }
  return context;
}

}  // namespace pyossl::ssl
#endif  // PYOSSL_DEFINITIONS
