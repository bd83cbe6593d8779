// Fuzzes a TLS server: a memory-BIO Connection that reads the fuzz input as a client's
// bytes (see fuzz_tls.hpp for how it is split into flights).
#include "fuzz_tls.hpp"

namespace {

pyossl::ssl::Context& server_context() {
  static pyossl::ssl::Context context = [] {
    auto made = pyossl_fuzz::permissive_context(pyossl::ssl::TLS_SERVER_METHOD);
    const auto identity = examples::make_self_signed("localhost", "DNS:localhost");
    pyossl::unwrap(made.use_certificate(identity.certificate));
    pyossl::unwrap(made.use_privatekey(identity.key));
    pyossl::unwrap(made.set_min_proto_version(0));
    return made;
  }();
  return context;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  pyossl::ssl::Connection server(server_context());
  server.set_accept_state();
  pyossl_fuzz::feed(server, pyossl_fuzz::as_text(data, size));
  return 0;
}
