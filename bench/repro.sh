#!/usr/bin/env bash
# Reproducibility benchmark: `glassbox repro` against diffoscope on the
# release pair from ../shared/bench/make-release-pair.sh (A vs its rebuild R,
# tar.gz and zip). diffoscope has no "equivalent" verdict: it reports R as
# different. Median wall time of N runs and peak RSS (GNU time).
#
# Usage: bench/repro.sh [PAIR_DIR] [RUNS]   (PAIR_DIR is built if missing)
set -euo pipefail
cd "$(dirname "$0")/.."
pair=${1:-bench/out/pair}
runs=${2:-3}
[ -f "$pair/MANIFEST.txt" ] || ../shared/bench/make-release-pair.sh "$pair" >/dev/null
command -v diffoscope >/dev/null || apt-get install -y -qq --no-install-recommends diffoscope >/dev/null
[ -x /usr/bin/time ] || apt-get install -y -qq time >/dev/null
cargo build --release -q -p glassbox-cli
gb=target/release/glassbox

# measure NAME CMD...: prints "median_seconds max_rss_kb exit_code"
measure() {
  local times=() rss=0 code=0
  for _ in $(seq "$runs"); do
    /usr/bin/time -f "%e %M" -o /tmp/bench-time.$$ "$@" >/dev/null 2>&1 && code=0 || code=$?
    read -r t m < /tmp/bench-time.$$
    times+=("$t"); [ "$m" -gt "$rss" ] && rss=$m
  done
  local med
  med=$(printf '%s\n' "${times[@]}" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
  echo "$med $rss $code"
}

printf '| pair | glassbox verdict | glassbox s | glassbox MB | diffoscope s | diffoscope MB | ratio |\n|---|---|---:|---:|---:|---:|---:|\n'
for ext in tar.gz zip; do
  verdict=$($gb repro --format json "$pair/A.$ext" "$pair/R.$ext" | python3 -c 'import json,sys; print(json.load(sys.stdin)["verdict"])')
  read -r gt gm _ < <(measure "$gb" repro "$pair/A.$ext" "$pair/R.$ext")
  read -r dt dm _ < <(measure diffoscope --text /dev/null "$pair/A.$ext" "$pair/R.$ext")
  ratio=$(python3 -c "print(f'{$dt/$gt:.1f}x')")
  printf '| A.%s vs R.%s | %s | %s | %d | %s | %d | %s |\n' "$ext" "$ext" "$verdict" "$gt" $((gm/1024)) "$dt" $((dm/1024)) "$ratio"
done
rm -f /tmp/bench-time.$$
