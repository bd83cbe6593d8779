// verify_tool: checks a certificate chain the way `openssl verify` does, with pyOpenSSL's
// X509Store and X509StoreContext, outside any TLS connection.
//
//   usage: verify_tool --cafile CA.pem [--untrusted chain.pem] [--crl crl.pem]
//                      [--crl-check-all] [--at 2030-01-01T00:00:00Z] [--host name] cert.pem
//
//   --cafile      the trusted certificates (PEM, one or more)
//   --untrusted   intermediates the chain may go through (PEM, one or more)
//   --crl         revocation lists (PEM, one or more): the certificate is checked against
//                 its issuer's CRL (CRL_CHECK); with --crl-check-all every certificate of
//                 the chain is (CRL_CHECK_ALL)
//   --at          verify as of this UTC time instead of now (X509Store::set_time)
//   --host        the DNS name or IP address the certificate must be for
//
// Prints "cert.pem: OK" and the verified chain, leaf first, and exits 0, as `openssl verify
// -show_chain` does (a certificate that is not from --cafile is marked "(untrusted)"); or
// prints the failing certificate's subject and OpenSSL's reason, as `openssl verify` does,
// and exits 2. Unreadable input exits 1. --crl-check-all is `openssl verify -crl_check_all`.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <openssl/x509_vfy.h>

#include <pyossl/crypto/certificate_io.hpp>
#include <pyossl/crypto/crl.hpp>
#include <pyossl/crypto/x509.hpp>
#include <pyossl/crypto/x509_store.hpp>
#include <pyossl/crypto/x509_store_context.hpp>

namespace crypto = pyossl::crypto;
using pyossl::unwrap;

namespace {

struct options {
  std::string cafile;
  std::string untrusted;
  std::string crl;
  bool crl_check_all = false;
  std::string at;
  std::string host;
  std::string certificate;
};

[[noreturn]] void usage() {
  std::fprintf(
      stderr,
      "usage: verify_tool --cafile CA.pem [--untrusted chain.pem] [--crl crl.pem] [--crl-check-all]\n"
      "                   [--at 2030-01-01T00:00:00Z] [--host name] cert.pem\n");
  std::exit(1);
}

options parse(int argc, char* argv[]) {
  options parsed;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    const auto value = [&]() -> std::string {
      if (i + 1 >= argc) usage();
      return argv[++i];
    };
    if (arg == "--cafile") {
      parsed.cafile = value();
    } else if (arg == "--untrusted") {
      parsed.untrusted = value();
    } else if (arg == "--crl") {
      parsed.crl = value();
    } else if (arg == "--crl-check-all") {
      parsed.crl_check_all = true;
    } else if (arg == "--at") {
      parsed.at = value();
    } else if (arg == "--host") {
      parsed.host = value();
    } else if (arg.starts_with("--") || !parsed.certificate.empty()) {
      usage();
    } else {
      parsed.certificate = arg;
    }
  }
  if (parsed.cafile.empty() || parsed.certificate.empty()) usage();
  return parsed;
}

std::string read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Each PEM block labelled `label` in `pem`, in order (load_certificate and load_crl read
// the first block of a buffer, so each block is handed over from where it starts).
std::vector<std::string_view> pem_blocks(std::string_view pem, std::string_view label) {
  const std::string begin = "-----BEGIN " + std::string(label) + "-----";
  std::vector<std::string_view> blocks;
  for (auto at = pem.find(begin); at != std::string_view::npos; at = pem.find(begin, at + 1)) {
    blocks.push_back(pem.substr(at));
  }
  return blocks;
}

std::vector<crypto::X509> certificates_in(const std::string& path) {
  const std::string pem = read(path);
  std::vector<crypto::X509> certificates;
  for (const std::string_view block : pem_blocks(pem, "CERTIFICATE")) {
    certificates.push_back(unwrap(crypto::load_certificate(crypto::FILETYPE_PEM, block)));
  }
  if (certificates.empty()) throw std::runtime_error("no certificate in " + path);
  return certificates;
}

// "2030-01-01T00:00:00Z" as a point in time.
std::chrono::system_clock::time_point parse_utc(const std::string& text) {
  int year = 0;
  unsigned month = 0, day = 0, hour = 0, minute = 0, second = 0;
  char zone = 0;
  if (std::sscanf(text.c_str(), "%4d-%2u-%2uT%2u:%2u:%2u%c", &year, &month, &day, &hour, &minute, &second,
                  &zone) != 7 ||
      zone != 'Z' || text.size() != 20) {
    throw std::runtime_error("--at wants YYYY-MM-DDThh:mm:ssZ, not " + text);
  }
  const std::chrono::year_month_day date{std::chrono::year{year}, std::chrono::month{month},
                                         std::chrono::day{day}};
  if (!date.ok() || hour > 23 || minute > 59 || second > 59)
    throw std::runtime_error("no such time: " + text);
  return std::chrono::sys_days{date} + std::chrono::hours{hour} + std::chrono::minutes{minute} +
         std::chrono::seconds{second};
}

std::string der_of(const crypto::X509& certificate) {
  return unwrap(crypto::dump_certificate(crypto::FILETYPE_ASN1, certificate));
}

std::string subject_of(const crypto::X509& certificate) {
  std::string line;
  for (const auto& [name, value] : certificate.get_subject().get_components()) {
    if (!line.empty()) line += ", ";
    line += name + " = " + value;
  }
  return line;
}

}  // namespace

int main(int argc, char* argv[]) try {
  const options opts = parse(argc, argv);

  // The store: what we trust, and how to check.
  crypto::X509Store store;
  unwrap(store.load_locations(opts.cafile));
  if (!opts.crl.empty()) {
    const std::string pem = read(opts.crl);
    const auto blocks = pem_blocks(pem, "X509 CRL");
    if (blocks.empty()) throw std::runtime_error("no CRL in " + opts.crl);
    for (const std::string_view block : blocks)
      unwrap(store.add_crl(unwrap(crypto::load_crl(crypto::FILETYPE_PEM, block))));
    unwrap(store.set_flags(opts.crl_check_all
                               ? crypto::X509StoreFlags::CRL_CHECK | crypto::X509StoreFlags::CRL_CHECK_ALL
                               : crypto::X509StoreFlags::CRL_CHECK));
  }
  if (!opts.at.empty()) unwrap(store.set_time(parse_utc(opts.at)));
  if (!opts.host.empty()) {
    // pyOpenSSL's X509Store has no host check; OpenSSL's verifier does, on the store's
    // parameters, which every verification with this store inherits.
    X509_VERIFY_PARAM* param = X509_STORE_get0_param(store.native_handle());
    const bool is_ip = X509_VERIFY_PARAM_set1_ip_asc(param, opts.host.c_str()) == 1;
    if (!is_ip && X509_VERIFY_PARAM_set1_host(param, opts.host.c_str(), opts.host.size()) != 1) {
      throw std::runtime_error("cannot check for host " + opts.host);
    }
  }

  // The certificate (the first in its file) and the intermediates it may chain through.
  const crypto::X509 certificate = certificates_in(opts.certificate).front();
  const std::vector<crypto::X509> untrusted =
      opts.untrusted.empty() ? std::vector<crypto::X509>{} : certificates_in(opts.untrusted);

  const crypto::X509StoreContext context(store, certificate, untrusted);
  const auto chain = context.get_verified_chain();
  if (!chain) {
    const auto& failure = chain.error().verification();
    if (!failure) throw pyossl::exception(chain.error());
    std::fprintf(stderr, "%s\nerror %ld at %d depth lookup: %s\nerror %s: verification failed\n",
                 failure->subject.c_str(), failure->code, failure->depth, failure->text.c_str(),
                 opts.certificate.c_str());
    return 2;
  }
  // As `openssl verify -show_chain`: the certificate being verified is untrusted unless
  // it is the whole chain (a trusted self-signed one); the rest are trusted when they came
  // from --cafile (OpenSSL looks there first), whatever --untrusted also held.
  std::vector<std::string> trusted;
  for (const crypto::X509& anchor : certificates_in(opts.cafile)) trusted.push_back(der_of(anchor));
  std::printf("%s: OK\nChain:\n", opts.certificate.c_str());
  for (std::size_t depth = 0; depth < chain->size(); ++depth) {
    const bool from_cafile =
        std::find(trusted.begin(), trusted.end(), der_of(chain->at(depth))) != trusted.end();
    const bool untrusted_leaf = depth == 0 && chain->size() > 1;
    std::printf("depth=%zu: %s%s\n", depth, subject_of(chain->at(depth)).c_str(),
                untrusted_leaf || !from_cafile ? " (untrusted)" : "");
  }
  return 0;
} catch (const std::exception& failure) {
  std::fprintf(stderr, "verify_tool: %s\n", failure.what());
  return 1;
}
