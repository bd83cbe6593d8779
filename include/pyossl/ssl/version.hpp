// pyossl::ssl::SSLeay_version and the version constants of pyOpenSSL's SSL module (0.11):
// which OpenSSL pyossl runs on, how it was built and where it keeps its files.
//
// pyOpenSSL's names SSLEAY_VERSION, SSLEAY_CFLAGS, ... and OPENSSL_VERSION_NUMBER are
// OpenSSL's own macros, so they cannot be declared in a namespace. As for the SSL_CB_*
// constants (ssl/constants.hpp), pyossl's names drop the prefix the macro carries:
// ssl::VERSION, ssl::CFLAGS, ssl::BUILT_ON, ssl::PLATFORM, ssl::DIR, ssl::VERSION_NUMBER.
// The SSLEAY_* ones are only deprecated aliases, so pyOpenSSL's spelling works as well
// (ssl::SSLEAY_VERSION); OPENSSL_VERSION_NUMBER is a live macro and stays OpenSSL's.
// SSLeay_version keeps its name: where OpenSSL's deprecated names are visible its macro
// renames both the declaration below and every call to OpenSSL_version, so
// `ssl::SSLeay_version(ssl::VERSION)` works either way.
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
inline constexpr version_type VERSION = version_type::version;
inline constexpr version_type CFLAGS = version_type::cflags;
inline constexpr version_type BUILT_ON = version_type::built_on;
inline constexpr version_type PLATFORM = version_type::platform;
inline constexpr version_type DIR = version_type::dir;

// pyOpenSSL's own spellings too. OpenSSL 3 keeps SSLEAY_VERSION ... SSLEAY_DIR only as
// deprecated aliases of its OPENSSL_VERSION ... OPENSSL_DIR macros (gone under
// OPENSSL_NO_DEPRECATED); they are undefined here so that ssl::SSLEAY_VERSION names these
// constants. C code after this header spells them OPENSSL_VERSION, ..., as OpenSSL 1.1 did.
#undef SSLEAY_VERSION
#undef SSLEAY_CFLAGS
#undef SSLEAY_BUILT_ON
#undef SSLEAY_PLATFORM
#undef SSLEAY_DIR
inline constexpr version_type SSLEAY_VERSION = VERSION;
inline constexpr version_type SSLEAY_CFLAGS = CFLAGS;
inline constexpr version_type SSLEAY_BUILT_ON = BUILT_ON;
inline constexpr version_type SSLEAY_PLATFORM = PLATFORM;
inline constexpr version_type SSLEAY_DIR = DIR;

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
