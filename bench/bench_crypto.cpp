// pyossl::crypto's PEM and digest functions against the OpenSSL calls they make:
// load_certificate / PEM_read_bio_X509, dump_certificate / PEM_write_bio_X509,
// X509::digest / X509_digest, load_privatekey / PEM_read_bio_PrivateKey_ex.
//
// The certificate (RSA-2048, self-signed, with a subjectAltName) and the keys are made
// here with pyossl::crypto; each raw benchmark reads or writes the same bytes.
#include <cstddef>
#include <cstdint>
#include <exception>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include <benchmark/benchmark.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <pyossl/crypto/certificate_io.hpp>
#include <pyossl/crypto/key_io.hpp>
#include <pyossl/crypto/pkey.hpp>
#include <pyossl/crypto/x509.hpp>
#include <pyossl/crypto/x509_extension.hpp>
#include <pyossl/crypto/x509_name.hpp>
#include <pyossl/detail/handle.hpp>

namespace {

namespace crypto = pyossl::crypto;
using pyossl::detail::adopt;
using pyossl::detail::handle;

// Throws on a failed result: for the fixtures, made before any timing starts.
template <class R>
decltype(auto) must(R&& r, const char* what) {
  if (!r.has_value()) throw std::runtime_error(std::string(what) + ": " + r.error().message());
  if constexpr (!std::is_void_v<typename std::remove_cvref_t<R>::value_type>) return *std::forward<R>(r);
}

// pyOpenSSL's digest text ("AB:CD:..."), written as a raw caller would.
std::string colon_hex(const unsigned char* bytes, unsigned int length) {
  constexpr char digits[] = "0123456789ABCDEF";
  std::string text;
  text.reserve(std::size_t{length} * 3);
  for (unsigned int i = 0; i < length; ++i) {
    if (i != 0) text += ':';
    text += digits[bytes[i] >> 4];
    text += digits[bytes[i] & 0x0F];
  }
  return text;
}

crypto::PKey make_key(crypto::key_type type, int bits) {
  crypto::PKey key;
  must(key.generate_key(type, bits), "generate_key");
  return key;
}

struct fixtures {
  crypto::PKey rsa_key = make_key(crypto::TYPE_RSA, 2048);
  crypto::PKey ec_key = make_key(crypto::TYPE_EC, 256);
  crypto::X509 certificate;
  std::string certificate_pem;
  std::string rsa_key_pem;
  std::string ec_key_pem;
  std::string certificate_sha256;  // the colon-hex fingerprint, as X509::digest and X509_digest agree

  fixtures() {
    crypto::X509Name name;
    must(name.set("CN", "bench.example"), "X509Name::set");
    must(name.set("O", "pyossl"), "X509Name::set");
    must(certificate.set_version(2), "set_version");
    must(certificate.set_serial_number(0x1234567), "set_serial_number");
    must(certificate.gmtime_adj_notBefore(0), "gmtime_adj_notBefore");
    must(certificate.gmtime_adj_notAfter(365L * 24 * 3600), "gmtime_adj_notAfter");
    must(certificate.set_subject(name), "set_subject");
    must(certificate.set_issuer(name), "set_issuer");
    must(certificate.set_pubkey(rsa_key), "set_pubkey");
    const std::vector<crypto::X509Extension> extensions{
        must(crypto::X509Extension::create("subjectAltName", false, "DNS:bench.example,DNS:localhost"),
             "X509Extension::create"),
        must(crypto::X509Extension::create("basicConstraints", true, "CA:FALSE"), "X509Extension::create"),
    };
    must(certificate.add_extensions(extensions), "add_extensions");
    must(certificate.sign(rsa_key, "sha256"), "sign");
    certificate_pem = must(crypto::dump_certificate(crypto::FILETYPE_PEM, certificate), "dump_certificate");
    rsa_key_pem = must(crypto::dump_privatekey(crypto::FILETYPE_PEM, rsa_key), "dump_privatekey");
    ec_key_pem = must(crypto::dump_privatekey(crypto::FILETYPE_PEM, ec_key), "dump_privatekey");
    certificate_sha256 = must(certificate.digest("sha256"), "X509::digest");
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    if (X509_digest(certificate.native_handle(), EVP_sha256(), md, &length) != 1 ||
        colon_hex(md, length) != certificate_sha256) {
      throw std::runtime_error("X509::digest and X509_digest disagree");
    }
  }
};

// The fixtures, or nullptr (and the benchmark skipped) if they could not be made.
const fixtures* shared_fixtures(benchmark::State& state) {
  try {
    static const fixtures made;
    return &made;
  } catch (const std::exception& failure) {
    state.SkipWithError(failure.what());
    return nullptr;
  }
}

// The DER of `cert`, to compare certificates byte for byte.
std::string der_of(::X509* cert) {
  std::string der(static_cast<std::size_t>(i2d_X509(cert, nullptr)), '\0');
  auto* out = reinterpret_cast<unsigned char*>(der.data());
  i2d_X509(cert, &out);
  return der;
}

// ---- load_certificate(FILETYPE_PEM) / PEM_read_bio_X509 ----

void raw_PEM_read_bio_X509(benchmark::State& state) {
  const fixtures* f = shared_fixtures(state);
  if (f == nullptr) return;
  const std::string_view pem = f->certificate_pem;
  handle<::X509> loaded;
  for (auto _ : state) {
    handle<BIO> in = adopt(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
    loaded = adopt(PEM_read_bio_X509(in.get(), nullptr, nullptr, nullptr));
    if (!loaded) {
      state.SkipWithError("PEM_read_bio_X509");
      break;
    }
  }
  if (!state.error_occurred() && der_of(loaded.get()) != der_of(f->certificate.native_handle()))
    state.SkipWithError("PEM_read_bio_X509 read another certificate");
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(pem.size()));
}

void pyossl_load_certificate(benchmark::State& state) {
  const fixtures* f = shared_fixtures(state);
  if (f == nullptr) return;
  const std::string_view pem = f->certificate_pem;
  crypto::X509 loaded;
  for (auto _ : state) {
    auto cert = crypto::load_certificate(crypto::FILETYPE_PEM, pem);
    if (!cert) {
      state.SkipWithError("load_certificate");
      break;
    }
    loaded = std::move(*cert);
  }
  if (!state.error_occurred() && der_of(loaded.native_handle()) != der_of(f->certificate.native_handle()))
    state.SkipWithError("load_certificate read another certificate");
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(pem.size()));
}

// ---- dump_certificate(FILETYPE_PEM) / PEM_write_bio_X509 into a std::string ----

void raw_PEM_write_bio_X509(benchmark::State& state) {
  const fixtures* f = shared_fixtures(state);
  if (f == nullptr) return;
  ::X509* cert = f->certificate.native_handle();
  std::string pem;
  for (auto _ : state) {
    handle<BIO> out = adopt(BIO_new(BIO_s_mem()));
    char* data = nullptr;
    if (!out || PEM_write_bio_X509(out.get(), cert) != 1) {
      state.SkipWithError("PEM_write_bio_X509");
      break;
    }
    const long length = BIO_get_mem_data(out.get(), &data);
    if (length <= 0 || data == nullptr) {
      state.SkipWithError("BIO_get_mem_data");
      break;
    }
    std::string copy(data, static_cast<std::size_t>(length));  // a new string, as dump_certificate returns
    pem = std::move(copy);
    benchmark::DoNotOptimize(pem.data());
  }
  if (!state.error_occurred() && pem != f->certificate_pem)
    state.SkipWithError("PEM_write_bio_X509 wrote otherwise");
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(f->certificate_pem.size()));
}

void pyossl_dump_certificate(benchmark::State& state) {
  const fixtures* f = shared_fixtures(state);
  if (f == nullptr) return;
  std::string pem;
  for (auto _ : state) {
    auto dumped = crypto::dump_certificate(crypto::FILETYPE_PEM, f->certificate);
    if (!dumped) {
      state.SkipWithError("dump_certificate");
      break;
    }
    pem = std::move(*dumped);
    benchmark::DoNotOptimize(pem.data());
  }
  if (!state.error_occurred() && pem != f->certificate_pem)
    state.SkipWithError("dump_certificate wrote otherwise");
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(f->certificate_pem.size()));
}

// ---- X509::digest("sha256") / X509_digest and the same colon-hex text ----

constexpr std::size_t sha256_text_length = 32 * 3 - 1;

// The usual raw idiom: EVP_sha256(), which OpenSSL 3 turns into a fetch inside X509_digest.
void raw_X509_digest(benchmark::State& state) {
  const fixtures* f = shared_fixtures(state);
  if (f == nullptr) return;
  ::X509* cert = f->certificate.native_handle();
  std::string text;
  for (auto _ : state) {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    if (X509_digest(cert, EVP_sha256(), md, &length) != 1) {
      state.SkipWithError("X509_digest");
      break;
    }
    text = colon_hex(md, length);
    if (text.size() != sha256_text_length) {
      state.SkipWithError("X509_digest gave the wrong length");
      break;
    }
  }
  if (!state.error_occurred() && text != f->certificate_sha256)
    state.SkipWithError("X509_digest gave another digest");
}

// The fastest raw form: the EVP_MD fetched once, outside the loop.
void raw_X509_digest_prefetched(benchmark::State& state) {
  const fixtures* f = shared_fixtures(state);
  if (f == nullptr) return;
  ::X509* cert = f->certificate.native_handle();
  const handle<EVP_MD> sha256(EVP_MD_fetch(nullptr, "SHA256", nullptr));
  if (!sha256) {
    state.SkipWithError("EVP_MD_fetch");
    return;
  }
  std::string text;
  for (auto _ : state) {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    if (X509_digest(cert, sha256.get(), md, &length) != 1) {
      state.SkipWithError("X509_digest");
      break;
    }
    text = colon_hex(md, length);
    if (text.size() != sha256_text_length) {
      state.SkipWithError("X509_digest gave the wrong length");
      break;
    }
  }
  if (!state.error_occurred() && text != f->certificate_sha256)
    state.SkipWithError("X509_digest gave another digest");
}

void pyossl_X509_digest(benchmark::State& state) {
  const fixtures* f = shared_fixtures(state);
  if (f == nullptr) return;
  std::string text;
  for (auto _ : state) {
    auto digest = f->certificate.digest("sha256");
    if (!digest || digest->size() != sha256_text_length) {
      state.SkipWithError("X509::digest");
      break;
    }
    text = std::move(*digest);
  }
  if (!state.error_occurred() && text != f->certificate_sha256)
    state.SkipWithError("X509::digest gave another digest");
}

// ---- load_privatekey(FILETYPE_PEM) / PEM_read_bio_PrivateKey_ex ----

enum class key_kind { ec_p256, rsa_2048 };

const crypto::PKey& key_of(const fixtures& f, key_kind kind) {
  return kind == key_kind::ec_p256 ? f.ec_key : f.rsa_key;
}
const std::string& pem_of(const fixtures& f, key_kind kind) {
  return kind == key_kind::ec_p256 ? f.ec_key_pem : f.rsa_key_pem;
}

void raw_PEM_read_bio_PrivateKey_ex(benchmark::State& state, key_kind kind) {
  const fixtures* f = shared_fixtures(state);
  if (f == nullptr) return;
  const std::string_view pem = pem_of(*f, kind);
  handle<EVP_PKEY> loaded;
  for (auto _ : state) {
    handle<BIO> in = adopt(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
    loaded = adopt(PEM_read_bio_PrivateKey_ex(in.get(), nullptr, nullptr, nullptr, nullptr, nullptr));
    if (!loaded) {
      state.SkipWithError("PEM_read_bio_PrivateKey_ex");
      break;
    }
  }
  if (!state.error_occurred() && EVP_PKEY_eq(loaded.get(), key_of(*f, kind).native_handle()) != 1)
    state.SkipWithError("PEM_read_bio_PrivateKey_ex read another key");
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(pem.size()));
}

void pyossl_load_privatekey(benchmark::State& state, key_kind kind) {
  const fixtures* f = shared_fixtures(state);
  if (f == nullptr) return;
  const std::string_view pem = pem_of(*f, kind);
  crypto::PKey loaded;
  for (auto _ : state) {
    auto key = crypto::load_privatekey(crypto::FILETYPE_PEM, pem);
    if (!key) {
      state.SkipWithError("load_privatekey");
      break;
    }
    loaded = std::move(*key);
  }
  if (!state.error_occurred() && EVP_PKEY_eq(loaded.native_handle(), key_of(*f, kind).native_handle()) != 1)
    state.SkipWithError("load_privatekey read another key");
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(pem.size()));
}

}  // namespace

BENCHMARK(raw_PEM_read_bio_X509);
BENCHMARK(pyossl_load_certificate);
BENCHMARK(raw_PEM_write_bio_X509);
BENCHMARK(pyossl_dump_certificate);
BENCHMARK(raw_X509_digest);
BENCHMARK(raw_X509_digest_prefetched);
BENCHMARK(pyossl_X509_digest);
BENCHMARK_CAPTURE(raw_PEM_read_bio_PrivateKey_ex, ec_p256, key_kind::ec_p256);
BENCHMARK_CAPTURE(pyossl_load_privatekey, ec_p256, key_kind::ec_p256);
BENCHMARK_CAPTURE(raw_PEM_read_bio_PrivateKey_ex, rsa_2048, key_kind::rsa_2048);
BENCHMARK_CAPTURE(pyossl_load_privatekey, rsa_2048, key_kind::rsa_2048);
