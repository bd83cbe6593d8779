#!/bin/sh
# Stripped size of a tiny TLS client+server program written with pyossl (tiny_tls.cpp)
# beside the same program in C (tiny_tls.c), both -O2, dynamically linked to OpenSSL; and
# the pyossl program in the compiled mode, linked to pyossl as a shared library the way
# the C program is linked to libssl (the library's size is printed beside it).
# All are run once on a fresh certificate, so the comparison is of working programs.
#
#   bench/size/binary_size.sh [c++ compiler] [c compiler]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
include=$(cd "$here/../../include" && pwd)
cxx=${1:-${CXX:-c++}}
cc=${2:-${CC:-cc}}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

"$cxx" -std=c++20 -O2 -I"$include" "$here/tiny_tls.cpp" -o "$out/tiny_tls_pyossl" -lssl -lcrypto
"$cc" -O2 "$here/tiny_tls.c" -o "$out/tiny_tls_c" -lssl -lcrypto
"$cxx" -std=c++20 -O2 -fPIC -shared -DPYOSSL_SEPARATE_COMPILATION -I"$include" "$here/../../src/pyossl.cpp" \
  -o "$out/libpyossl.so" -lssl -lcrypto
"$cxx" -std=c++20 -O2 -DPYOSSL_SEPARATE_COMPILATION -I"$include" "$here/tiny_tls.cpp" -o "$out/tiny_tls_compiled" \
  -L"$out" -Wl,-rpath,"$out" -lpyossl -lssl -lcrypto
strip "$out/tiny_tls_pyossl" "$out/tiny_tls_c" "$out/tiny_tls_compiled" "$out/libpyossl.so"

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=localhost \
  -keyout "$out/key.pem" -out "$out/cert.pem" 2>/dev/null
"$out/tiny_tls_pyossl" "$out/cert.pem" "$out/key.pem" >/dev/null
"$out/tiny_tls_c" "$out/cert.pem" "$out/key.pem" >/dev/null
"$out/tiny_tls_compiled" "$out/cert.pem" "$out/key.pem" >/dev/null

size_of() { wc -c <"$1" | tr -d ' '; }
text_of() { size "$1" | awk 'NR == 2 { print $1 }'; }
p=$(size_of "$out/tiny_tls_pyossl")
c=$(size_of "$out/tiny_tls_c")
echo "stripped size: pyossl $p B (text $(text_of "$out/tiny_tls_pyossl") B), C $c B (text $(text_of "$out/tiny_tls_c") B)"
awk -v p="$p" -v c="$c" 'BEGIN { printf "ratio %.2fx (target <= 2x)\n", p / c }'
s=$(size_of "$out/tiny_tls_compiled")
echo "compiled mode, libpyossl.so shared: program $s B (text $(text_of "$out/tiny_tls_compiled") B), libpyossl.so $(size_of "$out/libpyossl.so") B"
awk -v s="$s" -v c="$c" 'BEGIN { printf "ratio %.2fx of the C program (target <= 2x)\n", s / c }'
