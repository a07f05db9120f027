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

# measure OK CMD...: prints "median_seconds max_rss_kb". OK lists the exit
# statuses of a completed run: glassbox repro exits 1 and diffoscope exits 1
# when they find differences; anything else (diffoscope's 2 is an error, a
# signal is a crash) is a failed benchmark, reported as such on stderr and
# by the script's exit status, never as a time.
measure() {
  local ok=$1; shift
  local times=() rss=0 code=0
  for _ in $(seq "$runs"); do
    /usr/bin/time -f "%e %M" -o /tmp/bench-time.$$ "$@" >/dev/null 2>/tmp/bench-err.$$ && code=0 || code=$?
    case " $ok " in
      *" $code "*) ;;
      *)
        { echo "FAILED: $* exited $code (expected $ok)"; tail -n 5 /tmp/bench-err.$$; } >&2
        echo "FAILED 0"
        return 0
        ;;
    esac
    # GNU time adds a "Command exited with non-zero status" line first.
    read -r t m < <(tail -n 1 /tmp/bench-time.$$)
    times+=("$t"); [ "$m" -gt "$rss" ] && rss=$m
  done
  local med
  med=$(printf '%s\n' "${times[@]}" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
  echo "$med $rss"
}

printf '| pair | glassbox verdict | glassbox s | glassbox MB | diffoscope s | diffoscope MB | ratio |\n|---|---|---:|---:|---:|---:|---:|\n'
failed=0
for ext in tar.gz zip; do
  # repro exits 1 for a "different" verdict: only 2 and up are failures.
  st=0; "$gb" repro --format json "$pair/A.$ext" "$pair/R.$ext" >/tmp/bench-json.$$ || st=$?
  verdict=FAILED
  [ "$st" -le 1 ] && verdict=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["verdict"])' </tmp/bench-json.$$)
  read -r gt gm < <(measure "0 1" "$gb" repro "$pair/A.$ext" "$pair/R.$ext")
  read -r dt dm < <(measure "0 1" diffoscope --text /dev/null "$pair/A.$ext" "$pair/R.$ext")
  if [ "$verdict" = FAILED ] || [ "$gt" = FAILED ] || [ "$dt" = FAILED ]; then
    printf '| A.%s vs R.%s | FAILED (see above) | | | | | |\n' "$ext" "$ext"
    failed=1
    continue
  fi
  ratio=$(python3 -c "print(f'{$dt/$gt:.1f}x')")
  printf '| A.%s vs R.%s | %s | %s | %d | %s | %d | %s |\n' "$ext" "$ext" "$verdict" "$gt" $((gm/1024)) "$dt" $((dm/1024)) "$ratio"
done
rm -f /tmp/bench-time.$$ /tmp/bench-err.$$ /tmp/bench-json.$$
exit "$failed"
