// How pyossl's functions are compiled. Header-only is the default: every function is inline
// in its header. With PYOSSL_SEPARATE_COMPILATION defined (everywhere, e.g. by linking the
// pyossl::compiled CMake target), headers only declare, and src/pyossl.cpp, compiled once,
// holds the definitions: each file that includes pyossl then compiles much faster. The two
// modes must not be mixed in one program.
#pragma once

#if defined(PYOSSL_SEPARATE_COMPILATION)
#define PYOSSL_DECL
#if defined(PYOSSL_SOURCE)  // src/pyossl.cpp
#define PYOSSL_DEFINITIONS 1
#else
#define PYOSSL_DEFINITIONS 0
#endif
#else
#define PYOSSL_DECL inline
#define PYOSSL_DEFINITIONS 1
#endif
