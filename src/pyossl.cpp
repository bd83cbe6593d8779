// pyossl's compiled mode: every function the headers declare, defined once. Build this file
// (the pyossl::compiled CMake target does) and compile every file that includes pyossl with
// PYOSSL_SEPARATE_COMPILATION defined; those files then parse declarations only.
// Header-only (no macro, no this file) stays the default. <pyossl/asio.hpp> is all
// templates and needs nothing from here beyond what pyossl.hpp declares.
#ifndef PYOSSL_SEPARATE_COMPILATION
#define PYOSSL_SEPARATE_COMPILATION
#endif
#define PYOSSL_SOURCE
#include "pyossl/pyossl.hpp"
