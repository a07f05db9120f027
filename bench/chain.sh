#!/usr/bin/env bash
# Benchmarks for `glassbox chain` (issue 3). One run; prints median figures.
#  1. the whole x509-limbo dev split through `glassbox chain limbo` (median of 5);
#  2. x509::validate in-process on the demo 3-certificate code-signing chain;
#  3. the same chain through the CLI vs `openssl verify -purpose any`, each in
#     a shell loop of N runs (process start-up included for both).
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
limbo="$(corpora)/x509-limbo/limbo-dev.json"
pki=testdata/demo/pki
N="${N:-200}"

cargo build --release -q -p glassbox-cli
bin=target/release/glassbox

now() { date +%s.%N; }

if [ -f "$limbo" ]; then
  times=()
  for _ in 1 2 3 4 5; do
    t0=$(now); "$bin" --quiet chain limbo "$limbo" >/dev/null; t1=$(now)
    times+=("$(echo "$t1 - $t0" | bc -l)")
  done
  cases=$(grep -o '"id":' "$limbo" | wc -l)
  printf 'limbo dev split (%s cases): median %.2f s\n' "$cases" "$(printf '%s\n' "${times[@]}" | median)"
else
  echo "limbo corpus not found at $limbo: skipped"
fi

cargo bench -q -p glassbox-core --bench x509_chain 2>/dev/null | grep chains/s

t0=$(now)
for _ in $(seq "$N"); do
  "$bin" chain "$pki/codesign.pem" --intermediates "$pki/intermediate.pem" \
    --roots "$pki/root.pem" --purpose any >/dev/null
done
t1=$(now)
g=$(echo "$N / ($t1 - $t0)" | bc -l)

t0=$(now)
for _ in $(seq "$N"); do
  openssl verify -purpose any -CAfile "$pki/root.pem" -untrusted "$pki/intermediate.pem" \
    "$pki/codesign.pem" >/dev/null
done
t1=$(now)
o=$(echo "$N / ($t1 - $t0)" | bc -l)
printf 'CLI loop, %s runs: glassbox chain %.1f/s, openssl verify %.1f/s (ratio %.2f)\n' "$N" "$g" "$o" "$(echo "$g / $o" | bc -l)"
