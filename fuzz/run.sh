#!/usr/bin/env bash
# Runs every fuzz target for SECONDS (default 30) from its seeds (fuzz/corpus/<target>),
# with the TLS or ASN.1 dictionary, and fails if any finds a crash, leak, timeout or broken
# check. New inputs go to a scratch directory, never into the committed seeds; findings go
# to OUT_DIR/<target>-crash-... . Prints one line per target: executions and findings.
# Targets run JOBS at a time (default: one per core), each for the whole SECONDS.
#
#   fuzz/run.sh [SECONDS] [BUILD_DIR] [OUT_DIR]   (defaults: 30 build/fuzz build/fuzz/findings)
#   JOBS=1 fuzz/run.sh 3600                       (one target at a time)
set -uo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-30}
build=${2:-build/fuzz}
out=${3:-$build/findings}
jobs=${JOBS:-$(nproc)}
mkdir -p "$out"
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

targets=(load_certificate load_privatekey load_privatekey_passphrase load_publickey load_certificate_request
  load_pkcs12 load_pkcs7_data netscape_spki load_crl tls_server tls_client)

# Runs one target; writes its summary line to $scratch/<target>.line and exits non-zero on a finding.
run_one() {
  local target=$1 dict=fuzz/asn1.dict
  case $target in tls_*) dict=fuzz/tls.dict ;; esac
  mkdir -p "$scratch/$target"
  local log="$out/$target.log"
  "$build/fuzz/fuzz_$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -dict="$dict" -artifact_prefix="$out/$target-" "$scratch/$target" "fuzz/corpus/$target" >"$log" 2>&1
  local status=$?
  local executions findings=0
  executions=$(grep -o 'stat::number_of_executed_units: [0-9]*' "$log" | grep -o '[0-9]*$' || echo "?")
  if [ $status -ne 0 ]; then
    findings=$(find "$out" -name "$target-*" -newer "$scratch" | wc -l)
    [ "$findings" -eq 0 ] && findings="exit $status"
  fi
  printf '%-28s %12s %8s %s\n' "$target" "${executions:-?}" "$findings" "$log" >"$scratch/$target.line"
  return $status
}

for target in "${targets[@]}"; do
  while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do wait -n; done
  run_one "$target" &
done
wait

failed=()
printf '%-28s %12s %8s %s\n' target executions findings log
for target in "${targets[@]}"; do
  cat "$scratch/$target.line"
  read -r _ _ findings _ <"$scratch/$target.line"
  [ "$findings" != 0 ] && failed+=("$target")
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: findings in ${failed[*]}; reproduce with: $build/fuzz/fuzz_<target> <file> (see fuzz/README.md)"
  for target in "${failed[@]}"; do grep -m3 -E 'ERROR|check failed|SUMMARY' "$out/$target.log"; done
  exit 1
fi
