// ca_tool: a tiny certificate authority. Makes a CA, issues a server certificate for a
// host name, and writes everything a TLS server and its clients need:
//
//   ca.pem           the CA certificate: clients trust this (echo_client --cafile ca.pem)
//   ca-key.pem       the CA's private key, encrypted with the passphrase
//   server.pem       the server certificate followed by the CA's (a chain, for
//                    use_certificate_chain_file: echo_server --cert server.pem)
//   server-key.pem   the server's private key (unencrypted, so a server can start unattended)
//   server.p12       the server's key, certificate and CA chain as PKCS#12, for tools and
//                    platforms that import one file (browsers, Java, Windows)
//   crl.pem          the CA's certificate revocation list, empty to begin with
//
//   usage: ca_tool OUTPUT_DIR HOST [PASSPHRASE]   (HOST: a DNS name or an IP address)
//
// Later, to revoke a certificate the CA issued (REASON: one of Revoked::all_reasons(),
// such as keyCompromise or superseded; default unspecified), which adds it to crl.pem:
//
//   usage: ca_tool --revoke OUTPUT_DIR CERT.pem [REASON [PASSPHRASE]]
//
// Check the result with `verify_tool --cafile ca.pem --crl crl.pem CERT.pem`.
//
// Every step is a pyOpenSSL call; failures throw (pyossl::unwrap) and end the program
// with one line saying which step failed and why.
#include <cstdio>
#include <ctime>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <arpa/inet.h>

#include <pyossl/crypto/certificate_io.hpp>
#include <pyossl/crypto/crl.hpp>
#include <pyossl/crypto/key_io.hpp>
#include <pyossl/crypto/pkcs12.hpp>
#include <pyossl/crypto/pkey.hpp>
#include <pyossl/crypto/revoked.hpp>
#include <pyossl/crypto/x509.hpp>
#include <pyossl/crypto/x509_extension.hpp>
#include <pyossl/crypto/x509_name.hpp>
#include <pyossl/rand.hpp>

namespace crypto = pyossl::crypto;
using pyossl::unwrap;

namespace {

constexpr long day = 24 * 60 * 60;

// A random positive 63-bit serial number: an issuer must never reuse one.
long random_serial() {
  long serial = 0;
  for (const char byte : unwrap(pyossl::rand::bytes(8)))
    serial = (serial << 8) | static_cast<unsigned char>(byte);
  return serial & 0x7fffffffffffffffL;
}

// The fields every certificate here shares: version 3, a fresh serial, the validity
// window, subject, issuer and public key. Extensions and the signature come after.
crypto::X509 new_certificate(const crypto::X509Name& subject, const crypto::X509Name& issuer,
                             const crypto::PKey& key, long valid_days) {
  crypto::X509 certificate;
  unwrap(certificate.set_version(2));  // 2 means X.509 v3, the version that has extensions
  unwrap(certificate.set_serial_number(random_serial()));
  unwrap(certificate.gmtime_adj_notBefore(0));
  unwrap(certificate.gmtime_adj_notAfter(valid_days * day));
  unwrap(certificate.set_subject(subject));
  unwrap(certificate.set_issuer(issuer));
  unwrap(certificate.set_pubkey(key));
  return certificate;
}

crypto::X509Name name_of(std::string_view common_name) {
  crypto::X509Name name;
  unwrap(name.set("O", "pyossl example CA"));
  unwrap(name.set("CN", common_name));
  return name;
}

// "IP:192.0.2.1" for an address, "DNS:example.com" for a name: a client checks the host it
// dialled against the subjectAltName of the right kind.
std::string alt_name_for(const std::string& host) {
  unsigned char address[16];
  const bool is_ip =
      ::inet_pton(AF_INET, host.c_str(), address) == 1 || ::inet_pton(AF_INET6, host.c_str(), address) == 1;
  return (is_ip ? "IP:" : "DNS:") + host;
}

void write(const std::filesystem::path& path, const std::string& contents) {
  std::ofstream out(path, std::ios::binary);
  out << contents;
  if (!out.flush()) throw std::runtime_error("cannot write " + path.string());
  std::printf("wrote %s\n", path.string().c_str());
}

std::string read(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path.string());
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Now as GENERALIZEDTIME ("20300101120000Z"), the form pyOpenSSL's time setters take.
std::string now_generalized_time() {
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  char text[16];
  std::strftime(text, sizeof text, "%Y%m%d%H%M%SZ", &utc);
  return text;
}

// Signs and writes the CA's CRL: `crl`'s entries, valid from now for 30 days (export_).
void write_crl(const std::filesystem::path& out, crypto::CRL& crl, const crypto::X509& ca,
               const crypto::PKey& ca_key) {
  unwrap(crl.set_version(1));  // v2: entries carry a reason extension
  write(out / "crl.pem", unwrap(crl.export_(ca, ca_key, crypto::FILETYPE_PEM, 30, "sha384")));
}

// ca_tool --revoke DIR CERT [REASON [PASSPHRASE]]: adds CERT to the CA's CRL.
int revoke(const std::filesystem::path& out, const std::filesystem::path& certificate_file,
           const std::string& reason, const std::string& passphrase) {
  const crypto::X509 ca = unwrap(crypto::load_certificate(crypto::FILETYPE_PEM, read(out / "ca.pem")));
  const crypto::PKey ca_key =
      unwrap(crypto::load_privatekey(crypto::FILETYPE_PEM, read(out / "ca-key.pem"), passphrase));
  const crypto::X509 certificate =
      unwrap(crypto::load_certificate(crypto::FILETYPE_PEM, read(certificate_file)));
  if (certificate.get_issuer() != ca.get_subject()) {
    throw std::runtime_error(certificate_file.string() + " was not issued by this CA");
  }

  // Start from the CRL we have, so earlier revocations stay on the list.
  crypto::CRL crl;
  if (std::filesystem::exists(out / "crl.pem")) {
    crl = unwrap(crypto::load_crl(crypto::FILETYPE_PEM, read(out / "crl.pem")));
  }
  crypto::Revoked entry;
  unwrap(entry.set_reason(reason));  // a reason pyOpenSSL does not know fails before anything else
  unwrap(entry.set_serial(certificate.get_serial_number_hex()));
  for (const crypto::Revoked& listed : crl.get_revoked().value_or(std::vector<crypto::Revoked>{})) {
    if (listed.get_serial() == entry.get_serial()) {
      std::printf("serial %s is already revoked\n", listed.get_serial().c_str());
      return 0;
    }
  }
  unwrap(entry.set_rev_date(now_generalized_time()));
  unwrap(crl.add_revoked(entry));
  write_crl(out, crl, ca, ca_key);
  std::printf("revoked:  serial %s (%s)\n", entry.get_serial().c_str(),
              entry.get_reason().value_or("?").c_str());
  return 0;
}

}  // namespace

int main(int argc, char* argv[]) try {
  if (argc >= 4 && std::string_view(argv[1]) == "--revoke") {
    return revoke(argv[2], argv[3], argc > 4 ? argv[4] : "unspecified", argc > 5 ? argv[5] : "change me");
  }
  if (argc < 3) {
    std::fprintf(stderr,
                 "usage: ca_tool OUTPUT_DIR HOST [PASSPHRASE]\n"
                 "       ca_tool --revoke OUTPUT_DIR CERT.pem [REASON [PASSPHRASE]]\n");
    return 2;
  }
  const std::filesystem::path out = argv[1];
  const std::string host = argv[2];
  const std::string passphrase = argc > 3 ? argv[3] : "change me";
  std::filesystem::create_directories(out);

  // 1. The CA: its own key, a self-signed certificate that may sign others (CA:TRUE,
  //    keyCertSign) and nothing else.
  crypto::PKey ca_key;
  unwrap(ca_key.generate_key(crypto::TYPE_EC, 384));
  const crypto::X509Name ca_name = name_of("pyossl example root");
  crypto::X509 ca = new_certificate(ca_name, ca_name, ca_key, 3650);
  unwrap(ca.add_extensions(std::vector{
      unwrap(crypto::X509Extension::create("basicConstraints", true, "CA:TRUE, pathlen:0")),
      unwrap(crypto::X509Extension::create("keyUsage", true, "keyCertSign, cRLSign")),
      unwrap(crypto::X509Extension::create("subjectKeyIdentifier", false, "hash", &ca)),
  }));
  unwrap(ca.sign(ca_key, "sha384"));

  // 2. The server: a key, and a certificate for `host` signed by the CA. The extensions
  //    say what it is for: a TLS server (serverAuth), for exactly this host name.
  crypto::PKey server_key;
  unwrap(server_key.generate_key(crypto::TYPE_EC, 256));
  crypto::X509 server = new_certificate(name_of(host), ca.get_subject(), server_key, 397);
  unwrap(server.add_extensions(std::vector{
      unwrap(crypto::X509Extension::create("basicConstraints", true, "CA:FALSE")),
      unwrap(crypto::X509Extension::create("keyUsage", true, "digitalSignature")),
      unwrap(crypto::X509Extension::create("extendedKeyUsage", false, "serverAuth")),
      unwrap(crypto::X509Extension::create("subjectAltName", false, alt_name_for(host))),
      unwrap(crypto::X509Extension::create("authorityKeyIdentifier", false, "keyid:always", nullptr, &ca)),
  }));
  unwrap(server.sign(ca_key, "sha256"));  // signed with the CA's key: this is "issuing"

  // 3. PEM files. The CA key is encrypted: whoever holds it can issue certificates.
  const std::string ca_pem = unwrap(crypto::dump_certificate(crypto::FILETYPE_PEM, ca));
  write(out / "ca.pem", ca_pem);
  write(out / "ca-key.pem",
        unwrap(crypto::dump_privatekey(crypto::FILETYPE_PEM, ca_key, "aes-256-cbc", passphrase)));
  write(out / "server.pem", unwrap(crypto::dump_certificate(crypto::FILETYPE_PEM, server)) + ca_pem);
  write(out / "server-key.pem", unwrap(crypto::dump_privatekey(crypto::FILETYPE_PEM, server_key)));

  // 4. The same server identity as one PKCS#12 file, protected by the passphrase.
  crypto::PKCS12 bundle;
  bundle.set_certificate(server);
  bundle.set_privatekey(server_key);
  bundle.set_ca_certificates(std::vector{ca});
  unwrap(bundle.set_friendlyname(host));
  write(out / "server.p12", unwrap(bundle.export_(passphrase)));

  // 5. An empty revocation list, signed by the CA: `ca_tool --revoke` adds to it.
  crypto::CRL crl;
  write_crl(out, crl, ca, ca_key);

  // 6. Check what we wrote: read the PKCS#12 back and print what a user would check.
  const crypto::PKCS12 loaded = unwrap(crypto::load_pkcs12(read(out / "server.p12"), passphrase));
  const auto certificate = loaded.get_certificate();
  if (!certificate) throw std::runtime_error("server.p12 has no certificate");
  std::printf("issued:   %s\n", certificate->get_subject().get("CN").value_or("?").c_str());
  std::printf("by:       %s\n", certificate->get_issuer().get("CN").value_or("?").c_str());
  std::printf("for:      %s\n", alt_name_for(host).c_str());
  std::printf("sha256:   %s\n", unwrap(certificate->digest("sha256")).c_str());
  return 0;
} catch (const std::exception& failure) {
  std::fprintf(stderr, "ca_tool: %s\n", failure.what());
  return 1;
}
