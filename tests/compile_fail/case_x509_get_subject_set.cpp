// Porting pyOpenSSL's `cert.get_subject().CN = "x"` literally must not compile: get_subject
// returns a copy, and setting an attribute on that temporary would be silently lost.
// expected error: (this[^ ]* argument discards qualifiers|this[^ ]* argument to member function [^ ]*set[^ ]* is an rvalue)
#include <pyossl/crypto/x509.hpp>

int main() {
  pyossl::crypto::X509 cert;
  pyossl::crypto::X509Name subject = cert.get_subject();
  (void)subject.set("CN", "changed, then written back");
  (void)cert.set_subject(subject);
#if defined(PYOSSL_COMPILE_FAIL)
  (void)cert.get_subject().set("CN", "lost");
#endif
  return 0;
}
