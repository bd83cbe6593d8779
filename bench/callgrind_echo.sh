#!/bin/sh
# Instructions per round of one echo_round scenario, pyossl beside raw OpenSSL with three
# error-queue policies (see echo_round.cpp), counted by callgrind: repeatable, unlike times
# on a shared machine. Each side runs twice, with few and with many rounds; the difference
# divided by the extra rounds leaves set-up and handshake out.
#
#   bench/callgrind_echo.sh build/bench/bench/echo_round [scenario]   (scenarios: see echo_round.cpp)
#   SIDES="raw pyossl" bench/callgrind_echo.sh ...                    (fewer runs)
set -eu
driver=${1:?usage: callgrind_echo.sh path/to/echo_round [scenario]}
scenario=${2:-echo}
few=200
many=1200
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

instructions() {  # side rounds -> total Ir of the run
  valgrind --tool=callgrind --callgrind-out-file="$out/cg.$1.$2" "$driver" "$1" "$scenario" "$2" >/dev/null 2>&1
  sed -n 's/^summary: *\([0-9]*\).*/\1/p' "$out/cg.$1.$2"
}

for side in ${SIDES:-raw raw-peek raw-clear pyossl}; do
  low=$(instructions "$side" "$few")
  high=$(instructions "$side" "$many")
  echo "$side $(( (high - low) / (many - few) ))"
done | awk -v scenario="$scenario" '
  { per[$1] = $2 }
  END {
    printf "%s round, instructions per round (callgrind Ir):\n", scenario
    printf "  pyossl                                   %6d\n", per["pyossl"]
    printf "  raw, error queue ignored                 %6d  pyossl/raw %.4f\n", per["raw"], per["pyossl"] / per["raw"]
    if ("raw-peek" in per) printf "  raw, queue peeked, cleared if non-empty  %6d  pyossl/raw %.4f\n", per["raw-peek"], per["pyossl"] / per["raw-peek"]
    if ("raw-clear" in per) printf "  raw, ERR_clear_error before each call    %6d  pyossl/raw %.4f\n", per["raw-clear"], per["pyossl"] / per["raw-clear"]
  }'
