// A three-level PKI for verification tests, made with pyossl: a root, an intermediate
// and a leaf, each with its own EC P-256 key, the extensions RFC 5280 (and OpenSSL's
// X509_STRICT) expect, and validity windows the test picks.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "certificates.hpp"
#include "pyossl/crypto/crl.hpp"
#include "pyossl/crypto/pkey.hpp"
#include "pyossl/crypto/revoked.hpp"
#include "pyossl/crypto/x509.hpp"
#include "pyossl/crypto/x509_extension.hpp"

namespace pyossl_test {

inline pyossl::crypto::PKey fresh_ec_key() {
  pyossl::crypto::PKey key;
  must(key.generate_key(pyossl::crypto::TYPE_EC, 256));
  return key;
}

// What one certificate of the chain looks like.
struct certificate_spec {
  std::string common_name;
  std::string basic_constraints;  // "" for none, else the value ("CA:TRUE", "CA:FALSE", "CA:TRUE, pathlen:0")
  bool basic_constraints_critical = true;
  std::string key_usage;  // "" for none
  std::string not_before = "20200101000000Z";
  std::string not_after = "20991231235959Z";
  std::int64_t serial = 1;
};

// Issues a certificate for `subject_key` as `spec` says, signed by `issuer_key` as
// `issuer` (nullptr: self-signed).
inline pyossl::crypto::X509 issue(const certificate_spec& spec, const pyossl::crypto::PKey& subject_key,
                                  const pyossl::crypto::X509* issuer,
                                  const pyossl::crypto::PKey& issuer_key) {
  using pyossl::crypto::X509Extension;
  pyossl::crypto::X509 cert;
  must(cert.set_version(2));
  must(cert.set_serial_number(spec.serial));
  must(cert.set_subject(make_name({{"O", "pyossl chain"}, {"CN", spec.common_name}})));
  must(cert.set_issuer(issuer != nullptr ? issuer->get_subject() : cert.get_subject()));
  must(cert.set_notBefore(spec.not_before));
  must(cert.set_notAfter(spec.not_after));
  must(cert.set_pubkey(subject_key));
  std::vector<X509Extension> extensions;
  if (!spec.basic_constraints.empty()) {
    extensions.push_back(must(
        X509Extension::create("basicConstraints", spec.basic_constraints_critical, spec.basic_constraints)));
  }
  if (!spec.key_usage.empty())
    extensions.push_back(must(X509Extension::create("keyUsage", true, spec.key_usage)));
  extensions.push_back(must(X509Extension::create("subjectKeyIdentifier", false, "hash", &cert)));
  if (issuer != nullptr) {  // a self-signed root needs none
    extensions.push_back(
        must(X509Extension::create("authorityKeyIdentifier", false, "keyid:always", nullptr, issuer)));
  }
  must(cert.add_extensions(extensions));
  must(cert.sign(issuer_key, "sha256"));
  return cert;
}

struct chain_fixture {
  pyossl::crypto::PKey root_key = fresh_ec_key();
  pyossl::crypto::PKey intermediate_key = fresh_ec_key();
  pyossl::crypto::PKey leaf_key = fresh_ec_key();
  pyossl::crypto::X509 root;
  pyossl::crypto::X509 intermediate;
  pyossl::crypto::X509 leaf;
};

inline certificate_spec root_spec() {
  return {"root", "CA:TRUE", true, "keyCertSign, cRLSign", "20200101000000Z", "20991231235959Z", 1};
}
inline certificate_spec intermediate_spec() {
  return {"intermediate", "CA:TRUE", true, "keyCertSign, cRLSign", "20200101000000Z", "20991231235959Z", 2};
}
inline certificate_spec leaf_spec() {
  return {"leaf", "CA:FALSE", true, "digitalSignature", "20200101000000Z", "20991231235959Z", 0x3AB};
}

// root -> intermediate -> leaf, as the three specs say.
inline chain_fixture make_chain(const certificate_spec& root = root_spec(),
                                const certificate_spec& intermediate = intermediate_spec(),
                                const certificate_spec& leaf = leaf_spec()) {
  chain_fixture chain;
  chain.root = issue(root, chain.root_key, nullptr, chain.root_key);
  chain.intermediate = issue(intermediate, chain.intermediate_key, &chain.root, chain.root_key);
  chain.leaf = issue(leaf, chain.leaf_key, &chain.intermediate, chain.intermediate_key);
  return chain;
}

// A point in time from a UTC calendar date.
inline std::chrono::system_clock::time_point utc(int year, unsigned month, unsigned day) {
  return std::chrono::sys_days{std::chrono::year{year} / std::chrono::month{month} / std::chrono::day{day}};
}

// A CRL issued by `issuer` (v2, lastUpdate 2020, nextUpdate 2099) revoking `serials`
// (hex), each for keyCompromise on 2021-01-01.
inline pyossl::crypto::CRL make_crl(const pyossl::crypto::X509& issuer,
                                    const pyossl::crypto::PKey& issuer_key,
                                    const std::vector<std::string>& serials = {}) {
  pyossl::crypto::CRL crl;
  must(crl.set_version(1));
  must(crl.set_lastUpdate("20200101000000Z"));
  must(crl.set_nextUpdate("20991231235959Z"));
  for (const std::string& serial : serials) {
    pyossl::crypto::Revoked revoked;
    must(revoked.set_serial(serial));
    must(revoked.set_rev_date("20210101000000Z"));
    must(revoked.set_reason("keyCompromise"));
    must(crl.add_revoked(revoked));
  }
  must(crl.sign(issuer, issuer_key, "sha256"));
  return crl;
}

}  // namespace pyossl_test
