// X509Name::set is lvalue-only: setting an attribute on a temporary name (the copy that
// get_subject returns) would be lost, so it must not compile.
// expected error: (this[^ ]* argument discards qualifiers|this[^ ]* argument to member function [^ ]*set[^ ]* is an rvalue)
#include <pyossl/crypto/x509_name.hpp>

int main() {
  pyossl::crypto::X509Name name;
  (void)name.set("CN", "allowed on an lvalue");
#if defined(PYOSSL_COMPILE_FAIL)
  (void)pyossl::crypto::X509Name().set("CN", "lost on a temporary");
#endif
  return 0;
}
