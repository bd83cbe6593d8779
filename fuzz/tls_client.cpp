// Fuzzes a TLS client: a memory-BIO Connection that sends its ClientHello, then reads the
// fuzz input as the server's bytes (see fuzz_tls.hpp for how it is split into flights).
#include "fuzz_tls.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static pyossl::ssl::Context context = [] {
    auto made = pyossl_fuzz::permissive_context(pyossl::ssl::TLS_CLIENT_METHOD);
    pyossl::unwrap(made.set_min_proto_version(0));
    // No middlebox-compatibility session ID (as in the seeds), so a ServerHello can match.
    SSL_CTX_clear_options(made.native_handle(), SSL_OP_ENABLE_MIDDLEBOX_COMPAT);
    return made;
  }();
  pyossl::ssl::Connection client(context);
  client.set_connect_state();
  PYOSSL_FUZZ_CHECK(client.set_tlsext_host_name("localhost").has_value());
  auto hello = client.do_handshake();  // want_read: the ClientHello is out
  PYOSSL_FUZZ_CHECK(!hello && hello.error() == pyossl::errc::want_read);
  pyossl_fuzz::drain_output(client);
  pyossl_fuzz::feed(client, pyossl_fuzz::as_text(data, size));
  return 0;
}
