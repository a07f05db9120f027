#!/usr/bin/env bash
# Reproducibility benchmark: `glassbox repro` against diffoscope on the
# release pair from ../shared/bench/make-release-pair.sh (A vs its rebuild R,
# tar.gz and zip). diffoscope has no "equivalent" verdict: it reports R as
# different. Median wall time and median peak RSS (GNU time) of N runs
# after one warm-up run.
#
# Usage: bench/repro.sh [PAIR_DIR] [RUNS]   (PAIR_DIR is built if missing)
set -euo pipefail
cd "$(dirname "$0")/.."
pair=${1:-bench/out/pair}
runs=${2:-3}
[ -f "$pair/MANIFEST.txt" ] || ../shared/bench/make-release-pair.sh "$pair" >/dev/null
command -v diffoscope >/dev/null || apt-get install -y -qq --no-install-recommends diffoscope >/dev/null
cargo build --release -q -p glassbox-cli
gb=target/release/glassbox

# bench/lib.sh's measure: glassbox repro exits 1 and diffoscope exits 1
# when they find differences; anything else (diffoscope's 2 is an error, a
# signal is a crash) is a failed benchmark, reported as such and by the
# script's exit status, never as a time.
RUNS=$runs
. bench/lib.sh

printf '| pair | glassbox verdict | glassbox s | glassbox MB | diffoscope s | diffoscope MB | ratio |\n|---|---|---:|---:|---:|---:|---:|\n'
failed=0
for ext in tar.gz zip; do
  # repro exits 1 for a "different" verdict: only 2 and up are failures.
  st=0; "$gb" repro --format json "$pair/A.$ext" "$pair/R.$ext" >/tmp/bench-json.$$ || st=$?
  verdict=FAILED
  [ "$st" -le 1 ] && verdict=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["verdict"])' </tmp/bench-json.$$)
  read -r gt gm _ < <(measure "0 1" "$gb" repro "$pair/A.$ext" "$pair/R.$ext")
  read -r dt dm _ < <(measure "0 1" diffoscope --text /dev/null "$pair/A.$ext" "$pair/R.$ext")
  if [ "$verdict" = FAILED ] || [ "$gt" = FAILED ] || [ "$dt" = FAILED ]; then
    printf '| A.%s vs R.%s | FAILED (see above) | | | | | |\n' "$ext" "$ext"
    failed=1
    continue
  fi
  ratio=$(python3 -c "print(f'{$dt/$gt:.1f}x')")
  printf '| A.%s vs R.%s | %s | %s | %d | %s | %d | %s |\n' "$ext" "$ext" "$verdict" "$gt" $((gm/1024)) "$dt" $((dm/1024)) "$ratio"
done
rm -f /tmp/bench-json.$$
bench_failures >&2 || true
exit "$failed"
