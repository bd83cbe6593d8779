// pyossl::ssl::SSLeay_version and the version constants of pyOpenSSL's SSL module (0.11):
// which OpenSSL pyossl runs on, how it was built and where it keeps its files.
//
// pyOpenSSL's names SSLEAY_VERSION, ..., SSLEAY_DIR and SSLeay_version are only deprecated
// aliases in OpenSSL 3 (macros for OPENSSL_VERSION, ..., OpenSSL_version), so pyossl
// undefines them and declares pyOpenSSL's spelling: ssl::SSLEAY_VERSION,
// ssl::SSLeay_version. The function's name (and in the compiled mode its symbol) is then
// the same with and without OPENSSL_NO_DEPRECATED. OPENSSL_VERSION_NUMBER is a live macro
// and stays OpenSSL's; as for the SSL_CB_* constants (ssl/constants.hpp), pyossl's name
// drops the prefix: ssl::VERSION_NUMBER. There are no bare ssl::VERSION, ssl::DIR, ...:
// build systems define VERSION and PLATFORM as macros (-DVERSION=..., automake's
// config.h), and <dirent.h> declares a global DIR.
#pragma once

#include <string>

#include <openssl/crypto.h>
#include <openssl/opensslv.h>

#include "pyossl/detail/config.hpp"

namespace pyossl::ssl {

// Which text SSLeay_version returns; the values are OpenSSL_version's.
enum class version_type : int {
  version = OPENSSL_VERSION,    // "OpenSSL 3.0.13 30 Jan 2024"
  cflags = OPENSSL_CFLAGS,      // "compiler: gcc -fPIC ..."
  built_on = OPENSSL_BUILT_ON,  // "built on: ..."
  platform = OPENSSL_PLATFORM,  // "platform: debian-amd64"
  dir = OPENSSL_DIR,            // "OPENSSLDIR: \"/usr/lib/ssl\""
  // Beyond pyOpenSSL, what OpenSSL 3 adds:
  engines_dir = OPENSSL_ENGINES_DIR,
  full_version_string = OPENSSL_FULL_VERSION_STRING,
  modules_dir = OPENSSL_MODULES_DIR,
  cpu_info = OPENSSL_CPU_INFO,
};
// pyOpenSSL's SSLEAY_VERSION, SSLEAY_CFLAGS, SSLEAY_BUILT_ON, SSLEAY_PLATFORM, SSLEAY_DIR.
// OpenSSL 3 keeps these names (and SSLeay_version) only as deprecated aliases of its
// OPENSSL_VERSION ... OPENSSL_DIR and OpenSSL_version (gone under OPENSSL_NO_DEPRECATED);
// they are undefined here so that they name pyossl's constants and function. C code after
// this header spells them OPENSSL_VERSION, ..., OpenSSL_version, as OpenSSL 1.1 did.
#undef SSLEAY_VERSION
#undef SSLEAY_CFLAGS
#undef SSLEAY_BUILT_ON
#undef SSLEAY_PLATFORM
#undef SSLEAY_DIR
#undef SSLeay_version
inline constexpr version_type SSLEAY_VERSION = version_type::version;
inline constexpr version_type SSLEAY_CFLAGS = version_type::cflags;
inline constexpr version_type SSLEAY_BUILT_ON = version_type::built_on;
inline constexpr version_type SSLEAY_PLATFORM = version_type::platform;
inline constexpr version_type SSLEAY_DIR = version_type::dir;

// pyOpenSSL's OPENSSL_VERSION_NUMBER: the version of the OpenSSL headers pyossl was compiled
// with, 0xMNN00PP0L (0x30000130 for 3.0.19). The library running now: OpenSSL_version_num().
inline constexpr unsigned long VERSION_NUMBER = OPENSSL_VERSION_NUMBER;

// The text OpenSSL gives for `type`, as `openssl version` prints it (-v, -f, -b, -p, -d).
// Calls OpenSSL_version (OpenSSL 1.1 renamed SSLeay_version to it); a value that is not a
// version_type gives OpenSSL's "not available".
[[nodiscard]] PYOSSL_DECL std::string SSLeay_version(version_type type);

}  // namespace pyossl::ssl

// Definitions: inline, or compiled once in the compiled mode (pyossl/detail/config.hpp).
#if PYOSSL_DEFINITIONS

namespace pyossl::ssl {

PYOSSL_DECL std::string SSLeay_version(version_type type) {
  return ::OpenSSL_version(static_cast<int>(type));
}

}  // namespace pyossl::ssl
#endif  // PYOSSL_DEFINITIONS
